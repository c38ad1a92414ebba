"""The database: one long-lived aiosqlite connection, its pragmas, migrations and transactions.

Every write runs inside ``async with db.transaction() as tx`` (``BEGIN IMMEDIATE``), so a
feature's operation is all or nothing. The connection is shared by every update of the
process, so an ``asyncio.Lock`` keeps one transaction from seeing another's half-done work.

A transaction opened inside another one of the same task joins it as a savepoint (no second
``BEGIN``): a storage write opens its own transaction, its own part rolls back if it fails, and
the outer transaction commits or rolls back everything. Reads of that task inside it see its
own writes.

A *unit* (``async with db.unit(on_commit)``, opened by ``bot/intake.py`` around each incoming
update) makes every write of the update's handler join one transaction, begun lazily by the first
write and committed, with the update's done mark, by ``flush()`` just before the handler's next
request to Telegram (``bot/retry.py`` calls it), or at the end. So the phone, the state and the
vote of one step commit together, and no transaction is ever held across a Telegram call.

A write waits at most ``busy_timeout`` (5 s) from when it asked for another process that holds
the write lock; then it raises, and ``fault(error)`` says ``"busy"``. A full disk (or
``PRAGMA max_page_count``) says ``"full"``. Either way the transaction is rolled back whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from storage._aiosqlite import in_thread, raw

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")
H = TypeVar("H")
BUSY_TIMEOUT_MS = 5000  # how long a write waits for another process holding the lock
# Ends the inner SELECT of a claim of due work (outbox, reminders, digests, closing contests):
# PostgreSQL's workers skip rows another one is claiming (storage/dialect.py uncomments it);
# SQLite reads a comment, its one writer at a time needs no more.
SKIP_LOCKED = "/* FOR UPDATE SKIP LOCKED */"


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer version of the bot than this code: refuse to touch it."""

    def __init__(self, path: Path, unknown: Sequence[str]) -> None:
        super().__init__(
            f"{path} was updated by a newer version of the bot (migrations this code does not know:"
            f" {', '.join(unknown)}). Run the newer version, or restore a backup made before the upgrade."
        )
        self.unknown = list(unknown)


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
        self.undo: list[Callable[[], object]] = []  # run if the transaction (or a savepoint) rolls back
        self.depth = 0  # nested savepoints open

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

    async def fetchcol(self, sql: str, params: Params = ()) -> list[Any]:
        """The first column of every row (the ids a query finds)."""
        return [row[0] for row in await self.fetchall(sql, params)]


class _InlineTx(Tx):
    """The reads of a read transaction, run on the event loop's thread (see ``Database.read``)."""

    async def _hop(self, sql: str, params: Params, mode: str) -> Any:
        return _run(raw(self._conn), sql, params, mode)


def fault(error: BaseException) -> str | None:
    """What a database error means for the person waiting: ``"busy"`` (another process held the
    write lock past the bound), ``"full"`` (the disk, or ``max_page_count``), or None (a bug)."""
    if not isinstance(error, sqlite3.DatabaseError):
        return None
    name = str(getattr(error, "sqlite_errorname", ""))
    text = str(error)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return "busy"
    if name.startswith("SQLITE_FULL") or "database or disk is full" in text:
        return "full"
    return None


@dataclass(eq=False)
class Unit:
    """The writes of one incoming update (``Database.unit``): one transaction, begun by its first
    write and committed before its next call outside the database (``Database.flush``) or at its
    end. ``on_commit(connection, note)`` runs inside that transaction just before ``COMMIT`` (the
    update's done mark) and may return an awaitable-returning callable, handed back by ``flush``."""

    owner: asyncio.Task[Any] | None
    on_commit: Callable[[sqlite3.Connection, Any], Any] | None
    tx: Tx | None = None
    token: Token[Tx | None] | None = None
    after: list[Callable[[], Awaitable[Any]]] = field(default_factory=list)
    commits: int = 0


