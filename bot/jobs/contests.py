"""Scheduled work of contests: close voting at the deadline and send the results to the voters.

A contest whose deadline passed while the bot was down is closed at the first tick after start:
the claim looks for every published contest with ``closes_at <= now``, however long ago.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from aiogram.utils.i18n import I18n

from bot.i18n import in_all_languages
from bot.jobs import JobContext
from bot.keyboards.contests import open_contest_buttons
from bot.rules.clock import Clock
from bot.rules.contests import Results
from bot.texts.contests import results_text
from storage import contests as store
from storage.contests import Contest, Project
from storage.db import Database

log = logging.getLogger(__name__)


async def tick(ctx: JobContext) -> None:
    """Close the contests that are due and queue their results."""
    await close_due(ctx.db, ctx.clock, ctx.i18n)


async def close_due(db: Database, clock: Clock, i18n: I18n) -> list[int]:
    """Claim every contest past its deadline, in one transaction with the messages to its voters."""

    def notice(
        contest: Contest, projects: list[Project], results: Results
    ) -> tuple[dict[str, str], dict[str, Any] | None]:
        texts = in_all_languages(i18n, lambda: results_text(contest, projects, results, str(i18n.current_locale)))
        return texts, in_all_languages(i18n, partial(open_contest_buttons, contest.id))

    closed = await store.close_due(db, clock.now(), notice)
    for contest in closed:
        log.info("contest %s closed", contest.id)
    return [c.id for c in closed]
