"""The outbox: features put messages in here; the sender (``bot/sender.py``) takes them out.

A message has its texts in every language (``{"kk": ..., "ru": ...}``); the sender picks the
recipient's language when it sends, so a person who switched language meanwhile reads the new one.

The second half of this module is the sender's SQL: its row in ``senders`` (register, beat,
leave), recovering what dead senders left, claiming a batch, starting a row and writing its
outcome, and the shared pause after a 429. The life of a row is drawn in ``bot/sender.py``.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.rules.clock import to_db
from bot.rules.delivery import Outcome, backoff, gives_up, quiet_until
from storage.db import SKIP_LOCKED, Database, Tx

# Lower goes first. Reminders, vote results and answers to a person before announcements.
PRIORITY = {
    "answer": 0,  # an answer to a person's own initiative or question
    "status": 0,  # a status change of a person's own initiative
    "reminder": 1,  # an event reminder
    "vote_result": 2,
    "staff": 3,  # notices to staff (new initiative, deadline)
    "notice": 5,  # a new contest, document, event
    "announcement": 9,
}
# Kinds that never wait for the morning (the rest respect the district's quiet hours).
NOT_QUIET = {"answer", "status", "reminder"}
EXPIRED = "expired: the event it is about has begun"


async def enqueue(
    tx: Tx,
    *,
    rural_district_id: int,
    kind: str,
    texts: dict[str, str],
    recipients: Iterable[int],
    priority: int | None = None,
    respect_quiet: bool | None = None,
    buttons: dict[str, Any] | None = None,
    media_type: str | None = None,
    media_ref: str | None = None,
    not_before: str | None = None,
    created_by: int | None = None,
    source_type: str | None = None,
    source_id: int | None = None,
    due_by: str | None = None,
    expires_at: str | None = None,
    held: bool = False,
) -> int:
    """Queue one message for many people (person ids); return the message id. Duplicates are ignored.

    ``due_by``: quiet hours never hold it past this moment (it goes at night rather than too late);
    ``expires_at``: from this moment on it is not sent at all (it is skipped as expired);
    ``held``: it waits for a second person's approval (``storage.approvals.approve``)."""
    message_id = await tx.execute(
        "INSERT INTO outbox_messages (rural_district_id, kind, priority, respect_quiet, texts_json, buttons_json,"
        " media_type, media_ref, not_before, created_by, source_type, source_id, due_by, expires_at, held)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ')), ?, ?, ?, ?, ?, ?)",
        (
            rural_district_id,
            kind,
            PRIORITY.get(kind, 5) if priority is None else priority,
            int(kind not in NOT_QUIET if respect_quiet is None else respect_quiet),
            json.dumps(texts, ensure_ascii=False),
            None if buttons is None else json.dumps(buttons, ensure_ascii=False),
            media_type,
            media_ref,
            not_before,
            created_by,
            source_type,
            source_id,
            due_by,
            expires_at,
            int(held),
        ),
    )
    # Without not_before a row is due at once: the sender's (injected) clock decides, not SQLite's.
    await tx.executemany(
        "INSERT INTO outbox (message_id, person_id, next_attempt)"
        " VALUES (?, ?, COALESCE(?, '1970-01-01T00:00:00.000Z')) ON CONFLICT DO NOTHING",
        ((message_id, person_id, not_before) for person_id in dict.fromkeys(recipients)),
    )
    return message_id


async def supersede(tx: Tx, source_type: str, source_id: int, now: datetime) -> int:
    """Cancel what is still to send about this source (an event moved or cancelled): nobody gets a stale
    invitation or reminder, before or after the notice that replaces it. Return how many rows."""
    ids = [
        row[0]
        for row in await tx.fetchall(
            "SELECT id FROM outbox_messages WHERE source_type = ? AND source_id = ? AND cancelled_at IS NULL",
            (source_type, source_id),
        )
    ]
    if not ids:
        return 0
    marks = ",".join("?" * len(ids))
    await tx.execute(f"UPDATE outbox_messages SET cancelled_at = ? WHERE id IN ({marks})", (to_db(now), *ids))
    return await tx.execute(
        "UPDATE outbox SET state = 'cancelled', claimed_by = NULL, error = 'superseded by a newer notice'"
        f" WHERE message_id IN ({marks}) AND (state = 'pending' OR (state = 'sending' AND started_at IS NULL))",
        ids,
    )


