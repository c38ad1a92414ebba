"""The staff read a contest's figures: turnout (by village and by day), the results, the CSV export."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_day, format_share
from bot.i18n import N_
from bot.keyboards.contests import AdmAct, AdminContestCb, admin_back_keyboard
from bot.rules import contests as rules
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.errors import DomainError
from bot.texts.contests import results_csv, results_text
from handlers.common import target
from handlers.contests.browse import checks_lines
from storage import contests, places
from storage.db import Database
from storage.people import Person
from storage.places import timezone

router = Router(name=__name__)


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.TURNOUT))
async def turnout(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """Votes in all, per village and per day, as a share of the residents registered in the bot."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    if contest.status == "draft":
        raise DomainError(N_("The contest is not published yet."))
    await query.answer()
    lang = person.language
    tz = await timezone(db, contest.rural_district_id)
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
    if figures.paper:
        lines.append(_("Paper voters recorded at the polling table: {count}.").format(count=figures.paper))
    lines += ["", _("<b>By day</b>")]
    if not figures.by_day:
        lines.append(_("No votes yet."))
    for day, votes in figures.by_day:
        lines.append(
            f"· {format_day(datetime.fromisoformat(day).date(), lang)}: {votes} "
            f"({format_share(rules.share(votes, figures.registered), lang)})"
        )
    await target(query).answer("\n".join(lines), reply_markup=admin_back_keyboard(contest.id))


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.RESULTS))
async def admin_results(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """The results, as residents see them."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await query.answer()
    projects = await contests.projects(db, contest.id)
    results = await contests.results(db, contest)
    extra = await checks_lines(db, contest)
    await target(query).answer(
        results_text(contest, projects, results, person.language, extra=extra),
        reply_markup=admin_back_keyboard(contest.id),
    )


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.EXPORT))
async def export_csv(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock
) -> None:
    """The results (or the tally so far) as a CSV file."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await query.answer()
    projects = await contests.projects(db, contest.id)
    results = await contests.results(db, contest)
    villages = {v.id: v for v in await places.villages(db, contest.rural_district_id)}
    data = results_csv(projects, results, villages, person.language)
    caption = (
        _("Results of «{title}».")
        if contest.phase(clock.now()) is Phase.CLOSED
        else _("The tally so far of «{title}»: voting is not closed yet.")
    ).format(title=escape(contest.title(person.language)))
    await target(query).answer_document(BufferedInputFile(data, filename=f"contest-{contest.id}.csv"), caption=caption)
