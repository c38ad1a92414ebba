"""The PostgreSQL engine (``DATABASE_URL=postgresql://…``): the same ``Database`` as SQLite's.

Every storage function takes a ``Database`` and calls ``transaction``, ``run``, ``read``,
``execute`` and ``fetch*`` on it; this class answers them with asyncpg (native asyncio, the
binary protocol, prepared statements cached per connection: the fastest well-kept driver, and no
thread per connection as psycopg's async mode still needs for some calls). The SQL is storage/'s
own, rewritten once per statement by ``storage/dialect.py``, and the schema is the SQLite
migrations translated there (``migrations/pg/NNN_*.sql`` replaces one when a translation is not
enough).

What the callers see stays SQLite's:

- a row answers ``row[0]`` and ``row["name"]`` (asyncpg's ``Record``);
- a driver error is re-raised as the ``sqlite3`` error of the same meaning (``IntegrityError``
  for a constraint, ``OperationalError`` "database is locked" for a lock or serialization
  failure, "database or disk is full"), the driver's own as its cause, so ``fault()`` and the
  ``except sqlite3.IntegrityError`` in storage/ work unchanged;
- ``?`` and ``INTEGER`` columns: parameters are encoded as SQLite would take them (an int into a
  text parameter, a numeric text into an integer one), ``numeric`` comes back as int or float;
- ``db.run(work)`` and a unit's ``on_commit`` are plain functions given a ``sqlite3``-like
  connection: they run in a worker thread whose every statement is handed to the event loop.

Transactions: one writer at a time per process (as with SQLite), each write transaction on a
connection of its own from the pool; reads outside one use the pool freely. A transaction inside
another of the same task joins it as a savepoint, and a unit holds one transaction until
``flush``, exactly as ``storage/db.py`` describes.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar, cast

import asyncpg

from storage import dialect
from storage.db import (
    MIGRATIONS_DIR,
    SCHEMA_MIGRATIONS,
    Database,
    Params,
    Tx,
    Unit,
    _statements,
    connected,
    pending_migrations,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
PG_DIR = MIGRATIONS_DIR / "pg"
_MIGRATE_LOCK = 0x5EC7_B07  # pg_advisory_lock key: one process migrates at a time


def is_postgres(url: str | None) -> bool:
    return bool(url) and str(url).startswith(("postgresql://", "postgres://"))


# --- SQLite's meaning of values and errors ------------------------------------------------------


def _int(value: Any) -> str:
    return str(int(value))


def _float(value: Any) -> str:
    return repr(float(value))


def _numeric_out(text: str) -> int | float:
    value = Decimal(text)
    return int(value) if value == value.to_integral_value() else float(value)


async def _init(conn: asyncpg.Connection) -> None:
    """Codecs that take and give values as SQLite does (text format, converted in Python)."""
    for name in ("int8", "int4", "int2"):
        await conn.set_type_codec(name, encoder=_int, decoder=int, schema="pg_catalog", format="text")
    await conn.set_type_codec("float8", encoder=_float, decoder=float, schema="pg_catalog", format="text")
    await conn.set_type_codec("numeric", encoder=str, decoder=_numeric_out, schema="pg_catalog", format="text")
    await conn.set_type_codec("text", encoder=str, decoder=str, schema="pg_catalog", format="text")


def as_sqlite_error(error: BaseException, sql: str | None = None) -> BaseException:
    """The ``sqlite3`` error a driver error means, with the driver's error as its cause."""
    if not isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError):
        return error
    detail = getattr(error, "detail", None)
    text = f"{error}" + (f" ({detail})" if detail else "")
    if sql is not None and not isinstance(error, asyncpg.IntegrityConstraintViolationError):
        text += f" in: {sql}"  # a statement the translation got wrong names itself
    new: sqlite3.Error
    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        kind = _SQLITE_WORDING.get(type(error).__name__)
        name = getattr(error, "constraint_name", None) or getattr(error, "column_name", None)
        new = sqlite3.IntegrityError(f"{kind} constraint failed: {name}: {text}" if kind else text)
    elif isinstance(
        error,
        asyncpg.DeadlockDetectedError
        | asyncpg.LockNotAvailableError
        | asyncpg.SerializationError
        | asyncpg.QueryCanceledError,
    ):
        new = sqlite3.OperationalError(f"database is locked: {text}")
    elif isinstance(error, asyncpg.DiskFullError | asyncpg.InsufficientResourcesError):
        new = sqlite3.OperationalError(f"database or disk is full: {text}")
    elif isinstance(error, asyncpg.DataError):
        new = sqlite3.DataError(text)
    else:
        new = sqlite3.OperationalError(text)
    new.__cause__ = error
    return new


