"""APScheduler 3 as the clock that wakes scheduled work; the database decides what is due."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs import JobContext, all_jobs

log = logging.getLogger(__name__)


async def run_due(ctx: JobContext) -> None:
    """Every feature's tick once; one failing does not stop the others."""
    for name, job in all_jobs():
        try:
            await job(ctx)
        except Exception:
            log.exception("scheduled job %s failed", name)


def build_scheduler(ctx: JobContext) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        run_due,
        "interval",
        seconds=ctx.settings.tick_seconds,
        args=[ctx],
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
