"""The results of a contest, as residents read them (a message) and as staff export them (CSV):
the scheduler sends the first to the voters, and the staff's screens show both."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape, format_money, format_share
from bot.keyboards.contests import category_label
from bot.rules.contests import Results
from bot.texts import spreadsheet
from storage.contests import Contest, Project
from storage.places import Place


def results_text(
    contest: Contest, projects: list[Project], results: Results, lang: str, *, extra: list[str] | None = None
) -> str:
    """The ranked results: votes (online, offline, together), shares, what is funded, the money left,
    the method of the ballot, and ``extra`` (the checks behind the figures) at the end."""
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
    if contest.max_choices > 1:
        lines.append(
            _(
                "Method: approval ballot, each voter chose up to {k} projects; projects are funded down the "
                "ranking by votes while the money lasts."
            ).format(k=contest.max_choices)
        )
    else:
        lines.append(
            _("Method: one project per voter; projects are funded down the ranking by votes while the money lasts.")
        )
    if extra:
        lines += ["", *extra]
    return "\n".join(lines)


def results_csv(projects: list[Project], results: Results, villages: dict[int, Place], lang: str) -> bytes:
    """The results as CSV for a spreadsheet: UTF-8 with a BOM (Excel reads Cyrillic then). No voter data."""
    by_id = {p.id: p for p in projects}
    rows: list[list[object]] = [
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
    ]
    for ranked in results.ranked:
        project = by_id[ranked.project_id]
        village = villages.get(project.village_id) if project.village_id is not None else None
        rows.append(
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
    rows += [[], [_("Money of the contest"), results.budget], [_("Funded"), results.spent], [_("Left"), results.left]]
    return spreadsheet(rows)
