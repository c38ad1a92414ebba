"""The resident's guided form: topic, title, text, (attachments), village, preview, submit.

The draft lives in the conversation's state (it survives a restart); a token in it makes a second
tap on «Submit» harmless. Photos, location and voice are asked in ``attachments``.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_datetime, format_day
from bot.i18n import N_, in_all_languages
from bot.keyboards.initiatives import (
    DraftAct,
    DraftCb,
    Ini,
    IniAct,
    VillageCb,
    location_keyboard,
    preview_keyboard,
    step_keyboard,
    topic_label,
    topics_keyboard,
    villages_keyboard,
)
from bot.rules import initiatives as rules
from bot.rules.clock import Clock
from bot.rules.errors import DomainError, NotFound
from handlers.common import consent_given, show_menu, target
from storage import initiatives as store
from storage import places
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)

EOTINISH = "https://eotinish.kz"


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


def eotinish_note() -> str:
    return _(
        "ℹ️ This is not a formal appeal to a state body: for that, use the e-appeals service eOtinish "
        "({url}). The akim's office still reviews initiatives sent here within the same deadline."
    ).format(url=EOTINISH)


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
    await ask(target(query), Form.topic, person, db, state)


async def ask(message: Message, step: State, person: Person, db: Database, state: FSMContext) -> None:
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
        _("Village: {village}").format(village=escape(village.name(person.language)) if village else "—"),
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
    await ask(target(query), STEPS[max(index - 1, 0)], person, db, state)


@router.callback_query(DraftCb.filter(F.act == DraftAct.TOPIC), StateFilter(Form.topic))
async def chose_topic(
    query: CallbackQuery, callback_data: DraftCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The topic, from the buttons."""
    await query.answer()
    if callback_data.topic is None:
        raise DomainError(N_("Please use the buttons of the current step, or /cancel to stop it."))
    await state.update_data(topic=callback_data.topic.value)
    await ask(target(query), Form.title, person, db, state)


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


@router.message(StateFilter(Form.title, Form.body))
async def got_text(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The title, then the text: text only, not empty, not too long."""
    is_title = await state.get_state() == Form.title.state
    text = await _take_text(message, rules.TITLE_MAX if is_title else rules.BODY_MAX, is_title=is_title)
    if text is not None:
        await state.update_data({"title" if is_title else "body": text})
        await ask(message, Form.body if is_title else Form.photos, person, db, state)


@router.callback_query(VillageCb.filter(), StateFilter(Form.village))
async def chose_village(
    query: CallbackQuery, callback_data: VillageCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The village, checked to be one of the person's rural district."""
    await query.answer()
    assert person.rural_district_id is not None
    village = await places.village_in(db, person.rural_district_id, callback_data.id)
    if village is None:
        raise NotFound(N_("This village is not in your rural district. Please choose from the list."))
    await state.update_data(village_id=village.id)
    await ask(target(query), Form.preview, person, db, state)


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

    def staff_notice(number: int, review_by: date) -> dict[str, str]:
        return in_all_languages(
            i18n,
            lambda: _(
                "💡 New initiative №{number} «{title}» ({topic}). Review by {date}. Open: 🛠 Admin → 💡 Initiatives."
            ).format(
                number=number,
                title=escape(draft.title),
                topic=topic_label(draft.topic),
                date=format_day(review_by, str(i18n.current_locale)),
            ),
        )

    result = await store.submit(
        db,
        draft=draft,
        author_id=person.id,
        rural_district_id=person.rural_district_id,
        now=clock.now(),
        staff_notice=staff_notice,
    )
    await state.clear()
    if result is None:
        await show_menu(target(query), person, await _limit_problem(db, person, clock))
        return
    if not result.created:
        await target(query).answer(_("This initiative has already been sent. See «My initiatives»."))
        return
    await show_menu(
        target(query),
        person,
        _(
            "✅ Your initiative is submitted: №{number}.\nThe akim's office will review it by {date}. "
            "You will be told here of every change; see «My initiatives»."
        ).format(number=result.number, date=format_day(result.deadline_on, person.language)),
    )