_COUNT = re.compile(r"(\d+)$")
# SQLite's words for a broken constraint, which callers and tests read ("UNIQUE constraint failed")
_SQLITE_WORDING = {
    "UniqueViolationError": "UNIQUE",
    "NotNullViolationError": "NOT NULL",
    "CheckViolationError": "CHECK",
    "ForeignKeyViolationError": "FOREIGN KEY",
}


async def query(conn: asyncpg.Connection, sql: str, params: Params, mode: str, id_tables: frozenset[str]) -> Any:
    """One statement of storage/ on this connection: ``one`` row, ``all`` rows, or ``exec`` (the new
    row's id for an INSERT into a table with an ``id``, else the count of rows changed)."""
    text = dialect.to_postgres(sql)
    args = _args(sql, params)
    try:
        if mode == "one":
            return await conn.fetchrow(text, *args)
        if mode == "all":
            return await conn.fetch(text, *args)
        returning = dialect.has_returning(text)
        table = dialect.inserted_table(sql)
        if table is not None and (returning or table in id_tables):
            rows = await conn.fetch(text if returning else text + " RETURNING id", *args)
            return rows[-1][0] if rows else 0
        if returning:
            return len(await conn.fetch(text, *args))
        status = await conn.execute(text, *args)
        found = _COUNT.search(status or "")
        return int(found.group(1)) if found else 0
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise as_sqlite_error(error, text) from error.__cause__


def _args(sql: str, params: Params) -> Sequence[Any]:
    if isinstance(params, dict):
        return [params[name] for name in dialect.named_parameters(sql)]
    return params


# --- plain functions (``db.run``, ``on_commit``) on a sqlite3-like connection -------------------


class _Cursor:
    def __init__(self, rows: list[Any], count: int, lastrowid: int | None) -> None:
        self._rows, self.rowcount, self.lastrowid = rows, count, lastrowid

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._rows = []


class SyncConnection:
    """What ``work(connection)`` may call, run in a worker thread: each statement is sent to the
    event loop, where the transaction's asyncpg connection lives, and waited for."""

    def __init__(self, db: PostgresDatabase, conn: asyncpg.Connection, loop: asyncio.AbstractEventLoop) -> None:
        self._db, self._conn, self._loop = db, conn, loop
        self.in_transaction = True

    def _wait(self, work: Awaitable[T]) -> T:
        future = asyncio.run_coroutine_threadsafe(cast(Any, work), self._loop)
        while True:  # never wait for a loop that has stopped (the caller was cancelled, the process ends)
            try:
                return cast(T, future.result(timeout=0.5))
            except concurrent.futures.TimeoutError:
                if self._loop.is_closed() or not self._loop.is_running():
                    future.cancel()
                    raise sqlite3.OperationalError("the event loop stopped during the transaction") from None

    def execute(self, sql: str, params: Params = ()) -> _Cursor:
        head = sql.lstrip()[:6].upper()
        if head in ("SELECT", "WITH R", "WITH ") or dialect.has_returning(sql):
            rows = list(self._wait(query(self._conn, sql, params, "all", self._db.id_tables)))
            return _Cursor(rows, len(rows), None)
        value = self._wait(query(self._conn, sql, params, "exec", self._db.id_tables))
        return _Cursor([], 0 if head == "INSERT" else value, value if head == "INSERT" else None)

    def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        for row in rows:
            self.execute(sql, row)


# --- the engine ----------------------------------------------------------------------------------


class PgTx(Tx):
    """The queries of one open PostgreSQL transaction."""

    def __init__(self, db: PostgresDatabase, conn: asyncpg.Connection) -> None:
        super().__init__(cast(Any, None))
        self.db, self.pg = db, conn

    async def _hop(self, sql: str, params: Params, mode: str) -> Any:
        return await query(self.pg, sql, params, mode, self.db.id_tables)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        for row in rows:
            await query(self.pg, sql, row, "exec", self.db.id_tables)


