"""Events: the calendar of gatherings and meetings for residents, and the staff's screens to plan
them, move or cancel them, mark representatives and attach the protocol afterwards."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_weekday_datetime, local
from bot.i18n import N_, in_all_languages
from bot.keyboards import events as kb
from bot.keyboards.admin import AdminMenu
from bot.keyboards.common import MenuButton
from bot.keyboards.events import current_language as _lang
from bot.keyboards.events import when_text
from bot.rules import events as rules
from bot.rules.clock import Clock, from_db, to_db
from bot.rules.errors import NotAllowed, NotFound
from bot.rules.phones import normalize
from handlers.common import consent_given, record_admin_action, target
from storage import events as store
from storage import outbox, people, places
from storage.db import Database, Tx
from storage.events import Event
from storage.people import CHAIR, REPRESENTATIVE, Person

log = logging.getLogger(__name__)

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed)
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)

MAX_TEXT = 3900  # a card stays under Telegram's 4096 characters with room for the markup


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


class MoveForm(StatesGroup):
    start = State()


class AttachForm(StatesGroup):
    collect = State()


class RepForm(StatesGroup):
    contact = State()


# --- rendering ---------------------------------------------------------------------------


def _cut(text: str, size: int = MAX_TEXT) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def short_label(event: Event, tz: str, lang: str) -> str:
    """A list button: «10.12 15:00 · Title»."""
    moment = local(event.starts_at, tz)
    return f"{moment:%d.%m %H:%M} · {event.title(lang)}"


def card_text(event: Event, tz: str, village_names: Sequence[str]) -> str:
    """The event as a message: kind, title, time, place, villages, agenda (in the current language)."""
    lang = _lang()
    lines = [f"📅 <b>{kb.kind_title(event.kind)}</b>", f"<b>{escape(event.title(lang))}</b>"]
    if event.cancelled:
        lines.append(_("❌ Cancelled: it will not take place."))
    lines.append("🕒 " + when_text(event, tz, lang))
    lines.append("📍 " + escape(event.place))
    if village_names:
        lines.append(_("Villages: {names}").format(names=escape(", ".join(village_names))))
    if event.report_hearing:
        lines.append(_("The akim's report will be heard."))
    if event.agenda:
        lines.append("")
        lines.append(_("<b>Agenda</b>"))
        lines += [f"{i}. {escape(item)}" for i, item in enumerate(event.agenda, 1)]
    return "\n".join(lines)


async def _district(db: Database | Tx, rural_district_id: int) -> places.RuralDistrict:
    rd = await places.rural_district(db, rural_district_id)
    if rd is None:
        raise NotFound(N_("This event is no longer available."))
    return rd


async def _village_names(db: Database | Tx, event: Event, lang: str) -> list[str]:
    names = []
    for vid in event.village_ids:
        village = await places.village(db, vid)
        if village:
            names.append(village.name(lang))
    return names


async def _event_for(db: Database | Tx, event_id: int, person: Person) -> Event:
    """The event if it is of the person's district; a forged or stale id is NotFound."""
    assert person.rural_district_id is not None
    event = await store.get(db, event_id, person.rural_district_id)
    if event is None:
        raise NotFound(N_("This event is no longer available."))
    return event


async def _notify(
    tx: Tx,
    i18n: I18n,
    event: Event,
    recipients: Sequence[int],
    render: Callable[[], str],
    *,
    now: datetime,
    created_by: int | None = None,
) -> None:
    """Queue one message about an event for these people, in every language, with a button to open it."""
    if not recipients:
        return
    await outbox.enqueue(
        tx,
        rural_district_id=event.rural_district_id,
        kind="notice",
        texts=in_all_languages(i18n, render),
        buttons=in_all_languages(i18n, lambda: kb.open_event_button(event.id)),
        recipients=recipients,
        created_by=created_by,
        source_type="event",
        source_id=event.id,
        not_before=to_db(now),
    )


async def _notify_concerned(
    tx: Tx, i18n: I18n, event: Event, render: Callable[[], str], *, now: datetime, created_by: int
) -> None:
    """Tell the invited and those who answered about a change to the event."""
    await _notify(tx, i18n, event, await store.concerned(tx, event.id), render, now=now, created_by=created_by)


# --- residents ---------------------------------------------------------------------------


async def _show_list(message: Message, person: Person, db: Database, clock: Clock, *, past: bool) -> None:
    assert person.rural_district_id is not None
    rd = await _district(db, person.rural_district_id)
    lang = person.language
    found = await (store.past if past else store.upcoming)(db, rd.id, clock.now())
    if past:
        head = _("<b>Past gatherings and meetings</b>: {rural_district}").format(rural_district=rd.name(lang))
        empty = _("No events have taken place yet.")
    else:
        head = _("<b>Upcoming gatherings and meetings</b>: {rural_district}").format(rural_district=rd.name(lang))
        empty = _("No events are planned yet. We will let you know when one is.")
    lines = [head]
    for event in found:
        line = f"• {kb.kind_name(event.kind)} · {when_text(event, rd.timezone, lang)} · {escape(event.title(lang))}"
        if past and event.has_protocol:
            line += " · 📄"
        lines.append(line)
    if not found:
        lines.append(empty)
    else:
        lines.append(_("Press an event to see the details."))
    items = [(e.id, short_label(e, rd.timezone, lang)) for e in found]
    await message.answer(_cut("\n".join(lines)), reply_markup=kb.events_list(items, past=past))


