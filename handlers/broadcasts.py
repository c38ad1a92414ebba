"""Announcements: staff compose one (a text, or a photo or document with a caption; one text for
both languages or one per language), choose who gets it, see exactly what a resident gets, send
it now or at a time, and follow its progress on one message that updates, with Stop.

Residents have no screens here: announcements reach them through the outbox, and only those with
Announcements on in Settings. The texts are rendered in both languages when staff confirm; the
sender picks each resident's language when the message leaves.
"""

from __future__ import annotations

import contextlib
import html
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.delivery import OutMessage, send_rendered
from bot.formatting import escape, format_datetime
from bot.i18n import LANGUAGES, N_, in_all_languages
from bot.keyboards.admin import AdminMenu
from bot.keyboards.broadcasts import (
    Act,
    Bc,
    audience_keyboard,
    confirm_keyboard,
    events_keyboard,
    home_keyboard,
    languages_keyboard,
    progress_view,
    schedule_keyboard,
    stop_keyboard,
    summary_keyboard,
    text_keyboard,
    villages_keyboard,
)
from bot.rules.clock import Clock, from_db, to_db
from bot.rules.delivery import parse_send_at, quiet_until, tomorrow_morning
from bot.rules.errors import DomainError, NotFound
from handlers.common import record_admin_action, target
from storage import broadcasts, places
from storage.db import Database
from storage.people import Person
from storage.places import RuralDistrict

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed): none
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)

TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
LATEST_SCHEDULE = timedelta(days=90)


class Compose(StatesGroup):
    text_one = State()
    text_kk = State()
    text_ru = State()
    audience = State()
    when = State()


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu: announcements being sent or waiting for their time."""
    open_now = await db.fetchval(
        "SELECT count(*) FROM broadcasts WHERE rural_district_id = ? AND finished_at IS NULL AND cancelled_at IS NULL",
        (rural_district_id,),
    )
    if not open_now:
        return None
    return _("📣 Announcements in progress or scheduled: {n}").format(n=open_now)


# --- helpers ----------------------------------------------------------------------------------


async def _district(db: Database, person: Person) -> RuralDistrict:
    rd = await places.rural_district(db, person.rural_district_id)
    if rd is None:
        raise NotFound(N_("This announcement was not found."))
    return rd


def visible_length(text: str) -> int:
    """What Telegram counts against its limits: the text without HTML tags, entities decoded."""
    return len(html.unescape(re.sub(r"<[^>]*>", "", text)))


def resident_texts(i18n: I18n, rd: RuralDistrict, text_kk: str, text_ru: str) -> dict[str, str]:
    """The announcement as each language's reader gets it: a heading with the office, then the text."""

    def render() -> str:
        lang = i18n.current_locale
        office = (rd.office_ru if lang == "ru" else rd.office_kk) or _("the akim's office of {name}").format(
            name=rd.name(lang)
        )
        body = (text_ru if lang == "ru" else text_kk) or text_kk or text_ru
        heading = _("📣 <b>Announcement</b>") + "\n" + escape(office)
        return heading + ("\n\n" + body if body else "")

    return in_all_languages(i18n, render)


def _draft(data: dict[str, Any]) -> dict[str, Any]:
    """The announcement being composed; a stale button after it was sent or dropped finds none."""
    if "bc_kk" not in data:
        raise DomainError(N_("This draft is no longer open. Please start a new announcement."))
    return data


async def _recipients(db: Database, person: Person, data: dict[str, Any]) -> list[int]:
    assert person.rural_district_id is not None
    return await broadcasts.audience_ids(db, person.rural_district_id, data["bc_audience"], data.get("bc_ids") or [])


async def _audience_name(db: Database, person: Person, data: dict[str, Any]) -> str:
    audience = data["bc_audience"]
    lang = person.language
    if audience == "villages":
        names = [
            v.name(lang)
            for v in await places.villages(db, person.rural_district_id or 0)
            if v.id in set(data.get("bc_ids") or [])
        ]
        return _("villages: {names}").format(names=", ".join(names))
    if audience == "representatives":
        return _("representatives of the villages")
    if audience == "event":
        row = await db.fetchone("SELECT title_kk, title_ru FROM events WHERE id = ?", ((data.get("bc_ids") or [0])[0],))
        title = ((row[1] if lang == "ru" else row[0]) or row[0] or row[1]) if row else "—"
        return _("invited to the event «{title}»").format(title=escape(title))
    return _("the whole rural district")


