"""Announcements composed by staff (broadcasts): who gets them, their progress, cancelling, and
the second person's approval of a large one.

The writes, ``create``, ``cancel``, ``approve`` and ``reject``, take the ``Actor`` and check its
district. An announcement to more residents than the district's ``approval_threshold`` (500 by
default) is queued held when the district has another staff member or a chair: nothing of it is
sent until one of them approves it (a stolen staff account cannot reach the whole district alone).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.rules.errors import DomainError, NotFound
from bot.rules.texts import N_
from storage import audit, outbox
from storage.audit import Actor
from storage.db import Database, Tx

AUDIENCES = ("all", "villages", "representatives", "event")
URGENT_PRIORITY = 4  # an urgent announcement goes before notices and ordinary announcements
NOT_FOUND = N_("This announcement was not found.")
NOBODY = N_("Nobody in this audience gets announcements. Please choose another audience.")
NOT_YOURS_TO_APPROVE = N_(
    "Only another staff member of the rural district or the chair of the meeting can approve this announcement."
)
NOT_WAITING = N_("This announcement is not waiting for approval any more.")
# (texts, buttons) per language of the request to approve a broadcast, given its id
ApprovalNotice = Callable[[int], tuple[dict[str, str], dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    rural_district_id: int
    created_by: int
    text_kk: str
    text_ru: str
    media_type: str | None
    media_ref: str | None
    audience: str
    audience_ids: list[int]
    urgent: bool
    send_at: str
    recipients: int
    message_id: int
    progress_chat_id: int | None
    progress_message_id: int | None
    progress_lang: str
    progress_shown: str | None
    finished_at: str | None
    cancelled_at: str | None
    created_at: str
    approval: str | None = None  # 'pending', 'approved', 'rejected'; None: no approval needed
    approved_by: int | None = None
    approved_at: str | None = None

    @property
    def awaiting_approval(self) -> bool:
        return self.approval == "pending"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Broadcast:
        values = dict(row)
        values["audience_ids"] = json.loads(values["audience_ids"])
        values["urgent"] = bool(values["urgent"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Counts:
    """Where a broadcast's rows are: sent, still to go, failed, unreachable, otherwise skipped, cancelled."""

    sent: int = 0
    pending: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    cancelled: int = 0

    @property
    def open(self) -> int:
        return self.pending

    @property
    def total(self) -> int:
        return self.sent + self.pending + self.failed + self.unreachable + self.skipped + self.cancelled

    def key(self) -> str:
        return f"{self.sent}/{self.pending}/{self.failed}/{self.unreachable}/{self.skipped}/{self.cancelled}"


_COLUMNS = (
    "id, rural_district_id, created_by, text_kk, text_ru, media_type, media_ref, audience, audience_ids, urgent,"
    " send_at, recipients, message_id, progress_chat_id, progress_message_id, progress_lang, progress_shown,"
    " finished_at, cancelled_at, created_at, approval, approved_by, approved_at"
)


# --- audiences ------------------------------------------------------------------------------


async def has_event_invitees(db: Database | Tx) -> bool:
    """The events feature's hook: the «invited to an event» audience exists when its view does."""
    return bool(
        await db.fetchval("SELECT 1 FROM sqlite_master WHERE name = 'event_invitees' AND type IN ('view', 'table')")
    )


async def events_to_choose(db: Database, rural_district_id: int, now: str) -> list[tuple[int, str, str, str]]:
    """Events of the district not yet over and not cancelled: (id, title_kk, title_ru, starts_at).

    Empty when the events feature (``events`` and ``event_invitees``) is not installed."""
    if not await has_event_invitees(db):
        return []
    try:
        rows = await db.fetchall(
            "SELECT id, title_kk, title_ru, starts_at FROM events WHERE rural_district_id = ? AND ends_at >= ?"
            " AND cancelled_at IS NULL ORDER BY starts_at LIMIT 10",
            (rural_district_id, now),
        )
    except sqlite3.OperationalError:  # the events feature's schema differs from what this hook expects
        return []
    return [(r[0], r[1], r[2], r[3]) for r in rows]


async def event_invitee_ids(tx: Database | Tx, rural_district_id: int, event_id: int) -> list[int]:
    """People invited to one of the district's events, with announcements on and reachable."""
    if not await has_event_invitees(tx):
        return []
    return await tx.fetchcol(
        "SELECT DISTINCT p.id FROM event_invitees i JOIN people p ON p.id = i.person_id"
        " JOIN events e ON e.id = i.event_id"
        " WHERE i.event_id = ? AND e.rural_district_id = ? AND p.rural_district_id = ?"
        " AND p.unreachable_at IS NULL AND p.notify_announcements = 1 ORDER BY p.id",
        (event_id, rural_district_id, rural_district_id),
    )