@router.message(MenuButton("events"))
async def events_menu(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The upcoming events of the person's district, soonest first."""
    await state.clear()
    await _show_list(message, person, db, clock, past=False)


@router.callback_query(kb.Ev.filter(F.act.in_({kb.EvAct.UPCOMING, kb.EvAct.PAST})))
async def events_list(query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock) -> None:
    """Upcoming or past events."""
    await query.answer()
    await _show_list(target(query), person, db, clock, past=callback_data.act is kb.EvAct.PAST)


async def resident_card(db: Database, person: Person, event: Event, now: datetime) -> tuple[str, Any]:
    """The text and buttons of an event for a resident: their role, their answer, the protocol."""
    rd = await _district(db, event.rural_district_id)
    text = card_text(event, rd.timezone, await _village_names(db, event, person.language))
    rep_village = await store.representative_village(db, event.rural_district_id, person.id)
    role = rules.role_of(
        event.kind,
        village_id=person.village_id,
        event_villages=event.village_ids,
        representative_of=rep_village,
        is_chair=person.has_role(CHAIR, event.rural_district_id),
    )
    begun = rules.is_past(event.starts_at, now)
    answer = await store.answer_of(db, event.id, person.id)
    extra = []
    if not begun and not event.cancelled:
        if role is rules.Role.INVITED:
            extra.append(_("✉️ You are invited."))
        elif event.kind == rules.Kind.MEETING:
            extra.append(_("Only members of the meeting take part in it; you can attend as a listener."))
        else:
            extra.append(_("You can attend as a listener."))
        if answer == "yes":
            extra.append(_("Your answer: I'll come."))
        elif answer == "no":
            extra.append(_("Your answer: I can't come."))
    if begun and not event.cancelled:
        if event.protocol_text:
            extra.append(_("<b>Protocol</b>") + "\n" + escape(event.protocol_text))
        elif not event.has_protocol:
            extra.append(_("The protocol has not been published yet."))
        if event.report_text:
            extra.append(_("<b>Akim's report</b>") + "\n" + escape(event.report_text))
    if extra:
        text += "\n\n" + "\n\n".join(extra)
    markup = kb.event_card(
        event.id,
        can_answer=rules.can_rsvp(event.starts_at, event.cancelled, now),
        answer=answer,
        calendar=not begun and not event.cancelled,
        protocol_file=begun and bool(event.protocol_file_id),
        report_file=begun and bool(event.report_file_id),
        past=begun,
    )
    return _cut(text), markup


@router.callback_query(kb.Ev.filter(F.act == kb.EvAct.OPEN))
async def open_event(query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock) -> None:
    """One event: when, where, the agenda, and the buttons to answer."""
    event = await _event_for(db, callback_data.id, person)
    await query.answer()
    text, markup = await resident_card(db, person, event, clock.now())
    await target(query).answer(text, reply_markup=markup)


@router.callback_query(kb.Ev.filter(F.act.in_({kb.EvAct.YES, kb.EvAct.NO})))
async def answer_event(
    query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """«I'll come» / «I can't come»: kept with consent, changeable until the event begins."""
    event = await _event_for(db, callback_data.id, person)
    now = clock.now()
    if not rules.can_rsvp(event.starts_at, event.cancelled, now):
        await query.answer()
        await target(query).answer(_("This event has already begun or was cancelled: answers are no longer taken."))
        return
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    answer = "yes" if callback_data.act is kb.EvAct.YES else "no"
    async with db.transaction() as tx:
        await store.rsvp(tx, event.id, person.id, answer, now=now)
    await query.answer(
        _("Thank you, your answer is saved.") if answer == "yes" else _("Thank you for letting us know.")
    )
    text, markup = await resident_card(db, person, event, now)
    await target(query).answer(text, reply_markup=markup)


@router.callback_query(kb.Ev.filter(F.act == kb.EvAct.ICS))
async def calendar_file(
    query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, clock: Clock, bot: Bot
) -> None:
    """The event as an .ics file for the phone's calendar."""
    event = await _event_for(db, callback_data.id, person)
    await query.answer()
    lang = person.language
    content = rules.ics(
        uid=f"event-{event.id}-rd{event.rural_district_id}@rural-self-government-bot",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=f"{kb.kind_name(event.kind)}: {event.title(lang)}",
        location=event.place,
        description="\n".join(f"{i}. {item}" for i, item in enumerate(event.agenda, 1)),
        stamp=clock.now(),
        sequence=event.sequence,
        cancelled=event.cancelled,
    )
    await bot.send_document(
        target(query).chat.id,
        BufferedInputFile(content.encode("utf-8"), filename=f"event-{event.id}.ics"),
        caption=_("Open the file to add the event to your phone's calendar."),
    )


@router.callback_query(kb.Ev.filter(F.act.in_({kb.EvAct.PROTOCOL, kb.EvAct.REPORT})))
async def event_file(query: CallbackQuery, callback_data: kb.Ev, person: Person, db: Database, bot: Bot) -> None:
    """The protocol's or the akim's report's document."""
    event = await _event_for(db, callback_data.id, person)
    file_id = event.protocol_file_id if callback_data.act is kb.EvAct.PROTOCOL else event.report_file_id
    if not file_id:
        raise NotFound(N_("This document has not been published yet."))
    await query.answer()
    caption = (
        _("Protocol: {title}") if callback_data.act is kb.EvAct.PROTOCOL else _("Akim's report: {title}")
    ).format(title=escape(event.title(person.language)))
    await bot.send_document(target(query).chat.id, file_id, caption=_cut(caption, 1000))


# --- staff: the list and one event --------------------------------------------------------


@admin_router.callback_query(AdminMenu.filter(F.section == "events"))
async def admin_events(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The staff's calendar: upcoming events, the latest past ones, and a new one."""
    await state.clear()
    await query.answer()
    assert person.rural_district_id is not None
    rd = await _district(db, person.rural_district_id)
    now = clock.now()
    coming = await store.upcoming(db, rd.id, now)
    done = await store.past(db, rd.id, now, limit=5)
    lang = person.language
    lines = [_("<b>Events</b>: {rural_district}").format(rural_district=rd.name(lang))]
    if not coming:
        lines.append(_("No events are planned."))
    if done:
        missing = sum(1 for e in done if not e.has_protocol)
        if missing:
            lines.append(_("Past events without a protocol: {count}").format(count=missing))
    items = [(e.id, short_label(e, rd.timezone, lang)) for e in coming]
    items += [(e.id, ("📄 " if e.has_protocol else "📎 ") + short_label(e, rd.timezone, lang)) for e in done]
    await target(query).answer("\n".join(lines), reply_markup=kb.admin_events(items))


async def admin_card(db: Database, event: Event, now: datetime, lang: str) -> str:
    rd = await _district(db, event.rural_district_id)
    text = card_text(event, rd.timezone, await _village_names(db, event, lang))
    invited = len(await store.invitees(db, event.id))
    lines = [text, "", _("Invited: {count}").format(count=invited)]
    answers = await store.answers_by_village(db, event.id)
    if answers:
        lines.append(_("<b>Answers by village</b> (will come / cannot come):"))
        lines += [f"• {escape(a.name(lang))}: {a.yes} / {a.no}" for a in answers]
        lines.append(
            _("In all: {yes} will come, {no} cannot.").format(
                yes=sum(a.yes for a in answers), no=sum(a.no for a in answers)
            )
        )
    else:
        lines.append(_("No answers yet."))
    if rules.is_past(event.starts_at, now) and not event.cancelled:
        lines.append(_("Protocol: published.") if event.has_protocol else _("Protocol: not attached yet."))
        if event.report_hearing:
            lines.append(_("Akim's report: published.") if event.has_report else _("Akim's report: not attached yet."))
    return _cut("\n".join(lines))


async def _show_admin_card(message: Message, db: Database, event: Event, now: datetime, lang: str) -> None:
    begun = rules.is_past(event.starts_at, now)
    await message.answer(
        await admin_card(db, event, now, lang),
        reply_markup=kb.admin_event_card(
            event.id,
            upcoming=not begun and not event.cancelled,
            begun=begun and not event.cancelled,
            report_hearing=event.report_hearing,
        ),
    )


@admin_router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.OPEN))
async def admin_open(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """One event for staff: details, answers per village, and what can be done with it."""
    await state.clear()
    event = await _event_for(db, callback_data.id, person)
    await query.answer()
    await _show_admin_card(target(query), db, event, clock.now(), person.language)


# --- staff: creating an event --------------------------------------------------------------


@admin_router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.NEW))
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


