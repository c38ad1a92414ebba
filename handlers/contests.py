"""Contests: the resident's screens (browse, vote, change the vote, results) and the staff's
(create with a guided flow, publish, turnout, close early, extend, offline tally, results, CSV)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_datetime, format_day, format_money, format_share
from bot.i18n import N_, in_all_languages
from bot.jobs.contests import close_due, results_text
from bot.keyboards.admin import AdminMenu
from bot.keyboards.common import MenuButton, main_menu
from bot.keyboards.contests import (
    SOURCE_LABELS,
    Act,
    AdmAct,
    AdminContestCb,
    ContestCb,
    FormAct,
    FormCb,
    admin_back_keyboard,
    admin_contest_keyboard,
    admin_list_keyboard,
    after_vote_keyboard,
    cancel_keyboard,
    categories_keyboard,
    category_label,
    confirm_form_keyboard,
    confirm_keyboard,
    confirm_publish_keyboard,
    contact_keyboard,
    contest_keyboard,
    list_keyboard,
    more_projects_keyboard,
    open_contest_buttons,
    opens_keyboard,
    project_keyboard,
    project_village_keyboard,
    skip_keyboard,
    villages_keyboard,
)
from bot.rules import contests as rules
from bot.rules import phones
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.errors import DomainError, NotFound
from handlers.common import consent_given, show_menu, target
from storage import contests, people, places
from storage.contests import Contest, Project
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed)
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)

TITLE_MAX, DESCRIPTION_MAX, PROJECT_DESCRIPTION_MAX, REASON_MAX = 150, 1500, 600, 500


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM contests WHERE rural_district_id = ? AND status != 'closed' GROUP BY status",
        (rural_district_id,),
    )
    counts: dict[str, int] = {status: count for status, count in rows}
    parts = []
    if counts.get("published"):
        parts.append(
            ngettext("{count} contest running", "{count} contests running", counts["published"]).format(
                count=counts["published"]
            )
        )
    if counts.get("draft"):
        parts.append(
            ngettext("{count} draft contest", "{count} draft contests", counts["draft"]).format(count=counts["draft"])
        )
    return ("🗳 " + ", ".join(parts)) if parts else None


async def _tz(db: Database, rural_district_id: int | None) -> str:
    rd = await places.rural_district(db, rural_district_id)
    return rd.timezone if rd else "Asia/Almaty"


def _when(contest: Contest, current: Phase, tz: str, lang: str) -> str:
    closes = format_datetime(contest.closes_at, tz, lang)
    if current is Phase.OPEN:
        line = _("Voting is open until {closes}.").format(closes=closes)
    elif current is Phase.UPCOMING:
        line = _("Voting opens {opens} and closes {closes}.").format(
            opens=format_datetime(contest.opens_at, tz, lang), closes=closes
        )
    elif current is Phase.CLOSED:
        line = _("Voting closed {closes}.").format(closes=closes)
    else:
        line = _("Draft. Voting window: {opens} – {closes}.").format(
            opens=format_datetime(contest.opens_at, tz, lang), closes=closes
        )
    if contest.change_kind == "closed_early" and contest.change_reason:
        line += "\n" + _("Closed early. Reason: {reason}").format(reason=escape(contest.change_reason))
    elif contest.change_kind == "extended" and contest.change_reason:
        line += "\n" + _("Voting was extended. Reason: {reason}").format(reason=escape(contest.change_reason))
    return line


def _money_lines(contest: Contest, lang: str) -> list[str]:
    lines = [_("Money: {total}").format(total=format_money(contest.budget, lang))]
    for source, amount in contest.money.items():
        if amount:
            lines.append(f"  · {_(SOURCE_LABELS[source])}: {format_money(amount, lang)}")
    return lines


# ============================================================================================
# Residents
# ============================================================================================


class VoteFlow(StatesGroup):
    phone = State()  # waiting for the contact; data: contest, project


async def _list(message: Message, person: Person, db: Database, clock: Clock) -> None:
    now = clock.now()
    items = await contests.visible(db, person.rural_district_id or 0, person.village_id, now)
    if not items:
        await message.answer(
            _("There are no project contests in your village now. We will let you know when one is announced."),
            reply_markup=list_keyboard([], "kk"),
        )
        return
    tz = await _tz(db, person.rural_district_id)
    lang = person.language
    lines = [_("🗳 <b>Project contests</b>")]
    for contest in items:
        lines.append(f"\n<b>{escape(contest.title(lang))}</b>\n{_when(contest, contest.phase(now), tz, lang)}")
    await message.answer("\n".join(lines), reply_markup=list_keyboard(items, lang))


@router.message(MenuButton("contests"))
async def show_contests(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The contests of the resident's village: open, upcoming and recently closed."""
    await state.clear()
    await _list(message, person, db, clock)


@router.callback_query(ContestCb.filter(F.act == Act.LIST))
async def back_to_list(query: CallbackQuery, person: Person, db: Database, clock: Clock) -> None:
    """The list again."""
    await query.answer()
    await _list(target(query), person, db, clock)


