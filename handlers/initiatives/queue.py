"""The staff: the queue by status and village, an initiative's card, the CSV, how new ones are told."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape
from bot.keyboards.admin import AdminMenu
from bot.keyboards.initiatives import (
    FILTERS,
    AdmAct,
    AdmIni,
    AdmQueue,
    QueueFilter,
    queue_keyboard,
    staff_card_keyboard,
    status_label,
)
from bot.rules import initiatives as rules
from bot.rules.clock import Clock
from bot.texts.initiatives import initiatives_csv
from handlers.common import target
from handlers.initiatives.texts import PAGE, card_text, pages, send_attachments
from storage import initiatives as store
from storage import places
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


def _age(initiative: store.Initiative, now: datetime) -> str:
    days = max((now - initiative.submitted_at).days, 0)
    return ngettext("{count} day", "{count} days", days).format(count=days)


async def show_queue(
    message: Message,
    person: Person,
    db: Database,
    clock: Clock,
    *,
    flt: QueueFilter = QueueFilter.OPEN,
    village_id: int = 0,
    page: int = 0,
) -> None:
    """Oldest first, each with its age, village and status; the overdue ones marked."""
    assert person.rural_district_id is not None
    rd = person.rural_district_id
    villages = await places.villages(db, rd)
    village = next((v for v in villages if v.id == village_id), None)
    items, total = await store.queue(
        db,
        rd,
        statuses=[s.value for s in FILTERS[flt][1]],
        village_id=village.id if village else None,
        limit=PAGE,
        offset=page * PAGE,
    )
    now = clock.now()
    overdue = await store.overdue_count(db, rd, now)
    lines = [_("<b>Initiatives</b>: {filter}, oldest first").format(filter=_(FILTERS[flt][0]))]
    if overdue:
        lines.append(
            ngettext("⏰ {count} initiative is overdue", "⏰ {count} initiatives are overdue", overdue).format(
                count=overdue
            )
        )
    if not items:
        lines.append(_("Nothing here."))
    for i in items:
        mark = " ⏰" if rules.is_overdue(i.status, i.deadline_at, now) else ""
        lines.append(
            f"№{i.number} · {_age(i, now)} · {escape(i.village(person.language))} · "
            f"{status_label(i.status)} · «{escape(i.title)}»{mark}"
        )
    digest = await store.digest_on(db, person.id)
    await message.answer(
        "\n".join(lines),
        reply_markup=queue_keyboard(
            items,
            flt=flt,
            village_id=village.id if village else 0,
            villages=villages,
            lang=person.language,
            page=page,
            pages=pages(total),
            digest=digest,
        ),
    )


@router.callback_query(AdminMenu.filter(F.section == "initiatives"))
async def staff_home(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The staff's queue of initiatives awaiting a decision."""
    await query.answer()
    await state.clear()
    await show_queue(target(query), person, db, clock)


@router.callback_query(AdmQueue.filter())
async def staff_queue(
    query: CallbackQuery, callback_data: AdmQueue, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """The queue by status and village, page by page."""
    await query.answer()
    await state.clear()
    await show_queue(
        target(query), person, db, clock, flt=callback_data.flt, village_id=callback_data.v, page=callback_data.p
    )


async def staff_card(
    message: Message, initiative: store.Initiative, person: Person, db: Database, clock: Clock
) -> None:
    """The initiative as staff see it, with the changes they may make now."""
    tz = await store.timezone(db, initiative.rural_district_id)
    history = await store.history(db, initiative.id)
    await message.answer(
        card_text(initiative, history, person.language, tz, clock.now(), staff=True),
        reply_markup=staff_card_keyboard(
            initiative,
            rules.next_statuses(initiative.status),
            can_merge=rules.can_merge(initiative.status),
            can_hide=rules.can_hide(initiative.status),
        ),
    )


@router.callback_query(AdmIni.filter(F.act == AdmAct.OPEN))
async def staff_open(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """Everything the resident sent (photos, location, voice), then the card with the actions."""
    await query.answer()
    await state.clear()
    initiative = await store.for_staff(db, Actor.of(person), callback_data.id)
    await send_attachments(bot, target(query).chat.id, initiative, voice=True)
    await staff_card(target(query), initiative, person, db, clock)


@router.callback_query(AdmIni.filter(F.act == AdmAct.EXPORT))
async def staff_export(query: CallbackQuery, person: Person, db: Database, clock: Clock) -> None:
    """The district's initiatives as CSV (UTF-8 with BOM, so Excel reads Cyrillic); audited."""
    await query.answer()
    assert person.rural_district_id is not None
    rd = person.rural_district_id
    items = await store.export(db, Actor.of(person), rd)
    tz = await store.timezone(db, rd)
    day = rules.local_day(clock.now(), tz).isoformat()
    await target(query).answer_document(
        BufferedInputFile(initiatives_csv(items, person.language, tz), filename=f"initiatives-{day}.csv"),
        caption=ngettext("{count} initiative", "{count} initiatives", len(items)).format(count=len(items)),
    )


@router.callback_query(AdmIni.filter(F.act == AdmAct.DIGEST))
async def staff_digest(query: CallbackQuery, person: Person, db: Database, clock: Clock) -> None:
    """Each new initiative as it arrives, or one digest a day."""
    digest = await store.toggle_digest(db, Actor.of(person), clock.now())
    await query.answer()
    await target(query).answer(
        _("You will get one digest of new initiatives a day, in the morning.")
        if digest
        else _("You will be told of each new initiative as it arrives.")
    )
    await show_queue(target(query), person, db, clock)


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    counts = await store.status_counts(db, rural_district_id)
    waiting = sum(counts.get(s.value, 0) for s in rules.UNDECIDED)
    if not waiting:
        return None
    overdue = await store.overdue_count(db, rural_district_id, clock.now())
    line = ngettext(
        "💡 {count} initiative awaits a decision", "💡 {count} initiatives await a decision", waiting
    ).format(count=waiting)
    if overdue:
        line += "; " + ngettext("⏰ {count} overdue", "⏰ {count} overdue", overdue).format(count=overdue)
    return line