async def residents(
    tx: Tx,
    rural_district_id: int,
    *,
    village_ids: Sequence[int] | None = None,
    role: str | None = None,
    announcements_only: bool = False,
    reminders_only: bool = False,
) -> list[int]:
    """Person ids of a district's residents (optionally of some villages, or with a role)."""
    sql = "SELECT p.id FROM people p WHERE p.rural_district_id = ? AND p.unreachable_at IS NULL"
    params: list[Any] = [rural_district_id]
    if village_ids:
        sql += f" AND p.village_id IN ({','.join('?' * len(village_ids))})"
        params += list(village_ids)
    if role:
        sql += " AND EXISTS (SELECT 1 FROM roles r WHERE r.person_id = p.id AND r.rural_district_id = ? AND r.role = ?)"
        params += [rural_district_id, role]
    if announcements_only:
        sql += " AND p.notify_announcements = 1"
    if reminders_only:
        sql += " AND p.notify_reminders = 1"
    return [row[0] for row in await tx.fetchall(sql + " ORDER BY p.id", params)]


async def requeue_quiet(tx: Tx, rural_district_id: int, now: datetime) -> int:
    """Rows of a district that quiet hours put off are due again now: the next claim judges them by
    the district's quiet hours as they are now (after the operator changed them). A row waiting for
    the time it was scheduled at (its ``next_attempt`` is the message's ``not_before``) keeps it."""
    now_db = to_db(now)
    return await tx.execute(
        "UPDATE outbox SET next_attempt = ? WHERE state = 'pending' AND attempts = 0 AND next_attempt > ?"
        " AND message_id IN (SELECT m.id FROM outbox_messages m WHERE m.rural_district_id = ?"
        " AND m.respect_quiet = 1 AND m.not_before != outbox.next_attempt)",
        (now_db, now_db, rural_district_id),
    )


# --- the sender's side ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutMessage:
    """A message of the outbox: texts, buttons and media per language, as queued."""

    id: int
    rural_district_id: int
    kind: str
    texts: dict[str, str]
    buttons: dict[str, Any] | None = None  # per language: rows of inline buttons as Telegram's JSON
    media_type: str | None = None
    media_ref: str | None = None
    priority: int = 5

    def text(self, lang: str) -> str:
        return self.texts.get(lang) or next((t for t in self.texts.values() if t), "")

    def button_rows(self, lang: str) -> list[list[dict[str, Any]]] | None:
        if not self.buttons:
            return None
        rows: list[list[dict[str, Any]]] = self.buttons.get(lang) or next(iter(self.buttons.values()))
        return rows


@dataclass(frozen=True, slots=True)
class Claimed:
    """One row a sender holds: to whom (the chat) and which message."""

    id: int
    message_id: int
    person_id: int
    chat_id: int


async def register_sender(db: Database, token: str, host: str, pid: int, now: datetime) -> None:
    at = to_db(now)
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO senders (token, host, pid, started_at, beat_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (token) DO UPDATE SET beat_at = excluded.beat_at",
            (token, host, pid, at, at),
        )


async def beat(db: Database, token: str, now: datetime) -> None:
    """The sender is alive: its lease runs from now."""
    async with db.transaction() as tx:
        await tx.execute("UPDATE senders SET beat_at = ? WHERE token = ?", (to_db(now), token))


