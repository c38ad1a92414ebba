"""Initiatives: the resident's screens and the staff's admin screens.

A resident proposes an initiative in a guided form (topic, title, text, photos, location, voice,
village, preview), follows its review in «My initiatives», and supports published initiatives of
the district. Staff work through a queue, change statuses with an answer (the author is told
through the outbox), publish, merge, hide and export.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
import weakref
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InputMediaPhoto, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_datetime, format_day
from bot.i18n import N_, in_all_languages
from bot.keyboards.admin import AdminMenu
from bot.keyboards.common import MenuButton, main_menu
from bot.keyboards.initiatives import (
    FILTERS,
    AdmAct,
    AdmIni,
    DraftAct,
    DraftCb,
    Ini,
    IniAct,
    answer_keyboard,
    card_keyboard,
    dates_keyboard,
    home_keyboard,
    list_keyboard,
    location_keyboard,
    location_labels,
    preview_keyboard,
    queue_keyboard,
    settings_keyboard,
    staff_card_keyboard,
    status_label,
    step_keyboard,
    topic_label,
    topics_keyboard,
    villages_keyboard,
)
from bot.rules import initiatives as rules
from bot.rules.clock import Clock
from bot.rules.errors import DomainError, NotFound
from bot.rules.initiatives import Status
from handlers.common import consent_given, record_admin_action, show_menu, staff_or_operator, target
from storage import initiatives as store
from storage import places
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed)
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)

EOTINISH = "https://eotinish.kz"
PAGE = 5
MESSAGE_MAX = 4096
SETTING_RANGES = {"review_days": (1, 40), "per_day": (1, 50), "threshold": (1, 100_000)}

# An album arrives as several messages at once, and polling handles updates concurrently: the
# draft's photo list is read and written under one lock per chat so no photo is lost.
_album_locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()


class Form(StatesGroup):
    topic = State()
    title = State()
    body = State()
    photos = State()
    location = State()
    voice = State()
    village = State()
    preview = State()


STEPS = [Form.topic, Form.title, Form.body, Form.photos, Form.location, Form.voice, Form.village, Form.preview]


class StaffForm(StatesGroup):
    date = State()  # extended: the new last day
    body = State()  # forwarded: the body it is passed to
    answer = State()  # the answer (or reason) to the author
    merge = State()  # the number of the initiative to merge into
    setting = State()  # a district setting's new value


# --- texts shared by screens and notices --------------------------------------------------------


def eotinish_note() -> str:
    return _(
        "ℹ️ This is not a formal appeal to a state body: for that, use the e-appeals service eOtinish "
        "({url}). The akim's office still reviews initiatives sent here within the same deadline."
    ).format(url=EOTINISH)


def status_notice(
    initiative: store.Initiative, lang: str, tz: str, answer: str | None, into_number: int | None = None
) -> str:
    """What the author is told about a change, in the language being rendered."""
    lines = [
        _("🔔 Your initiative №{number} «{title}»: {status}.").format(
            number=initiative.number, title=escape(initiative.title), status=status_label(initiative.status)
        )
    ]
    if initiative.status == Status.EXTENDED:
        lines.append(_("New review date: {date}.").format(date=format_day(initiative.deadline_on, lang)))
    if initiative.status == Status.FORWARDED and initiative.forwarded_to:
        lines.append(_("Passed to: {body}.").format(body=escape(initiative.forwarded_to)))
    if initiative.status == Status.MERGED and into_number is not None:
        lines.append(
            _(
                "It raises the same matter as initiative №{number}; they are reviewed together, "
                "and your support counts there."
            ).format(number=into_number)
        )
    if answer:
        label = _("Reason") if initiative.status in rules.NEEDS_REASON else _("Answer of the akim's office")
        lines.append(f"{label}: {escape(answer)}")
    return "\n".join(lines)


def card_text(
    initiative: store.Initiative,
    history: list[store.HistoryEntry],
    lang: str,
    tz: str,
    now: datetime,
    *,
    staff: bool = False,
) -> str:
    """An initiative with its history; the text is cut so the message stays within Telegram's limit."""
    head = [
        f"<b>№{initiative.number}. {escape(initiative.title)}</b>",
        _("Topic: {topic}").format(topic=topic_label(initiative.topic)),
        _("Village: {village}").format(village=escape(initiative.village(lang))),
        _("Submitted: {date}").format(date=format_datetime(initiative.submitted_at, tz, lang)),
        _("Status: {status}").format(status=status_label(initiative.status)),
    ]
    if initiative.status in rules.UNDECIDED:
        head.append(_("Review by: {date}").format(date=format_day(initiative.deadline_on, lang)))
        if staff and rules.is_overdue(initiative.status, initiative.deadline_at, now):
            head.append(_("⏰ Overdue"))
    if initiative.status != Status.HIDDEN:
        head.append(_("Supports: {count}").format(count=initiative.supports))
    if staff:
        head.append(_("Published for support") if initiative.published else _("Private: not published"))
        if initiative.agenda_flagged_at:
            head.append(_("📌 For the next gathering's agenda"))
        media = []
        if initiative.photos:
            media.append(
                ngettext("{count} photo", "{count} photos", len(initiative.photos)).format(count=len(initiative.photos))
            )
        if initiative.latitude is not None:
            media.append(_("location"))
        if initiative.voice_file_id:
            media.append(_("voice message"))
        if media:
            head.append(_("Attached: {items}").format(items=", ".join(media)))
    lines = [_("<b>History</b>")]
    for entry in history:
        line = f"• {format_day(rules.local_day(entry.at, tz), lang)} — " + status_label(entry.to_status)
        if entry.new_deadline:
            line += " " + _("(until {date})").format(date=format_day(entry.new_deadline, lang))
        if entry.forwarded_to:
            line += " → " + escape(entry.forwarded_to)
        if entry.answer:
            line += f": {escape(entry.answer)}"
        lines.append(line)
    top, bottom = "\n".join(head), "\n".join(lines)
    room = MESSAGE_MAX - len(top) - len(bottom) - 8
    body = escape(initiative.body)
    if len(body) > room:
        body = body[: max(room - 1, 0)] + "…"
    return f"{top}\n\n{body}\n\n{bottom}"[:MESSAGE_MAX]