async def _ask_villages(message: Message, db: Database, person: Person, state: FSMContext) -> None:
    data = await state.get_data()
    assert person.rural_district_id is not None
    options = [(v.id, v.name(person.language)) for v in await places.villages(db, person.rural_district_id)]
    many = data["kind"] != rules.Kind.SEPARATE_GATHERING
    text = (
        _("Which villages does it concern? Press a village to include or leave it out, then Next.")
        if many
        else _("Which village holds the separate gathering?")
    )
    await message.answer(text, reply_markup=kb.villages_pick(options, data.get("villages", []), many=many))


@admin_router.callback_query(EventForm.kind, kb.AdmEvNew.filter(F.act == kb.NewAct.KIND))
async def choose_kind(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, state: FSMContext
) -> None:
    """Step 2: the villages (every one by default for a gathering or a meeting)."""
    kind = rules.Kind(callback_data.v)
    await query.answer()
    assert person.rural_district_id is not None
    everyone = [v.id for v in await places.villages(db, person.rural_district_id)]
    await state.update_data(kind=kind.value, villages=[] if kind == rules.Kind.SEPARATE_GATHERING else everyone)
    await state.set_state(EventForm.villages)
    await _ask_villages(target(query), db, person, state)


async def _ask_title_kk(message: Message, state: FSMContext) -> None:
    await state.set_state(EventForm.title_kk)
    await message.answer(
        _("Send the title in Kazakh (or press Skip to write it only in Russian)."), reply_markup=kb.skip()
    )


