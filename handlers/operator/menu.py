"""The operator's menu: the commands, the rural districts, /status, and «stop all sending»."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot import health
from bot.config import Settings
from bot.formatting import escape, format_datetime
from bot.keyboards import operator as kb
from bot.keyboards.operator import Op, OpCb
from bot.rules.clock import Clock
from handlers.common import target
from storage import districts, operations, operator, places
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
TZ = "Asia/Almaty"  # the operator's screens show instants in Kazakhstan's time


async def menu_text(db: Database) -> str:
    tree = await operator.places_tree(db)
    return _(
        "<b>Operator</b>\n"
        "/add_region name kk | name ru\n"
        "/add_district region id | name kk | name ru\n"
        "/add_rural_district district id | kind | name kk | name ru\n"
        "   (kind: rural_district, village or settlement)\n"
        "/add_village rural district id | name kk | name ru\n"
        "/rename kind | id | name kk | name ru\n"
        "   (kind: region, district, rural_district or village)\n"
        "/move_village village id | rural district id\n"
        "/set_office rural district id | office kk | office ru\n"
        "/add_staff rural district id | Telegram id (or: Rural districts → Staff)\n"
        "/remove_staff rural district id | Telegram id\n"
        "/add_operator Telegram id, /remove_operator Telegram id\n"
        "/district rural district id | setting | value\n"
        "   (timezone, quiet, review_days, threshold, census, approval)\n"
        "/set_consent: a new consent text (you will be asked for kk and ru)\n"
        "/backup path: a backup now; /status; /audit\n\n"
        "{tree}"
    ).format(tree=f"<pre>{escape(tree)}</pre>")


@router.message(Command("operator"))
async def operator_help(message: Message, db: Database, state: FSMContext) -> None:
    """What the operator can do here, and the places with their ids."""
    await state.clear()
    held = await operations.current_hold(db) is not None
    await message.answer(await menu_text(db), reply_markup=kb.menu_keyboard(held))


@router.callback_query(OpCb.filter(F.act == Op.MENU))
async def menu(query: CallbackQuery, db: Database, state: FSMContext) -> None:
    """Back to the operator's menu."""
    await state.clear()
    await query.answer()
    held = await operations.current_hold(db) is not None
    await target(query).answer(await menu_text(db), reply_markup=kb.menu_keyboard(held))


@router.callback_query(OpCb.filter(F.act == Op.DISTRICTS))
async def rural_districts(query: CallbackQuery, db: Database, person: Person) -> None:
    """Every rural district, to open one."""
    await query.answer()
    found = await places.all_rural_districts(db)
    items = [places.Place(rd.id, rd.name_kk, rd.name_ru) for rd in found]
    await target(query).answer(_("<b>Rural districts</b>"), reply_markup=kb.districts_keyboard(items, person.language))


@router.callback_query(OpCb.filter(F.act == Op.DISTRICT))
async def district(query: CallbackQuery, callback_data: OpCb, db: Database, person: Person) -> None:
    """One rural district: its settings at a glance, staff and settings."""
    await query.answer()
    await target(query).answer(
        await district_text(db, callback_data.rd, person.language), reply_markup=kb.district_keyboard(callback_data.rd)
    )


async def district_text(db: Database, rural_district_id: int, lang: str) -> str:
    found = await districts.get(db, rural_district_id)
    if found is None:
        return _("There is no rural district with id {id}.").format(id=rural_district_id)
    staff = await operator.staff(db, rural_district_id)
    quiet = _("none") if found.quiet_start == found.quiet_end else f"{found.quiet_start}–{found.quiet_end}"
    return _(
        "<b>{name}</b> (id {id})\n"
        "Time zone: {tz}\n"
        "Quiet hours: {quiet}\n"
        "Review deadline, working days: {days}\n"
        "Supports for the agenda: {threshold}\n"
        "Census: {census}\n"
        "A second approval for announcements to more residents than: {approval}\n"
        "Owner and operator of the database: {office}\n"
        "Staff members: {staff}"
    ).format(
        name=escape(found.name(lang)),
        id=found.id,
        tz=found.timezone,
        quiet=quiet,
        days=found.review_days,
        threshold=found.threshold,
        census=_("on") if found.census else _("off"),
        approval=found.approval,
        office=escape((found.office_ru if lang == "ru" else found.office_kk) or "—"),
        staff=len(staff),
    )


@router.callback_query(OpCb.filter(F.act.in_({Op.HOLD, Op.RELEASE})))
async def hold(query: CallbackQuery, callback_data: OpCb, db: Database, person: Person, clock: Clock) -> None:
    """Stop every outbox message until released, or release them."""
    actor = Actor.operator(person)
    await query.answer()
    if callback_data.act is Op.HOLD:
        await operations.hold(db, actor, clock.now())
        text = _("⏸ All sending is stopped. Nothing from the outbox leaves until you press «Resume sending».")
    else:
        await operations.release(db, actor)
        text = _("▶️ Sending is resumed.")
    held = await operations.current_hold(db) is not None
    await target(query).answer(text, reply_markup=kb.menu_keyboard(held))


@router.message(Command("status"))
async def status_command(
    message: Message, db: Database, clock: Clock, settings: Settings, started_at: datetime, person: Person
) -> None:
    """How the bot is: uptime, version, the database, what waits to be sent, the last error."""
    found = await health.check(db, clock.now(), settings.sender_lease_seconds)
    await message.answer(
        status_text(found, clock.now(), started_at, person.language),
        reply_markup=kb.menu_keyboard(found.hold is not None),
    )


@router.callback_query(OpCb.filter(F.act == Op.STATUS))
async def status_button(
    query: CallbackQuery, db: Database, clock: Clock, settings: Settings, started_at: datetime, person: Person
) -> None:
    """The same from the menu."""
    await query.answer()
    found = await health.check(db, clock.now(), settings.sender_lease_seconds)
    await target(query).answer(
        status_text(found, clock.now(), started_at, person.language),
        reply_markup=kb.menu_keyboard(found.hold is not None),
    )


def status_text(found: operations.Status, now: datetime, started_at: datetime, lang: str) -> str:
    minutes = int((now - started_at).total_seconds() // 60)
    lines = [
        _("<b>Status</b>: {verdict}").format(verdict=_("well") if found.well else _("needs attention")),
        _("Running for: {hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60),
        _("Version: {version}; schema: {schema}").format(version=health.version(), schema=found.schema),
        _("Database: {size} MB").format(size=f"{found.database_bytes / 1_048_576:.1f}"),
        _("To send, by kind: {backlog}").format(
            backlog=", ".join(f"{kind} {n}" for kind, n in found.backlog.items()) or "—"
        ),
        _("Waiting for a second approval: {n}").format(n=found.awaiting_approval),
        _("Oldest unsent: {when}").format(
            when=format_datetime(found.oldest_unsent, TZ, lang) if found.oldest_unsent else "—"
        ),
        _("Unreachable residents: {n}").format(n=found.unreachable),
        _("Last error: {when} {error}").format(
            when=format_datetime(found.last_error_at, TZ, lang) if found.last_error_at else "—",
            error=escape(found.last_error or ""),
        ),
    ]
    if found.hold:
        lines.append(_("⏸ Sending stopped since {when}.").format(when=format_datetime(found.hold.since, TZ, lang)))
    lines += [f"⚠️ {escape(problem)}" for problem in found.problems]
    return "\n".join(lines)
