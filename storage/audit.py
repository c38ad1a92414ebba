"""The audit trail and the one ``Actor`` every write of an admin or operator takes.

A write is ``storage.<feature>.verb(db, actor, …)``: it checks the actor's right to act on the
row (``actor.require(rural_district_id)``), writes the change and ``write(tx, actor, …)`` its
audit entry in one transaction. Nothing updates or deletes an audit row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.rules.errors import NotAllowed
from bot.rules.texts import N_
from storage.db import Database, Tx
from storage.people import STAFF, Person

STAFF_KIND = "staff"
OPERATOR_KIND = "operator"  # an operator acting in the chat
CLI_KIND = "cli"  # the operator at the command line (``bot.py …``)
SYSTEM_KIND = "system"  # a scheduled job
# What a forged or stale admin button is answered with: it names no other district's data.
REFUSED = N_("This button is out of date. Here is the main menu.")


@dataclass(frozen=True)
class Actor:
    """Who acts: staff of one rural district, an operator (any district), the CLI or a job."""

    kind: str
    person_id: int | None = None
    telegram_id: int | None = None
    rural_district_id: int | None = None  # staff act in this district only

    @classmethod
    def of(cls, person: Person) -> Actor:
        """The actor for someone past the staff filter: staff of their district, or else an operator."""
        if person.has_role(STAFF):
            return cls(STAFF_KIND, person.id, person.telegram_id, person.rural_district_id)
        if person.is_operator:
            return cls(OPERATOR_KIND, person.id, person.telegram_id)
        raise NotAllowed(REFUSED)

    @property
    def is_operator(self) -> bool:
        return self.kind in (OPERATOR_KIND, CLI_KIND, SYSTEM_KIND)

    def may_act_in(self, rural_district_id: int | None) -> bool:
        return self.is_operator or (rural_district_id is not None and rural_district_id == self.rural_district_id)

    def require(self, rural_district_id: int | None) -> None:
        """Refuse a row of another district (a forged or stale button): raises ``NotAllowed``."""
        if not self.may_act_in(rural_district_id):
            raise NotAllowed(REFUSED)


CLI = Actor(CLI_KIND)
SYSTEM = Actor(SYSTEM_KIND)


async def write(
    tx: Tx,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    *,
    rural_district_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """Write one entry, inside the transaction of the change it describes."""
    return await record(
        tx,
        actor_kind=actor.kind,
        actor_telegram_id=actor.telegram_id,
        rural_district_id=rural_district_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )


async def record(
    tx: Tx,
    *,
    actor_kind: str,
    action: str,
    actor_telegram_id: int | None = None,
    rural_district_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """The row itself; prefer ``write`` with an ``Actor``."""
    return await tx.execute(
        "INSERT INTO audit_log (actor_telegram_id, actor_kind, rural_district_id, action, object_type,"
        " object_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            actor_telegram_id,
            actor_kind,
            rural_district_id,
            action,
            object_type,
            object_id,
            None if before is None else json.dumps(before, ensure_ascii=False, default=str),
            None if after is None else json.dumps(after, ensure_ascii=False, default=str),
        ),
    )


async def refused(db: Database, *, telegram_id: int, rural_district_id: int | None, data: str | None) -> None:
    """An admin button pressed by someone it is not for (forged, or from before a role was removed)."""
    async with db.transaction() as tx:
        await record(
            tx,
            actor_kind="refused",
            actor_telegram_id=telegram_id,
            rural_district_id=rural_district_id,
            action="admin_callback_refused",
            after={"data": data},
        )


async def entries(db: Database, *, rural_district_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT * FROM audit_log WHERE (? IS NULL OR rural_district_id = ?) ORDER BY id DESC LIMIT ?",
        (rural_district_id, rural_district_id, limit),
    )
    return [dict(row) for row in rows]