async def event_title(db: Database, rural_district_id: int, event_id: int) -> tuple[str, str] | None:
    """(title_kk, title_ru) of one of the district's events, for naming its invitees."""
    if not await has_event_invitees(db):
        return None
    row = await db.fetchone(
        "SELECT title_kk, title_ru FROM events WHERE id = ? AND rural_district_id = ?", (event_id, rural_district_id)
    )
    return (row[0], row[1]) if row else None


async def audience_ids(tx: Database | Tx, rural_district_id: int, audience: str, ids: Sequence[int]) -> list[int]:
    """Person ids of an audience who take announcements: the district, villages, representatives, an event."""
    if audience == "event":
        return await event_invitee_ids(tx, rural_district_id, ids[0]) if ids else []
    if audience == "villages" and not ids:
        return []
    return await outbox.residents(
        tx,  # type: ignore[arg-type]  # residents() only reads
        rural_district_id,
        village_ids=list(ids) if audience == "villages" else None,
        role="representative" if audience == "representatives" else None,
        announcements_only=True,
    )


async def languages_of(db: Database, person_ids: Sequence[int]) -> dict[str, int]:
    """How many of these people read each language."""
    counts: dict[str, int] = {}
    ids = list(person_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = await db.fetchall(
            f"SELECT language, count(*) FROM people WHERE id IN ({','.join('?' * len(chunk))}) GROUP BY language",
            chunk,
        )
        for lang, n in rows:
            counts[lang] = counts.get(lang, 0) + n
    return counts


# --- broadcasts -----------------------------------------------------------------------------


async def create(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    texts: dict[str, str],
    text_kk: str,
    text_ru: str,
    media_type: str | None,
    media_ref: str | None,
    audience: str,
    audience_ids_: Sequence[int],
    urgent: bool,
    send_at: str,
    progress_lang: str,
    approval_notice: ApprovalNotice | None = None,
) -> Broadcast:
    """Queue the announcement for everyone in the audience (as it is now) at ``send_at``, keep it
    as a broadcast and write its audit entry; ``DomainError`` when nobody in it takes announcements.

    Over the district's approval threshold, with someone to approve it, it is queued held and
    ``approval_notice`` (texts and buttons) goes to those who may approve it."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        recipients = await audience_ids(tx, rural_district_id, audience, audience_ids_)
        if not recipients:
            raise DomainError(NOBODY)
        threshold = await tx.fetchval(
            "SELECT approval_threshold FROM rural_districts WHERE id = ?", (rural_district_id,)
        )
        deciders = await approvers(tx, rural_district_id, actor.person_id)
        held = len(set(recipients)) > int(threshold) and bool(deciders)
        message_id = await outbox.enqueue(
            tx,
            rural_district_id=rural_district_id,
            kind="announcement",
            texts=texts,
            recipients=recipients,
            priority=URGENT_PRIORITY if urgent else None,
            respect_quiet=not urgent,
            media_type=media_type,
            media_ref=media_ref,
            not_before=send_at,
            created_by=actor.person_id,
            source_type="broadcast",
            held=held,
        )
        broadcast_id = await tx.execute(
            "INSERT INTO broadcasts (rural_district_id, created_by, text_kk, text_ru, media_type, media_ref, audience,"
            " audience_ids, urgent, send_at, recipients, message_id, progress_lang)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rural_district_id,
                actor.person_id,
                text_kk,
                text_ru,
                media_type,
                media_ref,
                audience,
                json.dumps(list(audience_ids_)),
                int(urgent),
                send_at,
                len(set(recipients)),
                message_id,
                progress_lang,
            ),
        )
        await tx.execute("UPDATE outbox_messages SET source_id = ? WHERE id = ?", (broadcast_id, message_id))
        if held:
            await tx.execute("UPDATE broadcasts SET approval = 'pending' WHERE id = ?", (broadcast_id,))
            if approval_notice is not None:
                texts_, buttons = approval_notice(broadcast_id)
                await outbox.enqueue(
                    tx,
                    rural_district_id=rural_district_id,
                    kind="staff",
                    texts=texts_,
                    buttons=buttons,
                    recipients=deciders,
                    respect_quiet=False,
                    source_type="broadcast_approval",
                    source_id=broadcast_id,
                )
        row = await tx.fetchone(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,))
        assert row is not None
        item = Broadcast.from_row(row)
        after = {
            "audience": item.audience,
            "ids": item.audience_ids,
            "recipients": item.recipients,
            "send_at": item.send_at,
            "urgent": item.urgent,
            "approval": item.approval,
        }
        await audit.write(
            tx, actor, "broadcast_created", "broadcast", item.id, rural_district_id=rural_district_id, after=after
        )
    return item


async def get(db: Database | Tx, rural_district_id: int, broadcast_id: int) -> Broadcast | None:
    """The broadcast only if it belongs to that rural district (ids from buttons are not trusted)."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ? AND rural_district_id = ?", (broadcast_id, rural_district_id)
    )
    return Broadcast.from_row(row) if row else None