# --- the announcements screen -----------------------------------------------------------------


async def show_home(message: Message, db: Database, person: Person, clock: Clock) -> None:
    assert person.rural_district_id is not None
    items = await broadcasts.recent(db, person.rural_district_id)
    rd = await _district(db, person)
    lines = [
        _("<b>Announcements</b>"),
        _(
            "Residents who turned announcements off in Settings do not get them. Quiet hours: {start}–{end}; "
            "announcements that are not urgent wait until the morning."
        ).format(start=rd.quiet_start, end=rd.quiet_end),
    ]
    if items:
        lines.append("")
        lines.append(_("Latest:"))
        for item in items:
            counts = await broadcasts.counts(db, item.message_id)
            when = format_datetime(from_db(item.send_at), rd.timezone, person.language)
            lines.append(
                _("No. {id} · {when} · sent {sent} of {total}").format(
                    id=item.id, when=when, sent=counts.sent, total=item.recipients
                )
            )
    await message.answer("\n".join(lines), reply_markup=home_keyboard(items))


@admin_router.callback_query(AdminMenu.filter(F.section == "broadcasts"))
async def broadcasts_section(
    query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext
) -> None:
    """The announcements screen from the admin menu."""
    await state.clear()
    await query.answer()
    await show_home(target(query), db, person, clock)