@router.callback_query(ContestCb.filter(F.act == Act.CONTEST))
async def show_contest(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock
) -> None:
    """One contest: what it is about, the money, the window, and the resident's own vote."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    await query.answer()
    now, lang = clock.now(), person.language
    current = contest.phase(now)
    tz = await _tz(db, contest.rural_district_id)
    projects = await contests.projects(db, contest.id)
    lines = [f"🗳 <b>{escape(contest.title(lang))}</b>"]
    if contest.description(lang):
        lines.append(escape(contest.description(lang)))
    lines += [
        "",
        _when(contest, current, tz, lang),
        *_money_lines(contest, lang),
        ngettext("{count} project", "{count} projects", len(projects)).format(count=len(projects)),
    ]
    mine = await contests.my_vote(db, contest.id, person.id)
    chosen = next((p for p in projects if p.id == mine), None)
    if chosen is not None:
        lines.append("")
        lines.append(_("✅ Your vote: «{project}».").format(project=escape(chosen.title(lang))))
        if current is Phase.OPEN:
            lines.append(_("You can change it until voting closes."))
    elif current is Phase.OPEN:
        lines += ["", _("You have not voted yet. Open the projects and choose one.")]
    await target(query).answer(
        "\n".join(lines), reply_markup=contest_keyboard(contest, current, projects[0].id if projects else None)
    )


def _project_text(project: Project, number: int, count: int, village: str, lang: str, mine: bool) -> str:
    lines = [
        f"<b>{number}/{count}. {escape(project.title(lang))}</b>",
        f"{category_label(project.category)} · {escape(village)}",
        _("Estimated cost: {cost}").format(cost=format_money(project.cost, lang)),
    ]
    if project.description(lang):
        lines += ["", escape(project.description(lang))]
    if mine:
        lines += ["", _("✅ Your vote is for this project.")]
    return "\n".join(lines)


@router.callback_query(ContestCb.filter(F.act == Act.PROJECT))
async def show_project(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock
) -> None:
    """One project per screen: photo, cost in tenge, village; vote, previous and next."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    projects = await contests.projects(db, contest.id)
    index = next((i for i, p in enumerate(projects) if p.id == callback_data.project), None)
    if index is None:
        raise NotFound(N_("This project is not available."))
    await query.answer()
    project, lang = projects[index], person.language
    village = await places.village(db, project.village_id)
    mine = await contests.my_vote(db, contest.id, person.id) == project.id
    text = _project_text(
        project, index + 1, len(projects), village.name(lang) if village else _("the whole rural district"), lang, mine
    )
    can_vote = (
        contest.phase(clock.now()) is Phase.OPEN
        and rules.may_vote(Phase.OPEN, set(await contests.covered(db, contest.id)), person.village_id) is None
    )
    markup = project_keyboard(
        contest.id,
        project.id,
        projects[index - 1].id if index > 0 else None,
        projects[index + 1].id if index + 1 < len(projects) else None,
        can_vote,
        mine,
    )
    if project.photo_file_id:
        await target(query).answer_photo(project.photo_file_id, caption=text, reply_markup=markup)
    else:
        await target(query).answer(text, reply_markup=markup)


def _refusal_text(refusal: rules.Refusal) -> str:
    return _(contests.REFUSALS[refusal])


