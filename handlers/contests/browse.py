"""The resident browses: the contests of her village, one contest, its projects one per screen, the results."""

from __future__ import annotations

from aiogram import Bot, F, Router
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
    category_label,
    contest_keyboard,
    list_keyboard,
    project_keyboard,
    results_keyboard,
)
from bot.rules import contests as rules
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.errors import DomainError, NotFound
from bot.texts.contests import results_text
from handlers.common import target
from handlers.contests.texts import curve_lines, money_lines, safety, when
from storage import contests, oversight, places
from storage.contests import Contest, Project
from storage.db import Database
from storage.people import CHAIR, Person
from storage.places import timezone

router = Router(name=__name__)


def watcher(person: Person, rural_district_id: int) -> bool:
    """Who sees a contest's anomalies: its district's staff and the meeting's chair, and operators."""
    return (
        person.is_operator or person.has_role("staff", rural_district_id) or person.has_role(CHAIR, rural_district_id)
    )


async def _list(message: Message, person: Person, db: Database, clock: Clock, bot: Bot) -> None:
    now = clock.now()
    items = await contests.visible(db, person.rural_district_id or 0, person.village_id, now)
    if not items:
        await message.answer(
            _("There are no project contests in your village now. We will let you know when one is announced.")
            + "\n\n"
            + await safety(bot),
            reply_markup=list_keyboard([], "kk"),
        )
        return
    tz = await timezone(db, person.rural_district_id)
    lang = person.language
    lines = [_("🗳 <b>Project contests</b>")]
    for contest in items:
        lines.append(f"\n<b>{escape(contest.title(lang))}</b>\n{when(contest, contest.phase(now), tz, lang)}")
    lines += ["", await safety(bot)]
    await message.answer("\n".join(lines), reply_markup=list_keyboard(items, lang))


@router.message(MenuButton("contests"))
async def show_contests(
    message: Message, person: Person, db: Database, clock: Clock, state: FSMContext, bot: Bot
) -> None:
    """The contests of the resident's village: open, upcoming and recently closed."""
    await state.clear()
    await _list(message, person, db, clock, bot)


@router.callback_query(ContestCb.filter(F.act == Act.LIST))
async def back_to_list(query: CallbackQuery, person: Person, db: Database, clock: Clock, bot: Bot) -> None:
    """The list again."""
    await query.answer()
    await _list(target(query), person, db, clock, bot)


@router.callback_query(ContestCb.filter(F.act == Act.CONTEST))
async def show_contest(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, bot: Bot
) -> None:
    """One contest: what it is about, the money, the window, the resident's own vote, the turnout curve."""
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
        ballot_line(contest),
    ]
    if contest.census_id is not None:
        lines.append(_("📋 Only phone numbers on the census of voters vote in this contest."))
    if current is not Phase.CLOSED and await contests.frozen_at(db, contest.id) is not None:
        lines.append(_("🔒 Projects, costs and rules are fixed since the first vote."))
    mine, annulled = await contests.my_choices(db, contest.id, person.id)
    chosen = [p for p in projects if p.id in mine]
    if annulled:
        lines += ["", _("❌ Your vote was annulled by the meeting's chair after a check.")]
    elif chosen:
        lines.append("")
        titles = "», «".join(escape(p.title(lang)) for p in chosen)
        lines.append(_("✅ Your vote: «{project}».").format(project=titles))
    elif current is Phase.OPEN:
        lines += ["", _("You have not voted yet. Open the projects and choose one.")]
    if current is Phase.OPEN:
        lines.append(_("Only your last vote counts: you can change it in private until voting closes."))
    names = {v.id: v.name(lang) for v in await places.villages(db, contest.rural_district_id)}
    curve = curve_lines(await contests.curve(db, contest.id, tz), names, lang)
    if curve:
        lines += ["", *curve]
    lines += ["", await safety(bot)]
    await target(query).answer(
        "\n".join(lines),
        reply_markup=contest_keyboard(
            contest,
            current,
            projects[0].id if projects else None,
            watcher=watcher(person, contest.rural_district_id),
        ),
    )


def ballot_line(contest: Contest) -> str:
    """Which ballot the contest uses."""
    if contest.max_choices > 1:
        return _("☑️ Approval ballot: choose up to {k} projects.").format(k=contest.max_choices)
    return _("One vote: choose one project.")


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
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, bot: Bot
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
    mine = project.id in (await contests.my_choices(db, contest.id, person.id))[0]
    text = _project_text(
        project, index + 1, len(projects), village.name(lang) if village else _("the whole rural district"), lang, mine
    )
    if contest.max_choices > 1 and contest.phase(clock.now()) is Phase.OPEN:
        text += "\n\n" + _("Choose your projects on «🗳 My ballot» of the contest.")
    text += "\n\n" + await safety(bot)
    can_vote = (
        contest.max_choices == 1
        and contest.phase(clock.now()) is Phase.OPEN
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
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, clock: Clock, bot: Bot
) -> None:
    """The ranked results of a closed contest, with the checks behind them; the funded projects' progress."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    if contest.phase(clock.now()) is not Phase.CLOSED:
        raise DomainError(N_("The results will be shown when voting closes."))
    await query.answer()
    projects = await contests.projects(db, contest.id)
    results = await contests.results(db, contest)
    text = results_text(contest, projects, results, person.language, extra=await checks_lines(db, contest))
    funded = [
        (r.project_id, by.title(person.language))
        for r in results.ranked
        if r.funded
        for by in projects
        if by.id == r.project_id
    ]
    await target(query).answer(text + "\n\n" + await safety(bot), reply_markup=results_keyboard(contest.id, funded))


async def checks_lines(db: Database, contest: Contest) -> list[str]:
    """What the results rest on: the paper register, the votes annulled by the chair and why."""
    lines = []
    paper = await contests.paper_voters(db, contest.id)
    if paper:
        lines.append(_("🗳 Paper voters recorded at the polling table: {count}.").format(count=paper))
    for decision in await oversight.decisions(db, contest.id):
        who = _("the meeting's chair") if decision.decided_as == "chair" else _("the operator")
        if decision.decision == "annul":
            line = ngettext(
                "❌ {count} flagged vote annulled by {who}: {reason}",
                "❌ {count} flagged votes annulled by {who}: {reason}",
                decision.votes,
            )
        else:
            line = ngettext(
                "✅ {count} flagged vote kept by {who}: {reason}",
                "✅ {count} flagged votes kept by {who}: {reason}",
                decision.votes,
            )
        lines.append(line.format(count=decision.votes, who=who, reason=escape(decision.reason)))
    return lines