@admin_router.callback_query(Bc.filter(F.act == Act.HOME))
async def home(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Back to the announcements screen."""
    await state.clear()
    await query.answer()
    await show_home(target(query), db, person, clock)


@admin_router.callback_query(Bc.filter(F.act == Act.ABORT))
async def abort(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Drop the draft: nothing is sent."""
    await state.clear()
    await query.answer()
    await target(query).answer(_("The announcement was not sent."))
    await show_home(target(query), db, person, clock)


# --- composing ---------------------------------------------------------------------------------


@admin_router.callback_query(Bc.filter(F.act == Act.NEW))
async def new(query: CallbackQuery, state: FSMContext) -> None:
    """A new announcement: one text for both languages, or one per language."""
    await state.clear()
    await query.answer()
    await target(query).answer(
        _("<b>New announcement</b>\nWill you write one text for everyone, or a Kazakh and a Russian version?"),
        reply_markup=languages_keyboard(),
    )


@admin_router.callback_query(Bc.filter(F.act.in_({Act.ONE_TEXT, Act.TWO_TEXTS})))
async def choose_languages(query: CallbackQuery, callback_data: Bc, state: FSMContext) -> None:
    """Ask for the (first) text."""
    await query.answer()
    if callback_data.act == Act.ONE_TEXT:
        await state.set_state(Compose.text_one)
        prompt = _(
            "Send the announcement: a text, or a photo or a document with a caption. Everyone gets it as you write it."
        )
    else:
        await state.set_state(Compose.text_kk)
        prompt = _("Send the announcement in Kazakh: a text, or a photo or a document with a caption.")
    await target(query).answer(prompt, reply_markup=text_keyboard())


def _content(message: Message) -> tuple[str, str | None, str | None] | None:
    """(HTML text, media type, file id) of a staff message, or None for anything else."""
    if message.photo:
        return (message.html_text if message.caption else ""), "photo", message.photo[-1].file_id
    if message.document:
        return (message.html_text if message.caption else ""), "document", message.document.file_id
    if message.text:
        return message.html_text, None, None
    return None


async def _too_long(db: Database, person: Person, i18n: I18n, kk: str, ru: str, media: bool) -> str | None:
    """Why Telegram would refuse this text (with the heading, in the longer language), or None."""
    rd = await _district(db, person)
    limit = CAPTION_LIMIT if media else TEXT_LIMIT
    longest = max(visible_length(t) for t in resident_texts(i18n, rd, kk, ru).values())
    if longest <= limit:
        return None
    return _(
        "The announcement is too long: {length} characters with the heading, at most {limit}. "
        "Please shorten it and send it again."
    ).format(length=longest, limit=limit)


@admin_router.message(Compose.text_one)
@admin_router.message(Compose.text_kk)
async def got_text(message: Message, db: Database, person: Person, i18n: I18n, clock: Clock, state: FSMContext) -> None:
    """The text (and media) of the announcement, or its Kazakh version."""
    content = _content(message)
    if content is None or (not content[0].strip() and content[2] is None):
        await message.answer(_("Please send a text, a photo or a document."), reply_markup=text_keyboard())
        return
    text, media_type, media_ref = content
    problem = await _too_long(db, person, i18n, text, text, media_type is not None)
    if problem:
        await message.answer(problem, reply_markup=text_keyboard())
        return
    await state.update_data(bc_kk=text, bc_ru="", bc_media_type=media_type, bc_media_ref=media_ref, bc_urgent=False)
    if await state.get_state() == Compose.text_kk.state:
        await state.set_state(Compose.text_ru)
        await message.answer(
            _("Now the same announcement in Russian, as text. The photo or document, if any, goes with it."),
            reply_markup=text_keyboard(),
        )
        return
    await ask_audience(message, db, person, clock, state)


@admin_router.message(Compose.text_ru)
async def got_text_ru(
    message: Message, db: Database, person: Person, i18n: I18n, clock: Clock, state: FSMContext
) -> None:
    """The Russian version."""
    data = _draft(await state.get_data())
    if not message.text or not message.text.strip():
        await message.answer(_("Please send the Russian text."), reply_markup=text_keyboard())
        return
    problem = await _too_long(db, person, i18n, data["bc_kk"], message.html_text, data["bc_media_type"] is not None)
    if problem:
        await message.answer(problem, reply_markup=text_keyboard())
        return
    await state.update_data(bc_ru=message.html_text)
    await ask_audience(message, db, person, clock, state)


async def ask_audience(message: Message, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    assert person.rural_district_id is not None
    await state.set_state(Compose.audience)
    events = await broadcasts.events_to_choose(db, person.rural_district_id, to_db(clock.now()))
    await message.answer(_("Who should get it?"), reply_markup=audience_keyboard(events=bool(events)))


@admin_router.callback_query(Bc.filter(F.act.in_({Act.ALL, Act.REPRESENTATIVES})))
async def choose_simple_audience(
    query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """The whole district, or the representatives."""
    _draft(await state.get_data())
    await query.answer()
    audience = "all" if callback_data.act == Act.ALL else "representatives"
    await state.update_data(bc_audience=audience, bc_ids=[])
    await preview(target(query), db, person, clock, bot, state)


@admin_router.callback_query(Bc.filter(F.act == Act.VILLAGES))
async def choose_villages(query: CallbackQuery, db: Database, person: Person, state: FSMContext) -> None:
    """Pick one or more villages."""
    _draft(await state.get_data())
    await query.answer()
    await state.update_data(bc_audience="villages", bc_ids=[])
    villages = await places.villages(db, person.rural_district_id or 0)
    await target(query).answer(
        _("Choose the villages, then press Done."), reply_markup=villages_keyboard(villages, set(), person.language)
    )


@admin_router.callback_query(Bc.filter(F.act == Act.VILLAGE))
async def toggle_village(
    query: CallbackQuery, callback_data: Bc, db: Database, person: Person, state: FSMContext
) -> None:
    """Add or remove a village (only one of the staff member's own district)."""
    data = _draft(await state.get_data())
    assert person.rural_district_id is not None
    if await places.village_in(db, person.rural_district_id, callback_data.id) is None:
        raise NotFound(N_("This village is not in your rural district."))
    chosen = set(data.get("bc_ids") or [])
    chosen ^= {callback_data.id}
    await state.update_data(bc_audience="villages", bc_ids=sorted(chosen))
    await query.answer()
    villages = await places.villages(db, person.rural_district_id)
    with contextlib.suppress(TelegramBadRequest):  # the keyboard is unchanged
        await target(query).edit_reply_markup(reply_markup=villages_keyboard(villages, chosen, person.language))


@admin_router.callback_query(Bc.filter(F.act == Act.VILLAGES_DONE))
async def villages_done(
    query: CallbackQuery, db: Database, person: Person, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """The villages are chosen."""
    data = _draft(await state.get_data())
    if data.get("bc_audience") != "villages" or not data.get("bc_ids"):
        await query.answer(_("Choose at least one village."), show_alert=True)
        return
    await query.answer()
    await preview(target(query), db, person, clock, bot, state)


@admin_router.callback_query(Bc.filter(F.act == Act.EVENTS))
async def choose_event(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """The people invited to one of the district's events."""
    _draft(await state.get_data())
    assert person.rural_district_id is not None
    await query.answer()
    events = await broadcasts.events_to_choose(db, person.rural_district_id, to_db(clock.now()))
    rd = await _district(db, person)
    await target(query).answer(
        _("Choose the event."), reply_markup=events_keyboard(events, person.language, rd.timezone)
    )


@admin_router.callback_query(Bc.filter(F.act == Act.EVENT))
async def event_chosen(
    query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """An event of the staff member's own district."""
    _draft(await state.get_data())
    assert person.rural_district_id is not None
    events = await broadcasts.events_to_choose(db, person.rural_district_id, to_db(clock.now()))
    if callback_data.id not in {e[0] for e in events}:
        raise NotFound(N_("This event was not found."))
    await query.answer()
    await state.update_data(bc_audience="event", bc_ids=[callback_data.id])
    await preview(target(query), db, person, clock, bot, state)


# --- preview, time, confirmation ----------------------------------------------------------------


def _out_message(data: dict[str, Any], texts: dict[str, str], rural_district_id: int) -> OutMessage:
    return OutMessage(
        0, rural_district_id, "announcement", texts, None, data.get("bc_media_type"), data.get("bc_media_ref")
    )


async def preview(message: Message, db: Database, person: Person, clock: Clock, bot: Bot, state: FSMContext) -> None:
    """Exactly what residents get, in each language they read; then who and when."""
    from aiogram.utils.i18n import get_i18n

    data = _draft(await state.get_data())
    rd = await _district(db, person)
    recipients = await _recipients(db, person, data)
    if not recipients:
        await state.set_state(Compose.audience)
        events = await broadcasts.events_to_choose(db, rd.id, to_db(clock.now()))
        await message.answer(
            _("Nobody in this audience gets announcements. Please choose another audience."),
            reply_markup=audience_keyboard(events=bool(events)),
        )
        return
    texts = resident_texts(get_i18n(), rd, data["bc_kk"], data["bc_ru"])
    by_language = await broadcasts.languages_of(db, recipients)
    names = {"kk": "Қазақша", "ru": "Русский"}
    for lang in LANGUAGES:
        if not by_language.get(lang):
            continue
        await message.answer(
            _("👁 Preview: residents who read {language} ({n}) get this:").format(
                language=names[lang], n=by_language[lang]
            )
        )
        await send_rendered(bot, message.chat.id, _out_message(data, texts, rd.id), lang)
    await show_summary(message, db, person, clock, state)


async def show_summary(message: Message, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    data = _draft(await state.get_data())
    rd = await _district(db, person)
    recipients = await _recipients(db, person, data)
    lines = [
        _("<b>Check the announcement</b>"),
        _("Who: {audience}").format(audience=await _audience_name(db, person, data)),
        _("Recipients: {n}").format(n=len(recipients)),
        _("Urgent: {answer}").format(answer=_("yes") if data.get("bc_urgent") else _("no")),
    ]
    if not data.get("bc_urgent"):
        lines.append(
            _("Not urgent: during quiet hours ({start}–{end}) it waits until the morning.").format(
                start=rd.quiet_start, end=rd.quiet_end
            )
        )
    await message.answer("\n".join(lines), reply_markup=summary_keyboard(urgent=bool(data.get("bc_urgent"))))


@admin_router.callback_query(Bc.filter(F.act == Act.URGENT))
async def toggle_urgent(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Urgent announcements are not held by quiet hours."""
    data = _draft(await state.get_data())
    await query.answer()
    await state.update_data(bc_urgent=not data.get("bc_urgent"))
    await show_summary(target(query), db, person, clock, state)


async def ask_confirmation(
    message: Message, db: Database, person: Person, clock: Clock, state: FSMContext, send_at: datetime | None
) -> None:
    data = _draft(await state.get_data())
    rd = await _district(db, person)
    n = len(await _recipients(db, person, data))
    await state.update_data(bc_send_at=to_db(send_at) if send_at else None)
    await state.set_state(Compose.audience)
    if send_at is None:
        text = ngettext(
            "Send the announcement to {n} person now?", "Send the announcement to {n} people now?", n
        ).format(n=n)
        moment = clock.now()
    else:
        text = ngettext(
            "Send the announcement to {n} person on {when}?", "Send the announcement to {n} people on {when}?", n
        ).format(n=n, when=format_datetime(send_at, rd.timezone, person.language))
        moment = send_at
    held = quiet_until(moment, rd.timezone, rd.quiet_start, rd.quiet_end)
    if held and not data.get("bc_urgent"):
        text += "\n" + _("It falls in quiet hours: residents get it at {when}.").format(
            when=format_datetime(held, rd.timezone, person.language)
        )
    await message.answer(text, reply_markup=confirm_keyboard())


@admin_router.callback_query(Bc.filter(F.act == Act.NOW))
async def send_now(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Send now: ask to confirm."""
    _draft(await state.get_data())
    await query.answer()
    await ask_confirmation(target(query), db, person, clock, state, None)


@admin_router.callback_query(Bc.filter(F.act == Act.BACK))
async def back_to_summary(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """From the confirmation back to the summary."""
    _draft(await state.get_data())
    await query.answer()
    await show_summary(target(query), db, person, clock, state)


@admin_router.callback_query(Bc.filter(F.act == Act.LATER))
async def send_later(query: CallbackQuery, db: Database, person: Person, state: FSMContext) -> None:
    """Ask for the time."""
    _draft(await state.get_data())
    rd = await _district(db, person)
    await query.answer()
    await state.set_state(Compose.when)
    await target(query).answer(
        _("When should it go out? Send the date and time like 26.11 09:00 ({rural_district} time).").format(
            rural_district=rd.name(person.language)
        ),
        reply_markup=schedule_keyboard(),
    )


@admin_router.callback_query(Bc.filter(F.act == Act.TOMORROW))
async def tomorrow(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Tomorrow at 09:00 in the district's time."""
    _draft(await state.get_data())
    rd = await _district(db, person)
    await query.answer()
    await ask_confirmation(target(query), db, person, clock, state, tomorrow_morning(clock.now(), rd.timezone))


@admin_router.message(Compose.when)
async def got_time(message: Message, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """A date and time written by hand."""
    _draft(await state.get_data())
    rd = await _district(db, person)
    at = parse_send_at(message.text or "", clock.now(), rd.timezone)
    if at is None:
        await message.answer(_("Please write the date and time like 26.11 09:00."), reply_markup=schedule_keyboard())
        return
    if at <= clock.now():
        await message.answer(
            _("This time has already passed. Please send a later one."), reply_markup=schedule_keyboard()
        )
        return
    if at > clock.now() + LATEST_SCHEDULE:
        await message.answer(
            _("An announcement can be scheduled at most 90 days ahead."), reply_markup=schedule_keyboard()
        )
        return
    await ask_confirmation(message, db, person, clock, state, at)


@admin_router.callback_query(Bc.filter(F.act == Act.CONFIRM))
async def confirm(query: CallbackQuery, db: Database, person: Person, clock: Clock, state: FSMContext) -> None:
    """Queue the announcement for everyone in the audience, then show its live progress."""
    from aiogram.utils.i18n import get_i18n

    data = _draft(await state.get_data())
    assert person.rural_district_id is not None
    rd = await _district(db, person)
    now = clock.now()
    send_at = from_db(data["bc_send_at"]) if data.get("bc_send_at") else now
    if send_at < now:  # a time chosen a while ago has passed meanwhile: send now
        send_at = now
    texts = resident_texts(get_i18n(), rd, data["bc_kk"], data["bc_ru"])
    async with db.transaction() as tx:
        recipients = await broadcasts.audience_ids(tx, rd.id, data["bc_audience"], data.get("bc_ids") or [])
        if not recipients:
            raise DomainError(N_("Nobody in this audience gets announcements. Please choose another audience."))
        item = await broadcasts.create(
            tx,
            rural_district_id=rd.id,
            created_by=person.id,
            texts=texts,
            text_kk=data["bc_kk"],
            text_ru=data["bc_ru"],
            media_type=data.get("bc_media_type"),
            media_ref=data.get("bc_media_ref"),
            audience=data["bc_audience"],
            audience_ids_=data.get("bc_ids") or [],
            urgent=bool(data.get("bc_urgent")),
            send_at=to_db(send_at),
            recipients=recipients,
            progress_lang=person.language,
        )
        await record_admin_action(
            tx,
            person,
            "broadcast_created",
            "broadcast",
            item.id,
            rural_district_id=rd.id,
            after={
                "audience": item.audience,
                "ids": item.audience_ids,
                "recipients": item.recipients,
                "send_at": item.send_at,
                "urgent": item.urgent,
            },
        )
    await state.clear()
    await query.answer()
    await target(query).answer(_("The announcement is queued."))
    await _show_progress(target(query), db, item.id, person, clock)


# --- progress and stopping ------------------------------------------------------------------------


async def _show_progress(message: Message, db: Database, broadcast_id: int, person: Person, clock: Clock) -> None:
    """A new progress message; the sender keeps this one up to date from now on."""
    assert person.rural_district_id is not None
    item = await broadcasts.get(db, person.rural_district_id, broadcast_id)
    if item is None:
        raise NotFound(N_("This announcement was not found."))
    rd = await _district(db, person)
    counts = await broadcasts.counts(db, item.message_id)
    text, markup = progress_view(replace(item, progress_lang=person.language), counts, rd.timezone, clock.now())
    sent = await message.answer(text, reply_markup=markup)
    if item.finished_at is None:
        await broadcasts.set_progress_message(db, item.id, sent.chat.id, sent.message_id, person.language)


async def _owned(db: Database, person: Person, broadcast_id: int) -> broadcasts.Broadcast:
    assert person.rural_district_id is not None
    item = await broadcasts.get(db, person.rural_district_id, broadcast_id)
    if item is None:
        raise NotFound(N_("This announcement was not found."))
    return item


@admin_router.callback_query(Bc.filter(F.act == Act.SHOW))
async def show(
    query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock, state: FSMContext
) -> None:
    """One announcement's progress."""
    await state.clear()
    await _owned(db, person, callback_data.id)
    await query.answer()
    await _show_progress(target(query), db, callback_data.id, person, clock)


@admin_router.callback_query(Bc.filter(F.act == Act.REFRESH))
async def refresh(query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock) -> None:
    """Update the progress message now."""
    item = await _owned(db, person, callback_data.id)
    rd = await _district(db, person)
    counts = await broadcasts.counts(db, item.message_id)
    await query.answer()
    text, markup = progress_view(item, counts, rd.timezone, clock.now())
    with contextlib.suppress(TelegramBadRequest):  # nothing changed since the last update
        await target(query).edit_text(text, reply_markup=markup)


@admin_router.callback_query(Bc.filter(F.act == Act.STOP))
async def stop(query: CallbackQuery, callback_data: Bc, db: Database, person: Person) -> None:
    """Ask before stopping."""
    item = await _owned(db, person, callback_data.id)
    counts = await broadcasts.counts(db, item.message_id)
    await query.answer()
    if not counts.open or item.cancelled_at:
        await target(query).answer(_("Nothing is left to stop: everything has been sent."))
        return
    await target(query).answer(
        ngettext(
            "Stop announcement No. {id}? {n} message not yet sent will not go out.",
            "Stop announcement No. {id}? {n} messages not yet sent will not go out.",
            counts.open,
        ).format(id=item.id, n=counts.open),
        reply_markup=stop_keyboard(item.id),
    )


@admin_router.callback_query(Bc.filter(F.act == Act.STOP_YES))
async def stop_confirmed(query: CallbackQuery, callback_data: Bc, db: Database, person: Person, clock: Clock) -> None:
    """Cancel what is not yet sent; what already left stays sent."""
    item = await _owned(db, person, callback_data.id)
    async with db.transaction() as tx:
        stopped = await broadcasts.cancel(tx, item, to_db(clock.now()))
        await record_admin_action(
            tx,
            person,
            "broadcast_cancelled",
            "broadcast",
            item.id,
            rural_district_id=item.rural_district_id,
            after={"rows": stopped},
        )
    await query.answer()
    await target(query).answer(
        ngettext("Stopped. {n} message will not go out.", "Stopped. {n} messages will not go out.", stopped).format(
            n=stopped
        )
    )
    await _show_progress(target(query), db, item.id, person, clock)
