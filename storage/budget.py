"""Budgets of rural districts by year: revenue lines by source and spending lines by programme.

The writes, ``set_line`` and ``set_target``, take an ``Actor`` (staff, or the CLI for the demo),
check it may act in the district, and write the change with its audit entry in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import audit
from storage.audit import Actor
from storage.db import Database, Tx

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ')"


@dataclass(frozen=True, slots=True)
class Line:
    id: int
    side: str  # 'revenue' or 'spending'
    source: str | None  # revenue: 'own' or 'transfer'
    code: str | None
    name_kk: str
    name_ru: str
    amount: int


@dataclass(frozen=True, slots=True)
class Budget:
    id: int
    rural_district_id: int
    year: int
    target: float | None
    lines: tuple[Line, ...]

    def revenues(self) -> list[Line]:
        return [line for line in self.lines if line.side == "revenue"]

    def spending(self) -> list[Line]:
        return [line for line in self.lines if line.side == "spending"]

    @property
    def own(self) -> int:
        return sum(line.amount for line in self.revenues() if line.source == "own")

    @property
    def transfers(self) -> int:
        return sum(line.amount for line in self.revenues() if line.source == "transfer")

    @property
    def total_revenue(self) -> int:
        return sum(line.amount for line in self.revenues())

    @property
    def total_spending(self) -> int:
        return sum(line.amount for line in self.spending())


async def get(db: Database | Tx, rural_district_id: int, year: int) -> Budget | None:
    row = await db.fetchone(
        "SELECT id, rural_district_id, year, target FROM budgets WHERE rural_district_id = ? AND year = ?",
        (rural_district_id, year),
    )
    if row is None:
        return None
    lines = await db.fetchall(
        "SELECT id, side, source, code, name_kk, name_ru, amount FROM budget_lines WHERE budget_id = ?"
        " ORDER BY side, source, amount DESC, id",
        (row[0],),
    )
    return Budget(row[0], row[1], row[2], row[3], tuple(Line(*line) for line in lines))


async def years(db: Database | Tx, rural_district_id: int) -> list[int]:
    """Years that have at least one line, newest first."""
    rows = await db.fetchall(
        "SELECT b.year FROM budgets b WHERE b.rural_district_id = ?"
        " AND EXISTS (SELECT 1 FROM budget_lines l WHERE l.budget_id = b.id) ORDER BY b.year DESC",
        (rural_district_id,),
    )
    return [r[0] for r in rows]


async def _ensure(tx: Tx, rural_district_id: int, year: int, *, by: int | None = None) -> int:
    await tx.execute(
        "INSERT INTO budgets (rural_district_id, year, updated_by) VALUES (?, ?, ?)"
        " ON CONFLICT (rural_district_id, year) DO NOTHING",
        (rural_district_id, year, by),
    )
    return int(
        await tx.fetchval("SELECT id FROM budgets WHERE rural_district_id = ? AND year = ?", (rural_district_id, year))
    )


async def _set_line(
    tx: Tx, budget_id: int, *, side: str, amount: int, source: str | None, code: str | None, name_kk: str, name_ru: str
) -> int:
    existing = await tx.fetchval(
        "SELECT id FROM budget_lines WHERE budget_id = ? AND side = ? AND"
        " (code = ? OR (code IS NULL AND ? IS NULL AND name_kk = ? AND name_ru = ?))",
        (budget_id, side, code, code, name_kk, name_ru),
    )
    if existing is not None:
        if amount == 0:
            await tx.execute("DELETE FROM budget_lines WHERE id = ?", (existing,))
            return 0
        await tx.execute("UPDATE budget_lines SET amount = ?, source = ? WHERE id = ?", (amount, source, existing))
        return int(existing)
    if amount == 0:
        return 0
    return await tx.execute(
        "INSERT INTO budget_lines (budget_id, side, source, code, name_kk, name_ru, amount)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (budget_id, side, source, code, name_kk, name_ru, amount),
    )


async def set_line(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    year: int,
    side: str,
    amount: int,
    source: str | None = None,
    code: str | None = None,
    name_kk: str = "",
    name_ru: str = "",
) -> int:
    """Set a line's amount (a known code, or a name, is replaced, not added twice); 0 removes it.
    Return the line's id, 0 when removed."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        budget_id = await _ensure(tx, rural_district_id, year, by=actor.person_id)
        await tx.execute(
            f"UPDATE budgets SET updated_by = ?, updated_at = {_NOW} WHERE id = ?", (actor.person_id, budget_id)
        )
        line_id = await _set_line(
            tx, budget_id, side=side, amount=amount, source=source, code=code, name_kk=name_kk, name_ru=name_ru
        )
        await audit.write(
            tx,
            actor,
            "budget_line",
            "budget_line",
            line_id or None,
            rural_district_id=rural_district_id,
            after={"year": year, "side": side, "code": code, "amount": amount, "name": [name_kk, name_ru]},
        )
    return line_id


async def set_target(db: Database, actor: Actor, *, rural_district_id: int, year: int, target: float | None) -> None:
    """Set (or, with None, remove) the self-sufficiency target of a year."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        budget_id = await _ensure(tx, rural_district_id, year, by=actor.person_id)
        await tx.execute(
            f"UPDATE budgets SET target = ?, updated_by = ?, updated_at = {_NOW} WHERE id = ?",
            (target, actor.person_id, budget_id),
        )
        await audit.write(
            tx,
            actor,
            "budget_target",
            "budget",
            None,
            rural_district_id=rural_district_id,
            after={"year": year, "target": target},
        )