async def _tz(db: Database, rural_district_id: int) -> str:
    rd = await places.rural_district(db, rural_district_id)
    return rd.timezone if rd else "Asia/Almaty"


# --- resident: the section's home ---------------------------------------------------------------


@router.message(MenuButton("initiatives"))
async def home(message: Message, state: FSMContext) -> None:
    """The initiatives section: propose, follow one's own, see the district's."""
    await state.clear()
    await message.answer(
        _(
            "<b>Civic initiatives</b>\nPropose something for your village, follow its review and support "
            "the initiatives of your neighbours."
        ),
        reply_markup=home_keyboard(),
    )


@router.callback_query(Ini.filter(F.act == IniAct.HOME))
async def home_again(query: CallbackQuery, state: FSMContext) -> None:
    """Back to the section's home."""
    await query.answer()
    await state.clear()
    await target(query).answer(_("<b>Civic initiatives</b>"), reply_markup=home_keyboard())


# --- resident: the guided form --------------------------------------------------------------------


async def _limit_problem(db: Database, person: Person, clock: Clock) -> str | None:
    """Why the person cannot submit now (over the day's limit), or None."""
    assert person.rural_district_id is not None
    cfg = await store.settings(db, person.rural_district_id)
    now = clock.now()
    recent = await store.recent_submissions(db, person.id, now - rules.PER_DAY_WINDOW)
    again = rules.next_submission_at(recent, cfg.per_day, now)
    if again is None:
        return None
    return ngettext(
        "You have sent {count} initiative in the last 24 hours, the most allowed. You can send the next one "
        "after {when}.",
        "You have sent {count} initiatives in the last 24 hours, the most allowed. You can send the next one "
        "after {when}.",
        cfg.per_day,
    ).format(count=cfg.per_day, when=format_datetime(again, cfg.timezone, person.language))