async def owned(db: Database | Tx, rural_district_id: int, broadcast_id: int) -> Broadcast:
    """The broadcast of that rural district, or ``NotFound`` (for a forged or another district's id)."""
    item = await get(db, rural_district_id, broadcast_id)
    if item is None:
        raise NotFound(NOT_FOUND)
    return item


async def open_count(db: Database, rural_district_id: int) -> int:
    """How many of the district's broadcasts are being sent or wait for their time."""
    return int(
        await db.fetchval(
            "SELECT count(*) FROM broadcasts WHERE rural_district_id = ? AND finished_at IS NULL"
            " AND cancelled_at IS NULL",
            (rural_district_id,),
        )
    )


async def recent(db: Database, rural_district_id: int, limit: int = 5) -> list[Broadcast]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE rural_district_id = ? ORDER BY id DESC LIMIT ?",
        (rural_district_id, limit),
    )
    return [Broadcast.from_row(r) for r in rows]


async def set_progress_message(db: Database, broadcast_id: int, chat_id: int, message_id: int, lang: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ?, progress_lang = ? WHERE id = ?",
            (chat_id, message_id, lang, broadcast_id),
        )


async def counts(db: Database | Tx, message_id: int) -> Counts:
    rows = await db.fetchall(
        "SELECT CASE WHEN state IN ('pending', 'sending') THEN 'pending'"
        "            WHEN state = 'skipped' AND error LIKE 'unreachable%' THEN 'unreachable'"
        "            ELSE state END AS bucket, count(*) FROM outbox WHERE message_id = ? GROUP BY bucket",
        (message_id,),
    )
    values: dict[str, Any] = {bucket: n for bucket, n in rows}
    return Counts(**{k: int(values.get(k, 0)) for k in Counts.__slots__})  # type: ignore[attr-defined]


async def cancel(db: Database, actor: Actor, rural_district_id: int, broadcast_id: int, now: str) -> int:
    """Stop a broadcast of the district: cancel what is not yet sent (nor on its way to Telegram),
    with its audit entry; return how many rows. What already left stays sent."""
    async with db.transaction() as tx:
        item = await owned(tx, rural_district_id, broadcast_id)
        actor.require(item.rural_district_id)
        await tx.execute(
            "UPDATE outbox_messages SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL", (now, item.message_id)
        )
        await tx.execute("UPDATE broadcasts SET cancelled_at = COALESCE(cancelled_at, ?) WHERE id = ?", (now, item.id))
        stopped = await tx.execute(
            "UPDATE outbox SET state = 'cancelled', claimed_by = NULL WHERE message_id = ?"
            " AND (state = 'pending' OR (state = 'sending' AND started_at IS NULL))",
            (item.message_id,),
        )
        await audit.write(
            tx,
            actor,
            "broadcast_cancelled",
            "broadcast",
            item.id,
            rural_district_id=item.rural_district_id,
            after={"rows": stopped},
        )
    return stopped


async def unfinished(db: Database, now: str) -> list[Broadcast]:
    """Broadcasts with a progress message still to keep up to date (their time has come)."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM broadcasts WHERE finished_at IS NULL AND progress_message_id IS NOT NULL"
        " AND send_at <= ? ORDER BY id",
        (now,),
    )
    return [Broadcast.from_row(r) for r in rows]


async def mark_shown(db: Database, broadcast_id: int, shown: str, *, finished: bool, now: str) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE broadcasts SET progress_shown = ?, finished_at = CASE WHEN ? THEN ? ELSE finished_at END"
            " WHERE id = ?",
            (shown, int(finished), now, broadcast_id),
        )


# --- the second person's approval -------------------------------------------------------------


async def approvers(tx: Database | Tx, rural_district_id: int, creator_id: int | None) -> list[int]:
    """Who may approve a large announcement of the district: its other staff, and the chair."""
    rows = await tx.fetchall(
        "SELECT DISTINCT r.person_id FROM roles r JOIN people p ON p.id = r.person_id"
        " WHERE r.rural_district_id = ? AND r.role IN ('staff', 'chair') AND r.person_id IS NOT ?"
        " AND p.erased_at IS NULL ORDER BY r.person_id",
        (rural_district_id, creator_id),
    )
    return [r[0] for r in rows]
