"""Scheduled work of events: the reminders a day and two hours before."""

from __future__ import annotations

import logging

from bot.jobs import JobContext
from bot.keyboards.events import notice, reminder_text
from storage import events as store

log = logging.getLogger(__name__)


async def tick(ctx: JobContext) -> None:
    """Queue the reminders that are due; those the bot was too late for are skipped (in storage)."""
    queued = await store.send_due_reminders(
        ctx.db,
        ctx.clock.now(),
        late_minutes=ctx.settings.reminder_late_minutes,
        render=notice(ctx.i18n, reminder_text),
    )
    if queued:
        log.info("%s event reminders queued", queued)
