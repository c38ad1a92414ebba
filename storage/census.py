"""The census of voters of a rural district: uploaded by staff, confirmed, then checked by the vote.

An upload is staged as a 'pending' census with its report; confirming it makes it 'current' and
the previous one 'replaced'. A contest checks the census it was bound to: contests not voted in
yet follow the new census at once, a frozen one (its first vote cast) keeps the list it started
with, which stays stored until no contest needs it. Whether a district checks a census at all is
``set_census_required`` (the district's settings and the operator's commands call it).

The census is the office's own register: deleting a resident's data (issue 14) does not change it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.rules import census as rules
from bot.rules import contests as contest_rules
from bot.rules.clock import from_db, to_db
from bot.rules.errors import DomainError
from storage import audit
from storage.audit import Actor
from storage.contests import UNFROZEN
from storage.db import Database, Tx


@dataclass(frozen=True, slots=True)
class Census:
    id: int
    rural_district_id: int
    status: str
    file_name: str | None
    entries: int
    report: dict[str, object]
    uploaded_at: datetime
    applied_at: datetime | None


@dataclass(frozen=True, slots=True)
class Staged:
    """An upload waiting for confirmation, and what it would change."""

    census: Census
    diff: rules.Diff


_COLUMNS = "id, rural_district_id, status, file_name, entries, report_json, uploaded_at, applied_at"


def _census(row: object) -> Census:
    values = list(row)  # type: ignore[call-overload]
    return Census(
        values[0],
        values[1],
        values[2],
        values[3],
        values[4],
        json.loads(values[5] or "{}"),
        from_db(values[6]),
        from_db(values[7]) if values[7] else None,
    )


async def current(db: Database | Tx, rural_district_id: int) -> Census | None:
    """The census the district's new contests check against, if it has one."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM censuses WHERE rural_district_id = ? AND status = 'current'", (rural_district_id,)
    )
    return None if row is None else _census(row)


async def required(db: Database | Tx, rural_district_id: int) -> bool:
    """Only numbers on the census vote in the district's contests."""
    value = await db.fetchval("SELECT census_required FROM rural_districts WHERE id = ?", (rural_district_id,))
    return bool(value)


async def _rebind(tx: Tx, rural_district_id: int) -> int:
    """Contests of the district not voted in yet follow the district's census now; return how many."""
    return await tx.execute(
        "UPDATE contests AS c SET census_id = (SELECT s.id FROM censuses s JOIN rural_districts rd"
        " ON rd.id = s.rural_district_id WHERE s.rural_district_id = c.rural_district_id AND s.status = 'current'"
        f" AND rd.census_required = 1) WHERE c.rural_district_id = ? AND {UNFROZEN}",
        (rural_district_id,),
    )


async def _forget_unused(tx: Tx, rural_district_id: int) -> None:
    """Replaced censuses that no contest checks against any more are deleted with their numbers."""
    await tx.execute(
        "DELETE FROM censuses WHERE rural_district_id = ? AND status = 'replaced'"
        " AND NOT EXISTS (SELECT 1 FROM contests c WHERE c.census_id = censuses.id)",
        (rural_district_id,),
    )


async def stage(
    db: Database, actor: Actor, *, rural_district_id: int, parsed: rules.Parsed, file_name: str | None, now: datetime
) -> Staged:
    """Keep an upload as the district's pending census (replacing an older pending one) with its report."""
    actor.require(rural_district_id)
    report = {
        "rows": parsed.rows,
        "malformed": parsed.lines(rules.Rejection.MALFORMED),
        "duplicate": parsed.lines(rules.Rejection.DUPLICATE),
        "unknown_villages": parsed.unknown_villages,
    }
    async with db.transaction() as tx:
        await tx.execute(
            "DELETE FROM censuses WHERE rural_district_id = ? AND status = 'pending'", (rural_district_id,)
        )
        census_id = await tx.execute(
            "INSERT INTO censuses (rural_district_id, status, file_name, entries, report_json, uploaded_by,"
            " uploaded_at) VALUES (?, 'pending', ?, ?, ?, ?, ?)",
            (rural_district_id, file_name, len(parsed.entries), json.dumps(report), actor.person_id, to_db(now)),
        )
        await tx.executemany(
            "INSERT INTO census_entries (census_id, phone, village_id, full_name, line) VALUES (?, ?, ?, ?, ?)",
            [(census_id, e.phone, e.village_id, e.full_name, e.line) for e in parsed.entries],
        )
        old = await current(tx, rural_district_id)
        added = await tx.fetchval(
            "SELECT COUNT(*) FROM census_entries n WHERE n.census_id = ?"
            " AND NOT EXISTS (SELECT 1 FROM census_entries o WHERE o.census_id = ? AND o.phone = n.phone)",
            (census_id, old.id if old else 0),
        )
        removed = (
            await tx.fetchval(
                "SELECT COUNT(*) FROM census_entries o WHERE o.census_id = ?"
                " AND NOT EXISTS (SELECT 1 FROM census_entries n WHERE n.census_id = ? AND n.phone = o.phone)",
                (old.id, census_id),
            )
            if old
            else 0
        )
        await audit.write(
            tx,
            actor,
            "census_uploaded",
            "census",
            census_id,
            rural_district_id=rural_district_id,
            after={
                "file": file_name,
                "entries": len(parsed.entries),
                "rows": parsed.rows,
                "rejected": len(parsed.rejected),
                "added": added,
                "removed": removed,
            },
        )
        row = await tx.fetchone(f"SELECT {_COLUMNS} FROM censuses WHERE id = ?", (census_id,))
    return Staged(_census(row), rules.Diff(added=added, removed=removed, kept=len(parsed.entries) - added))


