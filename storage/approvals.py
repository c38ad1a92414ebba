"""The second person's approval of a large announcement (``storage/broadcasts.py`` queues it held).

Another staff member of the district or the meeting's chair approves it (its rows are sent from
then on) or rejects it (nothing of it is sent); the one who composed it can do neither. The right
is read from the roles inside the transaction, never from the button.
"""

from __future__ import annotations

from bot.rules.errors import DomainError, NotAllowed, NotFound
from storage import audit
from storage.audit import Actor
from storage.broadcasts import _COLUMNS, NOT_FOUND, NOT_WAITING, NOT_YOURS_TO_APPROVE, Broadcast, approvers
from storage.db import Database, Tx


async def _deciding(tx: Tx, actor: Actor, broadcast_id: int) -> Broadcast:
    """The broadcast waiting for approval that this actor may decide on, or a refusal."""
    row = await tx.fetchone(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,))
    if row is None:
        raise NotFound(NOT_FOUND)
    item = Broadcast.from_row(row)
    if actor.person_id is None or actor.person_id not in await approvers(tx, item.rural_district_id, item.created_by):
        raise NotAllowed(NOT_YOURS_TO_APPROVE)
    if not item.awaiting_approval or item.cancelled_at is not None:
        raise DomainError(NOT_WAITING)
    return item


async def approve(db: Database, actor: Actor, broadcast_id: int, now: str) -> Broadcast:
    """A second staff member or the chair lets a held announcement go (its rows are sent from now)."""
    async with db.transaction() as tx:
        item = await _deciding(tx, actor, broadcast_id)
        await tx.execute(
            "UPDATE broadcasts SET approval = 'approved', approved_by = ?, approved_at = ? WHERE id = ?",
            (actor.person_id, now, item.id),
        )
        await tx.execute("UPDATE outbox_messages SET held = 0 WHERE id = ?", (item.message_id,))
        await audit.write(
            tx,
            actor,
            "broadcast_approved",
            "broadcast",
            item.id,
            rural_district_id=item.rural_district_id,
            after={"recipients": item.recipients, "created_by": item.created_by},
        )
        row = await tx.fetchone(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (item.id,))
    assert row is not None
    return Broadcast.from_row(row)


async def reject(db: Database, actor: Actor, broadcast_id: int, now: str) -> Broadcast:
    """A second staff member or the chair refuses a held announcement: nothing of it is sent."""
    async with db.transaction() as tx:
        item = await _deciding(tx, actor, broadcast_id)
        await tx.execute(
            "UPDATE broadcasts SET approval = 'rejected', approved_by = ?, approved_at = ?,"
            " cancelled_at = COALESCE(cancelled_at, ?) WHERE id = ?",
            (actor.person_id, now, now, item.id),
        )
        await tx.execute(
            "UPDATE outbox_messages SET cancelled_at = ? WHERE id = ? AND cancelled_at IS NULL", (now, item.message_id)
        )
        stopped = await tx.execute(
            "UPDATE outbox SET state = 'cancelled', claimed_by = NULL WHERE message_id = ? AND state = 'pending'",
            (item.message_id,),
        )
        await audit.write(
            tx,
            actor,
            "broadcast_rejected",
            "broadcast",
            item.id,
            rural_district_id=item.rural_district_id,
            after={"rows": stopped, "created_by": item.created_by},
        )
        row = await tx.fetchone(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (item.id,))
    assert row is not None
    return Broadcast.from_row(row)


async def of_any_district(db: Database, broadcast_id: int) -> Broadcast | None:
    """A broadcast by id, for those who decide on it (their right is checked by approve/reject)."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM broadcasts WHERE id = ?", (broadcast_id,))
    return Broadcast.from_row(row) if row else None