class Database:
    """One SQLite file in WAL mode, opened once per process and closed on shutdown.

    The engine interface of storage/: ``transaction``, ``run``, ``read``, ``unit``, ``execute``
    and ``fetch*``. ``storage/postgres.py`` answers the same calls on PostgreSQL
    (``open_database`` there picks one from ``DATABASE_URL``)."""

    engine = "sqlite"

    def __init__(self, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT_MS / 1000) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._current: ContextVar[Tx | None] = ContextVar(f"tx:{id(self)}", default=None)
        self._unit: ContextVar[Unit | None] = ContextVar(f"unit:{id(self)}", default=None)

    def reopened(self) -> Database:
        """A new, unconnected handle on the same database (a restart)."""
        return Database(self.path, busy_timeout=self.busy_timeout)

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
        try:
            for pragma in (*(pragmas if not readonly else ()), f"PRAGMA busy_timeout={self._busy_ms()}"):
                await conn.execute(pragma)
        except BaseException:  # not a database: close it, or its thread keeps the process alive
            await conn.close()
            raise
        self._conn = conn
        if migrate and not readonly:
            async with self._closed_if_failed():
                await self.migrate()
        return self

    @asynccontextmanager
    async def _closed_if_failed(self) -> AsyncIterator[None]:
        """The rest of ``connect`` (on either engine): if it fails, the database is closed again, or
        what was opened keeps the process alive."""
        try:
            yield
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        return connected(self._conn)

    @property
    def in_transaction(self) -> bool:
        """This task is inside a transaction of this database."""
        return self._current.get() is not None

    def _busy_ms(self, seconds: float | None = None) -> int:
        return max(0, int((self.busy_timeout if seconds is None else seconds) * 1000))

    async def _begin(self, deadline: float) -> None:
        """``BEGIN IMMEDIATE`` (the lock is held): at once on the loop's thread when the write lock
        is free, else in aiosqlite's thread, waiting for another process until ``deadline`` at most
        (measured from when this write asked, so writes queued behind a waiting one fail fast)."""
        connection = raw(self.conn)
        connection.execute("PRAGMA busy_timeout = 0")
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if fault(error) != "busy":
                connection.execute(f"PRAGMA busy_timeout = {self._busy_ms()}")
                raise
        else:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_ms()}")
            return
        connection.execute(f"PRAGMA busy_timeout = {self._busy_ms(deadline - time.monotonic())}")
        try:
            await in_thread(self.conn, lambda: connection.execute("BEGIN IMMEDIATE"))
        finally:
            connection.execute(f"PRAGMA busy_timeout = {self._busy_ms()}")

    def _rolled_back(self, tx: Tx, since: int = 0) -> None:
        hooks = tx.undo[since:]
        del tx.undo[since:]
        for hook in reversed(hooks):
            hook()

    def on_rollback(self, undo: Callable[[], object]) -> None:
        """Call ``undo`` if the task's open transaction rolls back (a cache kept beside the database
        forgets what it took from it); without an open transaction the write is already final."""
        tx = self._current.get()
        if tx is not None:
            tx.undo.append(undo)

    @contextlib.contextmanager
    def _joined(self, tx: Tx) -> Iterator[sqlite3.Connection]:
        """A write joined to an open transaction: its own part rolls back if it fails, the rest stays."""
        connection = raw(self.conn)
        name, mark = f"sp{tx.depth}", len(tx.undo)
        connection.execute(f"SAVEPOINT {name}")
        tx.depth += 1
        try:
            yield connection
        except BaseException:
            if connection.in_transaction:  # SQLite itself rolls everything back on some errors (a full disk)
                connection.execute(f"ROLLBACK TO {name}")
                connection.execute(f"RELEASE {name}")
            self._rolled_back(tx, mark)
            raise
        finally:
            tx.depth -= 1
        connection.execute(f"RELEASE {name}")

    @asynccontextmanager
    async def _savepoint(self, tx: Tx) -> AsyncIterator[Tx]:
        with self._joined(tx):
            yield tx

    def _joined_run(self, tx: Tx, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._joined(tx) as connection:
            return work(connection)

    # --- a unit: the writes of one update ------------------------------------------------

    def _own_unit(self) -> Unit | None:
        unit = self._unit.get()
        if unit is None or unit.owner is not asyncio.current_task():
            return None  # a task started inside a unit does not write in it
        return unit

    async def _open_unit(self, unit: Unit) -> Tx:
        deadline = time.monotonic() + self.busy_timeout
        await self._lock.acquire()
        try:
            await self._begin(deadline)
        except BaseException:
            self._lock.release()
            raise
        tx = Tx(self.conn)
        unit.tx, unit.token = tx, self._current.set(tx)
        return tx

    def _unit_committed(self, unit: Unit, tx: Tx) -> None:
        """A unit's commit went through (on either engine): it ends, its undo list is spent."""
        self._close_unit(unit)
        tx.undo.clear()
        unit.commits += 1

    def _unit_undone(self, unit: Unit, tx: Tx) -> None:
        """A unit was rolled back (on either engine): nothing waits for its commit any more, and the
        caches forget what it wrote."""
        unit.after.clear()
        self._close_unit(unit)
        self._rolled_back(tx)

    def _close_unit(self, unit: Unit) -> None:
        assert unit.token is not None
        self._current.reset(unit.token)
        unit.tx = unit.token = None
        self._lock.release()

    async def _abort_unit(self, tx: Tx) -> None:
        """Roll back a unit's open transaction (each engine its own way); the caller closes the unit."""
        with contextlib.suppress(sqlite3.Error):
            raw(self.conn).execute("ROLLBACK")

    async def _commit_unit(self, unit: Unit, note: Any) -> Any:
        """Commit a unit's open transaction, its done mark (``on_commit``) in it (each engine its own way)."""
        tx, connection = unit.tx, raw(self.conn)
        assert tx is not None
        try:
            result = unit.on_commit(connection, note) if unit.on_commit is not None else None
            connection.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            self._unit_undone(unit, tx)
            raise
        self._unit_committed(unit, tx)
        return result

    async def _run_after(self, unit: Unit) -> None:
        while unit.after:
            call = unit.after.pop(0)
            try:
                await call()
            except Exception:
                log.exception("a call deferred until after the commit failed")

    @asynccontextmanager
    async def unit(self, on_commit: Callable[[sqlite3.Connection, Any], Any] | None = None) -> AsyncIterator[Unit]:
        """Every write of this task until the end of the block goes into one transaction, opened
        by the first write, committed by ``flush()`` (before a call outside the database: the
        bot calls it before every request to Telegram, so no transaction is held across one) or
        at the end, and rolled back by ``rollback_unit()`` or an exception. ``on_commit`` adds the
        update's done mark to each commit. Writes after a flush start the next transaction."""
        unit = Unit(asyncio.current_task(), on_commit)
        token = self._unit.set(unit)
        try:
            yield unit
        except BaseException:
            if unit.tx is not None:
                tx = unit.tx
                await self._abort_unit(tx)
                self._close_unit(unit)
                self._rolled_back(tx)
            raise
        finally:
            self._unit.reset(token)
        if unit.tx is not None:
            await self._commit_unit(unit, None)
        await self._run_after(unit)

    @property
    def holds_unit(self) -> bool:
        """This task's unit has written and not yet committed (it holds the write lock)."""
        unit = self._own_unit()
        return unit is not None and unit.tx is not None

    async def flush(self, note: Callable[[], Any] | None = None) -> Any:
        """Commit this task's unit now, if it wrote: its done mark with ``note()`` (the answer about
        to be sent), then the calls deferred until the commit. Returns what ``on_commit`` returned."""
        unit = self._own_unit()
        if unit is None or unit.tx is None:
            return None
        result = await self._commit_unit(unit, note() if note is not None else None)
        await self._run_after(unit)
        return result

    def after_commit(self, call: Callable[[], Awaitable[Any]]) -> bool:
        """Run ``call`` once this task's open unit commits (dropped if it rolls back); False when
        nothing is open, and the caller goes ahead now."""
        unit = self._own_unit()
        if unit is None or unit.tx is None:
            return False
        unit.after.append(call)
        return True

    def rollback_unit(self) -> None:
        """Undo what this task's unit wrote since its last commit (a handler failed)."""
        unit = self._own_unit()
        if unit is None or unit.tx is None:
            return
        tx = unit.tx
        with contextlib.suppress(sqlite3.Error):
            raw(self.conn).execute("ROLLBACK")
        self._unit_undone(unit, tx)

    # --- transactions ------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT``, rolled back on any error.

        Inside another transaction of the same task (or a unit) it joins that one as a savepoint:
        its own writes roll back if it fails, and the outer one commits or rolls back everything."""
        joined = self._current.get()
        if joined is None and (unit := self._own_unit()) is not None:
            joined = await self._open_unit(unit)
        if joined is not None:
            async with self._savepoint(joined):
                yield joined
            return
        deadline = time.monotonic() + self.busy_timeout
        async with self._lock:
            await self._begin(deadline)
            tx = Tx(self.conn)
            token = self._current.set(tx)
            connection = raw(self.conn)
            try:
                yield tx
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                self._rolled_back(tx)
                raise
            finally:
                self._current.reset(token)
            try:
                connection.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                self._rolled_back(tx)
                raise

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """A whole write transaction as one plain function: for hot paths (a vote).

        ``BEGIN IMMEDIATE``, ``work(connection)``, ``COMMIT`` run on the event loop's thread when
        the write lock is free at once (the usual case: tens of microseconds, no thread hop), and
        ``BEGIN`` in aiosqlite's thread, waiting up to ``busy_timeout``, when another process holds
        it. Inside a transaction or a unit it joins as a savepoint. ``work`` must not await or call
        Telegram.
        """
        joined = self._current.get()
        if joined is None and (unit := self._own_unit()) is not None:
            joined = await self._open_unit(unit)
        if joined is not None:  # the outer transaction commits or rolls back
            return self._joined_run(joined, work)
        deadline = time.monotonic() + self.busy_timeout
        async with self._lock:
            await self._begin(deadline)
            connection = raw(self.conn)
            try:
                result = work(connection)
                connection.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    connection.execute("ROLLBACK")
                raise
            return result

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
        if self._own_unit() is not None:
            async with self.transaction() as tx:
                return await tx.execute(sql, params)
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

    async def fetchcol(self, sql: str, params: Params = ()) -> list[Any]:
        """The first column of every row (the ids a query finds)."""
        return [row[0] for row in await self.fetchall(sql, params)]

    async def maintenance(self, sql: str) -> sqlite3.Row | None:
        """A statement that must run outside any transaction (``VACUUM``, a checkpoint), in
        aiosqlite's thread; its first row."""
        if self.in_transaction:
            raise RuntimeError("maintenance cannot run inside a transaction")
        async with self._lock:
            return await Tx(self.conn).fetchone(sql)

    async def schema_state(self) -> tuple[list[str], list[str]]:
        """(migrations of the code not applied yet, migrations applied that the code does not know)."""
        known = {path.stem for path in _migration_files()}
        try:
            done = {row[0] for row in await self.fetchall("SELECT name FROM schema_migrations")}
        except sqlite3.OperationalError:
            done = set()
        return sorted(known - done), sorted(done - known)

    async def migrate(self) -> list[str]:
        """Apply every ``storage/migrations/NNN_*.sql`` not applied yet, each in its own transaction."""
        await self.conn.execute(SCHEMA_MIGRATIONS)
        done = {row[0] for row in await self.fetchall("SELECT name FROM schema_migrations")}
        applied = []
        for path in pending_migrations(done, self.path):
            async with self.transaction() as tx:
                for statement in _statements(path.read_text(encoding="utf-8")):
                    await tx.execute(statement)
                await tx.execute("INSERT INTO schema_migrations (name) VALUES (?)", (path.stem,))
            log.info("applied migration %s", path.stem)
            applied.append(path.stem)
        return applied


SCHEMA_MIGRATIONS = (
    "CREATE TABLE IF NOT EXISTS schema_migrations"
    " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))"
)


def _migration_files() -> list[Path]:
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def pending_migrations(done: set[str], where: Path) -> list[Path]:
    """The code's migrations not in ``done`` (applied), in order, for either engine; ``SchemaTooNew``
    when ``done`` holds one the code does not know (a newer release applied it)."""
    files = _migration_files()
    unknown = sorted(done - {path.stem for path in files})
    if unknown:
        raise SchemaTooNew(where, unknown)
    return [path for path in files if path.stem not in done]


def connected(handle: H | None) -> H:
    """An engine's connection (or pool), once ``connect`` has opened it."""
    if handle is None:
        raise RuntimeError("database is not connected")
    return handle


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
