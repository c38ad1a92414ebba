"""The staff decide: every status change (hiding and merging too) asks for what it needs, then one
storage call makes it; the author is told through the outbox. Publishing for support is here too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_day
from bot.i18n import in_all_languages
from bot.keyboards.initiatives import (
    AdmAct,
    AdmDate,
    AdmIni,
    AdmPublish,
    AdmStatus,
    answer_keyboard,
    dates_keyboard,
    status_label,
)
from bot.rules import initiatives as rules
from bot.rules.clock import Clock
from bot.rules.errors import DomainError
from bot.rules.initiatives import Status
from handlers.common import target
from handlers.initiatives.queue import staff_card
from storage import initiatives as store
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class StaffForm(StatesGroup):
    date = State()  # extended: the new last day
    body = State()  # forwarded: the body it is passed to
    answer = State()  # the answer (or reason) to the author
    merge = State()  # the number of the initiative to merge into


def status_notice(initiative: store.Initiative, lang: str, answer: str | None, into_number: int | None = None) -> str:
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


@router.callback_query(AdmStatus.filter())
async def staff_status(
    query: CallbackQuery, callback_data: AdmStatus, person: Person, db: Database, state: FSMContext
) -> None:
    """A new status: ask for what it needs (a date, a body, the number to merge into, an answer)."""
    await query.answer()
    initiative = await store.for_staff(db, Actor.of(person), callback_data.id)
    new = callback_data.to
    if not rules.may_set(initiative.status, new):
        raise DomainError(store.CHANGED_MEANWHILE)
    await state.set_data({"ini": initiative.id, "to": new.value})
    if new == Status.EXTENDED:
        tz = await store.timezone(db, initiative.rural_district_id)
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
    elif new == Status.MERGED:
        await state.set_state(StaffForm.merge)
        await target(query).answer(
            _("№{number} duplicates which initiative? Send its number.").format(number=initiative.number),
            reply_markup=answer_keyboard(initiative.id, optional=False),
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
    initiative = await store.for_staff(db, Actor.of(person), int(data["ini"]))
    tz = await store.timezone(db, initiative.rural_district_id)
    rules.check_extension(day, initiative.deadline_on, initiative.submitted_at, tz)
    await state.update_data(date=day.isoformat())
    await _ask_answer(message, initiative, Status.EXTENDED, state)


@router.callback_query(AdmDate.filter(), StaffForm.date)
async def staff_date_button(
    query: CallbackQuery, callback_data: AdmDate, person: Person, db: Database, state: FSMContext
) -> None:
    """The new date from a button."""
    await query.answer()
    await _chose_date(target(query), callback_data.last_day, person, db, state)


@router.message(StaffForm.date)
async def staff_date_text(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The new date, typed."""
    day = _parse_date(message.text or "")
    if day is None:
        await message.answer(_("Please write the date as DD.MM.YYYY, for example 31.12.2026."))
        return
    await _chose_date(message, day, person, db, state)


@router.message(StaffForm.body)
async def staff_body(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The body a forwarded initiative goes to."""
    body = (message.text or "").strip()
    if not body or len(body) > 200:
        await message.answer(_("Please name the body in a text message of up to 200 characters."))
        return
    data = await state.get_data()
    initiative = await store.for_staff(db, Actor.of(person), int(data["ini"]))
    await state.update_data(body=body)
    await _ask_answer(message, initiative, Status.FORWARDED, state)


@router.callback_query(AdmIni.filter(F.act == AdmAct.NO_ANSWER), StaffForm.answer)
async def staff_no_answer(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """A change that needs no words."""
    await query.answer()
    await _apply(target(query), person, db, clock, i18n, state)


@router.message(StaffForm.answer)
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
    await _apply(message, person, db, clock, i18n, state, answer=message.text.strip())


@router.message(StaffForm.merge)
async def staff_merge_into(
    message: Message, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Merge into the initiative named by its number; the supporters follow."""
    digits = (message.text or "").strip().lstrip("№").strip()
    if not digits.isdigit():
        await message.answer(_("Please send the number of the initiative, for example 12."))
        return
    await _apply(message, person, db, clock, i18n, state, into_number=int(digits))


def supporter_notice(initiative: store.Initiative, lang: str, answer: str | None) -> str:
    """What a supporter is told of an outcome: accepted, rejected with the reason, done."""
    lines = [
        _("🔔 The initiative №{number} «{title}» you supported: {status}.").format(
            number=initiative.number, title=escape(initiative.title), status=status_label(initiative.status)
        )
    ]
    if answer:
        label = _("Reason") if initiative.status in rules.NEEDS_REASON else _("Answer of the akim's office")
        lines.append(f"{label}: {escape(answer)}")
    return "\n".join(lines)


def _supporter_texts(i18n: I18n, answer: str | None) -> Callable[[store.Initiative], dict[str, str]]:
    def render(initiative: store.Initiative) -> dict[str, str]:
        return in_all_languages(i18n, lambda: supporter_notice(initiative, str(i18n.current_locale), answer))

    return render


def _author_texts(
    i18n: I18n, answer: str | None, into_number: int | None
) -> Callable[[store.Initiative], dict[str, str]]:
    """How the author is told of a change, rendered in every language (the sender picks theirs)."""

    def render(initiative: store.Initiative) -> dict[str, str]:
        return in_all_languages(i18n, lambda: status_notice(initiative, str(i18n.current_locale), answer, into_number))

    return render


async def _apply(
    message: Message,
    person: Person,
    db: Database,
    clock: Clock,
    i18n: I18n,
    state: FSMContext,
    *,
    answer: str | None = None,
    into_number: int | None = None,
) -> None:
    """Make the change chosen; storage checks it again (district, current status), audits it and tells the author."""
    data = await state.get_data()
    new = Status(data["to"])
    if new != Status.MERGED:
        await state.clear()  # a stale change ends the flow; a number naming no open initiative may be sent again
    changed = await store.change_status(
        db,
        Actor.of(person),
        initiative_id=int(data["ini"]),
        new=new,
        answer=answer,
        now=clock.now(),
        extend_to=date.fromisoformat(data["date"]) if data.get("date") else None,
        forwarded_to=data.get("body"),
        into_number=into_number,
        author_texts=_author_texts(i18n, answer, into_number),
        supporter_texts=_supporter_texts(i18n, answer),
    )
    await state.clear()
    if changed.into is not None:
        await message.answer(
            _("№{number} is merged into №{into}; supports there now: {count}.").format(
                number=changed.initiative.number, into=changed.into.number, count=changed.into.supports
            )
        )
        await staff_card(message, changed.into, person, db, clock)
        return
    await message.answer(
        _("Saved: №{number} is now «{status}». The author will be told.").format(
            number=changed.initiative.number, status=status_label(changed.initiative.status)
        )
    )
    await staff_card(message, changed.initiative, person, db, clock)


@router.callback_query(AdmPublish.filter())
async def staff_publish(
    query: CallbackQuery, callback_data: AdmPublish, person: Person, db: Database, clock: Clock
) -> None:
    """Publish for support, or keep private."""
    await query.answer()
    result = await store.set_published(
        db, Actor.of(person), initiative_id=callback_data.id, published=callback_data.on, now=clock.now()
    )
    await target(query).answer(
        _("Published: residents of the district can see and support it.")
        if result.published
        else _("Kept private: only the author and the staff see it.")
    )
    await staff_card(target(query), result, person, db, clock)