@router.callback_query(ContestCb.filter(F.act == Act.ASK))
async def ask_vote(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """The confirmation before a vote: one more tap, so a vote is never cast by a slip of the finger."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    project = await contests.project(db, contest.id, callback_data.project)
    refusal = rules.may_vote(contest.phase(clock.now()), set(await contests.covered(db, contest.id)), person.village_id)
    if refusal is not None:
        await query.answer()
        await target(query).answer(_refusal_text(refusal), reply_markup=after_vote_keyboard(contest.id))
        return
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    await query.answer()
    lang = person.language
    mine = await contests.my_vote(db, contest.id, person.id)
    text = _("Vote for «{project}»?").format(project=escape(project.title(lang)))
    if mine is not None:
        text += "\n" + _("This replaces your earlier vote in this contest.")
    text += "\n" + _("You can change your vote until voting closes.")
    await target(query).answer(text, reply_markup=confirm_keyboard(contest.id, project.id))


async def _cast(
    message: Message,
    person: Person,
    db: Database,
    clock: Clock,
    contest_id: int,
    project_id: int,
    phone: str,
    *,
    restore_menu: bool = False,
) -> None:
    outcome, project = await contests.cast_vote(
        db,
        contest_id=contest_id,
        project_id=project_id,
        person_id=person.id,
        rural_district_id=person.rural_district_id or 0,
        village_id=person.village_id,
        phone=phone,
        now=clock.now(),
    )
    title = escape(project.title(person.language))
    if outcome == "new":
        text = _("✅ Your vote for «{project}» is counted. You can change it until voting closes.")
    elif outcome == "changed":
        text = _("✅ Your vote is changed: now «{project}». You can change it until voting closes.")
    else:
        text = _("Your vote for «{project}» is already counted.")
    markup = main_menu(person) if restore_menu else after_vote_keyboard(contest_id)
    await message.answer(text.format(project=title), reply_markup=markup)


@router.callback_query(ContestCb.filter(F.act == Act.VOTE))
async def vote(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """The vote: needs consent and the person's own Kazakhstan mobile number; the query re-checks the rest."""
    resume = ContestCb(act=Act.ASK, contest=callback_data.contest, project=callback_data.project).pack()
    if not await consent_given(query, person, db, state, resume=resume):
        return
    if not phones.is_mobile(person.phone):
        # the contest and project are checked before asking for the number, and again when voting
        contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
        await contests.project(db, contest.id, callback_data.project)
        await query.answer()
        await state.set_state(VoteFlow.phone)
        await state.update_data(contest=callback_data.contest, project=callback_data.project)
        await target(query).answer(
            _(
                "To vote, please share your phone number with the button below. One phone number votes "
                "once per contest. The number is kept with your consent and never shown to anyone."
            ),
            reply_markup=contact_keyboard(),
        )
        return
    await query.answer()
    assert person.phone is not None
    await _cast(target(query), person, db, clock, callback_data.contest, callback_data.project, person.phone)


@router.message(VoteFlow.phone, F.contact)
async def got_contact(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The shared contact: only the person's own, and only a Kazakhstan mobile number."""
    contact = message.contact
    assert contact is not None and message.from_user is not None
    if contact.user_id != message.from_user.id:
        await message.answer(
            _("This is someone else's contact. Please press the button below to share your own number."),
            reply_markup=contact_keyboard(),
        )
        return
    phone = phones.mobile(contact.phone_number)
    if phone is None:
        await state.clear()
        await show_menu(
            message, person, _("Voting needs a Kazakhstan mobile number (+7 7XX …). This number cannot be used.")
        )
        return
    data = await state.get_data()
    await state.clear()
    await people.set_phone(db, person.id, phone)
    await _cast(message, person, db, clock, int(data["contest"]), int(data["project"]), phone, restore_menu=True)


@router.message(VoteFlow.phone)
async def not_a_contact(message: Message, person: Person, i18n: I18n, state: FSMContext) -> None:
    """Typed text instead of the contact button (the number must come from Telegram, not be typed)."""
    if message.text in {i18n.gettext("✖️ Cancel", locale=lang) for lang in ("kk", "ru")}:
        await state.clear()
        await show_menu(message, person, _("Cancelled. Your vote was not cast."))
        return
    await message.answer(
        _("Please press the «📱 Share my phone number» button below; a typed number cannot be checked."),
        reply_markup=contact_keyboard(),
    )


@router.callback_query(ContestCb.filter(F.act == Act.RESULTS))
async def show_results(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock
) -> None:
    """The ranked results of a closed contest."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    if contest.phase(clock.now()) is not Phase.CLOSED:
        raise DomainError(N_("The results will be shown when voting closes."))
    await query.answer()
    projects = await contests.projects(db, contest.id)
    results = await contests.results(db, contest)
    await target(query).answer(
        results_text(contest, projects, results, person.language), reply_markup=after_vote_keyboard(contest.id)
    )


# ============================================================================================
# Staff
# ============================================================================================


class NewContest(StatesGroup):
    title_kk = State()
    title_ru = State()
    description_kk = State()
    description_ru = State()
    villages = State()
    money = State()
    opens = State()
    closes = State()


class NewProject(StatesGroup):
    title_kk = State()
    title_ru = State()
    description_kk = State()
    description_ru = State()
    category = State()
    village = State()
    cost = State()
    photo = State()


class Change(StatesGroup):
    closes = State()
    reason = State()
    confirm = State()


class Offline(StatesGroup):
    votes = State()
    photo = State()


_MARKS = {Phase.DRAFT: "📝", Phase.UPCOMING: "⏳", Phase.OPEN: "🟢", Phase.CLOSED: "🏁"}


async def _admin_list(message: Message, person: Person, db: Database, clock: Clock) -> None:
    rd = person.rural_district_id or 0
    items = await contests.of_district(db, rd)
    now = clock.now()
    text = _("<b>Project contests</b>\n📝 draft · ⏳ not open yet · 🟢 voting · 🏁 closed")
    if not items:
        text += "\n\n" + _("No contests yet.")
    await message.answer(
        text, reply_markup=admin_list_keyboard(items, person.language, {c.id: _MARKS[c.phase(now)] for c in items})
    )


@admin_router.callback_query(AdminMenu.filter(F.section == "contests"))
@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.LIST))
async def admin_contests(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The staff's list of the rural district's contests."""
    await state.clear()
    await query.answer()
    await _admin_list(target(query), person, db, clock)


async def _admin_card(message: Message, person: Person, db: Database, clock: Clock, contest_id: int) -> None:
    contest = await contests.get(db, contest_id, person.rural_district_id or 0)
    lang, now = person.language, clock.now()
    current = contest.phase(now)
    tz = await _tz(db, contest.rural_district_id)
    covered = set(await contests.covered(db, contest.id))
    villages = [v for v in await places.villages(db, contest.rural_district_id) if v.id in covered]
    projects = await contests.projects(db, contest.id)
    lines = [f"{_MARKS[current]} <b>{escape(contest.title(lang))}</b>"]
    if contest.title_kk and contest.title_ru:
        lines.append(escape(contest.title("ru" if lang == "kk" else "kk")))
    lines += [
        _when(contest, current, tz, lang),
        _("Villages: {villages}").format(villages=escape(", ".join(v.name(lang) for v in villages)) or "—"),
        *_money_lines(contest, lang),
        "",
        ngettext("{count} project:", "{count} projects:", len(projects)).format(count=len(projects)),
    ]
    for number, project in enumerate(projects, start=1):
        lines.append(
            f"{number}. {escape(project.title(lang))} · {format_money(project.cost, lang)}"
            + (" 📷" if project.photo_file_id else "")
        )
    if current is Phase.DRAFT and len(projects) < 2:
        lines += ["", _("Add at least two projects, then publish.")]
    await message.answer("\n".join(lines), reply_markup=admin_contest_keyboard(contest, current))


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.VIEW))
async def admin_contest(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """One contest, as the staff see it."""
    await state.clear()
    await _admin_card(target(query), person, db, clock, callback_data.id)
    await query.answer()


# --- creating a contest ----------------------------------------------------------------------


def _text_value(message: Message, limit: int) -> str | None:
    text = (message.text or "").strip()
    return text if text and len(text) <= limit else None


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.NEW))
async def new_contest(query: CallbackQuery, state: FSMContext) -> None:
    """Start the guided creation: the title in Kazakh first."""
    await query.answer()
    await state.clear()
    await state.set_state(NewContest.title_kk)
    await target(query).answer(
        _(
            "<b>New contest</b>, step 1 of 8.\nSend the title <b>in Kazakh</b>. If you skip it, "
            "the Russian title is shown to everyone."
        ),
        reply_markup=skip_keyboard(),
    )


async def _ask_title_ru(message: Message, state: FSMContext) -> None:
    await state.set_state(NewContest.title_ru)
    await message.answer(
        _("Step 2 of 8. Send the title <b>in Russian</b>. If you skip it, the Kazakh title is shown to everyone."),
        reply_markup=skip_keyboard(),
    )


async def _ask_description_kk(message: Message, state: FSMContext) -> None:
    await state.set_state(NewContest.description_kk)
    await message.answer(
        _("Step 3 of 8. Send a short description <b>in Kazakh</b>, or skip."), reply_markup=skip_keyboard()
    )