@router.callback_query(Ini.filter(F.act == IniAct.NEW))
async def new(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """Start a new initiative: consent first, then the day's limit, then the first question."""
    if not await consent_given(query, person, db, state, resume=Ini(act=IniAct.NEW).pack()):
        return
    await query.answer()
    problem = await _limit_problem(db, person, clock)
    if problem:
        await show_menu(target(query), person, problem)
        return
    await state.set_data({"token": uuid.uuid4().hex, "photos": [], "told": []})
    await _ask(target(query), Form.topic, person, db, state)


async def _ask(message: Message, step: State, person: Person, db: Database, state: FSMContext) -> None:
    """Ask the question of a step and remember that we are there."""
    await state.set_state(step)
    data = await state.get_data()
    number = STEPS.index(step) + 1
    if step == Form.topic:
        assert person.rural_district_id is not None
        cfg = await store.settings(db, person.rural_district_id)
        text = _("<b>New civic initiative</b>, step {n} of 7: choose a topic.").format(n=number)
        text += (
            "\n\n"
            + eotinish_note()
            + "\n"
            + ngettext(
                "Review deadline: {days} working day.", "Review deadline: {days} working days.", cfg.review_days
            ).format(days=cfg.review_days)
        )
        await message.answer(text, reply_markup=topics_keyboard())
    elif step == Form.title:
        await message.answer(
            _("Step {n} of 7: write a short title, up to {limit} characters.").format(n=number, limit=rules.TITLE_MAX),
            reply_markup=step_keyboard(),
        )
    elif step == Form.body:
        await message.answer(
            _("Step {n} of 7: describe the initiative: what, where and why. Up to {limit} characters.").format(
                n=number, limit=rules.BODY_MAX
            ),
            reply_markup=step_keyboard(),
        )
    elif step == Form.photos:
        count = len(data.get("photos", []))
        await message.answer(
            _("Step {n} of 7: send up to {limit} photos, or press «Skip».").format(n=number, limit=rules.MAX_PHOTOS),
            reply_markup=step_keyboard(next_label=_("➡️ Next") if count else _("⏭ Skip")),
        )
    elif step == Form.location:
        await message.answer(
            _("Step {n} of 7: where is it? Press «📍 Send location», or «Skip».").format(n=number),
            reply_markup=location_keyboard(),
        )
    elif step == Form.voice:
        await message.answer(
            _("Step {n} of 7: you can also record a voice message, or press «Skip».").format(n=number),
            reply_markup=step_keyboard(next_label=_("⏭ Skip")),
        )
    elif step == Form.village:
        assert person.rural_district_id is not None
        villages = await places.villages(db, person.rural_district_id)
        await message.answer(
            _("Step {n} of 7: which village is it about?").format(n=number),
            reply_markup=villages_keyboard(villages, person.language),
        )
    else:
        await message.answer(await _preview(data, db, person), reply_markup=preview_keyboard())


async def _preview(data: dict[str, Any], db: Database, person: Person) -> str:
    village = await places.village(db, data.get("village_id"))
    lines = [
        _("<b>Please check your initiative</b>. This is what the akim's office will receive:"),
        "",
        _("Topic: {topic}").format(topic=topic_label(data.get("topic", "other"))),
        _("Village: {village}").format(village=village.name(person.language) if village else "—"),
        "",
        f"<b>{escape(data.get('title'))}</b>",
        escape(data.get("body")),
        "",
    ]
    photos = len(data.get("photos", []))
    lines.append(
        ngettext("📷 {count} photo", "📷 {count} photos", photos).format(count=photos) if photos else _("📷 No photos")
    )
    lines.append(_("📍 Location attached") if data.get("lat") is not None else _("📍 No location"))
    lines.append(_("🎤 Voice message attached") if data.get("voice") else _("🎤 No voice message"))
    lines += ["", eotinish_note()]
    return "\n".join(lines)


@router.callback_query(DraftCb.filter(F.act == DraftAct.BACK), StateFilter(*STEPS))
async def back(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """Back to the previous question; what was entered is kept."""
    await query.answer()
    current = await state.get_state()
    index = next(i for i, s in enumerate(STEPS) if s.state == current)
    await _ask(target(query), STEPS[max(index - 1, 0)], person, db, state)


@router.callback_query(DraftCb.filter(F.act == DraftAct.TOPIC), Form.topic)
async def chose_topic(
    query: CallbackQuery, callback_data: DraftCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The topic, from the buttons."""
    await query.answer()
    if callback_data.value not in rules.TOPICS:
        raise DomainError(N_("Please use the buttons of the current step, or /cancel to stop it."))
    await state.update_data(topic=callback_data.value)
    await _ask(target(query), Form.title, person, db, state)


async def _take_text(message: Message, limit: int, *, is_title: bool) -> str | None:
    """The title or text of a step, or None after telling the person what is wrong with it."""
    if message.text is None:
        await message.answer(
            _("Please write the title as a text message: a sticker, photo or file cannot be a title.")
            if is_title
            else _(
                "Please write the text as a message: a sticker, photo or file cannot be used here. "
                "You can add photos and a voice message in the next steps."
            )
        )
        return None
    problem = rules.text_problem(message.text, limit)
    if problem and problem[0] == "empty":
        await message.answer(
            _("The title cannot be empty. Please write it.")
            if is_title
            else _("The text cannot be empty. Please write it.")
        )
        return None
    if problem:
        over = problem[1]
        text = (
            ngettext(
                "The title is too long: at most {limit} characters. Please shorten it by {over} character.",
                "The title is too long: at most {limit} characters. Please shorten it by {over} characters.",
                over,
            )
            if is_title
            else ngettext(
                "The text is too long: at most {limit} characters. Please shorten it by {over} character.",
                "The text is too long: at most {limit} characters. Please shorten it by {over} characters.",
                over,
            )
        )
        await message.answer(text.format(limit=limit, over=over))
        return None
    return message.text.strip()


@router.message(Form.title)
async def got_title(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The title: text only, not empty, not too long."""
    title = await _take_text(message, rules.TITLE_MAX, is_title=True)
    if title is not None:
        await state.update_data(title=title)
        await _ask(message, Form.body, person, db, state)


@router.message(Form.body)
async def got_body(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The text: text only, not empty, not too long."""
    body = await _take_text(message, rules.BODY_MAX, is_title=False)
    if body is not None:
        await state.update_data(body=body)
        await _ask(message, Form.photos, person, db, state)


@router.message(Form.photos, F.photo)
async def got_photo(message: Message, state: FSMContext) -> None:
    """A photo (or one of an album): kept up to the limit; the rest of an album is refused once."""
    assert message.photo and message.from_user
    lock = _album_locks.get(message.chat.id)
    if lock is None:
        lock = _album_locks[message.chat.id] = asyncio.Lock()
    async with lock:
        data = await state.get_data()
        photos: list[str] = data.get("photos", [])
        told: list[str] = data.get("told", [])
        group = message.media_group_id
        first_of_group = group is not None and group not in told
        if len(photos) >= rules.MAX_PHOTOS:
            if group is None or group not in data.get("refused", []):
                await state.update_data(refused=[*data.get("refused", []), group] if group else data.get("refused", []))
                await message.answer(
                    _(
                        "At most {limit} photos: the first {limit} are kept, this and any further ones were not "
                        "added. Press «Next»."
                    ).format(limit=rules.MAX_PHOTOS),
                    reply_markup=step_keyboard(next_label=_("➡️ Next")),
                )
            return
        photos.append(message.photo[-1].file_id)
        await state.update_data(photos=photos, told=[*told, group] if first_of_group else told)
    if group is None or first_of_group:
        await message.answer(
            _("📷 Photo received. Send more (up to {limit} in all) or press «Next».").format(limit=rules.MAX_PHOTOS),
            reply_markup=step_keyboard(next_label=_("➡️ Next")),
        )


@router.message(Form.photos)
async def not_a_photo(message: Message) -> None:
    """A file, sticker or text where photos are expected."""
    if message.document and (message.document.mime_type or "").startswith("image/"):
        text = _("Please send the picture as a photo, not as a file.")
    else:
        text = _("Please send photos, or press «Skip» / «Next».")
    await message.answer(text, reply_markup=step_keyboard(next_label=_("➡️ Next")))


@router.callback_query(DraftCb.filter(F.act == DraftAct.NEXT), Form.photos)
async def photos_done(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """On to the location."""
    await query.answer()
    await _ask(target(query), Form.location, person, db, state)


@router.message(Form.location, F.location)
async def got_location(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The place, from Telegram's location button."""
    assert message.location
    await state.update_data(lat=message.location.latitude, lon=message.location.longitude)
    await message.answer(_("📍 Location received."), reply_markup=main_menu(person))
    await _ask(message, Form.voice, person, db, state)


@router.message(Form.location)
async def location_buttons(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The reply-keyboard buttons of the location step (it cannot carry inline ones)."""
    labels = location_labels()
    if message.text == labels["skip"]:
        await state.update_data(lat=None, lon=None)
        await message.answer(_("Without a location."), reply_markup=main_menu(person))
        await _ask(message, Form.voice, person, db, state)
    elif message.text == labels["back"]:
        await message.answer("⬅️", reply_markup=main_menu(person))
        await _ask(message, Form.photos, person, db, state)
    elif message.text == labels["cancel"]:
        await state.clear()
        await show_menu(message, person, _("Cancelled. Main menu: please choose a section."))
    else:
        await message.answer(_("Please press «📍 Send location», or «Skip»."), reply_markup=location_keyboard())


@router.message(Form.voice, F.voice)
async def got_voice(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """A voice message: many people prefer speaking to typing."""
    assert message.voice
    await state.update_data(voice=message.voice.file_id)
    await message.answer(_("🎤 Voice message received."))
    await _ask(message, Form.village, person, db, state)


@router.message(Form.voice)
async def not_a_voice(message: Message) -> None:
    """Anything else where a voice message is expected."""
    await message.answer(
        _("Please record a voice message, or press «Skip»."), reply_markup=step_keyboard(next_label=_("⏭ Skip"))
    )


@router.callback_query(DraftCb.filter(F.act == DraftAct.NEXT), Form.voice)
async def voice_skipped(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """No voice message."""
    await query.answer()
    await _ask(target(query), Form.village, person, db, state)


@router.callback_query(DraftCb.filter(F.act == DraftAct.VILLAGE), Form.village)
async def chose_village(
    query: CallbackQuery, callback_data: DraftCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The village, checked to be one of the person's rural district."""
    await query.answer()
    assert person.rural_district_id is not None
    village = await places.village_in(db, person.rural_district_id, int(callback_data.value or 0))
    if village is None:
        raise NotFound(N_("This village is not in your rural district. Please choose from the list."))
    await state.update_data(village_id=village.id)
    await _ask(target(query), Form.preview, person, db, state)


@router.callback_query(DraftCb.filter(F.act == DraftAct.SUBMIT))
async def submit(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Submit the draft once, however often the button is tapped; the staff are told."""
    data = await state.get_data()
    if await state.get_state() != Form.preview.state or not data.get("token"):
        await query.answer(_("This initiative has already been sent. See «My initiatives»."), show_alert=True)
        return
    if not await consent_given(query, person, db, state, resume=DraftCb(act=DraftAct.SUBMIT).pack()):
        return
    await query.answer()
    assert person.rural_district_id is not None
    cfg = await store.settings(db, person.rural_district_id)
    now = clock.now()
    deadline = rules.review_deadline(now, cfg.timezone, cfg.review_days)
    draft = store.Draft(
        token=data["token"],
        topic=data["topic"],
        title=data["title"],
        body=data["body"],
        photos=data.get("photos", []),
        latitude=data.get("lat"),
        longitude=data.get("lon"),
        voice_file_id=data.get("voice"),
        village_id=data["village_id"],
    )

    def staff_notice(number: int) -> dict[str, str]:
        return in_all_languages(
            i18n,
            lambda: _(
                "💡 New initiative №{number} «{title}» ({topic}). Review by {date}. Open: 🛠 Admin → 💡 Initiatives."
            ).format(
                number=number,
                title=escape(draft.title),
                topic=topic_label(draft.topic),
                date=format_day(deadline.day, str(i18n.current_locale)),
            ),
        )

    result = await store.submit(
        db,
        draft=draft,
        author_id=person.id,
        rural_district_id=person.rural_district_id,
        now=now,
        deadline=deadline,
        per_day=cfg.per_day,
        since=now - rules.PER_DAY_WINDOW,
        staff_notice=staff_notice,
    )
    if result is None:
        await state.clear()
        await show_menu(target(query), person, await _limit_problem(db, person, clock))
        return
    await state.clear()
    if not result.created:
        await target(query).answer(_("This initiative has already been sent. See «My initiatives»."))
        return
    await show_menu(
        target(query),
        person,
        _(
            "✅ Your initiative is submitted: №{number}.\nThe akim's office will review it by {date}. "
            "You will be told here of every change; see «My initiatives»."
        ).format(number=result.number, date=format_day(deadline.day, person.language)),
    )


# --- resident: my initiatives and the district's ------------------------------------------------


def _pages(total: int) -> int:
    return max((total + PAGE - 1) // PAGE, 1)


@router.callback_query(Ini.filter(F.act == IniAct.MINE))
async def my_list(query: CallbackQuery, callback_data: Ini, person: Person, db: Database) -> None:
    """The person's own initiatives, newest first: number, status, date."""
    await query.answer()
    page = max(callback_data.page, 0)
    items, total = await store.mine(db, person.id, limit=PAGE, offset=page * PAGE)
    if not total:
        await target(query).answer(_("You have not sent any initiatives yet."), reply_markup=home_keyboard())
        return
    tz = await _tz(db, person.rural_district_id or 0)
    lines = [_("<b>My initiatives</b>")]
    lines += [
        _("№{number} «{title}»: {status} ({date}). Supports: {count}").format(
            number=i.number,
            title=escape(i.title),
            status=status_label(i.status),
            date=format_day(rules.local_day(i.submitted_at, tz), person.language),
            count=i.supports,
        )
        for i in items
    ]
    await target(query).answer(
        "\n".join(lines), reply_markup=list_keyboard(items, act=IniAct.MINE, page=page, pages=_pages(total))
    )


@router.callback_query(Ini.filter(F.act == IniAct.BROWSE))
async def district_list(query: CallbackQuery, callback_data: Ini, person: Person, db: Database) -> None:
    """The district's published initiatives, newest or most supported first, page by page."""
    await query.answer()
    assert person.rural_district_id is not None
    page, sort = max(callback_data.page, 0), callback_data.sort if callback_data.sort in ("n", "s") else "n"
    items, total = await store.published(
        db, person.rural_district_id, by_support=sort == "s", limit=PAGE, offset=page * PAGE
    )
    if not total:
        await target(query).answer(
            _("No initiatives are published in your rural district yet."), reply_markup=home_keyboard()
        )
        return
    title = (
        _("<b>Initiatives of the district</b>, most supported first")
        if sort == "s"
        else _("<b>Initiatives of the district</b>, newest first")
    )
    lines = [title] + [
        _("№{number} «{title}»: {status}. Supports: {count}").format(
            number=i.number, title=escape(i.title), status=status_label(i.status), count=i.supports
        )
        for i in items
    ]
    await target(query).answer(
        "\n".join(lines),
        reply_markup=list_keyboard(items, act=IniAct.BROWSE, page=page, pages=_pages(total), sort=sort),
    )


async def _visible(db: Database, person: Person, initiative_id: int) -> store.Initiative:
    """An initiative the person may see: their own, or a published one of their district."""
    initiative = await store.get(db, initiative_id)
    if initiative is None or not (
        initiative.author_id == person.id
        or (
            initiative.rural_district_id == person.rural_district_id
            and initiative.published
            and initiative.status not in rules.NOT_LISTED
        )
    ):
        raise NotFound(N_("This initiative is not available."))
    return initiative


async def _show_card(
    message: Message,
    initiative: store.Initiative,
    person: Person,
    db: Database,
    clock: Clock,
    *,
    src: str,
    page: int,
    sort: str,
) -> None:
    tz = await _tz(db, initiative.rural_district_id)
    history = await store.history(db, initiative.id)
    already = await store.has_supported(db, initiative.id, person.id)
    can = (
        rules.support_problem(
            status=initiative.status,
            published=initiative.published,
            is_author=initiative.author_id == person.id,
            already=already,
        )
        is None
    )
    text = card_text(initiative, history, person.language, tz, clock.now())
    if already:
        text += "\n\n" + _("👍 You support this initiative.")
    await message.answer(text, reply_markup=card_keyboard(initiative, src=src, page=page, sort=sort, can_support=can))


@router.callback_query(Ini.filter(F.act == IniAct.OPEN))
async def open_card(query: CallbackQuery, callback_data: Ini, person: Person, db: Database, clock: Clock) -> None:
    """One initiative with its history and the staff's answers."""
    await query.answer()
    initiative = await _visible(db, person, callback_data.id)
    await _show_card(
        target(query),
        initiative,
        person,
        db,
        clock,
        src=callback_data.src,
        page=callback_data.page,
        sort=callback_data.sort,
    )


@router.callback_query(Ini.filter(F.act == IniAct.SUPPORT))
async def support(
    query: CallbackQuery, callback_data: Ini, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """One tap, once per person, never one's own."""
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    await query.answer()
    initiative = await _visible(db, person, callback_data.id)
    already = await store.has_supported(db, initiative.id, person.id)
    problem = rules.support_problem(
        status=initiative.status,
        published=initiative.published,
        is_author=initiative.author_id == person.id,
        already=already,
    )
    if problem:
        await target(query).answer(_(problem))
        return
    assert person.rural_district_id is not None

    def flagged(i: store.Initiative) -> dict[str, str]:
        return in_all_languages(
            i18n,
            lambda: _(
                "📌 Initiative №{number} «{title}» has {count} supports: it is flagged for the next gathering's agenda."
            ).format(number=i.number, title=escape(i.title), count=i.supports),
        )

    result = await store.support(
        db,
        initiative.id,
        person.id,
        rural_district_id=person.rural_district_id,
        supportable=[s.value for s in rules.SUPPORTABLE],
        now=clock.now(),
        flagged_notice=flagged,
    )
    if not result.added:
        await target(query).answer(_(N_("You have already supported this initiative.")))
        return
    await target(query).answer(
        _("👍 Thank you: your support is counted. Supports now: {count}.").format(count=result.supports)
    )
    refreshed = await store.get(db, initiative.id)
    assert refreshed is not None
    await _show_card(
        target(query),
        refreshed,
        person,
        db,
        clock,
        src=callback_data.src,
        page=callback_data.page,
        sort=callback_data.sort,
    )


# --- staff ------------------------------------------------------------------------------------------


def _actor(person: Person) -> store.Actor:
    return store.Actor(person.id, person.telegram_id, staff_or_operator(person))


async def _staff_initiative(db: Database, person: Person, initiative_id: int) -> store.Initiative:
    """The initiative only if it belongs to the staff member's rural district."""
    initiative = await store.get(db, initiative_id, person.rural_district_id)
    if initiative is None:
        raise NotFound(N_("This initiative was not found in your rural district."))
    return initiative


def _age(initiative: store.Initiative, now: datetime) -> str:
    days = max((now - initiative.submitted_at).days, 0)
    return ngettext("{count} day", "{count} days", days).format(count=days)


async def _queue(
    message: Message,
    person: Person,
    db: Database,
    clock: Clock,
    *,
    flt: str = "open",
    village_id: int = 0,
    page: int = 0,
) -> None:
    assert person.rural_district_id is not None
    rd = person.rural_district_id
    flt = flt if flt in FILTERS else "open"
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
    overdue = await store.overdue_count(db, rd, now, [s.value for s in rules.UNDECIDED])
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
            pages=_pages(total),
            digest=digest,
        ),
    )


@admin_router.callback_query(AdminMenu.filter(F.section == "initiatives"))
async def staff_home(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The staff's queue of initiatives awaiting a decision."""
    await query.answer()
    await state.clear()
    await _queue(target(query), person, db, clock)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.QUEUE))
async def staff_queue(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """The queue by status and village, page by page."""
    await query.answer()
    await state.clear()
    await _queue(
        target(query), person, db, clock, flt=callback_data.s, village_id=callback_data.v, page=max(callback_data.p, 0)
    )


async def _staff_card(
    message: Message, initiative: store.Initiative, person: Person, db: Database, clock: Clock
) -> None:
    tz = await _tz(db, initiative.rural_district_id)
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


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.OPEN))
async def staff_open(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """Everything the resident sent (photos, location, voice), then the card with the actions."""
    await query.answer()
    await state.clear()
    initiative = await _staff_initiative(db, person, callback_data.id)
    chat_id = target(query).chat.id
    if len(initiative.photos) > 1:
        await bot.send_media_group(chat_id, [InputMediaPhoto(media=p) for p in initiative.photos])
    elif initiative.photos:
        await bot.send_photo(chat_id, initiative.photos[0])
    if initiative.latitude is not None and initiative.longitude is not None:
        await bot.send_location(chat_id, initiative.latitude, initiative.longitude)
    if initiative.voice_file_id:
        await bot.send_voice(chat_id, initiative.voice_file_id)
    await _staff_card(target(query), initiative, person, db, clock)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.STATUS))
async def staff_status(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, state: FSMContext
) -> None:
    """A new status: ask for what it needs (a date, a body, an answer)."""
    await query.answer()
    initiative = await _staff_initiative(db, person, callback_data.id)
    if callback_data.s not in {s.value for s in Status} or not rules.allowed(initiative.status, callback_data.s):
        raise DomainError(N_("This status cannot be set now: the initiative has changed meanwhile."))
    new = Status(callback_data.s)
    await state.set_data({"ini": initiative.id, "to": new.value})
    if new == Status.EXTENDED:
        tz = await _tz(db, initiative.rural_district_id)
        await state.set_state(StaffForm.date)
        choices = rules.extension_choices(initiative.deadline_on, initiative.submitted_at, tz)
        await target(query).answer(
            _(
                "Extend the review of №{number}. Now due: {date}. Choose the new date, or write it as DD.MM.YYYY "
                "(at most {latest})."
            ).format(
                number=initiative.number,
                date=format_day(initiative.deadline_on, person.language),
                latest=format_day(rules.latest_extension(initiative.submitted_at, tz), person.language),
            ),
            reply_markup=dates_keyboard(initiative.id, choices, person.language),
        )
    elif new == Status.FORWARDED:
        await state.set_state(StaffForm.body)
        await target(query).answer(
            _("Name the body the initiative is passed to."), reply_markup=answer_keyboard(initiative.id, optional=False)
        )
    else:
        await _ask_answer(target(query), initiative, new, state)


async def _ask_answer(message: Message, initiative: store.Initiative, new: Status, state: FSMContext) -> None:
    await state.set_state(StaffForm.answer)
    needs = new in rules.NEEDS_REASON
    text = (
        _("Write the reason for «{status}». The author of №{number} will read it.")
        if needs
        else _("Write the answer to the author of №{number} («{status}»), or press «Without an answer».")
    )
    await message.answer(
        text.format(status=status_label(new), number=initiative.number),
        reply_markup=answer_keyboard(initiative.id, optional=not needs),
    )


def _parse_date(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%d.%m.%Y").date()
    except ValueError:
        return None


async def _chose_date(message: Message, day: date, person: Person, db: Database, state: FSMContext) -> None:
    data = await state.get_data()
    initiative = await _staff_initiative(db, person, int(data["ini"]))
    tz = await _tz(db, initiative.rural_district_id)
    rules.check_extension(day, initiative.deadline_on, initiative.submitted_at, tz)
    await state.update_data(date=day.isoformat())
    await _ask_answer(message, initiative, Status.EXTENDED, state)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.DATE), StaffForm.date)
async def staff_date_button(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, state: FSMContext
) -> None:
    """The new date from a button."""
    await query.answer()
    day = date.fromisoformat(callback_data.s)
    await _chose_date(target(query), day, person, db, state)


@admin_router.message(StaffForm.date)
async def staff_date_text(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The new date, typed."""
    day = _parse_date(message.text or "")
    if day is None:
        await message.answer(_("Please write the date as DD.MM.YYYY, for example 31.12.2026."))
        return
    await _chose_date(message, day, person, db, state)


@admin_router.message(StaffForm.body)
async def staff_body(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The body a forwarded initiative goes to."""
    body = (message.text or "").strip()
    if not body or len(body) > 200:
        await message.answer(_("Please name the body in a text message of up to 200 characters."))
        return
    data = await state.get_data()
    initiative = await _staff_initiative(db, person, int(data["ini"]))
    await state.update_data(body=body)
    await _ask_answer(message, initiative, Status.FORWARDED, state)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.NO_ANSWER), StaffForm.answer)