async def _pending(tx: Tx, actor: Actor, census_id: int) -> Census:
    row = await tx.fetchone(f"SELECT {_COLUMNS} FROM censuses WHERE id = ? AND status = 'pending'", (census_id,))
    if row is None:
        raise DomainError(contest_rules.CENSUS_GONE)
    census = _census(row)
    actor.require(census.rural_district_id)
    return census


@dataclass(frozen=True, slots=True)
class Applied:
    entries: int
    contests_following: int  # contests not voted in yet, now checking against the new census
    contests_keeping: int  # frozen contests still checking against the list they started with


async def apply(db: Database, actor: Actor, *, census_id: int, now: datetime) -> Applied:
    """The pending census replaces the current one; contests not voted in yet follow it."""
    async with db.transaction() as tx:
        census = await _pending(tx, actor, census_id)
        rd = census.rural_district_id
        old = await current(tx, rd)
        await tx.execute(
            "UPDATE censuses SET status = 'replaced' WHERE rural_district_id = ? AND status = 'current'", (rd,)
        )
        await tx.execute("UPDATE censuses SET status = 'current', applied_at = ? WHERE id = ?", (to_db(now), census.id))
        following = await _rebind(tx, rd)
        keeping = await tx.fetchval(
            "SELECT COUNT(*) FROM contests WHERE rural_district_id = ? AND status != 'closed'"
            " AND census_id IS NOT NULL AND census_id != ?",
            (rd, census.id),
        )
        await _forget_unused(tx, rd)
        await audit.write(
            tx,
            actor,
            "census_replaced",
            "census",
            census.id,
            rural_district_id=rd,
            before={"census_id": old.id if old else None, "entries": old.entries if old else 0},
            after={"census_id": census.id, "entries": census.entries, "contests_following": following},
        )
    return Applied(census.entries, following, int(keeping))


async def discard(db: Database, actor: Actor, *, census_id: int) -> None:
    """Forget a pending upload: the current census stays."""
    async with db.transaction() as tx:
        census = await _pending(tx, actor, census_id)
        await tx.execute("DELETE FROM censuses WHERE id = ?", (census.id,))
        await audit.write(
            tx, actor, "census_discarded", "census", census.id, rural_district_id=census.rural_district_id
        )


async def set_census_required(db: Database, actor: Actor, rural_district_id: int, on: bool) -> int:
    """Turn the census check of a district on or off; contests not voted in yet follow at once, a
    frozen contest keeps its rule. Refused (``DomainError``) to turn on with no census uploaded.
    Returns how many contests follow the change."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        before = await required(tx, rural_district_id)
        if on and await current(tx, rural_district_id) is None:
            raise DomainError(contest_rules.NO_CENSUS_YET)
        await tx.execute("UPDATE rural_districts SET census_required = ? WHERE id = ?", (int(on), rural_district_id))
        following = await _rebind(tx, rural_district_id)
        await _forget_unused(tx, rural_district_id)
        await audit.write(
            tx,
            actor,
            "census_required",
            "rural_district",
            rural_district_id,
            rural_district_id=rural_district_id,
            before={"census_required": before},
            after={"census_required": on, "contests_following": following},
        )
    return following


async def villages_of(db: Database, rural_district_id: int) -> dict[int, tuple[str, str]]:
    """The district's villages by id, with their names in both languages, to read a census file's villages."""
    rows = await db.fetchall(
        "SELECT id, name_kk, name_ru FROM villages WHERE rural_district_id = ? ORDER BY id", (rural_district_id,)
    )
    return {row[0]: (row[1], row[2]) for row in rows}