async def _ask_description_ru(message: Message, state: FSMContext) -> None:
    await state.set_state(NewContest.description_ru)
    await message.answer(
        _("Step 4 of 8. Send a short description <b>in Russian</b>, or skip."), reply_markup=skip_keyboard()
    )


async def _ask_villages(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    await state.set_state(NewContest.villages)
    data = await state.get_data()
    villages = await places.villages(db, person.rural_district_id or 0)
    await message.answer(
        _("Step 5 of 8. Which villages does the contest cover? Their residents vote."),
        reply_markup=villages_keyboard(villages, set(data.get("villages", [])), person.language),
    )


async def _ask_money(message: Message, state: FSMContext) -> None:
    data = await state.get_data()
    money: dict[str, int] = data.get("money", {})
    source = next(s for s in rules.SOURCES if s not in money)
    await state.set_state(NewContest.money)
    await message.answer(
        _(
            "Step 6 of 8. Money from the source «{source}», in whole tenge (for example 1 500 000). "
            "Send 0 if there is none."
        ).format(source=_(SOURCE_LABELS[source])),
        reply_markup=cancel_keyboard(),
    )


async def _ask_opens(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    await state.set_state(NewContest.opens)
    rd = await places.rural_district(db, person.rural_district_id)
    await message.answer(
        _(
            "Step 7 of 8. When does voting open? Send the date and time like 01.12.2026 09:00 "
            "(local time of {rural_district}), or press «Right away»."
        ).format(rural_district=escape(rd.name(person.language) if rd else "")),
        reply_markup=opens_keyboard(),
    )


@admin_router.message(NewContest.title_kk)
@admin_router.message(NewContest.title_ru)
async def contest_title(message: Message, state: FSMContext) -> None:
    """The title in one language."""
    value = _text_value(message, TITLE_MAX)
    if value is None:
        await message.answer(
            _("Please send the title as text, at most {limit} characters.").format(limit=TITLE_MAX),
            reply_markup=skip_keyboard(),
        )
        return
    if await state.get_state() == NewContest.title_kk.state:
        await state.update_data(title_kk=value)
        await _ask_title_ru(message, state)
    else:
        await state.update_data(title_ru=value)
        await _ask_description_kk(message, state)


@admin_router.message(NewContest.description_kk)
@admin_router.message(NewContest.description_ru)
async def contest_description(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The description in one language."""
    value = _text_value(message, DESCRIPTION_MAX)
    if value is None:
        await message.answer(
            _("Please send the description as text, at most {limit} characters.").format(limit=DESCRIPTION_MAX),
            reply_markup=skip_keyboard(),
        )
        return
    if await state.get_state() == NewContest.description_kk.state:
        await state.update_data(description_kk=value)
        await _ask_description_ru(message, state)
    else:
        await state.update_data(description_ru=value)
        await _ask_villages(message, person, db, state)


@admin_router.callback_query(NewContest.title_kk, FormCb.filter(F.act == FormAct.SKIP))
@admin_router.callback_query(NewContest.title_ru, FormCb.filter(F.act == FormAct.SKIP))
@admin_router.callback_query(NewContest.description_kk, FormCb.filter(F.act == FormAct.SKIP))
@admin_router.callback_query(NewContest.description_ru, FormCb.filter(F.act == FormAct.SKIP))
async def contest_skip(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """Leave this language empty: the other one is shown to everyone."""
    await query.answer()
    current, message = await state.get_state(), target(query)
    data = await state.get_data()
    if current == NewContest.title_kk.state:
        await state.update_data(title_kk="")
        await _ask_title_ru(message, state)
    elif current == NewContest.title_ru.state:
        if not data.get("title_kk"):
            await message.answer(
                _("A contest needs a title in at least one language. Please send it."), reply_markup=cancel_keyboard()
            )
            return
        await state.update_data(title_ru="")
        await _ask_description_kk(message, state)
    elif current == NewContest.description_kk.state:
        await state.update_data(description_kk="")
        await _ask_description_ru(message, state)
    else:
        await state.update_data(description_ru="")
        await _ask_villages(message, person, db, state)


@admin_router.callback_query(NewContest.villages, FormCb.filter())
async def contest_villages(
    query: CallbackQuery, callback_data: FormCb, person: Person, db: Database, state: FSMContext
) -> None:
    """Toggle villages; «All villages»; «Done»."""
    villages = await places.villages(db, person.rural_district_id or 0)
    own = {v.id for v in villages}
    selected = set((await state.get_data()).get("villages", []))
    if callback_data.act is FormAct.VILLAGE:
        village_id = int(callback_data.value) if callback_data.value.isdigit() else 0
        if village_id not in own:
            raise NotFound(N_("This village is not in your rural district."))
        selected ^= {village_id}
    elif callback_data.act is FormAct.ALL:
        selected = set(own)
    elif callback_data.act is FormAct.DONE:
        if not selected:
            await query.answer(_("Please choose at least one village."), show_alert=True)
            return
        await query.answer()
        await _ask_money(target(query), state)
        return
    await state.update_data(villages=sorted(selected))
    await query.answer()
    await target(query).edit_reply_markup(reply_markup=villages_keyboard(villages, selected, person.language))


@admin_router.message(NewContest.money)
async def contest_money(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The money of one source, then the next."""
    amount = rules.parse_money(message.text)
    if amount is None:
        await message.answer(
            _("Please send a whole number of tenge, for example 1 500 000, or 0."), reply_markup=cancel_keyboard()
        )
        return
    data = await state.get_data()
    money: dict[str, int] = data.get("money", {})
    source = next(s for s in rules.SOURCES if s not in money)
    money[source] = amount
    if len(money) < len(rules.SOURCES):
        await state.update_data(money=money)
        await _ask_money(message, state)
        return
    if sum(money.values()) == 0:
        await state.update_data(money={})
        await message.answer(_("The contest needs money from at least one source. Let us enter the amounts again."))
        await _ask_money(message, state)
        return
    await state.update_data(money=money)
    await _ask_opens(message, person, db, state)


async def _ask_closes(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    await state.set_state(NewContest.closes)
    await message.answer(
        _("Step 8 of 8. When does voting close? Send the date and time like 15.12.2026 20:00."),
        reply_markup=cancel_keyboard(),
    )


@admin_router.callback_query(NewContest.opens, FormCb.filter(F.act == FormAct.NOW))
async def contest_opens_now(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Voting opens as soon as the contest is published."""
    await query.answer()
    await state.update_data(opens_at=None)
    await _ask_closes(target(query), person, db, state)


@admin_router.message(NewContest.opens)
async def contest_opens(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The opening time, in the rural district's zone."""
    opens_at = rules.parse_local(message.text, await _tz(db, person.rural_district_id))
    if opens_at is None:
        await message.answer(_("Please send the date and time like 01.12.2026 09:00."), reply_markup=opens_keyboard())
        return
    await state.update_data(opens_at=opens_at.isoformat())
    await _ask_closes(message, person, db, state)


@admin_router.message(NewContest.closes)
async def contest_closes(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The closing time; then the draft is saved and the first project is asked for."""
    tz = await _tz(db, person.rural_district_id)
    closes_at = rules.parse_local(message.text, tz)
    if closes_at is None:
        await message.answer(_("Please send the date and time like 15.12.2026 20:00."), reply_markup=cancel_keyboard())
        return
    data = await state.get_data()
    now = clock.now()
    opens_at = datetime.fromisoformat(data["opens_at"]) if data.get("opens_at") else now
    problem = rules.window_problem(opens_at, closes_at, now)
    if problem is not None:
        text = (
            _("Voting must close after it opens ({opens}). Please send another time.")
            if problem == "closes_before_opens"
            else _("This time has already passed. Please send a time in the future.")
        )
        await message.answer(
            text.format(opens=format_datetime(opens_at, tz, person.language)), reply_markup=cancel_keyboard()
        )
        return
    contest_id = await contests.create(
        db,
        rural_district_id=person.rural_district_id or 0,
        titles=(data.get("title_kk", ""), data.get("title_ru", "")),
        descriptions=(data.get("description_kk", ""), data.get("description_ru", "")),
        village_ids=data["villages"],
        money=data["money"],
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=person.id,
        actor_telegram_id=person.telegram_id,
    )
    await state.clear()
    await message.answer(_("The draft contest is saved. Now the projects residents choose from."))
    await _start_project(message, state, contest_id)


# --- projects of a draft --------------------------------------------------------------------


async def _start_project(message: Message, state: FSMContext, contest_id: int) -> None:
    await state.set_state(NewProject.title_kk)
    await state.set_data({"contest": contest_id})
    await message.answer(
        _("<b>Project</b>, step 1 of 8. Send its title <b>in Kazakh</b>, or skip."), reply_markup=skip_keyboard()
    )


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.ADD_PROJECT))
async def add_project(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Another project for a draft contest."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.status != "draft":
        raise DomainError(N_("Projects can only be added while the contest is a draft."))
    await query.answer()
    await _start_project(target(query), state, contest.id)


@admin_router.callback_query(NewProject.title_kk, FormCb.filter(F.act == FormAct.MORE))
async def more_projects(query: CallbackQuery, state: FSMContext) -> None:
    """«Another project» after one was added."""
    await query.answer()
    await _start_project(target(query), state, int((await state.get_data())["contest"]))


_PROJECT_STEPS = {
    NewProject.title_kk.state: (
        "title_kk",
        NewProject.title_ru,
        N_("Step 2 of 8. Send the project's title <b>in Russian</b>, or skip."),
    ),
    NewProject.title_ru.state: (
        "title_ru",
        NewProject.description_kk,
        N_("Step 3 of 8. Send a short description <b>in Kazakh</b>, or skip."),
    ),
    NewProject.description_kk.state: (
        "description_kk",
        NewProject.description_ru,
        N_("Step 4 of 8. Send a short description <b>in Russian</b>, or skip."),
    ),
    NewProject.description_ru.state: ("description_ru", NewProject.category, N_("Step 5 of 8. Choose the category.")),
}


async def _project_step(message: Message, state: FSMContext, value: str) -> None:
    current = await state.get_state()
    key, following, prompt = _PROJECT_STEPS[str(current)]
    data = await state.get_data()
    if key == "title_ru" and not value and not data.get("title_kk"):
        await message.answer(
            _("A project needs a title in at least one language. Please send it."), reply_markup=cancel_keyboard()
        )
        return
    await state.update_data({key: value})
    await state.set_state(following)
    markup = categories_keyboard() if following == NewProject.category else skip_keyboard()
    await message.answer(_(prompt), reply_markup=markup)


@admin_router.message(NewProject.title_kk)
@admin_router.message(NewProject.title_ru)
@admin_router.message(NewProject.description_kk)
@admin_router.message(NewProject.description_ru)
async def project_text(message: Message, state: FSMContext) -> None:
    """A title or description of the project in one language."""
    is_title = await state.get_state() in (NewProject.title_kk.state, NewProject.title_ru.state)
    limit = TITLE_MAX if is_title else PROJECT_DESCRIPTION_MAX
    value = _text_value(message, limit)
    if value is None:
        await message.answer(
            _("Please send text, at most {limit} characters.").format(limit=limit), reply_markup=skip_keyboard()
        )
        return
    await _project_step(message, state, value)


@admin_router.callback_query(NewProject.title_kk, FormCb.filter(F.act == FormAct.SKIP))
@admin_router.callback_query(NewProject.title_ru, FormCb.filter(F.act == FormAct.SKIP))
@admin_router.callback_query(NewProject.description_kk, FormCb.filter(F.act == FormAct.SKIP))
@admin_router.callback_query(NewProject.description_ru, FormCb.filter(F.act == FormAct.SKIP))
async def project_skip(query: CallbackQuery, state: FSMContext) -> None:
    """Leave this language empty."""
    await query.answer()
    await _project_step(target(query), state, "")


@admin_router.callback_query(NewProject.category, FormCb.filter(F.act == FormAct.CATEGORY))
async def project_category(
    query: CallbackQuery, callback_data: FormCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The category; then the village."""
    if callback_data.value not in rules.CATEGORIES:
        raise NotFound(N_("This choice is no longer available."))
    await query.answer()
    await state.update_data(category=callback_data.value)
    await state.set_state(NewProject.village)
    data = await state.get_data()
    covered = set(await contests.covered(db, int(data["contest"])))
    villages = [v for v in await places.villages(db, person.rural_district_id or 0) if v.id in covered]
    await target(query).answer(
        _("Step 6 of 8. Where is the project?"), reply_markup=project_village_keyboard(villages, person.language)
    )


@admin_router.callback_query(NewProject.village, FormCb.filter(F.act == FormAct.PLACE))
async def project_village(
    query: CallbackQuery, callback_data: FormCb, person: Person, db: Database, state: FSMContext
) -> None:
    """The village (or the whole rural district); then the cost."""
    village_id = int(callback_data.value) if callback_data.value.isdigit() else -1
    if village_id and await places.village_in(db, person.rural_district_id or 0, village_id) is None:
        raise NotFound(N_("This village is not in your rural district."))
    await query.answer()
    await state.update_data(village=village_id or None)
    await state.set_state(NewProject.cost)
    await target(query).answer(
        _("Step 7 of 8. The estimated cost in whole tenge, for example 2 400 000."), reply_markup=cancel_keyboard()
    )


@admin_router.message(NewProject.cost)
async def project_cost(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The cost: more than zero, and not more than all the contest's money."""
    cost = rules.parse_money(message.text)
    data = await state.get_data()
    contest = await contests.get(db, int(data["contest"]), person.rural_district_id or 0)
    if not cost:
        await message.answer(
            _("Please send the cost as a whole number of tenge greater than zero."), reply_markup=cancel_keyboard()
        )
        return
    if cost > contest.budget:
        await message.answer(
            _(
                "The cost is more than all the money of the contest ({budget}): such a project "
                "could never be funded. Please check the amount."
            ).format(budget=format_money(contest.budget, person.language)),
            reply_markup=cancel_keyboard(),
        )
        return
    await state.update_data(cost=cost)
    await state.set_state(NewProject.photo)
    await message.answer(
        _("Step 8 of 8. Send a photo of the place or a sketch of the project, or skip."), reply_markup=skip_keyboard()
    )


async def _save_project(message: Message, person: Person, db: Database, state: FSMContext, photo: str | None) -> None:
    data = await state.get_data()
    contest_id = int(data["contest"])
    await contests.add_project(
        db,
        contest_id=contest_id,
        rural_district_id=person.rural_district_id or 0,
        titles=(data.get("title_kk", ""), data.get("title_ru", "")),
        descriptions=(data.get("description_kk", ""), data.get("description_ru", "")),
        category=data["category"],
        village_id=data.get("village"),
        cost=int(data["cost"]),
        photo_file_id=photo,
        actor_telegram_id=person.telegram_id,
    )
    await state.set_state(NewProject.title_kk)
    await state.set_data({"contest": contest_id})
    count = len(await contests.projects(db, contest_id))
    await message.answer(
        ngettext(
            "The project is added. The contest has {count} project.",
            "The project is added. The contest has {count} projects.",
            count,
        ).format(count=count),
        reply_markup=more_projects_keyboard(contest_id),
    )


@admin_router.message(NewProject.photo, F.photo)
async def project_photo(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The photo (the largest size Telegram made)."""
    assert message.photo
    await _save_project(message, person, db, state, message.photo[-1].file_id)


@admin_router.callback_query(NewProject.photo, FormCb.filter(F.act == FormAct.SKIP))
async def project_no_photo(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """No photo."""
    await query.answer()
    await _save_project(target(query), person, db, state, None)


@admin_router.message(NewProject.photo)
async def project_not_photo(message: Message) -> None:
    """Something other than a photo."""
    await message.answer(_("Please send a photo, or press «Skip»."), reply_markup=skip_keyboard())


# --- publishing ------------------------------------------------------------------------------


def _notice_text(contest: Contest, tz: str, lang: str) -> str:
    lines = [_("🗳 <b>New project contest: {title}</b>").format(title=escape(contest.title(lang)))]
    if contest.description(lang):
        lines.append(escape(contest.description(lang)))
    lines += [
        "",
        _("Voting: {opens} – {closes}.").format(
            opens=format_datetime(contest.opens_at, tz, lang), closes=format_datetime(contest.closes_at, tz, lang)
        ),
        _("Money: {total}").format(total=format_money(contest.budget, lang)),
        _("Choose the project you want for your village: one resident, one vote."),
    ]
    return "\n".join(lines)


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.PUBLISH))
async def ask_publish(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """Publishing tells many people: ask once more."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await query.answer()
    await target(query).answer(
        _(
            "Publish «{title}»? The residents of the villages it covers will be told. "
            "After publishing, projects cannot be changed."
        ).format(title=escape(contest.title(person.language))),
        reply_markup=confirm_publish_keyboard(contest.id),
    )


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.PUBLISH_OK))
async def publish(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, i18n: I18n
) -> None:
    """Publish the draft; the announcement goes through the outbox to the residents it covers."""
    rd = person.rural_district_id or 0
    contest = await contests.get(db, callback_data.id, rd)
    now = clock.now()
    if contest.opens_at < now:
        # «Right away» (or an opening already past) means: voting opens when the contest is published
        contest = replace(contest, opens_at=now)
    tz = await _tz(db, rd)
    count = await contests.publish(
        db,
        contest_id=contest.id,
        rural_district_id=rd,
        now=now,
        actor_telegram_id=person.telegram_id,
        texts=in_all_languages(i18n, lambda: _notice_text(contest, tz, str(i18n.current_locale))),
        buttons=in_all_languages(i18n, lambda: open_contest_buttons(contest.id)),
    )
    await query.answer()
    await target(query).answer(
        ngettext(
            "Published. {count} resident will be told.", "Published. {count} residents will be told.", count
        ).format(count=count)
    )
    await _admin_card(target(query), person, db, clock, contest.id)


# --- turnout, results, CSV -------------------------------------------------------------------


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.TURNOUT))
async def turnout(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """Votes in all, per village and per day, as a share of the residents registered in the bot."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.status == "draft":
        raise DomainError(N_("The contest is not published yet."))
    await query.answer()
    lang = person.language
    tz = await _tz(db, contest.rural_district_id)
    figures = await contests.turnout(db, contest, tz)
    names = {v.id: v.name(lang) for v in await places.villages(db, contest.rural_district_id)}
    lines = [
        _("📊 <b>Turnout: {title}</b>").format(title=escape(contest.title(lang))),
        _("Voted {votes} of {registered} residents registered in the bot ({share}).").format(
            votes=figures.votes,
            registered=figures.registered,
            share=format_share(rules.share(figures.votes, figures.registered), lang),
        ),
        "",
        _("<b>By village</b>"),
    ]
    for village_id, votes, registered in figures.by_village:
        lines.append(
            f"· {escape(names.get(village_id, '—'))}: {votes} / {registered} "
            f"({format_share(rules.share(votes, registered), lang)})"
        )
    lines += ["", _("<b>By day</b>")]
    if not figures.by_day:
        lines.append(_("No votes yet."))
    for day, votes in figures.by_day:
        lines.append(
            f"· {format_day(datetime.fromisoformat(day).date(), lang)}: {votes} "
            f"({format_share(rules.share(votes, figures.registered), lang)})"
        )
    await target(query).answer("\n".join(lines), reply_markup=admin_back_keyboard(contest.id))


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.RESULTS))
async def admin_results(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """The results, as residents see them."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await query.answer()
    projects = await contests.projects(db, contest.id)
    results = await contests.results(db, contest)
    await target(query).answer(
        results_text(contest, projects, results, person.language), reply_markup=admin_back_keyboard(contest.id)
    )


def results_csv(
    contest: Contest, projects: list[Project], results: rules.Results, villages: dict[int, Any], lang: str
) -> bytes:
    """The results as CSV for a spreadsheet: UTF-8 with a BOM (Excel reads Cyrillic then). No voter data."""
    by_id = {p.id: p for p in projects}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Rank"),
            _("Project (kk)"),
            _("Project (ru)"),
            _("Category"),
            _("Village"),
            _("Cost, ₸"),
            _("Online votes"),
            _("Offline votes"),
            _("Total votes"),
            _("Share, %"),
            _("Funded"),
        ]
    )
    for ranked in results.ranked:
        project = by_id[ranked.project_id]
        village = villages.get(project.village_id) if project.village_id is not None else None
        writer.writerow(
            [
                ranked.rank,
                project.title_kk,
                project.title_ru,
                category_label(project.category).split(" ", 1)[-1],
                village.name(lang) if village else _("the whole rural district"),
                ranked.cost,
                ranked.online,
                ranked.offline,
                ranked.total,
                f"{ranked.share * 100:.1f}",
                _("yes") if ranked.funded else _("no"),
            ]
        )
    writer.writerow([])
    writer.writerow([_("Money of the contest"), results.budget])
    writer.writerow([_("Funded"), results.spent])
    writer.writerow([_("Left"), results.left])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.EXPORT))
async def export_csv(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, bot: Bot
) -> None:
    """The results (or the tally so far) as a CSV file."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await query.answer()
    projects = await contests.projects(db, contest.id)
    results = await contests.results(db, contest)
    villages = {v.id: v for v in await places.villages(db, contest.rural_district_id)}
    data = results_csv(contest, projects, results, villages, person.language)
    caption = (
        _("Results of «{title}».")
        if contest.phase(clock.now()) is Phase.CLOSED
        else _("The tally so far of «{title}»: voting is not closed yet.")
    ).format(title=escape(contest.title(person.language)))
    await target(query).answer_document(BufferedInputFile(data, filename=f"contest-{contest.id}.csv"), caption=caption)


# --- closing early and extending -------------------------------------------------------------


@admin_router.callback_query(AdminContestCb.filter(F.act.in_({AdmAct.CLOSE, AdmAct.EXTEND})))
async def start_change(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Close early or extend: a new deadline (to extend), then the reason residents will see."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    current = contest.phase(clock.now())
    if callback_data.act is AdmAct.CLOSE and current is not Phase.OPEN:
        raise DomainError(N_("Only a contest whose voting is open can be closed early."))
    if callback_data.act is AdmAct.EXTEND and current not in (Phase.OPEN, Phase.UPCOMING):
        raise DomainError(N_("Only a contest that has not closed yet can be extended."))
    await query.answer()
    await state.set_data({"contest": contest.id, "kind": str(callback_data.act)})
    if callback_data.act is AdmAct.EXTEND:
        await state.set_state(Change.closes)
        tz = await _tz(db, contest.rural_district_id)
        await target(query).answer(
            _("Voting now closes {closes}. Send the new closing date and time like 20.12.2026 20:00.").format(
                closes=format_datetime(contest.closes_at, tz, person.language)
            ),
            reply_markup=cancel_keyboard(),
        )
        return
    await state.set_state(Change.reason)
    await target(query).answer(
        _("Why is voting closed early? Residents will see this reason."), reply_markup=cancel_keyboard()
    )


@admin_router.message(Change.closes)
async def change_closes(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The new deadline of an extension."""
    closes_at = rules.parse_local(message.text, await _tz(db, person.rural_district_id))
    if closes_at is None or closes_at <= clock.now():
        await message.answer(
            _("Please send a future date and time like 20.12.2026 20:00."), reply_markup=cancel_keyboard()
        )
        return
    await state.update_data(closes_at=closes_at.isoformat())
    await state.set_state(Change.reason)
    await message.answer(_("Why is voting extended? Residents will see this reason."), reply_markup=cancel_keyboard())


@admin_router.message(Change.reason)
async def change_reason(message: Message, state: FSMContext) -> None:
    """The reason; then one confirmation."""
    reason = _text_value(message, REASON_MAX)
    if reason is None:
        await message.answer(
            _("Please send the reason as text, at most {limit} characters.").format(limit=REASON_MAX),
            reply_markup=cancel_keyboard(),
        )
        return
    await state.update_data(reason=reason)
    await state.set_state(Change.confirm)
    data = await state.get_data()
    label = _("⏹ Close voting now") if data["kind"] == AdmAct.CLOSE else _("⏩ Extend voting")
    await message.answer(
        _("Reason: {reason}\nConfirm?").format(reason=escape(reason)), reply_markup=confirm_form_keyboard(label)
    )


@admin_router.callback_query(Change.confirm, FormCb.filter(F.act == FormAct.CONFIRM))
async def change_confirm(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Apply the change; closing early sends the results to the voters at once."""
    data = await state.get_data()
    await state.clear()
    rd, now = person.rural_district_id or 0, clock.now()
    contest_id = int(data["contest"])
    await query.answer()
    if data["kind"] == AdmAct.CLOSE:
        await contests.close_early(
            db,
            contest_id=contest_id,
            rural_district_id=rd,
            reason=data["reason"],
            now=now,
            actor_telegram_id=person.telegram_id,
        )
        await close_due(db, clock, i18n)
        await target(query).answer(_("Voting is closed. The results are sent to everyone who voted."))
    else:
        closes_at = datetime.fromisoformat(data["closes_at"])
        contest = await contests.get(db, contest_id, rd)
        tz = await _tz(db, rd)

        def render() -> str:
            lang = str(i18n.current_locale)
            return _("🗳 Voting in «{title}» is extended until {closes}.\nReason: {reason}").format(
                title=escape(contest.title(lang)),
                closes=format_datetime(closes_at, tz, lang),
                reason=escape(data["reason"]),
            )

        await contests.extend(
            db,
            contest_id=contest_id,
            rural_district_id=rd,
            closes_at=closes_at,
            reason=data["reason"],
            now=now,
            actor_telegram_id=person.telegram_id,
            texts=in_all_languages(i18n, render),
            buttons=in_all_languages(i18n, lambda: open_contest_buttons(contest_id)),
        )
        await target(query).answer(_("Voting is extended. The residents are told."))
    await _admin_card(target(query), person, db, clock, contest_id)


# --- offline tally ---------------------------------------------------------------------------


async def _ask_offline(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    data = await state.get_data()
    projects = await contests.projects(db, int(data["contest"]))
    index = len(data.get("tally", {}))
    project = projects[index]
    await message.answer(
        _(
            "Offline votes, project {number} of {count}: «{title}». Send the number of votes from the signed "
            "protocol (0 if none)."
        ).format(number=index + 1, count=len(projects), title=escape(project.title(person.language))),
        reply_markup=cancel_keyboard(),
    )


@admin_router.callback_query(AdminContestCb.filter(F.act == AdmAct.OFFLINE))
async def start_offline(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Votes cast on paper or by show of hands: a number per project, then the protocol's photo."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.status != "published" or contest.phase(clock.now()) is Phase.CLOSED:
        raise DomainError(N_("Offline votes can be entered only before the contest closes."))
    await query.answer()
    await state.set_state(Offline.votes)
    await state.set_data({"contest": contest.id, "tally": {}})
    await _ask_offline(target(query), person, db, state)


@admin_router.message(Offline.votes)
async def offline_votes(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The number of one project; then the next, then the photo."""
    text = (message.text or "").strip()
    if not text.isdigit() or len(text) > 7:
        await message.answer(
            _("Please send a whole number of votes, for example 25, or 0."), reply_markup=cancel_keyboard()
        )
        return
    data = await state.get_data()
    projects = await contests.projects(db, int(data["contest"]))
    tally: dict[str, int] = data.get("tally", {})
    tally[str(projects[len(tally)].id)] = int(text)
    await state.update_data(tally=tally)
    if len(tally) < len(projects):
        await _ask_offline(message, person, db, state)
        return
    await state.set_state(Offline.photo)
    await message.answer(
        _("Now send a photo of the signed protocol. The votes are added only with it."), reply_markup=cancel_keyboard()
    )


@admin_router.message(Offline.photo, F.photo)
async def offline_photo(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The photo of the protocol: the votes are added, with an audit entry."""
    assert message.photo
    data = await state.get_data()
    await state.clear()
    tally = {int(k): v for k, v in data["tally"].items()}
    await contests.record_offline(
        db,
        contest_id=int(data["contest"]),
        rural_district_id=person.rural_district_id or 0,
        tally=tally,
        photo_file_id=message.photo[-1].file_id,
        now=clock.now(),
        person_id=person.id,
        actor_telegram_id=person.telegram_id,
    )
    total = sum(tally.values())
    await message.answer(
        ngettext(
            "Saved: {count} offline vote added from the protocol.",
            "Saved: {count} offline votes added from the protocol.",
            total,
        ).format(count=total)
    )
    await _admin_card(message, person, db, clock, int(data["contest"]))


@admin_router.message(Offline.photo)
async def offline_not_photo(message: Message) -> None:
    """Something other than the protocol's photo."""
    await message.answer(_("Please send a photo of the signed protocol."), reply_markup=cancel_keyboard())