async def staff_no_answer(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """A change that needs no words."""
    await query.answer()
    await _apply(target(query), None, person, db, clock, i18n, state)


@admin_router.message(StaffForm.answer)
async def staff_answer(
    message: Message, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """The answer or reason, then the change is made."""
    if message.text is None or not message.text.strip():
        await message.answer(_("Please write the answer as a text message."))
        return
    if len(message.text) > rules.ANSWER_MAX:
        await message.answer(_("The answer is too long: at most {limit} characters.").format(limit=rules.ANSWER_MAX))
        return
    await _apply(message, message.text.strip(), person, db, clock, i18n, state)


def _author_texts(
    i18n: I18n, tz: str, answer: str | None, into_number: int | None = None
) -> Callable[[store.Initiative], dict[str, str]]:
    """How the author is told of a change, rendered in every language (the sender picks theirs)."""

    def render(initiative: store.Initiative) -> dict[str, str]:
        return in_all_languages(
            i18n, lambda: status_notice(initiative, str(i18n.current_locale), tz, answer, into_number)
        )

    return render


async def _apply(
    message: Message, answer: str | None, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Make the change chosen: re-checked against the district and the current status, audited, told."""
    data = await state.get_data()
    await state.clear()
    assert person.rural_district_id is not None
    initiative = await _staff_initiative(db, person, int(data["ini"]))
    tz = await _tz(db, initiative.rural_district_id)
    now = clock.now()
    new = data["to"]
    if new == Status.HIDDEN:
        if not answer:
            raise DomainError(N_("This change needs a reason."))
        result = await store.hide(
            db,
            _actor(person),
            rural_district_id=person.rural_district_id,
            initiative_id=initiative.id,
            reason=answer,
            now=now,
            author_texts=_author_texts(i18n, tz, answer),
        )
    else:
        rules.check_transition(initiative.status, new, answer)
        deadline = None
        if new == Status.EXTENDED:
            day = date.fromisoformat(data["date"])
            rules.check_extension(day, initiative.deadline_on, initiative.submitted_at, tz)
            deadline = rules.deadline_from_day(day, tz)
        result = await store.change_status(
            db,
            _actor(person),
            rural_district_id=person.rural_district_id,
            initiative_id=initiative.id,
            new=new,
            allowed_from=[s.value for s in Status if rules.allowed(s, new)],
            decision=rules.is_decision(new),
            answer=answer,
            now=now,
            deadline=deadline,
            forwarded_to=data.get("body"),
            author_texts=_author_texts(i18n, tz, answer),
        )
    if result is None:
        raise DomainError(N_("This status cannot be set now: the initiative has changed meanwhile."))
    await message.answer(
        _("Saved: №{number} is now «{status}». The author will be told.").format(
            number=result.number, status=status_label(result.status)
        )
    )
    await _staff_card(message, result, person, db, clock)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.HIDE))
async def staff_hide(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, state: FSMContext
) -> None:
    """Hide an abusive initiative: ask for the reason the author will read."""
    await query.answer()
    initiative = await _staff_initiative(db, person, callback_data.id)
    if not rules.can_hide(initiative.status):
        raise DomainError(N_("This status cannot be set now: the initiative has changed meanwhile."))
    await state.set_data({"ini": initiative.id, "to": Status.HIDDEN.value})
    await _ask_answer(target(query), initiative, Status.HIDDEN, state)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.PUBLISH))
async def staff_publish(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, clock: Clock
) -> None:
    """Publish for support, or keep private."""
    await query.answer()
    initiative = await _staff_initiative(db, person, callback_data.id)
    assert person.rural_district_id is not None
    result = await store.set_published(
        db,
        _actor(person),
        rural_district_id=person.rural_district_id,
        initiative_id=initiative.id,
        published=callback_data.s == "1",
        now=clock.now(),
    )
    if result is None:
        raise DomainError(N_("This status cannot be set now: the initiative has changed meanwhile."))
    await target(query).answer(
        _("Published: residents of the district can see and support it.")
        if result.published
        else _("Kept private: only the author and the staff see it.")
    )
    await _staff_card(target(query), result, person, db, clock)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.MERGE))
async def staff_merge(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, state: FSMContext
) -> None:
    """Merge a duplicate: ask which initiative it duplicates."""
    await query.answer()
    initiative = await _staff_initiative(db, person, callback_data.id)
    if not rules.can_merge(initiative.status):
        raise DomainError(N_("This status cannot be set now: the initiative has changed meanwhile."))
    await state.set_state(StaffForm.merge)
    await state.set_data({"ini": initiative.id})
    await target(query).answer(
        _("№{number} duplicates which initiative? Send its number.").format(number=initiative.number),
        reply_markup=answer_keyboard(initiative.id, optional=False),
    )


@admin_router.message(StaffForm.merge)
async def staff_merge_into(
    message: Message, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Merge into the initiative named by its number; the supporters follow."""
    digits = (message.text or "").strip().lstrip("№").strip()
    if not digits.isdigit():
        await message.answer(_("Please send the number of the initiative, for example 12."))
        return
    data = await state.get_data()
    assert person.rural_district_id is not None
    initiative = await _staff_initiative(db, person, int(data["ini"]))
    tz = await _tz(db, initiative.rural_district_id)
    result = await store.merge(
        db,
        _actor(person),
        rural_district_id=person.rural_district_id,
        initiative_id=initiative.id,
        into_number=int(digits),
        allowed_from=[s.value for s in rules.UNDECIDED],
        now=clock.now(),
        answer=None,
        author_texts=_author_texts(i18n, tz, None, int(digits)),
    )
    if result is None:
        await message.answer(
            _("No other initiative №{number} open in your rural district. Send another number, or /cancel.").format(
                number=int(digits)
            )
        )
        return
    await state.clear()
    merged, into = result
    await message.answer(
        _("№{number} is merged into №{into}; supports there now: {count}.").format(
            number=merged.number, into=into.number, count=into.supports
        )
    )
    await _staff_card(message, into, person, db, clock)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.EXPORT))
async def staff_export(query: CallbackQuery, person: Person, db: Database, clock: Clock) -> None:
    """The district's initiatives as CSV (UTF-8 with BOM, so Excel reads Cyrillic)."""
    await query.answer()
    assert person.rural_district_id is not None
    rd = person.rural_district_id
    tz = await _tz(db, rd)
    items = await store.all_of(db, rd)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Number"),
            _("Submitted"),
            _("Status"),
            _("Topic"),
            _("Title"),
            _("Text"),
            _("Village"),
            _("Supports"),
            _("Review by"),
            _("Published"),
            _("Agenda"),
        ]
    )
    for i in items:
        writer.writerow(
            [
                i.number,
                i.submitted_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"),
                status_label(i.status),
                topic_label(i.topic),
                i.title,
                i.body,
                i.village(person.language),
                i.supports,
                i.deadline_on.isoformat(),
                _("yes") if i.published else _("no"),
                _("yes") if i.agenda_flagged_at else "",
            ]
        )
    async with db.transaction() as tx:
        await record_admin_action(
            tx,
            person,
            "initiative_export",
            "rural_district",
            rd,
            rural_district_id=rd,
            after={"rows": len(items)},
        )
    day = rules.local_day(clock.now(), tz).isoformat()
    await target(query).answer_document(
        BufferedInputFile(out.getvalue().encode("utf-8-sig"), filename=f"initiatives-{day}.csv"),
        caption=ngettext("{count} initiative", "{count} initiatives", len(items)).format(count=len(items)),
    )


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.DIGEST))
async def staff_digest(query: CallbackQuery, person: Person, db: Database, clock: Clock) -> None:
    """Each new initiative as it arrives, or one digest a day."""
    digest = not await store.digest_on(db, person.id)
    await store.set_digest(db, person.id, digest, clock.now())
    await query.answer()
    await target(query).answer(
        _("You will get one digest of new initiatives a day, in the morning.")
        if digest
        else _("You will be told of each new initiative as it arrives.")
    )
    await _queue(target(query), person, db, clock)