@admin_router.callback_query(EventForm.villages, kb.AdmEvNew.filter(F.act == kb.NewAct.VILLAGE))
async def toggle_village(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, state: FSMContext
) -> None:
    """Include or leave out a village; for a separate gathering, the one village."""
    assert person.rural_district_id is not None
    village = await places.village_in(db, person.rural_district_id, int(callback_data.v or 0))
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
    options = [(v.id, v.name(person.language)) for v in await places.villages(db, person.rural_district_id)]
    await target(query).edit_reply_markup(reply_markup=kb.villages_pick(options, chosen, many=True))


@admin_router.callback_query(EventForm.villages, kb.AdmEvNew.filter(F.act == kb.NewAct.VILLAGES_DONE))
async def villages_done(query: CallbackQuery, state: FSMContext) -> None:
    """Step 3: the title."""
    data = await state.get_data()
    if not rules.villages_ok(data["kind"], data.get("villages", [])):
        await query.answer(_("Please choose at least one village."), show_alert=True)
        return
    await query.answer()
    await _ask_title_kk(target(query), state)


@admin_router.message(EventForm.title_kk, F.text)
async def title_kk(message: Message, state: FSMContext) -> None:
    await state.update_data(title_kk=(message.text or "").strip()[:200])
    await state.set_state(EventForm.title_ru)
    await message.answer(_("Send the title in Russian (or press Skip)."), reply_markup=kb.skip())


@admin_router.callback_query(EventForm.title_kk, kb.AdmEvNew.filter(F.act == kb.NewAct.SKIP))
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


@admin_router.message(EventForm.title_ru, F.text)
async def title_ru(message: Message, state: FSMContext) -> None:
    await state.update_data(title_ru=(message.text or "").strip()[:200])
    await _ask_place(message, state)


@admin_router.callback_query(EventForm.title_ru, kb.AdmEvNew.filter(F.act == kb.NewAct.SKIP))
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


def _ask_start_text(rd: places.RuralDistrict, now: datetime) -> str:
    example = local(now + timedelta(days=7), rd.timezone).replace(hour=15, minute=0)
    return _("When does it start? Send the date and time in the district's time ({tz}), e.g. {example}.").format(
        tz=rd.timezone, example=f"{example:%d.%m.%Y %H:%M}"
    )


