"""Staff: a new event, step by step (kind, villages, titles, place, start, length, agenda, report), then published."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards import events as kb
from bot.rules import events as rules
from bot.rules.clock import Clock, from_db, to_db
from bot.rules.errors import NotAllowed, NotFound
from handlers.common import target
from handlers.events.texts import (
    ask_start_text,
    card_text,
    cut,
    district,
    not_text,
    read_start,
    show_admin_card,
    village_names,
)
from storage import events as store
from storage import initiatives, places
from storage.audit import Actor
from storage.db import Database
from storage.events import Event
from storage.people import Person

router = Router(name=__name__)
STALE = N_("This button is out of date. Here is the main menu.")


class EventForm(StatesGroup):
    kind = State()
    villages = State()
    title_kk = State()
    title_ru = State()
    place = State()
    start = State()
    duration = State()
    agenda = State()
    report = State()
    confirm = State()


@router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.NEW))
async def new_event(query: CallbackQuery, state: FSMContext) -> None:
    """Step 1: the kind of event."""
    await query.answer()
    await state.clear()
    await state.set_state(EventForm.kind)
    await target(query).answer(
        _(
            "<b>New event</b>\nWhat kind of event is it?\n"
            "• Gathering: all residents of the villages it concerns.\n"
            "• Separate gathering: the residents of one village.\n"
            "• Meeting: the representatives of the villages and the chair."
        ),
        reply_markup=kb.kinds(),
    )


async def _village_options(db: Database, person: Person) -> list[tuple[int, str]]:
    assert person.rural_district_id is not None
    return [(v.id, v.name(person.language)) for v in await places.villages(db, person.rural_district_id)]


async def _ask_villages(message: Message, db: Database, person: Person, state: FSMContext) -> None:
    data = await state.get_data()
    many = data["kind"] != rules.Kind.SEPARATE_GATHERING
    text = (
        _("Which villages does it concern? Press a village to include or leave it out, then Next.")
        if many
        else _("Which village holds the separate gathering?")
    )
    options = await _village_options(db, person)
    await message.answer(text, reply_markup=kb.villages_pick(options, data.get("villages", []), many=many))


@router.callback_query(EventForm.kind, kb.AdmEvNew.filter(F.act == kb.NewAct.KIND))
async def choose_kind(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, state: FSMContext
) -> None:
    """Step 2: the villages (every one by default for a gathering or a meeting)."""
    kind = callback_data.kind
    if kind is None:
        raise NotAllowed(STALE)
    await query.answer()
    everyone = [vid for vid, _name in await _village_options(db, person)]
    await state.update_data(kind=kind.value, villages=[] if kind == rules.Kind.SEPARATE_GATHERING else everyone)
    await state.set_state(EventForm.villages)
    await _ask_villages(target(query), db, person, state)


async def _ask_title_kk(message: Message, state: FSMContext) -> None:
    await state.set_state(EventForm.title_kk)
    await message.answer(
        _("Send the title in Kazakh (or press Skip to write it only in Russian)."), reply_markup=kb.skip()
    )


@router.callback_query(EventForm.villages, kb.AdmEvNew.filter(F.act == kb.NewAct.VILLAGE))
async def toggle_village(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, state: FSMContext
) -> None:
    """Include or leave out a village; for a separate gathering, the one village."""
    assert person.rural_district_id is not None
    village = await places.village_in(db, person.rural_district_id, callback_data.id)
    if village is None:
        raise NotFound(N_("This village is not in your rural district."))
    data = await state.get_data()
    await query.answer()
    if data["kind"] == rules.Kind.SEPARATE_GATHERING:
        await state.update_data(villages=[village.id])
        await _ask_title_kk(target(query), state)
        return
    chosen = list(data.get("villages", []))
    chosen = [v for v in chosen if v != village.id] if village.id in chosen else [*chosen, village.id]
    await state.update_data(villages=chosen)
    options = await _village_options(db, person)
    await target(query).edit_reply_markup(reply_markup=kb.villages_pick(options, chosen, many=True))


@router.callback_query(EventForm.villages, kb.AdmEvNew.filter(F.act == kb.NewAct.VILLAGES_DONE))
async def villages_done(query: CallbackQuery, state: FSMContext) -> None:
    """Step 3: the title."""
    data = await state.get_data()
    if not rules.villages_ok(data["kind"], data.get("villages", [])):
        await query.answer(_("Please choose at least one village."), show_alert=True)
        return
    await query.answer()
    await _ask_title_kk(target(query), state)


@router.message(EventForm.title_kk, F.text)
async def title_kk(message: Message, state: FSMContext) -> None:
    await state.update_data(title_kk=(message.text or "").strip()[:200])
    await state.set_state(EventForm.title_ru)
    await message.answer(_("Send the title in Russian (or press Skip)."), reply_markup=kb.skip())


@router.callback_query(EventForm.title_kk, kb.AdmEvNew.filter(F.act == kb.NewAct.SKIP))
async def skip_title_kk(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(title_kk="")
    await state.set_state(EventForm.title_ru)
    await target(query).answer(_("Send the title in Russian."), reply_markup=kb.cancel_only())


async def _ask_place(message: Message, state: FSMContext) -> None:
    await state.set_state(EventForm.place)
    await message.answer(
        _("Where does it take place? Send the place, e.g. «Ақсай, the House of Culture»."),
        reply_markup=kb.cancel_only(),
    )


@router.message(EventForm.title_ru, F.text)
async def title_ru(message: Message, state: FSMContext) -> None:
    await state.update_data(title_ru=(message.text or "").strip()[:200])
    await _ask_place(message, state)


@router.callback_query(EventForm.title_ru, kb.AdmEvNew.filter(F.act == kb.NewAct.SKIP))
async def skip_title_ru(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    if not (await state.get_data()).get("title_kk"):
        await target(query).answer(
            _("The event needs a title in at least one language. Send the title in Russian."),
            reply_markup=kb.cancel_only(),
        )
        return
    await state.update_data(title_ru="")
    await _ask_place(target(query), state)


@router.message(EventForm.place, F.text)
async def place(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    await state.update_data(place=(message.text or "").strip()[:200])
    await state.set_state(EventForm.start)
    rd = await district(db, person.rural_district_id)
    await message.answer(ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only())


@router.message(EventForm.start, F.text)
async def start_time(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    at = await read_start(message, person, db, clock)
    if at is None:
        return
    await state.update_data(starts_at=to_db(at))
    await state.set_state(EventForm.duration)
    await message.answer(_("How long will it last?"), reply_markup=kb.durations())


async def flagged_initiatives(db: Database, rural_district_id: int) -> list[tuple[int, str]]:
    """Initiatives flagged for the agenda (enough supports), offered as items: (initiative id, title)."""
    return [
        (item.id, " ".join(item.title.split())[:200])
        for item in await initiatives.flagged_for_agenda(db, rural_district_id)
    ]


async def _agenda_prompt(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    items = data.get("agenda", [])
    lines = [_("<b>Agenda</b>: send the items, one per line or one per message.")]
    if data.get("offers"):
        lines.append(_("Initiatives flagged for the agenda are below: press one to add it."))
    if items:
        lines.append("")
        lines += [f"{i}. {escape(text)}" for i, (text, _ini) in enumerate(items, 1)]
        lines.append("")
        lines.append(_("Send more items, or press Next."))
    taken = [ini for _text, ini in items if ini is not None]
    await message.answer(
        cut("\n".join(lines)), reply_markup=kb.agenda([tuple(o) for o in data.get("offers", [])], taken, bool(items))
    )


@router.callback_query(EventForm.duration, kb.AdmEvNew.filter(F.act == kb.NewAct.DURATION))
async def duration(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, state: FSMContext
) -> None:
    """Step: the agenda, with the initiatives flagged for it."""
    minutes = callback_data.id
    if minutes not in rules.DURATIONS:
        raise NotAllowed(STALE)
    await query.answer()
    assert person.rural_district_id is not None
    offers = await flagged_initiatives(db, person.rural_district_id)
    await state.update_data(minutes=minutes, agenda=[], offers=[list(o) for o in offers])
    await state.set_state(EventForm.agenda)
    await _agenda_prompt(target(query), state)


@router.message(EventForm.agenda, F.text)
async def agenda_items(message: Message, state: FSMContext) -> None:
    items = list((await state.get_data()).get("agenda", []))
    items += [[text[:500], None] for text in rules.split_agenda(message.text or "")]
    await state.update_data(agenda=items[:30])
    await _agenda_prompt(message, state)


@router.callback_query(EventForm.agenda, kb.AdmEvNew.filter(F.act == kb.NewAct.INITIATIVE))
async def agenda_initiative(query: CallbackQuery, callback_data: kb.AdmEvNew, state: FSMContext) -> None:
    """Add (or take back) a flagged initiative as an agenda item."""
    data = await state.get_data()
    offers = {int(i): title for i, title in data.get("offers", [])}
    chosen = callback_data.id
    if chosen not in offers:  # only what was offered to this staff member, never a forged id
        raise NotFound(N_("This initiative is not on the list for the agenda."))
    await query.answer()
    items = list(data.get("agenda", []))
    if any(ini == chosen for _text, ini in items):
        items = [item for item in items if item[1] != chosen]
    else:
        items.append([offers[chosen], chosen])
    await state.update_data(agenda=items)
    await _agenda_prompt(target(query), state)


def _draft(data: dict[str, Any], rural_district_id: int) -> Event:
    """The event as the steps so far describe it (not stored: id 0)."""
    starts = from_db(data["starts_at"])
    return Event(
        id=0,
        rural_district_id=rural_district_id,
        kind=data["kind"],
        title_kk=data.get("title_kk", ""),
        title_ru=data.get("title_ru", ""),
        place=data["place"],
        starts_at=starts,
        ends_at=starts + timedelta(minutes=data["minutes"]),
        report_hearing=bool(data.get("report")),
        village_ids=tuple(data["villages"]),
        agenda=tuple(text for text, _ini in data["agenda"]),
    )


def _promise(starts: datetime, now: datetime) -> str:
    """What publishing will do: only the reminders still to come before the start."""
    due = {minutes for minutes, _at in rules.reminder_times(starts, now)}
    if due >= {24 * 60, 2 * 60}:
        return _("Publish it? The invited will be told and reminded a day and two hours before.")
    if 2 * 60 in due:
        return _("Publish it? The invited will be told and reminded two hours before.")
    return _("Publish it? The invited will be told; it starts too soon for a reminder.")


async def _preview(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    rd = await district(db, person.rural_district_id)
    draft = _draft(await state.get_data(), rd.id)
    names = await village_names(db, draft, person.language)
    await state.set_state(EventForm.confirm)
    await message.answer(
        cut(card_text(draft, rd.timezone, names) + "\n\n" + _promise(draft.starts_at, clock.now())),
        reply_markup=kb.publish(),
    )


@router.callback_query(EventForm.agenda, kb.AdmEvNew.filter(F.act == kb.NewAct.AGENDA_DONE))
async def agenda_done(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    data = await state.get_data()
    if not data.get("agenda"):
        await query.answer(_("Please add at least one agenda item."), show_alert=True)
        return
    await query.answer()
    if data["kind"] == rules.Kind.GATHERING:
        await state.set_state(EventForm.report)
        await target(query).answer(_("Will the akim report to the gathering?"), reply_markup=kb.report_question())
        return
    await _preview(target(query), person, db, clock, state)


@router.callback_query(EventForm.report, kb.AdmEvNew.filter(F.act == kb.NewAct.REPORT))
async def report_hearing(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    await query.answer()
    await state.update_data(report=callback_data.yes)
    await _preview(target(query), person, db, clock, state)


def announcement_text(event: Event, tz: str) -> str:
    return _("📅 <b>{kind}</b>: {title}\n🕒 {when}\n📍 {place}\n\nOpen the event to say whether you will come.").format(
        **kb.fields(event, tz, full_kind=True)
    )


@router.callback_query(EventForm.confirm, kb.AdmEvNew.filter(F.act == kb.NewAct.PUBLISH))
async def publish_event(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Create the event, its reminders, and tell the invited."""
    data = await state.get_data()
    rd = await district(db, person.rural_district_id)
    now = clock.now()
    draft = _draft(data, rd.id)
    if rules.is_past(draft.starts_at, now):
        await state.set_state(EventForm.start)
        await query.answer()
        await target(query).answer(
            _("This moment has already passed. ") + ask_start_text(rd, now), reply_markup=kb.cancel_only()
        )
        return
    event = await store.create(
        db,
        Actor.of(person),
        draft,
        initiatives=[ini for _text, ini in data["agenda"]],
        now=now,
        render=kb.notice(i18n, announcement_text),
    )
    await state.clear()
    await query.answer()
    await target(query).answer(_("Published. The invited will be told."))
    await show_admin_card(target(query), db, event, now, person.language)


@router.callback_query(kb.AdmEvNew.filter())
async def stale_step(query: CallbackQuery, state: FSMContext) -> None:
    """A button of a step already left (or of another flow)."""
    await query.answer(_("This step is over. Please start again from the Events section."), show_alert=True)


router.message.register(
    not_text, StateFilter(EventForm.title_kk, EventForm.title_ru, EventForm.place, EventForm.start, EventForm.agenda)
)
