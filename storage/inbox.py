"""The inbox (migration 008): the updates the bot has taken from Telegram, so that none is lost and
none is handled twice. ``bot/intake.py`` drives it; the life of a row is in the migration.

A row is written, at the latest, before Telegram is told the update arrived: in the transaction of
the update's own effects (``finish``), or, for an update still being handled when the next batch
is due, with its payload as 'pending' (``park``). Every function is on the hot path of each update:
plain statements through ``Database.run`` or inside the update's own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from storage.db import Database

MAX_ATTEMPTS = 3  # an update started this many times without finishing is given up (logged)
KEEP_DONE = "-2 days"  # done rows are kept this long to recognise a re-sent update_id
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ')"


@dataclass(frozen=True, slots=True)
class Incoming:
    update_id: int
    chat_id: int | None
    payload_json: str


@dataclass(frozen=True, slots=True)
class Left:
    """A row left by an earlier run: an update to handle, or an answer to send again."""

    update_id: int
    payload_json: str | None
    reply_json: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class LeftOver:
    replies: list[Left]  # answers to send again
    pending: list[Left]  # updates to handle, oldest first
    given_up: list[int]  # updates started MAX_ATTEMPTS times without finishing


async def known(db: Database, bot_id: int, update_ids: Sequence[int]) -> set[int]:
    """Which of these updates are in the inbox already (pending, done or given up)."""
    if not update_ids:
        return set()
    rows = await db.fetchall(
        "SELECT update_id FROM inbox WHERE bot_id = ? AND update_id BETWEEN ? AND ?",
        (bot_id, min(update_ids), max(update_ids)),
    )
    wanted = set(update_ids)
    return {int(r[0]) for r in rows} & wanted


def finish(conn: sqlite3.Connection, bot_id: int, update_id: int, chat_id: int | None, reply_json: str | None) -> None:
    """The done mark: inside the transaction of the update's effects, or on its own."""
    conn.execute(
        "INSERT INTO inbox (bot_id, update_id, chat_id, state, done_at, reply_json)"
        f" VALUES (?, ?, ?, 'done', {NOW}, ?) ON CONFLICT (bot_id, update_id) DO UPDATE SET state = 'done',"
        " done_at = excluded.done_at, payload_json = NULL, reply_json = excluded.reply_json",
        (bot_id, update_id, chat_id, reply_json),
    )


def replies_sent(conn: sqlite3.Connection, bot_id: int, update_ids: Sequence[int]) -> None:
    """Telegram accepted the answers kept with these updates: nothing to send again."""
    if not update_ids:
        return
    conn.executemany(
        "UPDATE inbox SET reply_json = NULL WHERE bot_id = ? AND update_id = ?", [(bot_id, u) for u in update_ids]
    )


async def reply_sent(db: Database, bot_id: int, update_ids: Sequence[int]) -> None:
    """``replies_sent`` as a write of its own (or joined to the update's transaction)."""
    await db.run(lambda conn: replies_sent(conn, bot_id, update_ids))


async def park(
    db: Database,
    bot_id: int,
    updates: Sequence[Incoming],
    *,
    done: Sequence[tuple[int, int | None]] = (),
    sent: Sequence[int] = (),
) -> None:
    """Keep updates still being handled as 'pending' with their payload (one transaction), with the
    done marks and cleared answers that waited for a commit."""

    def work(conn: sqlite3.Connection) -> None:
        conn.executemany(
            "INSERT OR IGNORE INTO inbox (bot_id, update_id, chat_id, payload_json) VALUES (?, ?, ?, ?)",
            [(bot_id, u.update_id, u.chat_id, u.payload_json) for u in updates],
        )
        for update_id, chat_id in done:
            finish(conn, bot_id, update_id, chat_id, None)
        replies_sent(conn, bot_id, sent)

    await db.run(work)


async def left_over(db: Database, bot_id: int) -> LeftOver:
    """What an earlier run left. Each pending update counts one more attempt; one past
    ``MAX_ATTEMPTS`` (it was being handled each time the process died) is given up instead."""

    def work(conn: sqlite3.Connection) -> LeftOver:
        replies = [
            Left(r[0], None, r[1], 0)
            for r in conn.execute(
                "SELECT update_id, reply_json FROM inbox WHERE bot_id = ? AND reply_json IS NOT NULL"
                " ORDER BY update_id",
                (bot_id,),
            )
        ]
        conn.execute("UPDATE inbox SET attempts = attempts + 1 WHERE bot_id = ? AND state = 'pending'", (bot_id,))
        pending = [
            Left(r[0], r[1], None, r[2])
            for r in conn.execute(
                "SELECT update_id, payload_json, attempts FROM inbox WHERE bot_id = ? AND state = 'pending'"
                " ORDER BY update_id",
                (bot_id,),
            )
        ]
        given_up = [p.update_id for p in pending if p.attempts > MAX_ATTEMPTS]
        conn.executemany(
            f"UPDATE inbox SET state = 'given_up', done_at = {NOW} WHERE bot_id = ? AND update_id = ?",
            [(bot_id, u) for u in given_up],
        )
        return LeftOver(replies, [p for p in pending if p.attempts <= MAX_ATTEMPTS], given_up)

    return await db.run(work)


async def prune(db: Database) -> int:
    """Forget done updates older than ``KEEP_DONE``; return how many."""
    return await db.run(
        lambda conn: (
            conn.execute(
                "DELETE FROM inbox WHERE state <> 'pending' AND reply_json IS NULL"
                " AND done_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)",
                (KEEP_DONE,),
            ).rowcount
        )
    )
