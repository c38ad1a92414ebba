"""The database: one long-lived aiosqlite connection, its pragmas, migrations and transactions.

Every write runs inside ``async with db.transaction() as tx`` (``BEGIN IMMEDIATE``), so a
feature's operation is all or nothing. The connection is shared by every update of the
process, so an ``asyncio.Lock`` keeps one transaction from seeing another's half-done work.

A transaction opened inside another one of the same task joins it (no second ``BEGIN``): a
storage write opens its own transaction, and a caller that must put several writes (a
handler's effects, its conversation state, the update's "done" mark) in one transaction opens
it around them. Reads of that task inside it see its own writes.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage._aiosqlite import in_thread, raw

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process holding the lock


def _run(raw: sqlite3.Connection, sql: str, params: Params, mode: str) -> Any:
    """One statement, start to finish, inside aiosqlite's thread: one hop from the event loop."""
    cursor = raw.execute(sql, params)
    try:
        if mode == "one":
            return cursor.fetchone()
        if mode == "all":
            return cursor.fetchall()
        return cursor.lastrowid if sql.lstrip()[:6].upper() == "INSERT" else cursor.rowcount
    finally:
        cursor.close()


class Tx:
    """The queries of one open transaction; only valid inside ``Database.transaction``."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _hop(self, sql: str, params: Params, mode: str) -> Any:
        # aiosqlite runs each call in its own thread; a statement with its fetch and close in one
        # call costs one thread hop instead of three (the votes benchmark measures this).
        conn = self._conn
        return await in_thread(conn, lambda: _run(raw(conn), sql, params, mode))

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the id of the inserted row (or the row count)."""
        return int(await self._hop(sql, params, "exec") or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self._conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        return await self._hop(sql, params, "one")  # type: ignore[no-any-return]

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        return list(await self._hop(sql, params, "all"))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class _InlineTx(Tx):
    """The reads of a read transaction, run on the event loop's thread (see ``Database.read``)."""

    async def _hop(self, sql: str, params: Params, mode: str) -> Any:
        return _run(raw(self._conn), sql, params, mode)


class Database:
    """One SQLite file in WAL mode, opened once per process and closed on shutdown."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._current: ContextVar[Tx | None] = ContextVar(f"tx:{id(self)}", default=None)

    async def connect(self, *, migrate: bool = True, readonly: bool = False) -> Database:
        """Open the file (and migrate it); ``readonly``: SQLite itself refuses every write on this
        connection (the public pages read through one: they can never change anything)."""
        if str(self.path) != ":memory:" and not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # check_same_thread=False: short reads run on the event loop's thread (below); the lock
        # keeps every use of the connection one at a time.
        if readonly:
            uri = self.path.resolve().as_uri() + "?mode=ro"
            conn = await aiosqlite.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            conn = await aiosqlite.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        pragmas = ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")
        for pragma in (*(pragmas if not readonly else ()), f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}"):
            await conn.execute(pragma)
        self._conn = conn
        if migrate and not readonly:
            await self.migrate()
        return self

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("database is not connected")
        return self._conn

    @property
    def in_transaction(self) -> bool:
        """This task is inside a transaction of this database."""
        return self._current.get() is not None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error.

        Inside another transaction of the same task it joins that one: the outer one commits
        or rolls back everything."""
        joined = self._current.get()
        if joined is not None:
            yield joined
            return
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            tx = Tx(self.conn)
            token = self._current.set(tx)
            try:
                yield tx
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            finally:
                self._current.reset(token)
            await self.conn.execute("COMMIT")

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """A whole write transaction as one plain function: for hot paths (a vote).

        ``BEGIN IMMEDIATE``, ``work(connection)``, ``COMMIT`` run on the event loop's thread when
        the write lock is free at once (the usual case: tens of microseconds, no thread hop), and
        in aiosqlite's thread, waiting up to ``busy_timeout``, when another process holds it.
        ``work`` must not await or call Telegram.
        """

        def transaction(raw: sqlite3.Connection) -> T:
            try:
                result = work(raw)
            except BaseException:
                raw.execute("ROLLBACK")
                raise
            raw.execute("COMMIT")
            return result

        if self.in_transaction:  # joined: the outer transaction commits or rolls back
            return work(raw(self.conn))

        def waiting() -> T:
            connection = raw(self.conn)
            connection.execute("BEGIN IMMEDIATE")
            return transaction(connection)

        async with self._lock:
            connection = raw(self.conn)
            connection.execute("PRAGMA busy_timeout = 0")
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:  # another process is writing: wait for it off the loop
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                return await in_thread(self.conn, waiting)
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            return transaction(connection)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """Several reads that must see one consistent state: one read transaction, on the event
        loop's thread like the single reads below (a page of a list and its count: no thread hop)."""
        joined = self._current.get()
        if joined is not None:
            yield joined
            return
        async with self._lock:
            connection = raw(self.conn)
            connection.execute("BEGIN")
            try:
                yield _InlineTx(self.conn)
            finally:
                connection.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One statement on its own, atomic by itself (autocommit): for a single-row update."""
        joined = self._current.get()
        if joined is not None:
            return await joined.execute(sql, params)
        async with self._lock:
            return await Tx(self.conn).execute(sql, params)

    # Reads outside a transaction run on the event loop's own thread. In WAL mode a reader never
    # waits for a writer, and a point query takes tens of microseconds, a fraction of what a hop
    # to aiosqlite's thread and back costs (see bench/README.md, votes). Writes, which may wait
    # up to busy_timeout for another process, always go through aiosqlite's thread.

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        if self.in_transaction:
            return _run(raw(self.conn), sql, params, "one")  # type: ignore[no-any-return]
        async with self._lock:
            return _run(raw(self.conn), sql, params, "one")  # type: ignore[no-any-return]

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        if self.in_transaction:
            return list(_run(raw(self.conn), sql, params, "all"))
        async with self._lock:
            return list(_run(raw(self.conn), sql, params, "all"))

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    async def migrate(self) -> list[str]:
        """Apply every ``storage/migrations/NNN_*.sql`` not applied yet, each in its own transaction."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))"
        )
        done = {row[0] for row in await self.fetchall("SELECT name FROM schema_migrations")}
        applied = []
        for path in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")):
            if path.stem in done:
                continue
            async with self.transaction() as tx:
                for statement in _statements(path.read_text(encoding="utf-8")):
                    await tx.execute(statement)
                await tx.execute("INSERT INTO schema_migrations (name) VALUES (?)", (path.stem,))
            log.info("applied migration %s", path.stem)
            applied.append(path.stem)
        return applied


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit on its own)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if not buffer and line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