def _settings_text(cfg: store.DistrictSettings) -> str:
    return _(
        "<b>Initiative settings</b>\nReview deadline, working days: {days}\nInitiatives a person may send in "
        "24 hours: {per_day}\nSupports for the gathering's agenda: {threshold}"
    ).format(days=cfg.review_days, per_day=cfg.per_day, threshold=cfg.threshold)


@admin_router.callback_query(AdmIni.filter(F.act == AdmAct.SETTINGS))
async def staff_settings(
    query: CallbackQuery, callback_data: AdmIni, person: Person, db: Database, state: FSMContext
) -> None:
    """The district's settings, and the one to change."""
    await query.answer()
    assert person.rural_district_id is not None
    if callback_data.s in SETTING_RANGES:
        low, high = SETTING_RANGES[callback_data.s]
        await state.set_state(StaffForm.setting)
        await state.set_data({"setting": callback_data.s})
        await target(query).answer(
            _("Send the new value: a number from {low} to {high}.").format(low=low, high=high),
            reply_markup=answer_keyboard(0, optional=False),
        )
        return
    cfg = await store.settings(db, person.rural_district_id)
    await target(query).answer(_settings_text(cfg), reply_markup=settings_keyboard())


@admin_router.message(StaffForm.setting)
async def staff_setting_value(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """A new value, within its range, audited."""
    data = await state.get_data()
    name = data.get("setting", "")
    low, high = SETTING_RANGES.get(name, (1, 1))
    text = (message.text or "").strip()
    if not text.isdigit() or not low <= int(text) <= high:
        await message.answer(_("Send the new value: a number from {low} to {high}.").format(low=low, high=high))
        return
    assert person.rural_district_id is not None
    await store.set_setting(db, _actor(person), person.rural_district_id, name, int(text))
    await state.clear()
    cfg = await store.settings(db, person.rural_district_id)
    await message.answer(
        _("Saved. A new review deadline applies to initiatives submitted from now on.") + "\n\n" + _settings_text(cfg),
        reply_markup=settings_keyboard(),
    )


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    counts = await store.status_counts(db, rural_district_id)
    waiting = sum(counts.get(s.value, 0) for s in rules.UNDECIDED)
    if not waiting:
        return None
    overdue = await store.overdue_count(db, rural_district_id, clock.now(), [s.value for s in rules.UNDECIDED])
    line = ngettext(
        "💡 {count} initiative awaits a decision", "💡 {count} initiatives await a decision", waiting
    ).format(count=waiting)
    if overdue:
        line += "; " + ngettext("⏰ {count} overdue", "⏰ {count} overdue", overdue).format(count=overdue)
    return line
