"""APScheduler 3 as the clock that wakes scheduled work; the database decides what is due."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs import JobContext, all_jobs

log = logging.getLogger(__name__)
Lease = Callable[[], Awaitable[bool]]


async def run_due(ctx: JobContext) -> None:
    """Every feature's tick once; one failing does not stop the others."""
    for name, job in all_jobs():
        try:
            await job(ctx)
        except Exception:
            log.exception("scheduled job %s failed", name)


async def run_if_leading(ctx: JobContext, lease: Lease | None) -> bool:
    """Every feature's tick, in the process that holds the deployment's singleton lease (the
    sender's lease, ``storage.outbox.lead``): reminders, closing votes, broadcasts and backups run
    once per deployment however many processes there are. True when they ran."""
    if lease is not None:
        try:
            if not await lease():
                from bot.jobs.operations import note_last_error

                await note_last_error(ctx)  # each process's own last error, wherever the jobs run
                return False
        except Exception:
            log.exception("the singleton lease could not be read; the jobs wait for the next tick")
            return False
    await run_due(ctx)
    return True


def build_scheduler(ctx: JobContext, lease: Lease | None = None) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(
        run_if_leading,
        "interval",
        seconds=ctx.settings.tick_seconds,
        args=[ctx, lease],
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
