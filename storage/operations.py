"""Running the bot: the operator's "stop all sending" hold, what ``/status`` and ``health`` report,
the service's own small facts (``service_state``), and purging what is kept only for a while.

The hold is one row of ``delivery_hold``; while it exists the sender claims nothing
(``storage.outbox.claim``) and every outbox row waits, however urgent, until it is released.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.rules.clock import from_db, to_db
from storage import audit
from storage.audit import Actor
from storage.db import Database, Tx
from storage.operator import _operator

STUCK_AFTER = timedelta(minutes=10)  # a due row not sent for this long: sending is stuck


# --- the hold -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hold:
    since: datetime
    by_person_id: int | None
    reason: str | None


async def hold(db: Database, actor: Actor, now: datetime, reason: str | None = None) -> bool:
    """Stop all sending until released; False when it was already stopped."""
    _operator(actor)
    async with db.transaction() as tx:
        added = await tx.execute(
            "INSERT INTO delivery_hold (id, since, by_person_id, reason) VALUES (1, ?, ?, ?) ON CONFLICT DO NOTHING",
            (to_db(now), actor.person_id, reason),
        )
        if added:
            await audit.write(tx, actor, "sending_held", after={"reason": reason})
    return bool(added)


async def release(db: Database, actor: Actor) -> bool:
    """Sending again; False when it was not stopped."""
    _operator(actor)
    async with db.transaction() as tx:
        row = await tx.fetchone("SELECT since FROM delivery_hold WHERE id = 1")
        if row is None:
            return False
        await tx.execute("DELETE FROM delivery_hold WHERE id = 1")
        await audit.write(tx, actor, "sending_released", before={"since": row[0]})
    return True


async def current_hold(db: Database | Tx) -> Hold | None:
    row = await db.fetchone("SELECT since, by_person_id, reason FROM delivery_hold WHERE id = 1")
    return Hold(from_db(row[0]), row[1], row[2]) if row else None


# --- the service's own facts ----------------------------------------------------------------------


async def get_state(db: Database | Tx, name: str) -> tuple[str | None, str] | None:
    """(value, when it was set) of a fact, or None."""
    row = await db.fetchone("SELECT value, at FROM service_state WHERE name = ?", (name,))
    return (row[0], row[1]) if row else None


async def set_state(db: Database, name: str, value: str | None, now: datetime) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO service_state (name, value, at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value, at = excluded.at",
            (name, value, to_db(now)),
        )


async def note_error(db: Database, text: str, at: datetime) -> None:
    """The last error of the process and when (shown by ``/status`` and ``health``)."""
    await set_state(db, "last_error", text[:1000], at)


# --- status and health ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    database_bytes: int
    schema: str | None
    backlog: dict[str, int]  # pending rows by kind of message
    awaiting_approval: int  # rows of announcements waiting for a second person
    oldest_unsent: datetime | None  # when the oldest row still to send was queued
    oldest_due: datetime | None  # the earliest moment a row still to send was due (quiet hours excluded)
    unreachable: int
    last_error: str | None
    last_error_at: datetime | None
    hold: Hold | None
    senders_alive: int
    last_backup_at: datetime | None
    problems: list[str] = field(default_factory=list)

    @property
    def well(self) -> bool:
        return not self.problems


def database_bytes(path: Path) -> int:
    """The file and its write-ahead log."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


async def status(db: Database, now: datetime, *, lease: timedelta, expect_sender: bool = True) -> Status:
    """Everything ``/status`` shows, and what is wrong (``problems``: empty when well)."""
    backlog = {
        row[0]: int(row[1])
        for row in await db.fetchall(
            "SELECT m.kind, count(*) FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
            " WHERE o.state IN ('pending', 'sending') AND m.cancelled_at IS NULL AND m.held = 0"
            " GROUP BY m.kind ORDER BY m.kind"
        )
    }
    waiting = await db.fetchval(
        "SELECT count(*) FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
        " WHERE o.state = 'pending' AND m.held = 1 AND m.cancelled_at IS NULL"
    )
    oldest = await db.fetchone(
        "SELECT min(m.created_at), min(o.next_attempt) FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
        " WHERE o.state IN ('pending', 'sending') AND m.cancelled_at IS NULL AND m.held = 0"
    )
    unreachable = await db.fetchval(
        "SELECT count(*) FROM people WHERE unreachable_at IS NOT NULL AND erased_at IS NULL"
    )
    error = await get_state(db, "last_error")
    backup = await get_state(db, "backup_at")
    alive = await db.fetchval("SELECT count(*) FROM senders WHERE beat_at >= ?", (to_db(now - lease),))
    schema = await db.fetchval("SELECT max(name) FROM schema_migrations")
    held = await current_hold(db)
    oldest_due = from_db(oldest[1]) if oldest and oldest[1] else None
    problems = []
    if expect_sender and not alive:
        problems.append(f"not running: no sender has reported for {int(lease.total_seconds())} s")
    if held is None and oldest_due is not None and oldest_due < now - STUCK_AFTER:
        problems.append(f"sending is stuck: a message due at {to_db(oldest_due)} is still not sent")
    return Status(
        database_bytes=database_bytes(db.path),
        schema=schema,
        backlog=backlog,
        awaiting_approval=int(waiting or 0),
        oldest_unsent=from_db(oldest[0]) if oldest and oldest[0] else None,
        oldest_due=oldest_due,
        unreachable=int(unreachable or 0),
        last_error=error[0] if error else None,
        last_error_at=from_db(error[1]) if error else None,
        hold=held,
        senders_alive=int(alive or 0),
        last_backup_at=from_db(backup[1]) if backup else None,
        problems=problems,
    )


# --- what is kept only for a while ----------------------------------------------------------------


async def purge_delivered(db: Database, before: datetime) -> tuple[int, int]:
    """Forget outbox rows finished before ``before`` (sent, skipped, failed, cancelled) and the inbox's
    rows received before it (when the inbox exists); (outbox rows, inbox rows) removed."""
    cutoff = to_db(before)
    async with db.transaction() as tx:
        rows = await tx.execute(
            "DELETE FROM outbox WHERE state IN ('sent', 'skipped', 'failed', 'cancelled')"
            " AND COALESCE(sent_at, claimed_at, next_attempt) < ?",
            (cutoff,),
        )
        await tx.execute(
            "DELETE FROM outbox_messages WHERE created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = outbox_messages.id)"
            " AND NOT EXISTS (SELECT 1 FROM broadcasts b WHERE b.message_id = outbox_messages.id)",
            (cutoff,),
        )
        inbox = 0
        if await tx.fetchval("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbox'"):
            inbox = await tx.execute("DELETE FROM inbox WHERE received_at < ?", (cutoff,))
    return rows, inbox