@admin_router.message(EventForm.place, F.text)
async def place(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    await state.update_data(place=(message.text or "").strip()[:200])
    await state.set_state(EventForm.start)
    assert person.rural_district_id is not None
    rd = await _district(db, person.rural_district_id)
    await message.answer(_ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only())


async def _read_start(message: Message, person: Person, db: Database, clock: Clock) -> datetime | None:
    """The start typed by staff, in the district's zone; None (and a hint) when it is not a future moment."""
    assert person.rural_district_id is not None
    rd = await _district(db, person.rural_district_id)
    at = rules.parse_local(message.text or "", rd.timezone)
    if at is None:
        await message.answer(
            _("I could not read this date. ") + _ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only()
        )
        return None
    if rules.is_past(at, clock.now()):
        await message.answer(
            _("This moment has already passed. ") + _ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only()
        )
        return None
    return at


@admin_router.message(EventForm.start, F.text)
async def start_time(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    at = await _read_start(message, person, db, clock)
    if at is None:
        return
    await state.update_data(starts_at=to_db(at))
    await state.set_state(EventForm.duration)
    await message.answer(_("How long will it last?"), reply_markup=kb.durations())


async def flagged_initiatives(db: Database, rural_district_id: int) -> list[tuple[int, str]]:
    """Initiatives flagged for the agenda (enough supports), offered as items: (initiative id, title)."""
    from storage import initiatives  # the initiatives feature decides what is flagged

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
        _cut("\n".join(lines)), reply_markup=kb.agenda([tuple(o) for o in data.get("offers", [])], taken, bool(items))
    )


@admin_router.callback_query(EventForm.duration, kb.AdmEvNew.filter(F.act == kb.NewAct.DURATION))
async def duration(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, state: FSMContext
) -> None:
    """Step: the agenda, with the initiatives flagged for it."""
    minutes = int(callback_data.v or 0)
    if minutes not in rules.DURATIONS:
        raise NotAllowed(N_("This button is out of date. Here is the main menu."))
    await query.answer()
    assert person.rural_district_id is not None
    offers = await flagged_initiatives(db, person.rural_district_id)
    await state.update_data(minutes=minutes, agenda=[], offers=[list(o) for o in offers])
    await state.set_state(EventForm.agenda)
    await _agenda_prompt(target(query), state)


@admin_router.message(EventForm.agenda, F.text)
async def agenda_items(message: Message, state: FSMContext) -> None:
    items = list((await state.get_data()).get("agenda", []))
    items += [[text[:500], None] for text in rules.split_agenda(message.text or "")]
    await state.update_data(agenda=items[:30])
    await _agenda_prompt(message, state)


@admin_router.callback_query(EventForm.agenda, kb.AdmEvNew.filter(F.act == kb.NewAct.INITIATIVE))
async def agenda_initiative(query: CallbackQuery, callback_data: kb.AdmEvNew, state: FSMContext) -> None:
    """Add (or take back) a flagged initiative as an agenda item."""
    data = await state.get_data()
    offers = {int(i): title for i, title in data.get("offers", [])}
    chosen = int(callback_data.v or 0)
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


async def _preview(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    data = await state.get_data()
    assert person.rural_district_id is not None
    rd = await _district(db, person.rural_district_id)
    starts = from_db(data["starts_at"])
    draft = Event(
        id=0,
        rural_district_id=rd.id,
        kind=data["kind"],
        title_kk=data.get("title_kk", ""),
        title_ru=data.get("title_ru", ""),
        place=data["place"],
        starts_at=starts,
        ends_at=starts + timedelta(minutes=data["minutes"]),
        report_hearing=bool(data.get("report")),
        status="scheduled",
        sequence=0,
        protocol_text=None,
        protocol_file_id=None,
        protocol_file_name=None,
        report_text=None,
        report_file_id=None,
        report_file_name=None,
        village_ids=tuple(data["villages"]),
        agenda=tuple(text for text, _ini in data["agenda"]),
    )
    names = await _village_names(db, draft, person.language)
    await state.set_state(EventForm.confirm)
    await message.answer(
        _cut(
            card_text(draft, rd.timezone, names)
            + "\n\n"
            + _("Publish it? The invited will be told and reminded a day and two hours before.")
        ),
        reply_markup=kb.publish(),
    )


@admin_router.callback_query(EventForm.agenda, kb.AdmEvNew.filter(F.act == kb.NewAct.AGENDA_DONE))
async def agenda_done(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    data = await state.get_data()
    if not data.get("agenda"):
        await query.answer(_("Please add at least one agenda item."), show_alert=True)
        return
    await query.answer()
    if data["kind"] == rules.Kind.GATHERING:
        await state.set_state(EventForm.report)
        await target(query).answer(_("Will the akim report to the gathering?"), reply_markup=kb.report_question())
        return
    await _preview(target(query), person, db, state)


@admin_router.callback_query(EventForm.report, kb.AdmEvNew.filter(F.act == kb.NewAct.REPORT))
async def report_hearing(
    query: CallbackQuery, callback_data: kb.AdmEvNew, person: Person, db: Database, state: FSMContext
) -> None:
    await query.answer()
    await state.update_data(report=callback_data.v == "1")
    await _preview(target(query), person, db, state)


def announcement_text(event: Event, tz: str) -> str:
    lang = _lang()
    return _("📅 <b>{kind}</b>: {title}\n🕒 {when}\n📍 {place}\n\nOpen the event to say whether you will come.").format(
        kind=kb.kind_title(event.kind),
        title=escape(event.title(lang)),
        when=when_text(event, tz, lang),
        place=escape(event.place),
    )


@admin_router.callback_query(EventForm.confirm, kb.AdmEvNew.filter(F.act == kb.NewAct.PUBLISH))
async def publish_event(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Create the event, its reminders, and tell the invited."""
    data = await state.get_data()
    assert person.rural_district_id is not None
    rd = await _district(db, person.rural_district_id)
    now = clock.now()
    starts = from_db(data["starts_at"])
    if rules.is_past(starts, now):
        await state.set_state(EventForm.start)
        await query.answer()
        await target(query).answer(
            _("This moment has already passed. ") + _ask_start_text(rd, now), reply_markup=kb.cancel_only()
        )
        return
    async with db.transaction() as tx:
        event_id = await store.create(
            tx,
            rural_district_id=rd.id,
            kind=data["kind"],
            title_kk=data.get("title_kk", ""),
            title_ru=data.get("title_ru", ""),
            place=data["place"],
            starts_at=starts,
            ends_at=starts + timedelta(minutes=data["minutes"]),
            village_ids=data["villages"],
            agenda=[(text, ini) for text, ini in data["agenda"]],
            report_hearing=bool(data.get("report")),
            created_by=person.id,
        )
        await store.set_reminders(tx, event_id, rules.reminder_times(starts, now))
        event = await store.get(tx, event_id, rd.id)
        assert event is not None
        invited = await store.invitees(tx, event_id)
        await _notify(
            tx, i18n, event, invited, lambda: announcement_text(event, rd.timezone), now=now, created_by=person.id
        )
        await record_admin_action(
            tx,
            person,
            "event_created",
            "event",
            event_id,
            rural_district_id=rd.id,
            after={
                k: data.get(k)
                for k in ("kind", "villages", "title_kk", "title_ru", "place", "starts_at", "minutes", "report")
            },
        )
    await state.clear()
    await query.answer()
    await target(query).answer(_("Published. The invited will be told."))
    await _show_admin_card(target(query), db, event, now, person.language)


@admin_router.callback_query(kb.AdmEvNew.filter())
async def stale_step(query: CallbackQuery, state: FSMContext) -> None:
    """A button of a step already left (or of another flow)."""
    await query.answer(_("This step is over. Please start again from the Events section."), show_alert=True)


# --- staff: moving and cancelling ----------------------------------------------------------


async def _changeable(db: Database, event_id: int, person: Person, now: datetime) -> Event:
    event = await _event_for(db, event_id, person)
    if event.cancelled or rules.is_past(event.starts_at, now):
        raise NotAllowed(N_("This event has already begun or was cancelled: it cannot be changed."))
    return event


@admin_router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.MOVE))
async def move_event(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Ask for the new start."""
    event = await _changeable(db, callback_data.id, person, clock.now())
    await query.answer()
    rd = await _district(db, event.rural_district_id)
    await state.set_state(MoveForm.start)
    await state.update_data(event_id=event.id)
    await target(query).answer(_ask_start_text(rd, clock.now()), reply_markup=kb.cancel_only())


def moved_text(event: Event, tz: str) -> str:
    lang = _lang()
    return _("🕒 <b>The time has changed</b>\n{kind}: {title}\nNew time: {when}\n📍 {place}").format(
        kind=kb.kind_name(event.kind),
        title=escape(event.title(lang)),
        when=when_text(event, tz, lang),
        place=escape(event.place),
    )


@admin_router.message(MoveForm.start, F.text)
async def move_to(message: Message, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext) -> None:
    """Move the event: reminders follow the new time, the invited and those who answered are told."""
    now = clock.now()
    event = await _changeable(db, int((await state.get_data()).get("event_id") or 0), person, now)
    at = await _read_start(message, person, db, clock)
    if at is None:
        return
    rd = await _district(db, event.rural_district_id)
    length = event.ends_at - event.starts_at
    async with db.transaction() as tx:
        if not await store.move(tx, event.id, rd.id, at, at + length):
            raise NotAllowed(N_("This event has already begun or was cancelled: it cannot be changed."))
        await store.set_reminders(tx, event.id, rules.reminder_times(at, now))
        moved = await store.get(tx, event.id, rd.id)
        assert moved is not None
        await _notify_concerned(tx, i18n, moved, lambda: moved_text(moved, rd.timezone), now=now, created_by=person.id)
        await record_admin_action(
            tx,
            person,
            "event_moved",
            "event",
            event.id,
            rural_district_id=rd.id,
            before={"starts_at": to_db(event.starts_at)},
            after={"starts_at": to_db(at)},
        )
    await state.clear()
    await message.answer(_("Moved. The invited will be told."))
    await _show_admin_card(message, db, moved, now, person.language)


@admin_router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.CANCEL))
async def cancel_event(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock
) -> None:
    """Ask before cancelling."""
    event = await _changeable(db, callback_data.id, person, clock.now())
    await query.answer()
    await target(query).answer(
        _("Cancel «{title}»? The invited will be told and no reminders will be sent.").format(
            title=escape(event.title(person.language))
        ),
        reply_markup=kb.confirm_cancel(event.id),
    )


def cancelled_text(event: Event, tz: str) -> str:
    lang = _lang()
    return _("❌ <b>Cancelled</b>\n{kind}: {title}\n{when}\nIt will not take place.").format(
        kind=kb.kind_name(event.kind), title=escape(event.title(lang)), when=when_text(event, tz, lang)
    )


@admin_router.callback_query(kb.AdmEv.filter(F.act == kb.AdmAct.CANCEL_YES))
async def cancel_confirmed(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, i18n: I18n
) -> None:
    """Cancel: its reminders are cancelled, the invited and those who answered are told."""
    now = clock.now()
    event = await _changeable(db, callback_data.id, person, now)
    rd = await _district(db, event.rural_district_id)
    async with db.transaction() as tx:
        if not await store.cancel(tx, event.id, rd.id, now=now):
            raise NotAllowed(N_("This event has already begun or was cancelled: it cannot be changed."))
        await _notify_concerned(
            tx, i18n, event, lambda: cancelled_text(event, rd.timezone), now=now, created_by=person.id
        )
        await record_admin_action(
            tx,
            person,
            "event_cancelled",
            "event",
            event.id,
            rural_district_id=rd.id,
        )
    await query.answer()
    await target(query).answer(_("Cancelled. The invited will be told."))


# --- staff: the protocol and the akim's report afterwards ------------------------------------


@admin_router.callback_query(kb.AdmEv.filter(F.act.in_({kb.AdmAct.PROTOCOL, kb.AdmAct.REPORT})))
async def attach_start(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Ask for the protocol (or the akim's report): a document and/or a text."""
    event = await _event_for(db, callback_data.id, person)
    what = "protocol" if callback_data.act is kb.AdmAct.PROTOCOL else "report"
    if event.cancelled or not rules.is_past(event.starts_at, clock.now()):
        raise NotAllowed(N_("A protocol can be attached once the event has taken place."))
    if what == "report" and not event.report_hearing:
        raise NotAllowed(N_("The akim's report is heard only at a gathering planned as a report hearing."))
    await query.answer()
    await state.set_state(AttachForm.collect)
    await state.update_data(event_id=event.id, what=what, text=None, file_id=None, file_name=None)
    if what == "protocol":
        prompt = _("Send the protocol: a document (PDF or Word) and/or its text. Then press Publish.")
    else:
        prompt = _("Send the akim's report: a document and/or its text. Then press Publish.")
    await target(query).answer(prompt, reply_markup=kb.cancel_only())


@admin_router.message(AttachForm.collect, F.document)
async def attach_document(message: Message, state: FSMContext) -> None:
    assert message.document is not None
    await state.update_data(file_id=message.document.file_id, file_name=message.document.file_name or "document")
    if message.caption:
        await state.update_data(text=message.caption.strip())
    await message.answer(_("Received. Send the text too if you wish, or press Publish."), reply_markup=kb.attach_done())


@admin_router.message(AttachForm.collect, F.text)
async def attach_text(message: Message, state: FSMContext) -> None:
    await state.update_data(text=(message.text or "").strip())
    await message.answer(
        _("Received. Send the document too if you wish, or press Publish."), reply_markup=kb.attach_done()
    )


def _document_kind(event: Event, what: str) -> str:
    if what == "report":
        return "akim_report"
    return "protocol_meeting" if event.kind == rules.Kind.MEETING else "protocol_gathering"


def document_title(event: Event, what: str, tz: str) -> str:
    day = local(event.starts_at, tz).strftime("%d.%m.%Y")
    title = event.title(_lang())
    if what == "report":
        return _("Akim's report: {title}, {date}").format(title=title, date=day)
    return _("Protocol: {kind} «{title}», {date}").format(kind=kb.kind_name(event.kind), title=title, date=day)


async def _publish_document(
    tx: Tx,
    i18n: I18n,
    bot: Bot,
    event: Event,
    what: str,
    tz: str,
    *,
    text: str | None,
    file_id: str | None,
    file_name: str | None,
    created_by: int,
) -> int | None:
    """Publish under Documents when that feature is there; None when it is not (kept on the event only)."""
    try:
        from storage import documents
    except ImportError:
        return None
    publish = getattr(documents, "publish", None)
    if publish is None:
        return None
    titles = in_all_languages(i18n, lambda: document_title(event, what, tz))
    extra: dict[str, Any] = {}
    if "bot_id" in inspect.signature(publish).parameters:
        extra["bot_id"] = bot.id
    document_id = await publish(
        tx,
        rural_district_id=event.rural_district_id,
        kind=_document_kind(event, what),
        title_kk=titles["kk"],
        title_ru=titles["ru"],
        text_kk=text,
        text_ru=None,
        file_id=file_id,
        file_name=file_name,
        event_id=event.id,
        created_by=created_by,
        **extra,
    )
    return int(document_id)


def published_text(event: Event, what: str, tz: str) -> str:
    lang = _lang()
    day = format_weekday_datetime(event.starts_at, tz, lang)
    if what == "report":
        return _("📄 The akim's report is published.\n{kind}: {title}, {when}").format(
            kind=kb.kind_name(event.kind), title=escape(event.title(lang)), when=day
        )
    return _("📄 The protocol is published.\n{kind}: {title}, {when}").format(
        kind=kb.kind_name(event.kind), title=escape(event.title(lang)), when=day
    )


@admin_router.callback_query(AttachForm.collect, kb.AdmEv.filter(F.act == kb.AdmAct.ATTACH_DONE))
async def attach_publish(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, bot: Bot, state: FSMContext
) -> None:
    """Keep it on the event, publish it under Documents, and tell everyone invited."""
    data = await state.get_data()
    event = await _event_for(db, int(data.get("event_id") or 0), person)
    what = data["what"]
    text, file_id, file_name = data.get("text") or None, data.get("file_id"), data.get("file_name")
    if not text and not file_id:
        await query.answer(_("Please send a document or a text first."), show_alert=True)
        return
    rd = await _district(db, event.rural_district_id)
    async with db.transaction() as tx:
        document_id = await _publish_document(
            tx,
            i18n,
            bot,
            event,
            what,
            rd.timezone,
            text=text,
            file_id=file_id,
            file_name=file_name,
            created_by=person.id,
        )
        await store.attach(
            tx, event.id, rd.id, what, text=text, file_id=file_id, file_name=file_name, document_id=document_id
        )
        await _notify_concerned(
            tx, i18n, event, lambda: published_text(event, what, rd.timezone), now=clock.now(), created_by=person.id
        )
        await record_admin_action(
            tx,
            person,
            f"event_{what}_published",
            "event",
            event.id,
            rural_district_id=rd.id,
            after={"document_id": document_id, "file_name": file_name, "text": bool(text)},
        )
    await state.clear()
    await query.answer()
    await target(query).answer(_("Published. Everyone invited will be told."))
    fresh = await _event_for(db, event.id, person)
    await _show_admin_card(target(query), db, fresh, clock.now(), person.language)


@admin_router.message(EventForm.title_kk)
@admin_router.message(EventForm.title_ru)
@admin_router.message(EventForm.place)
@admin_router.message(EventForm.start)
@admin_router.message(EventForm.agenda)
@admin_router.message(MoveForm.start)
@admin_router.message(AttachForm.collect)
async def not_text(message: Message) -> None:
    """A sticker, photo or voice where a text (or a document) was asked for."""
    await message.answer(_("Please send text, or press ✖️ Cancel."), reply_markup=kb.cancel_only())


# --- staff: representatives and the chair ---------------------------------------------------


def _member_label(member: store.Member) -> str:
    return member.label or _("Telegram id {id}").format(id=member.telegram_id)


@admin_router.callback_query(AdminMenu.filter(F.section == "representatives"))
async def admin_representatives(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """The representatives of each village and the chair; a village with none is shown as a gap."""
    await state.clear()
    await query.answer()
    await _show_representatives(target(query), person, db)


async def _show_representatives(message: Message, person: Person, db: Database) -> None:
    assert person.rural_district_id is not None
    lang = person.language
    found = await store.members(db, person.rural_district_id)
    lines = [_("<b>Representatives of the local community</b> (members of the meeting)")]
    chair = next((m for m in found if m.chair), None)
    chair_name = escape(_member_label(chair)) if chair else _("not chosen")
    lines.append(_("Chair of the meeting: {name}").format(name=chair_name))
    villages = await places.villages(db, person.rural_district_id)
    for village in villages:
        names = [escape(_member_label(m)) for m in found if m.village_id == village.id]
        lines.append(f"• {escape(village.name(lang))}: " + (", ".join(names) if names else _("⚠️ no representative")))
    village_names = {v.id: v.name(lang) for v in villages}
    items = [
        (m.person_id, f"{'⭐ ' if m.chair else ''}{_member_label(m)} · {village_names.get(m.village_id or 0, '')}")
        for m in found
    ]
    await message.answer(_cut("\n".join(lines)), reply_markup=kb.representatives(items))


@admin_router.callback_query(kb.AdmRep.filter(F.act == kb.RepAct.ADD))
async def add_representative(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(RepForm.contact)
    await target(query).answer(
        _(
            "Send the resident's contact (📎 → Contact) or type their phone number. They must have started the bot "
            "and chosen their village in this rural district; they represent that village."
        ),
        reply_markup=kb.cancel_only(),
    )


@admin_router.message(RepForm.contact)
async def representative_found(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """Mark the resident named by a contact or a phone number as a representative of their village."""
    assert person.rural_district_id is not None
    found = None
    if message.contact is not None:
        if message.contact.user_id:
            found = await store.resident_by(db, person.rural_district_id, telegram_id=message.contact.user_id)
        if found is None:
            found = await store.resident_by(db, person.rural_district_id, phone=normalize(message.contact.phone_number))
    elif message.text:
        phone = normalize(message.text)
        if phone is None:
            await message.answer(
                _("This does not look like a phone number. Send a contact or a number like +7 701 123 45 67."),
                reply_markup=kb.cancel_only(),
            )
            return
        found = await store.resident_by(db, person.rural_district_id, phone=phone)
    if found is None or found[1] is None:
        await message.answer(
            _(
                "No resident of this rural district was found. The person needs to start the bot and "
                "choose their village first."
            ),
            reply_markup=kb.cancel_only(),
        )
        return
    person_id, village_id = found
    async with db.transaction() as tx:
        await people.grant_role(tx, person_id, person.rural_district_id, REPRESENTATIVE, village_id)
        await record_admin_action(
            tx,
            person,
            "representative_added",
            "person",
            person_id,
            rural_district_id=person.rural_district_id,
            after={"village_id": village_id},
        )
    await state.clear()
    await message.answer(_("Done: the resident is now a representative of their village."))
    await _show_representatives(message, person, db)


async def _member(db: Database, person: Person, person_id: int) -> store.Member:
    assert person.rural_district_id is not None
    for member in await store.members(db, person.rural_district_id):
        if member.person_id == person_id:
            return member
    raise NotFound(N_("This person is not a representative here."))


@admin_router.callback_query(kb.AdmRep.filter(F.act == kb.RepAct.OPEN))
async def open_representative(query: CallbackQuery, callback_data: kb.AdmRep, person: Person, db: Database) -> None:
    member = await _member(db, person, callback_data.id)
    await query.answer()
    village = await places.village(db, member.village_id)
    text = _("{name}, representative of {village}").format(
        name=escape(_member_label(member)), village=escape(village.name(person.language)) if village else "—"
    )
    if member.chair:
        text += "\n" + _("⭐ Chair of the meeting")
    await target(query).answer(text, reply_markup=kb.representative(member.person_id, chair=member.chair))


@admin_router.callback_query(kb.AdmRep.filter(F.act.in_({kb.RepAct.CHAIR, kb.RepAct.UNCHAIR, kb.RepAct.REMOVE})))
async def change_representative(query: CallbackQuery, callback_data: kb.AdmRep, person: Person, db: Database) -> None:
    """Make chair (the previous chair steps down: one per district), not chair, or remove."""
    member = await _member(db, person, callback_data.id)
    rd = person.rural_district_id
    assert rd is not None
    act = callback_data.act
    async with db.transaction() as tx:
        before = await store.chair_of(tx, rd)
        if act is kb.RepAct.CHAIR:
            if before is not None:
                await people.revoke_role(tx, before, rd, CHAIR)
            await people.grant_role(tx, member.person_id, rd, CHAIR, member.village_id)
        elif act is kb.RepAct.UNCHAIR:
            await people.revoke_role(tx, member.person_id, rd, CHAIR)
        else:
            await people.revoke_role(tx, member.person_id, rd, CHAIR)
            await people.revoke_role(tx, member.person_id, rd, REPRESENTATIVE)
        await record_admin_action(
            tx,
            person,
            {
                kb.RepAct.CHAIR: "chair_set",
                kb.RepAct.UNCHAIR: "chair_removed",
                kb.RepAct.REMOVE: "representative_removed",
            }[act],
            "person",
            member.person_id,
            rural_district_id=rd,
            before={"chair": before},
        )
    await query.answer(_("Saved."))
    await _show_representatives(target(query), person, db)


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    gaps = await store.villages_without_representative(db, rural_district_id)
    if not gaps:
        return None
    lang = _lang()
    names = ", ".join(escape(kk if lang == "kk" else ru) for _id, kk, ru in gaps)
    return _("⚠️ Villages without a representative: {names}").format(names=names)