class PostgresDatabase(Database):
    """A PostgreSQL database behind the interface of ``storage.db.Database``.

    ``path`` is still where the deployment's files live (documents' bytes beside it), as with
    SQLite; the data are in the server."""

    engine = "postgresql"

    def __init__(
        self, url: str, *, path: str | Path = "data/bot.sqlite3", busy_timeout: float = 5.0, pool_size: int = 10
    ) -> None:
        super().__init__(path, busy_timeout=busy_timeout)
        self.url = url
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self.id_tables: frozenset[str] = frozenset()

    def reopened(self) -> PostgresDatabase:
        return PostgresDatabase(self.url, path=self.path, busy_timeout=self.busy_timeout, pool_size=self.pool_size)

    async def connect(self, *, migrate: bool = True, readonly: bool = False) -> PostgresDatabase:
        settings = {"timezone": "UTC", "application_name": "aul-bot"}
        if readonly:
            settings["default_transaction_read_only"] = "on"
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                init=_init,
                server_settings=settings,
                command_timeout=60,
            )
        except (asyncpg.PostgresError, OSError) as error:
            raise sqlite3.OperationalError(f"cannot connect to PostgreSQL: {error}") from error
        async with self._closed_if_failed():
            if migrate and not readonly:
                await self.migrate()
            await self._load_id_tables()
        return self

    async def close(self) -> None:
        if self._pending_rollbacks:  # a unit rolled back just before the shutdown
            await asyncio.gather(*self._pending_rollbacks, return_exceptions=True)
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def pool(self) -> asyncpg.Pool:
        return connected(self._pool)

    async def _load_id_tables(self) -> None:
        rows = await self.pool.fetch(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND column_name = 'id'"
        )
        self.id_tables = frozenset(str(r[0]).lower() for r in rows)

    # --- transactions ----------------------------------------------------------------------------

    async def _acquire(self, deadline: float) -> asyncpg.Connection:
        timeout = max(0.05, deadline - time.monotonic())
        try:
            return await self.pool.acquire(timeout=timeout)
        except TimeoutError as error:
            raise sqlite3.OperationalError("database is locked: no free connection") from error

    async def _begin_on(self, deadline: float) -> asyncpg.Connection:
        """The write lock of this process is held: a connection with its transaction begun."""
        conn = await self._acquire(deadline)
        try:
            await conn.execute("BEGIN")
            await conn.execute(f"SET LOCAL lock_timeout = {self._busy_ms(deadline - time.monotonic()) or 1}")
        except BaseException:
            await self.pool.release(conn)
            raise
        return conn

    async def _end(self, conn: asyncpg.Connection, sql: str) -> None:
        try:
            await conn.execute(sql)
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            raise as_sqlite_error(error) from error
        finally:  # a COMMIT that fails ends the transaction too (rolled back)
            await self.pool.release(conn)

    async def _abort(self, conn: asyncpg.Connection) -> None:
        try:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.execute("ROLLBACK")
        finally:
            await self.pool.release(conn)

    @asynccontextmanager
    async def _pg_savepoint(self, tx: PgTx) -> AsyncIterator[PgTx]:
        name, mark = f"sp{tx.depth}", len(tx.undo)
        await tx.pg.execute(f"SAVEPOINT {name}")
        tx.depth += 1
        try:
            yield tx
        except BaseException:
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError):
                await tx.pg.execute(f"ROLLBACK TO SAVEPOINT {name}")
                await tx.pg.execute(f"RELEASE SAVEPOINT {name}")
            self._rolled_back(tx, mark)
            raise
        finally:
            tx.depth -= 1
        await tx.pg.execute(f"RELEASE SAVEPOINT {name}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        joined = self._current.get()
        if joined is None and (unit := self._own_unit()) is not None:
            joined = await self._open_unit(unit)
        if joined is not None:
            async with self._pg_savepoint(cast(PgTx, joined)) as tx:
                yield tx
            return
        deadline = time.monotonic() + self.busy_timeout
        async with self._lock:
            conn = await self._begin_on(deadline)
            tx = PgTx(self, conn)
            token = self._current.set(tx)
            try:
                yield tx
            except BaseException:
                await self._abort(conn)
                self._rolled_back(tx)
                raise
            finally:
                self._current.reset(token)
            try:
                await self._end(conn, "COMMIT")
            except BaseException:
                self._rolled_back(tx)
                raise

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        async with self.transaction() as tx:
            pg = cast(PgTx, tx)
            sync = SyncConnection(self, pg.pg, asyncio.get_running_loop())
            return await asyncio.to_thread(work, cast(sqlite3.Connection, sync))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        joined = self._current.get()
        if joined is not None:
            yield joined
            return
        async with self.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            yield PgTx(self, conn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        joined = self._current.get()
        if joined is not None or self._own_unit() is not None:
            async with self.transaction() as tx:
                return await tx.execute(sql, params)
        async with self._lock, self.pool.acquire() as conn:
            return int(await query(conn, sql, params, "exec", self.id_tables) or 0)

    async def fetchone(self, sql: str, params: Params = ()) -> Any:
        joined = self._current.get()
        if joined is not None:
            return await joined.fetchone(sql, params)
        async with self.pool.acquire() as conn:
            return await query(conn, sql, params, "one", self.id_tables)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        joined = self._current.get()
        if joined is not None:
            return await joined.fetchall(sql, params)
        async with self.pool.acquire() as conn:
            return list(await query(conn, sql, params, "all", self.id_tables))

    async def maintenance(self, sql: str) -> Any:
        """SQLite's upkeep in PostgreSQL's terms: ``VACUUM`` is run, a WAL checkpoint is the
        server's own business (answered as done)."""
        if self.in_transaction:
            raise RuntimeError("maintenance cannot run inside a transaction")
        if sql.strip().upper().startswith("PRAGMA WAL_CHECKPOINT"):
            return (0, 0, 0)
        if sql.strip().upper().startswith("PRAGMA"):
            return None
        async with self.pool.acquire() as conn:
            await conn.execute(sql)
        return None

    # --- a unit ---------------------------------------------------------------------------------

    async def _open_unit(self, unit: Unit) -> Tx:
        deadline = time.monotonic() + self.busy_timeout
        await self._lock.acquire()
        try:
            conn = await self._begin_on(deadline)
        except BaseException:
            self._lock.release()
            raise
        tx = PgTx(self, conn)
        unit.tx, unit.token = tx, self._current.set(tx)
        return tx

    async def _commit_unit(self, unit: Unit, note: Any) -> Any:
        tx = cast(PgTx, unit.tx)
        released = False
        try:
            result = None
            if unit.on_commit is not None:
                sync = SyncConnection(self, tx.pg, asyncio.get_running_loop())
                on_commit = unit.on_commit
                result = await asyncio.to_thread(on_commit, cast(sqlite3.Connection, sync), note)
            released = True
            await self._end(tx.pg, "COMMIT")
        except BaseException:
            if not released:
                await self._abort(tx.pg)
            self._unit_undone(unit, tx)
            raise
        self._unit_committed(unit, tx)
        return result

    async def _abort_unit(self, tx: Tx) -> None:
        await self._abort(cast(PgTx, tx).pg)

    def rollback_unit(self) -> None:
        """Undo this task's unit: it is detached at once, and the rollback, then the release of the
        write lock, finish on the event loop before any other write of this process begins."""
        unit = self._own_unit()
        if unit is None or unit.tx is None:
            return
        tx = cast(PgTx, unit.tx)
        unit.after.clear()
        assert unit.token is not None
        self._current.reset(unit.token)
        unit.tx = unit.token = None
        self._rolled_back(tx)

        async def finish() -> None:
            try:
                await self._abort(tx.pg)
            finally:
                self._lock.release()

        task = asyncio.get_running_loop().create_task(finish())
        self._pending_rollbacks.add(task)
        task.add_done_callback(self._pending_rollbacks.discard)

    @property
    def _pending_rollbacks(self) -> set[asyncio.Task[None]]:
        pending: set[asyncio.Task[None]] | None = self.__dict__.get("_rollbacks")
        if pending is None:
            pending = self.__dict__["_rollbacks"] = set()
        return pending

    # --- the schema ------------------------------------------------------------------------------

    async def migrate(self) -> list[str]:
        """The compatibility functions, then every migration not applied yet, each in its own
        transaction, one process at a time (an advisory lock): two workers starting together."""
        applied: list[str] = []
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATE_LOCK)
            try:
                await conn.execute((PG_DIR / "000_compat.sql").read_text(encoding="utf-8"))
                await conn.execute(SCHEMA_MIGRATIONS)
                done = {row[0] for row in await conn.fetch("SELECT name FROM schema_migrations")}
                for path in pending_migrations(done, Path(self.url.rsplit("@", 1)[-1])):
                    async with conn.transaction():
                        for statement in migration_statements(path):
                            try:
                                await conn.execute(statement)
                            except asyncpg.PostgresError as error:
                                raise RuntimeError(f"{path.name}: {error}\n{statement}") from error
                        await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", path.stem)
                    log.info("applied migration %s", path.stem)
                    applied.append(path.stem)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATE_LOCK)
        return applied


def migration_statements(path: Path) -> list[str]:
    """One migration's statements for PostgreSQL: ``pg/<its name>.sql`` when there is one (run as
    one script), else the SQLite file translated."""
    own = PG_DIR / path.name
    if own.exists():
        return [own.read_text(encoding="utf-8")]
    return dialect.migration_to_postgres(_statements(path.read_text(encoding="utf-8")))


def open_database(target: str | Path, *, path: str | Path | None = None) -> Database:
    """The database a URL or a path names: ``postgresql://…`` or an SQLite file."""
    if is_postgres(str(target)):
        return PostgresDatabase(str(target), path=path or "data/bot.sqlite3")
    return Database(target)
