"""The audit trail and the one ``Actor`` every write of an admin or operator takes.

A write is ``storage.<feature>.verb(db, actor, …)``: it checks the actor's right to act on the
row (``actor.require(rural_district_id)``), writes the change and ``write(tx, actor, …)`` its
audit entry in one transaction. Nothing updates or deletes an audit row (triggers of migration 010
refuse it, and ``tests/test_audit.py`` reads the code for it). Actors are named by the bot's person
id (``actor_person_id``), never by Telegram id, so a person whose data were deleted leaves their
actions without a person behind them.

Reading it (the operator: every district; the chair: their own) is ``page`` with a ``Filter``, and
``rows_for_csv`` for the export.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.rules.clock import to_db
from bot.rules.errors import NotAllowed
from bot.rules.texts import N_
from storage.db import Database, Tx
from storage.people import CHAIR, STAFF, Person

STAFF_KIND = "staff"
OPERATOR_KIND = "operator"  # an operator acting in the chat
CLI_KIND = "cli"  # the operator at the command line (``bot.py …``)
SYSTEM_KIND = "system"  # a scheduled job
CHAIR_KIND = "chair"  # the meeting's chair: approves large announcements, reads the audit trail
RESIDENT_KIND = "resident"  # a resident acting on their own data (deleting it)
REFUSED_KIND = "refused"  # someone who pressed an admin button not meant for them (nothing changes)
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

    @classmethod
    def operator(cls, person: Person) -> Actor:
        """An operator in the chat (one who is also staff somewhere sets up as the operator)."""
        if not person.is_operator:
            raise NotAllowed(REFUSED)
        return cls(OPERATOR_KIND, person.id, person.telegram_id)

    @classmethod
    def chair(cls, person: Person) -> Actor:
        """The chair of the meeting of the person's rural district."""
        if not person.has_role(CHAIR):
            raise NotAllowed(REFUSED)
        return cls(CHAIR_KIND, person.id, person.telegram_id, person.rural_district_id)

    @classmethod
    def resident(cls, person: Person) -> Actor:
        return cls(RESIDENT_KIND, person.id, person.telegram_id, person.rural_district_id)

    @property
    def is_operator(self) -> bool:
        return self.kind in (OPERATOR_KIND, CLI_KIND, SYSTEM_KIND)

    def may_act_in(self, rural_district_id: int | None) -> bool:
        """Staff in their district, operators anywhere; a chair or a resident never through ``require``
        (the few things they may do check them by name)."""
        if self.is_operator:
            return True
        return self.kind == STAFF_KIND and rural_district_id is not None and rural_district_id == self.rural_district_id

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
    return await _insert(
        tx, actor.kind, actor.person_id, rural_district_id, action, object_type, object_id, before, after
    )


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


async def _insert(
    tx: Tx,
    kind: str,
    person_id: int | None,
    rural_district_id: int | None,
    action: str,
    object_type: str | None,
    object_id: int | None,
    before: Any,
    after: Any,
) -> int:
    return await tx.execute(
        "INSERT INTO audit_log (actor_person_id, actor_kind, rural_district_id, action, object_type,"
        " object_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (person_id, kind, rural_district_id, action, object_type, object_id, _json(before), _json(after)),
    )


async def refused(db: Database, *, telegram_id: int, rural_district_id: int | None, data: str | None) -> None:
    """An admin button pressed by someone it is not for (forged, or from before a role was removed)."""
    async with db.transaction() as tx:
        # the Telegram id is turned into the person's id, and is not kept
        person_id = await tx.fetchval("SELECT id FROM people WHERE telegram_id = ?", (telegram_id,))
        actor = Actor(REFUSED_KIND, person_id=person_id, telegram_id=telegram_id)
        await write(tx, actor, "admin_callback_refused", rural_district_id=rural_district_id, after={"data": data})


# --- reading it -------------------------------------------------------------------------------

# The Telegram id is looked up for convenience (None once the person's data were deleted).
_SELECT = (
    "SELECT a.id, a.at, a.actor_person_id, a.actor_kind, a.rural_district_id, a.action, a.object_type,"
    " a.object_id, a.before_json, a.after_json,"
    " (SELECT p.telegram_id FROM people p WHERE p.id = a.actor_person_id AND p.erased_at IS NULL)"
    " AS actor_telegram_id FROM audit_log a"
)


