"""The audit trail in the chat, for the operator (every district) and the chair of the meeting (their
own): ten entries a page, newest first, filtered by district, person, kind of action and dates,
and the same as a CSV file. Actors are shown by the bot's person id, never by name or phone."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import BaseFilter, Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards import operator as kb
from bot.keyboards.operator import AuditAct, AuditCb
from bot.rules.clock import from_db, local, to_db
from handlers.common import NotMenu, target
from storage import audit, places
from storage.audit import Actor, Filter
from storage.db import Database
from storage.people import CHAIR, Person

router = Router(name=__name__)
PAGE = 10
TZ = "Asia/Almaty"
_DAY = r"(\d{1,2})\.(\d{1,2})\.(\d{4})"
_SPAN = re.compile(rf"^\s*{_DAY}\s*(?:[-–—]\s*{_DAY}\s*)?$")


class OperatorOrChair(BaseFilter):
    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and (person.is_operator or person.has_role(CHAIR))


router.message.filter(OperatorOrChair())
router.callback_query.filter(OperatorOrChair())


class AuditFilter(StatesGroup):
    person = State()
    dates = State()


def _actor(person: Person) -> Actor:
    return Actor.operator(person) if person.is_operator else Actor.chair(person)


def parse_days(text: str, tz: str = TZ) -> tuple[datetime, datetime] | None:
    """«25.11.2026» or «01.11.2026-25.11.2026» (both days included) → [since, until) in UTC."""
    match = _SPAN.match(text or "")
    if not match:
        return None
    parts = match.groups()
    try:
        first = date(int(parts[2]), int(parts[1]), int(parts[0]))
        last = date(int(parts[5]), int(parts[4]), int(parts[3])) if parts[3] else first
    except ValueError:
        return None
    if last < first:
        first, last = last, first
    zone = ZoneInfo(tz)
    return datetime.combine(first, time(), zone), datetime.combine(last + timedelta(days=1), time(), zone)


def _wanted(data: dict[str, Any]) -> Filter:
    found = data.get("audit") or {}
    return Filter(
        rural_district_id=found.get("rd"),
        person_id=found.get("person"),
        actions=tuple([found["action"]]) if found.get("action") else (),
        since=from_db(found["since"]) if found.get("since") else None,
        until=from_db(found["until"]) if found.get("until") else None,
    )


async def _set(state: FSMContext, **changes: Any) -> None:
    found = dict((await state.get_data()).get("audit") or {})
    found.update(changes)
    await state.update_data(audit={k: v for k, v in found.items() if v not in (None, "", 0)})


def _line(entry: audit.Entry) -> str:
    when = local(from_db(entry.at), TZ).strftime("%d.%m.%Y %H:%M")
    actor = entry.actor_kind + (f" {entry.actor_person_id}" if entry.actor_person_id else "")
    what = (
        entry.object_type + (f" {entry.object_id}" if entry.object_id is not None else "") if entry.object_type else ""
    )
    details = " → ".join(x for x in (entry.before_json, entry.after_json) if x)
    if len(details) > 160:
        details = details[:159] + "…"
    head = f"#{entry.id} {when} · {escape(actor)} · <b>{escape(entry.action)}</b>" + (
        f" · {escape(what)}" if what else ""
    )
    return head + (f"\n<code>{escape(details)}</code>" if details else "")


async def show_page(message: Message, db: Database, person: Person, state: FSMContext, page: int) -> None:
    wanted = _wanted(await state.get_data())
    entries, total = await audit.page(db, _actor(person), wanted, offset=page * PAGE, limit=PAGE)
    pages = max(1, -(-total // PAGE))
    shown = [_("district {id}").format(id=wanted.rural_district_id)] if wanted.rural_district_id else []
    if wanted.person_id:
        shown.append(_("person {id}").format(id=wanted.person_id))
    shown += [escape(a) for a in wanted.actions]
    if wanted.since and wanted.until:
        last = local(wanted.until, TZ) - timedelta(days=1)
        shown.append(f"{local(wanted.since, TZ):%d.%m.%Y}–{last:%d.%m.%Y}")
    lines = [
        _("<b>Audit log</b>: entries {total}, page {page} of {pages}").format(total=total, page=page + 1, pages=pages),
        _("Filters: {filters}").format(filters=", ".join(shown) or _("none")),
        "",
    ]
    lines += [_line(e) for e in entries] or [_("No entries.")]
    await message.answer("\n".join(lines), reply_markup=kb.audit_keyboard(page, pages, operator=person.is_operator))


@router.message(Command("audit"))
async def audit_command(message: Message, db: Database, person: Person, state: FSMContext) -> None:
    """The newest entries, all of them (the chair: of their district)."""
    await state.clear()
    await show_page(message, db, person, state, 0)


@router.callback_query(AuditCb.filter(F.act == AuditAct.PAGE))
async def page(query: CallbackQuery, callback_data: AuditCb, db: Database, person: Person, state: FSMContext) -> None:
    """Another page."""
    await state.set_state(None)
    await query.answer()
    await show_page(target(query), db, person, state, max(0, callback_data.page))


@router.callback_query(AuditCb.filter(F.act == AuditAct.CLEAR))
async def clear(query: CallbackQuery, db: Database, person: Person, state: FSMContext) -> None:
    """Every entry again."""
    await state.update_data(audit={})
    await query.answer()
    await show_page(target(query), db, person, state, 0)


@router.callback_query(AuditCb.filter(F.act == AuditAct.DISTRICT))
async def district(
    query: CallbackQuery, callback_data: AuditCb, db: Database, person: Person, state: FSMContext
) -> None:
    """The operator picks a district (the chair sees only their own anyway)."""
    await query.answer()
    if callback_data.value:
        await _set(state, rd=int(callback_data.value) if callback_data.value.isdigit() else None)
        await show_page(target(query), db, person, state, 0)
        return
    choices = [(rd.name(person.language), str(rd.id)) for rd in await places.all_rural_districts(db)]
    choices.append((_("All districts"), "all"))
    await target(query).answer(_("Which rural district?"), reply_markup=kb.audit_choices(AuditAct.DISTRICT, choices))


@router.callback_query(AuditCb.filter(F.act == AuditAct.KIND))
async def kind(query: CallbackQuery, callback_data: AuditCb, db: Database, person: Person, state: FSMContext) -> None:
    """A kind of action, from those the log holds."""
    await query.answer()
    if callback_data.value:
        await _set(state, action=None if callback_data.value == "-" else callback_data.value)
        await show_page(target(query), db, person, state, 0)
        return
    wanted = _wanted(await state.get_data())
    actions = await audit.actions(db, _actor(person), wanted.rural_district_id)
    choices = [(a, a) for a in actions[:40]] + [(_("Every kind"), "-")]
    await target(query).answer(_("Which kind of action?"), reply_markup=kb.audit_choices(AuditAct.KIND, choices))


# the filters typed as a message: the state that waits for it, and the question
_TYPED = {
    AuditAct.PERSON: (
        AuditFilter.person,
        N_("Send the person id (the number after the actor in an entry), or 0 for everyone."),
    ),
    AuditAct.DATES: (AuditFilter.dates, N_("Send a day like 25.11.2026, or days like 01.11.2026-25.11.2026.")),
}


@router.callback_query(AuditCb.filter(F.act.in_(set(_TYPED))))
async def ask_typed(query: CallbackQuery, callback_data: AuditCb, state: FSMContext) -> None:
    """Whose actions (the bot's person id, shown in every entry), or which day or span of days."""
    waits, question = _TYPED[callback_data.act]
    await query.answer()
    await state.set_state(waits)
    await target(query).answer(_(question))


@router.message(StateFilter(AuditFilter.person), NotMenu())
async def got_person(message: Message, db: Database, person: Person, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text.isdigit():
        await message.answer(_("Please send a number, e.g. 12, or 0 for everyone."))
        return
    await state.set_state(None)
    await _set(state, person=int(text) or None)
    await show_page(message, db, person, state, 0)


@router.message(StateFilter(AuditFilter.dates), NotMenu())
async def got_dates(message: Message, db: Database, person: Person, state: FSMContext) -> None:
    span = parse_days(message.text or "")
    if span is None:
        await message.answer(_("Please write the days like 01.11.2026-25.11.2026."))
        return
    await state.set_state(None)
    since, until = span
    await _set(state, since=to_db(since), until=to_db(until))
    await show_page(message, db, person, state, 0)


@router.callback_query(AuditCb.filter(F.act == AuditAct.CSV))
async def as_csv(query: CallbackQuery, db: Database, person: Person, state: FSMContext) -> None:
    """Every entry the filters select, as CSV (UTF-8 with BOM, for Excel); the export is audited too."""
    await query.answer()
    wanted = _wanted(await state.get_data())
    entries = await audit.export(db, _actor(person), wanted)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(audit.CSV_FIELDS)
    for e in entries:
        writer.writerow([_cell(getattr(e, name)) for name in audit.CSV_FIELDS])
    data = ("\ufeff" + out.getvalue()).encode("utf-8")
    await target(query).answer_document(
        BufferedInputFile(data, filename="audit.csv"),
        caption=_("Audit log: entries {n}.").format(n=len(entries)),
    )


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
