"""The database layer: migrations, transactions, and the write path that never blocks the loop."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from storage.db import Database
from tests.steps import scratch_db


async def test_migrations_apply_once_with_the_pragmas(tmp_path: Path) -> None:
    db = await Database(tmp_path / "a.sqlite3").connect()
    try:
        names = [row[0] for row in await db.fetchall("SELECT name FROM schema_migrations ORDER BY name")]
        assert names[0] == "001_foundation" and len(names) == len(set(names)) >= 7
        assert await db.migrate() == []
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = await Database(tmp_path / "a.sqlite3").connect()
    try:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO regions (name_kk, name_ru) VALUES ('А', 'А')")
                await tx.execute("INSERT INTO regions (name_kk, name_ru) VALUES ('А', 'Б')")  # UNIQUE(name_kk)

        def half(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO regions (name_kk, name_ru) VALUES ('Б', 'Б')")
            raise RuntimeError("stop")

        with pytest.raises(RuntimeError):
            await db.run(half)
        assert await db.fetchval("SELECT count(*) FROM regions") == 0
    finally:
        await db.close()


async def test_a_write_waits_off_the_loop_while_another_process_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    db = await Database(path).connect()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO regions (name_kk, name_ru) VALUES ('Басқа', 'Другая')")
        write = asyncio.create_task(
            db.run(lambda conn: conn.execute("INSERT INTO regions (name_kk, name_ru) VALUES ('Біз', 'Мы')").lastrowid)
        )
        ticks = 0
        while not write.done() and ticks < 10:  # the loop keeps running while the write waits
            await asyncio.sleep(0.02)
            ticks += 1
        assert ticks == 10 and not write.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(write, 60) == 2
        assert await db.fetchval("SELECT count(*) FROM regions") == 2
    finally:
        other.close()
        await db.close()


async def test_aiosqlite_private_parts(tmp_path: Path) -> None:
    """Pins what ``storage/_aiosqlite.py`` relies on: the wrapped connection, and a function run in its thread."""
    import sqlite3
    import threading

    import aiosqlite

    from storage._aiosqlite import in_thread, raw

    conn = await aiosqlite.connect(tmp_path / "pin.db", check_same_thread=False)
    try:
        assert isinstance(raw(conn), sqlite3.Connection)
        assert raw(conn).execute("SELECT 41 + 1").fetchone() == (42,)
        loop_thread = threading.get_ident()
        assert await in_thread(conn, threading.get_ident) != loop_thread
    finally:
        await conn.close()


async def test_a_transaction_inside_another_joins_it_and_rolls_back_with_it(tmp_path: Path) -> None:
    async with scratch_db(tmp_path / "join.db") as db:
        with contextlib.suppress(RuntimeError):
            async with db.transaction() as outer:
                await outer.execute("INSERT INTO t VALUES (1)")
                async with db.transaction() as inner:  # a storage write called inside the handler's transaction
                    assert inner is outer
                    await inner.execute("INSERT INTO t VALUES (2)")
                assert await db.fetchval("SELECT count(*) FROM t") == 2  # the task reads its own writes
                raise RuntimeError("the handler failed after both writes")
        assert await db.fetchval("SELECT count(*) FROM t") == 0
        async with db.transaction() as outer:
            async with db.transaction() as inner:
                await inner.execute("INSERT INTO t VALUES (3)")
            await db.run(lambda raw: raw.execute("INSERT INTO t VALUES (4)"))
        assert [r[0] for r in await db.fetchall("SELECT x FROM t ORDER BY x")] == [3, 4]