async def entries(db: Database, *, rural_district_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        _SELECT + " WHERE (? IS NULL OR a.rural_district_id = ?) ORDER BY a.id DESC LIMIT ?",
        (rural_district_id, rural_district_id, limit),
    )
    return [dict(row) for row in rows]


@dataclass(frozen=True)
class Filter:
    """What to show: a district, an actor (person id), kinds of action, a span of time [since, until)."""

    rural_district_id: int | None = None
    person_id: int | None = None
    actions: Sequence[str] = field(default_factory=tuple)
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        if self.rural_district_id is not None:
            parts.append("a.rural_district_id = ?")
            params.append(self.rural_district_id)
        if self.person_id is not None:
            parts.append("a.actor_person_id = ?")
            params.append(self.person_id)
        if self.actions:
            parts.append(f"a.action IN ({','.join('?' * len(self.actions))})")
            params += list(self.actions)
        if self.since is not None:
            parts.append("a.at >= ?")
            params.append(to_db(self.since))
        if self.until is not None:
            parts.append("a.at < ?")
            params.append(to_db(self.until))
        return (" WHERE " + " AND ".join(parts)) if parts else "", params


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    at: str
    actor_person_id: int | None
    actor_kind: str
    rural_district_id: int | None
    action: str
    object_type: str | None
    object_id: int | None
    before_json: str | None
    after_json: str | None


def _scope(actor: Actor, wanted: Filter) -> Filter:
    """The operator reads every district; the chair only their own, whatever the filter asks."""
    if actor.is_operator:
        return wanted
    if actor.kind == CHAIR_KIND and actor.rural_district_id is not None:
        return Filter(actor.rural_district_id, wanted.person_id, wanted.actions, wanted.since, wanted.until)
    raise NotAllowed(REFUSED)


async def page(db: Database, actor: Actor, wanted: Filter, *, offset: int, limit: int) -> tuple[list[Entry], int]:
    """One page of entries, newest first, and how many there are in all."""
    where, params = _scope(actor, wanted).where()
    total = int(await db.fetchval("SELECT count(*) FROM audit_log a" + where, params) or 0)
    rows = await db.fetchall(
        "SELECT a.id, a.at, a.actor_person_id, a.actor_kind, a.rural_district_id, a.action, a.object_type,"
        " a.object_id, a.before_json, a.after_json FROM audit_log a" + where + " ORDER BY a.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [Entry(*row) for row in rows], total


async def actions(db: Database, actor: Actor, rural_district_id: int | None) -> list[str]:
    """The kinds of action the log holds (for the filter's buttons)."""
    where, params = _scope(actor, Filter(rural_district_id)).where()
    rows = await db.fetchall("SELECT DISTINCT a.action FROM audit_log a" + where + " ORDER BY 1", params)
    return [row[0] for row in rows]


CSV_FIELDS = (
    "id",
    "at",
    "actor_person_id",
    "actor_kind",
    "rural_district_id",
    "action",
    "object_type",
    "object_id",
    "before_json",
    "after_json",
)


async def rows_for_csv(db: Database, actor: Actor, wanted: Filter, *, limit: int = 100_000) -> list[Entry]:
    """Every entry the filter selects, oldest first (the export is audited by the caller)."""
    where, params = _scope(actor, wanted).where()
    rows = await db.fetchall(
        "SELECT a.id, a.at, a.actor_person_id, a.actor_kind, a.rural_district_id, a.action, a.object_type,"
        " a.object_id, a.before_json, a.after_json FROM audit_log a" + where + " ORDER BY a.id LIMIT ?",
        [*params, limit],
    )
    return [Entry(*row) for row in rows]


async def export(db: Database, actor: Actor, wanted: Filter) -> list[Entry]:
    """The entries for a CSV file, and the entry saying who exported which, in one transaction."""
    async with db.transaction() as tx:
        entries = await rows_for_csv(db, actor, wanted)
        filters = {
            "rural_district_id": wanted.rural_district_id,
            "person_id": wanted.person_id,
            "actions": list(wanted.actions),
            "since": to_db(wanted.since) if wanted.since else None,
            "until": to_db(wanted.until) if wanted.until else None,
        }
        await write(
            tx,
            actor,
            "audit_exported",
            rural_district_id=actor.rural_district_id,
            after={**filters, "rows": len(entries)},
        )
    return entries
