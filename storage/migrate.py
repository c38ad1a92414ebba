"""``bot.py migrate-to DATABASE_URL``: a SQLite deployment copied into an empty PostgreSQL database.

Both are brought to this code's schema first (their migrations), so they have the same tables
and columns. The tables are copied parents first (their foreign keys), each with PostgreSQL's
``COPY`` in one transaction for the whole copy, the schema's own triggers off meanwhile (the rows
arrive with the counters those triggers keep, already counted); then each identity continues
after the largest id copied, and every table's rows are counted on both sides. The bot must be
stopped during the copy; the documents' files stay in their folder beside ``DATABASE_PATH``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import asyncpg

from storage.db import Database
from storage.postgres import PostgresDatabase

_CONVERT: dict[str, Any] = {
    "bigint": int,
    "integer": int,
    "smallint": int,
    "double precision": float,
    "text": str,
    "bytea": bytes,
}


class CannotCopy(RuntimeError):
    """The target is not a fit (not empty, or lacking tables): nothing was copied."""


@dataclass(frozen=True, slots=True)
class Copied:
    counts: dict[str, tuple[int, int]]  # table: (rows in SQLite, rows in PostgreSQL)

    @property
    def matches(self) -> bool:
        return all(a == b for a, b in self.counts.values())


def _tables(conn: sqlite3.Connection) -> list[str]:
    """Every table of the SQLite file, each after the tables it refers to."""
    names = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name <> 'schema_migrations' ORDER BY name"
        )
    ]
    graph = {name: {r[2] for r in conn.execute(f'PRAGMA foreign_key_list("{name}")') if r[2] != name} for name in names}
    return list(TopologicalSorter(graph).static_order())


async def copy(source: Database, target: PostgresDatabase) -> Copied:
    """Copy every row of ``source`` (SQLite, connected) into ``target`` (connected, empty)."""
    sqlite = sqlite3.connect(f"file:{Path(source.path).resolve()}?mode=ro", uri=True)
    try:
        tables = _tables(sqlite)
        conn = await asyncpg.connect(target.url)  # the driver's own codecs: COPY's binary format
        try:
            types = {
                (r[0], r[1]): r[2]
                for r in await conn.fetch(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = current_schema()"
                )
            }
            missing = [t for t in tables if not any(key[0] == t for key in types)]
            if missing:
                raise CannotCopy(f"the target database lacks these tables: {', '.join(missing)}")
            for table in tables:
                if await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                    raise CannotCopy(
                        f"the target database is not empty (table {table} has rows): copy into an empty one"
                    )
            async with conn.transaction():
                for table in tables:
                    await conn.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
                for table in tables:
                    cursor = sqlite.execute(f'SELECT * FROM "{table}"')
                    columns = [d[0] for d in cursor.description]
                    convert = [_CONVERT.get(types.get((table, c), "text"), str) for c in columns]
                    while batch := cursor.fetchmany(5000):
                        records = [
                            tuple(None if v is None else f(v) for f, v in zip(convert, row, strict=True))
                            for row in batch
                        ]
                        await conn.copy_records_to_table(table, records=records, columns=columns)
                for table in tables:
                    await conn.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
                identities = await conn.fetch(
                    "SELECT table_name, column_name FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND is_identity = 'YES'"
                )
                for table, column in identities:
                    await conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'),"
                        f' coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
                    )
            counts = {}
            for table in tables:
                before = sqlite.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                counts[table] = (int(before), int(await conn.fetchval(f'SELECT count(*) FROM "{table}"')))
        finally:
            await conn.close()
    finally:
        sqlite.close()
    return Copied(counts)