async def unregister_sender(db: Database, token: str) -> None:
    """Give back what the sender claimed and did not start, and forget it."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET state = 'pending', claimed_by = NULL"
            " WHERE state = 'sending' AND claimed_by = ? AND started_at IS NULL",
            (token,),
        )
        await tx.execute("DELETE FROM senders WHERE token = ?", (token,))


async def recover(
    db: Database, token: str, now: datetime, lease: timedelta, *, host: str, alive: Callable[[int], bool]
) -> tuple[int, list[str]]:
    """Rows left in 'sending' by dead senders go back to 'pending': (how many, the dead senders).

    Dead: silent for ``lease``, or on this ``host`` with a process that is not ``alive``."""
    stale = to_db(now - lease)
    async with db.transaction() as tx:
        senders = await tx.fetchall("SELECT token, host, pid, beat_at FROM senders WHERE token <> ?", (token,))
        dead = [s[0] for s in senders if s[3] < stale or (s[1] == host and not alive(int(s[2])))]
        living = [s[0] for s in senders if s[0] not in dead] + [token]
        marks = ",".join("?" * len(living))
        recovered = await tx.execute(
            "UPDATE outbox SET state = 'pending', claimed_by = NULL, next_attempt = ?,"
            " error = CASE WHEN started_at IS NULL THEN error"
            "         ELSE 'interrupted: the sender stopped during the request; sent again' END,"
            " started_at = NULL"
            f" WHERE state = 'sending' AND (claimed_by IS NULL OR claimed_by NOT IN ({marks}))",
            (to_db(now), *living),
        )
        if dead:
            await tx.execute(f"DELETE FROM senders WHERE token IN ({','.join('?' * len(dead))})", dead)
    return recovered, dead


ANY_BOT = -1  # a sender's route when the deployment has one bot: every row is its own
OWN_BOT = 0  # the route of the deployment's own bot (BOT_TOKEN) when districts have bots of their own


def _route_sql(route: int) -> tuple[str, tuple[int, ...]]:
    """The rows a sender of this route may claim: the people who last wrote to its bot (a district's
    bot: its Telegram id), or, for the deployment's own bot, everyone else (a removed district bot's
    people too)."""
    if route == ANY_BOT:
        return "", ()
    if route == OWN_BOT:
        return " AND o.person_id NOT IN (SELECT p.id FROM people p JOIN bots b ON b.telegram_id = p.bot_id)", ()
    return " AND o.person_id IN (SELECT p.id FROM people p WHERE p.bot_id = ?)", (route,)


async def lead(
    db: Database, token: str, now: datetime, lease: timedelta, *, host: str, alive: Callable[[int], bool]
) -> bool:
    """The singleton lease of the deployment (the scheduler's jobs run where it is held): True when
    this sender holds it, taking it when nobody does or its holder is dead as ``recover`` judges it
    (silent for ``lease``, or on this ``host`` with a process that is not ``alive``). It is the
    sender's own lease: the holder keeps it by beating, loses it by stopping (``unregister_sender``)
    or by dying."""
    stale = to_db(now - lease)
    async with db.transaction() as tx:
        holder = await tx.fetchone("SELECT token, host, pid, beat_at FROM senders WHERE leads = 1")
        if holder is not None:
            if holder[0] == token:
                return True
            if not (holder[3] < stale or (holder[1] == host and not alive(int(holder[2])))):
                return False
            await tx.execute("UPDATE senders SET leads = 0 WHERE token = ?", (holder[0],))
        return bool(await tx.execute("UPDATE senders SET leads = 1 WHERE token = ? AND beat_at >= ?", (token, stale)))


async def claim(
    db: Database, token: str, now: datetime, limit: int, *, route: int = ANY_BOT
) -> tuple[list[Claimed], str | None]:
    """Defer what quiet hours hold, then claim up to ``limit`` due rows in fair order.

    Returns the rows (in the database's order; ``fair_order`` sorts them) and the shared pause
    another sender wrote after a 429, if any. Two senders never claim the same row. While the
    operator holds all sending (``delivery_hold``) nothing is claimed; a message waiting for a
    second person's approval (``held``) is never claimed. Quiet hours are each district's own,
    as the operator set them, read at every claim. ``route``: whose rows (several bots: each bot's
    sender claims the rows of the people its bot may write to)."""
    now_db = to_db(now)
    if await db.fetchval("SELECT 1 FROM delivery_hold WHERE id = 1"):
        return [], None
    districts = await db.fetchall("SELECT id, timezone, quiet_start, quiet_end FROM rural_districts")
    quiet = [(rd, until) for rd, tz, start, end in districts if (until := quiet_until(now, tz, start, end))]
    routed, route_params = _route_sql(route)
    async with db.transaction() as tx:
        if route > OWN_BOT:  # a district's bot: Telegram's pause for its token only
            pause = await tx.fetchval("SELECT until FROM bot_pauses WHERE bot_id = ?", (route,))
        else:
            pause = await tx.fetchval("SELECT until FROM delivery_pause WHERE id = 1")
        await tx.execute(
            "UPDATE outbox SET state = 'skipped', claimed_by = NULL, error = ?"
            " WHERE state = 'pending' AND message_id IN"
            " (SELECT id FROM outbox_messages WHERE expires_at IS NOT NULL AND expires_at <= ?)",
            (EXPIRED, now_db),
        )
        for rd, until in quiet:  # never past a message's due_by: better at night than too late
            await tx.execute(
                "UPDATE outbox SET next_attempt = ? WHERE state = 'pending' AND next_attempt <= ? AND message_id IN"
                " (SELECT id FROM outbox_messages WHERE rural_district_id = ? AND respect_quiet = 1"
                "  AND (due_by IS NULL OR due_by > ?))",
                (to_db(until), now_db, rd, to_db(until)),
            )
        rows = await tx.fetchall(
            "UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ?, started_at = NULL"
            " WHERE id IN (SELECT id FROM outbox WHERE id IN ("
            "  SELECT id FROM ("
            "   SELECT o.id, m.priority, m.rural_district_id AS rd, ROW_NUMBER() OVER"
            "     (PARTITION BY m.priority, m.rural_district_id ORDER BY o.id) AS turn"
            "   FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
            "   WHERE o.state = 'pending' AND o.next_attempt <= ? AND m.cancelled_at IS NULL AND m.held = 0"
            f"{routed}) AS due"
            "  ORDER BY priority, turn, rd LIMIT ?)"
            f" AND state = 'pending' {SKIP_LOCKED})"
            " AND state = 'pending'"
            " RETURNING id, message_id, person_id",
            (token, now_db, now_db, *route_params, limit),
        )
        chats = {}
        if rows:
            people = sorted({r[2] for r in rows})
            found = await tx.fetchall(
                f"SELECT id, telegram_id FROM people WHERE id IN ({','.join('?' * len(people))})", people
            )
            chats = {r[0]: r[1] for r in found}
    claimed = [Claimed(r[0], r[1], r[2], int(chats.get(r[2], 0))) for r in rows]
    return claimed, pause


async def messages(db: Database, ids: Sequence[int]) -> list[OutMessage]:
    """The messages of these ids, as queued."""
    if not ids:
        return []
    rows = await db.fetchall(
        "SELECT id, rural_district_id, kind, texts_json, buttons_json, media_type, media_ref, priority"
        f" FROM outbox_messages WHERE id IN ({','.join('?' * len(ids))})",
        list(ids),
    )
    return [
        OutMessage(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]) if r[4] else None, r[5], r[6], r[7])
        for r in rows
    ]


async def start(db: Database, token: str, row: Claimed, kind: str, now: datetime) -> tuple[int, str] | None:
    """Mark the request as leaving now: the (chat, language) to send to.

    None when the row is not to be sent: the person is gone, unreachable or took announcements
    off, the message was cancelled (the row is marked so), or the row is no longer this sender's.
    One transaction as one function (``Database.run``): it is written for every message, and the
    senders of several bots share the connection."""
    now_db = to_db(now)

    def work(conn: sqlite3.Connection) -> tuple[int, str] | None:
        person = conn.execute(
            "SELECT p.telegram_id, p.language, p.unreachable_at, p.notify_announcements, m.cancelled_at,"
            " m.expires_at FROM people p, outbox_messages m WHERE p.id = ? AND m.id = ?",
            (row.person_id, row.message_id),
        ).fetchone()
        skip: tuple[str, str | None] | None = None
        if person is None:
            skip = ("skipped", "the person is gone")
        elif person[4] is not None:
            skip = ("cancelled", None)
        elif person[5] is not None and person[5] <= now_db:
            skip = ("skipped", EXPIRED)
        elif person[2] is not None:
            skip = ("skipped", "unreachable: blocked the bot or the chat is gone")
        elif kind == "announcement" and not person[3]:
            skip = ("skipped", "announcements turned off")
        if skip:
            conn.execute(
                "UPDATE outbox SET state = ?, error = ?, claimed_by = NULL WHERE id = ? AND claimed_by = ?",
                (skip[0], skip[1], row.id, token),
            )
            return None
        started = conn.execute(
            "UPDATE outbox SET started_at = ?, attempts = attempts + 1"
            " WHERE id = ? AND state = 'sending' AND claimed_by = ?",
            (now_db, row.id, token),
        ).rowcount
        if not started:  # cancelled meanwhile (or taken back): not ours to send
            return None
        return int(person[0]), str(person[1])

    return await db.run(work)


async def pause(db: Database, until: datetime, *, route: int = ANY_BOT) -> None:
    """Telegram asked for a pause: every sender of the bot reads it at its next claim (``route``:
    a district's bot's pause is its own)."""
    async with db.transaction() as tx:
        if route > OWN_BOT:
            await tx.execute(
                "INSERT INTO bot_pauses (bot_id, until) VALUES (?, ?)"
                " ON CONFLICT (bot_id) DO UPDATE SET until = max(until, excluded.until)",
                (route, to_db(until)),
            )
            return
        await tx.execute(
            "INSERT INTO delivery_pause (id, until) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET until = max(until, excluded.until)",
            (to_db(until),),
        )


async def finish(
    db: Database,
    token: str,
    row: Claimed,
    outcome: Outcome,
    now: datetime,
    *,
    max_attempts: int,
    description: str = "",
    telegram_message_id: int | None = None,
) -> None:
    """Write a started row's outcome: sent, back to pending (a pause, a retry), skipped or failed.
    One transaction as one function (``Database.run``), as ``start``."""
    now_db = to_db(now)
    where = " WHERE id = ? AND claimed_by = ?"
    key = (row.id, token)

    def work(conn: sqlite3.Connection) -> None:
        if outcome is Outcome.SENT:
            conn.execute(
                "UPDATE outbox SET state = 'sent', sent_at = ?, telegram_message_id = ?, error = NULL,"
                " claimed_by = NULL" + where,
                (now_db, telegram_message_id, *key),
            )
        elif outcome is Outcome.PAUSE:  # not the row's fault: the attempt does not count
            conn.execute(
                "UPDATE outbox SET state = 'pending', attempts = max(0, attempts - 1), next_attempt = ?,"
                " started_at = NULL, claimed_by = NULL, error = ?" + where,
                (now_db, description, *key),
            )
        elif outcome is Outcome.UNREACHABLE:
            conn.execute(
                "UPDATE outbox SET state = 'skipped', claimed_by = NULL, error = ?" + where,
                ("unreachable: " + description, *key),
            )
            conn.execute(
                "UPDATE people SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL",
                (now_db, row.person_id),
            )
        elif outcome is Outcome.RETRY:
            found = conn.execute("SELECT attempts FROM outbox WHERE id = ?", (row.id,)).fetchone()
            attempts = int(found[0] or 0) if found else 0
            if gives_up(attempts, max_attempts):
                conn.execute(
                    "UPDATE outbox SET state = 'failed', claimed_by = NULL, error = ?" + where,
                    (f"gave up after {attempts} attempts: {description}", *key),
                )
            else:
                conn.execute(
                    "UPDATE outbox SET state = 'pending', next_attempt = ?, started_at = NULL, claimed_by = NULL,"
                    " error = ?" + where,
                    (to_db(now + backoff(attempts)), description, *key),
                )
        else:
            conn.execute(
                "UPDATE outbox SET state = 'failed', claimed_by = NULL, error = ?" + where, (description, *key)
            )

    await db.run(work)


def process_alive(pid: int) -> bool:
    """Whether a process of this host still runs (a lease's holder on the same host that died lets
    its lease go at once, without waiting out its silence)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
