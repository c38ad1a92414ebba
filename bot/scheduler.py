"""APScheduler 3 as the clock that wakes scheduled work; the database decides what is due."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

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


class Scheduler(AsyncIOScheduler):
    """APScheduler's clock with a stop that lets the running tick finish: a tick cancelled in the
    middle would roll its transaction back, log a traceback, and find the database closed."""

    def __init__(self) -> None:
        super().__init__(timezone="UTC")
        self.ticks: set[asyncio.Task[Any]] = set()

    async def tick(self, ctx: JobContext, lease: Lease | None) -> bool:
        task = asyncio.current_task()
        if task is not None:
            self.ticks.add(task)
        try:
            return await run_if_leading(ctx, lease)
        finally:
            if task is not None:
                self.ticks.discard(task)

    async def stop(self, grace: float) -> None:
        """No new tick; the one running (if any) finishes within ``grace`` seconds; then shut down."""
        self.pause()
        running = {task for task in self.ticks if not task.done()}
        if running:
            _, late = await asyncio.wait(running, timeout=grace)
            if late:
                log.warning("a scheduled tick still ran %.0f s after the stop; it is cancelled", grace)
        self.shutdown(wait=False)


def build_scheduler(ctx: JobContext, lease: Lease | None = None) -> Scheduler:
    scheduler = Scheduler()
    scheduler.add_job(
        scheduler.tick,
        "interval",
        seconds=ctx.settings.tick_seconds,
        args=[ctx, lease],
        id="tick",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    return scheduler
