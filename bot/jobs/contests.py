"""Scheduled work of contests: close voting at the deadline and send the results to the voters.

A contest whose deadline passed while the bot was down is closed at the first tick after start:
the claim looks for every published contest with ``closes_at <= now``, however long ago.
"""

from __future__ import annotations

import logging
from functools import partial

from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_money, format_share
from bot.i18n import in_all_languages
from bot.jobs import JobContext
from bot.keyboards.contests import open_contest_buttons
from bot.rules.clock import Clock, to_db
from bot.rules.contests import Results
from storage import audit, outbox
from storage import contests as store
from storage.contests import Contest, Project
from storage.db import Database

log = logging.getLogger(__name__)


async def tick(ctx: JobContext) -> None:
    """Close the contests that are due and queue their results."""
    await close_due(ctx.db, ctx.clock, ctx.i18n)


async def close_due(db: Database, clock: Clock, i18n: I18n) -> list[int]:
    """Claim every contest past its deadline, in one transaction with the messages to its voters."""
    now = clock.now()
    async with db.transaction() as tx:
        closed = await store.claim_due(tx, now)
        for contest in closed:
            projects = await store.projects(tx, contest.id)
            results = await store.results(tx, contest)
            voters = await store.voters(tx, contest.id)

            def render(
                contest: Contest = contest, projects: list[Project] = projects, results: Results = results
            ) -> str:
                return results_text(contest, projects, results, str(i18n.current_locale))

            await outbox.enqueue(
                tx,
                rural_district_id=contest.rural_district_id,
                kind="vote_result",
                texts=in_all_languages(i18n, render),
                buttons=in_all_languages(i18n, partial(open_contest_buttons, contest.id)),
                recipients=voters,
                source_type="contest",
                source_id=contest.id,
                not_before=to_db(now),
            )
            await audit.record(
                tx,
                actor_kind="system",
                rural_district_id=contest.rural_district_id,
                action="contest_closed",
                object_type="contest",
                object_id=contest.id,
                after={
                    "votes": results.total,
                    "online": results.online,
                    "offline": results.offline,
                    "funded": [r.project_id for r in results.ranked if r.funded],
                    "left": results.left,
                    "voters_told": len(voters),
                },
            )
    for contest in closed:
        log.info("contest %s closed", contest.id)
    return [c.id for c in closed]


def results_text(contest: Contest, projects: list[Project], results: Results, lang: str) -> str:
    """The ranked results: votes (online, offline, together), shares, what is funded, the money left."""
    by_id = {p.id: p for p in projects}
    lines = [_("🏆 <b>Results: {title}</b>").format(title=escape(contest.title(lang)))]
    if contest.change_kind == "closed_early" and contest.change_reason:
        lines.append(_("Voting was closed early: {reason}").format(reason=escape(contest.change_reason)))
    lines.append(
        ngettext("{count} vote in all", "{count} votes in all", results.total).format(count=results.total)
        + " "
        + _("(online {online}, offline {offline})").format(online=results.online, offline=results.offline)
    )
    lines.append("")
    for ranked in results.ranked:
        project = by_id[ranked.project_id]
        mark = "✅" if ranked.funded else "▫️"
        lines.append(f"{mark} {ranked.rank}. <b>{escape(project.title(lang))}</b>")
        lines.append(
            "    "
            + ngettext("{count} vote", "{count} votes", ranked.total).format(count=ranked.total)
            + f" ({format_share(ranked.share, lang)}) · "
            + _("online {online}, offline {offline}").format(online=ranked.online, offline=ranked.offline)
        )
        if ranked.funded:
            lines.append("    " + _("Funded: {cost}").format(cost=format_money(ranked.cost, lang)))
        elif ranked.total == 0:
            lines.append("    " + _("Not funded: no votes"))
        else:
            lines.append(
                "    "
                + _("Not funded: the money left is not enough ({cost})").format(cost=format_money(ranked.cost, lang))
            )
    lines.append("")
    lines.append(
        _("Money of the contest: {budget}. Funded: {spent}. Left: {left}.").format(
            budget=format_money(results.budget, lang),
            spent=format_money(results.spent, lang),
            left=format_money(results.left, lang),
        )
    )
    return "\n".join(lines)
