"""Regions, districts, rural districts and their villages (the operator adds them: ``storage/operator.py``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Protocol

from storage.db import Database, Params, Tx


class _Names(Protocol):
    @property
    def name_kk(self) -> str: ...
    @property
    def name_ru(self) -> str: ...


class Named:
    """A mixin for a row with a name in each language (``name_kk``, ``name_ru``)."""

    __slots__ = ()

    def name(self: _Names, lang: str) -> str:
        """The name in ``lang``: Russian when asked for, Kazakh otherwise."""
        return self.name_ru if lang == "ru" else self.name_kk


@dataclass(frozen=True, slots=True)
class RuralDistrict(Named):
    id: int
    district_id: int
    kind: str
    name_kk: str
    name_ru: str
    office_kk: str | None
    office_ru: str | None
    timezone: str
    quiet_start: str
    quiet_end: str

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> RuralDistrict:
        return cls(**{k: row[k] for k in cls.__slots__})  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Place(Named):
    """A region, district or village as a choice in a list."""

    id: int
    name_kk: str
    name_ru: str


async def _places(db: Database | Tx, sql: str, params: Params = ()) -> list[Place]:
    """The places a query finds (its columns: id, name_kk, name_ru), in its order."""
    return [Place(*row) for row in await db.fetchall(sql, params)]


_RD_COLUMNS = "id, district_id, kind, name_kk, name_ru, office_kk, office_ru, timezone, quiet_start, quiet_end"


async def regions(db: Database) -> list[Place]:
    return await _places(
        db,
        "SELECT r.id, r.name_kk, r.name_ru FROM regions r"
        " WHERE EXISTS (SELECT 1 FROM districts d JOIN rural_districts rd ON rd.district_id = d.id"
        "               WHERE d.region_id = r.id) ORDER BY r.name_kk",
    )


async def districts(db: Database, region_id: int) -> list[Place]:
    return await _places(
        db,
        "SELECT d.id, d.name_kk, d.name_ru FROM districts d WHERE d.region_id = ?"
        " AND EXISTS (SELECT 1 FROM rural_districts rd WHERE rd.district_id = d.id) ORDER BY d.name_kk",
        (region_id,),
    )


async def rural_districts_of(db: Database, district_id: int) -> list[Place]:
    return await _places(
        db, "SELECT id, name_kk, name_ru FROM rural_districts WHERE district_id = ? ORDER BY name_kk", (district_id,)
    )


async def all_rural_districts(db: Database) -> list[RuralDistrict]:
    rows = await db.fetchall(f"SELECT {_RD_COLUMNS} FROM rural_districts ORDER BY id")
    return [RuralDistrict.from_row(row) for row in rows]


async def rural_district(db: Database | Tx, rural_district_id: int | None) -> RuralDistrict | None:
    if rural_district_id is None:
        return None
    row = await db.fetchone(f"SELECT {_RD_COLUMNS} FROM rural_districts WHERE id = ?", (rural_district_id,))
    return RuralDistrict.from_row(row) if row else None


async def timezone(db: Database | Tx, rural_district_id: int | None) -> str:
    """The rural district's time zone, in which its people read every date and its deadlines are counted."""
    value = await db.fetchval("SELECT timezone FROM rural_districts WHERE id = ?", (rural_district_id,))
    return str(value or "Asia/Almaty")


async def villages(db: Database | Tx, rural_district_id: int) -> list[Place]:
    return await _places(
        db,
        "SELECT id, name_kk, name_ru FROM villages WHERE rural_district_id = ? ORDER BY name_kk",
        (rural_district_id,),
    )


async def village(db: Database | Tx, village_id: int | None) -> Place | None:
    if village_id is None:
        return None
    row = await db.fetchone("SELECT id, name_kk, name_ru FROM villages WHERE id = ?", (village_id,))
    return Place(*row) if row else None


async def village_in(db: Database | Tx, rural_district_id: int, village_id: int) -> Place | None:
    """The village only if it belongs to that rural district (ids from buttons are not trusted)."""
    row = await db.fetchone(
        "SELECT id, name_kk, name_ru FROM villages WHERE id = ? AND rural_district_id = ?",
        (village_id, rural_district_id),
    )
    return Place(*row) if row else None
