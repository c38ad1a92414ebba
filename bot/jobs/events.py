"""Scheduled work of events: the reminders a day and two hours before."""

from __future__ import annotations

import logging
from functools import partial

from bot.i18n import in_all_languages
from bot.jobs import JobContext
from bot.keyboards.events import open_event_button, reminder_text
from bot.rules import events as rules
from bot.rules.clock import to_db
from storage import events as store
from storage import outbox, places

log = logging.getLogger(__name__)


async def tick(ctx: JobContext) -> None:
    """Claim the reminders that are due and queue them; skip those the bot was too late for."""
    now = ctx.clock.now()
    async with ctx.db.transaction() as tx:
        for reminder_id, event_id, _minutes, due in await store.claim_due_reminders(tx, now):
            if rules.too_late(due, now, ctx.settings.reminder_late_minutes):
                await store.mark_skipped(tx, reminder_id)
                log.info("reminder %s of event %s skipped: due %s, claimed %s", reminder_id, event_id, due, now)
                continue
            event = await store.by_id(tx, event_id)
            rd = await places.rural_district(tx, event.rural_district_id) if event else None
            recipients = await store.reminder_recipients(tx, event_id) if event else []
            if event is None or rd is None or not recipients:
                continue
            tz = rd.timezone
            await outbox.enqueue(
                tx,
                rural_district_id=event.rural_district_id,
                kind="reminder",
                texts=in_all_languages(ctx.i18n, partial(reminder_text, event, tz)),
                buttons=in_all_languages(ctx.i18n, partial(open_event_button, event.id)),
                recipients=recipients,
                source_type="event",
                source_id=event.id,
                not_before=to_db(now),
            )
