"""The resident browses: the contests of her village, one contest, its projects one per screen, the results."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape, format_money
from bot.i18n import N_
from bot.keyboards.common import MenuButton
from bot.keyboards.contests import (
    Act,
    ContestCb,
    after_vote_keyboard,
    category_label,
    contest_keyboard,
    list_keyboard,
    project_keyboard,
)
from bot.rules import contests as rules
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.errors import DomainError, NotFound
from bot.texts.contests import results_text
from handlers.common import target
from handlers.contests.texts import money_lines, timezone, when
from storage import contests, places
from storage.contests import Project
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


async def _list(message: Message, person: Person, db: Database, clock: Clock) -> None:
    now = clock.now()
    items = await contests.visible(db, person.rural_district_id or 0, person.village_id, now)
    if not items:
        await message.answer(
            _("There are no project contests in your village now. We will let you know when one is announced."),
            reply_markup=list_keyboard([], "kk"),
        )
        return
    tz = await timezone(db, person.rural_district_id)
    lang = person.language
    lines = [_("🗳 <b>Project contests</b>")]
    for contest in items:
        lines.append(f"\n<b>{escape(contest.title(lang))}</b>\n{when(contest, contest.phase(now), tz, lang)}")
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
    tz = await timezone(db, contest.rural_district_id)
    projects = await contests.projects(db, contest.id)
    lines = [f"🗳 <b>{escape(contest.title(lang))}</b>"]
    if contest.description(lang):
        lines.append(escape(contest.description(lang)))
    lines += [
        "",
        when(contest, current, tz, lang),
        *money_lines(contest, lang),
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
