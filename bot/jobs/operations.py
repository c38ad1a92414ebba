"""The service's own scheduled work: the last error written down, deleted voters' hashes dropped
once their contest closed, the file scrubbed after a deletion, retention once a day (idle people
anonymised, old sent messages and received updates purged) and the optional daily backup."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.jobs import JobContext
from bot.rules.clock import from_db
from storage import audit, backups, operations, personal

log = logging.getLogger(__name__)
RETENTION_DAY = "retention_on"
BACKUP_EVERY = timedelta(hours=24)


async def tick(ctx: JobContext) -> None:
    await note_last_error(ctx)
    await personal.forget_closed_ballots(ctx.db)
    now = ctx.clock.now()
    today = now.date().isoformat()
    ran = await operations.get_state(ctx.db, RETENTION_DAY)
    if ran is None or ran[0] != today:
        await retention(ctx)
        await operations.set_state(ctx.db, RETENTION_DAY, today, now)
    await personal.scrub(ctx.db)
    if ctx.settings.backup_dir is not None and ctx.db.engine == "sqlite":  # PostgreSQL: pg_dump, the server's
        await daily_backup(ctx)


async def note_last_error(ctx: JobContext) -> None:
    if ctx.errors is None or ctx.errors.last is None:
        return
    text, at = ctx.errors.last
    ctx.errors.last = None
    await operations.note_error(ctx.db, text, at)


async def retention(ctx: JobContext) -> tuple[int, int, int]:
    """Anonymise the long silent, purge what was kept only for a while: (people, outbox rows, inbox rows)."""
    now = ctx.clock.now()
    settings = ctx.settings
    key = await personal.vote_key(ctx.db, settings.vote_hash_key.get_secret_value() if settings.vote_hash_key else None)
    idle = await personal.idle(ctx.db, (now - timedelta(days=settings.retention_idle_days)).date())
    for person_id in idle:
        await personal.erase(ctx.db, audit.SYSTEM, person_id, now, key)
    rows, inbox = await operations.purge_delivered(ctx.db, now - timedelta(days=settings.retention_days))
    if idle or rows or inbox:
        log.info("retention: %d people anonymised, %d sent messages and %d updates purged", len(idle), rows, inbox)
    return len(idle), rows, inbox


async def daily_backup(ctx: JobContext) -> None:
    """A backup when the last one is a day old, keeping the newest BACKUP_KEEP."""
    now = ctx.clock.now()
    last = await operations.get_state(ctx.db, "backup_at")
    if last is not None and now - from_db(last[1]) < BACKUP_EVERY:
        return
    folder = ctx.settings.backup_dir
    assert folder is not None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        made = await asyncio.to_thread(backups.backup, ctx.db.path, folder / backups.daily_name(now), now=now)
    except Exception as error:  # a full disk must not stop the bot: the error shows in /status and health
        log.error("daily backup into %s failed: %s", folder, getattr(error, "values", None) or error)
        # tried again in an hour, not at every tick
        await operations.set_state(ctx.db, "backup_at", "failed", now - BACKUP_EVERY + timedelta(hours=1))
        return
    removed = await asyncio.to_thread(backups.rotate, folder, ctx.settings.backup_keep)
    await operations.set_state(ctx.db, "backup_at", str(made.path), now)
    log.info("daily backup %s (%d bytes, %d files); %d old removed", made.path, made.bytes, made.files, len(removed))
