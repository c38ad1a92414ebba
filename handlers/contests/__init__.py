"""Project contests, composed: the resident's screens (browse, vote, report pressure, a funded
project's progress, and the anomalies that the meeting's chair judges) and the staff's (run the
district's contests, draft one and its projects, its figures and export, offline votes, the census
of voters, the polling table, the progress of funded projects).

``router`` is composed under ``Onboarded()`` and ``admin_router`` under ``IsStaff()`` by
``handlers.routers()``; each includes one router per flow, in the order of their priority.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.utils.i18n import ngettext

from bot.rules.clock import Clock
from handlers.contests import (
    anomalies,
    browse,
    census,
    drafting,
    offline,
    polling_table,
    progress,
    projects,
    reports,
    results,
    running,
    vote,
)
from storage import contests
from storage.db import Database

router = Router(name=__name__)
# the menu button opens the list even mid-vote: browse comes before the vote's contact step
router.include_routers(browse.router, vote.router, reports.router, progress.router, anomalies.router)

admin_router = Router(name=__name__ + ".admin")
admin_router.include_routers(
    running.router,
    drafting.router,
    projects.router,
    results.router,
    offline.router,
    census.router,
    polling_table.router,
    progress.staff_router,
)


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    counts = await contests.open_counts(db, rural_district_id)
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
