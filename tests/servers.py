"""The servers some tests use: PostgreSQL (``TEST_DATABASE_URL``) and Redis (``TEST_REDIS_URL``).

``TEST_DATABASE_URL=postgresql://user@host:port/postgres`` runs every test built on the harness's
world against PostgreSQL: each test gets a database of its own, copied from a template migrated
once per run (``CREATE DATABASE … TEMPLATE``, a few milliseconds), and dropped after it. Without
it the world is an SQLite file, as always.

A test that needs a server says so with ``postgres_url()`` / ``redis_url()``: on a developer's
machine without the server it is skipped with the reason; under ``CI=true`` it fails instead, so
CI never passes by skipping (``.ci/run`` starts both servers itself).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from storage.db import MIGRATIONS_DIR, Database
from storage.postgres import PostgresDatabase

_numbers = itertools.count(1)
_created: set[str] = set()
_template: str | None = None


def _needed(variable: str, what: str) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    message = f"needs {what}: set {variable} (.ci/run starts one)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " — CI never skips this test")
    pytest.skip(message)


def postgres_url() -> str:
    """The server's URL (its maintenance database), or skip (fail under CI) without one:
    ``TEST_POSTGRES_URL`` (the server is there: .ci/run's SQLite pass) or ``TEST_DATABASE_URL``."""
    return os.environ.get("TEST_POSTGRES_URL") or _needed("TEST_DATABASE_URL", "a PostgreSQL server")


def redis_url() -> str:
    return _needed("TEST_REDIS_URL", "a Redis server")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _schema_digest() -> str:
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent.parent / "storage"
    for path in [*sorted(MIGRATIONS_DIR.rglob("*.sql")), here / "dialect.py", here / "postgres.py"]:
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:12]


async def _admin(url: str):  # type: ignore[no-untyped-def]
    import asyncpg

    return await asyncpg.connect(url)


async def fresh_postgres(url: str, path: Path) -> PostgresDatabase:
    """An empty, migrated database of its own on the server at ``url``."""
    global _template
    admin = await _admin(url)
    try:
        if _template is None:
            name = f"aul_template_{_schema_digest()}"
            if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                await admin.execute(f'CREATE DATABASE "{name}"')
                template = await PostgresDatabase(with_database(url, name), path=path).connect()
                await template.close()
            _template = name
        database = f"aul_test_{os.getpid()}_{next(_numbers)}"
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        await admin.execute(f'CREATE DATABASE "{database}" TEMPLATE "{_template}"')
        _created.add(database)
    finally:
        await admin.close()
    return await PostgresDatabase(with_database(url, database), path=path).connect()


async def database(path: Path) -> Database:
    """The world's database: PostgreSQL when ``TEST_DATABASE_URL`` is set, else the SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return await Database(path).connect()
    return await fresh_postgres(url, path)


async def dispose(db: Database) -> None:
    """Drop a test's own PostgreSQL database (closed already); an SQLite file stays in tmp_path."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("TEST_POSTGRES_URL")
    if not url or not isinstance(db, PostgresDatabase):
        return
    name = urlsplit(db.url).path.lstrip("/")
    if not name.startswith("aul_test_"):
        return
    admin = await _admin(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _created.discard(name)
    finally:
        await admin.close()


def drop_all() -> None:
    """Every test database this run made and did not drop yet."""
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("TEST_POSTGRES_URL")
    if not url or not _created:
        return

    async def drop() -> None:
        admin = await _admin(url)
        try:
            for name in sorted(_created):
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _created.clear()
        finally:
            await admin.close()

    asyncio.run(drop())


def shared_isolation() -> dict[str, str]:
    """On PostgreSQL with a Redis beside it (CI's second pass sets both), the in-process bot of
    every test takes each person's lock in Redis, as several workers do (``REDIS_URL``); else
    the process's own isolation."""
    if os.environ.get("TEST_DATABASE_URL") and os.environ.get("TEST_REDIS_URL"):
        return {"redis_url": os.environ["TEST_REDIS_URL"]}
    return {}
