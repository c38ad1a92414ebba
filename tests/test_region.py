"""Growing past one district: PostgreSQL behind the same storage, its claims, `migrate-to`, Redis.

The dialect's rewrites are checked without a server; what needs PostgreSQL or Redis runs on
the servers `.ci/run` starts (``TEST_DATABASE_URL``, ``TEST_REDIS_URL``) and is skipped on a
machine without them, saying so (never under CI).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storage import dialect, outbox
from storage.db import SKIP_LOCKED, _statements
from storage.postgres import PostgresDatabase
from tests import servers
from tests.harness import NOW, World

ROOT = Path(__file__).resolve().parent.parent

# --- the dialect, without a server ------------------------------------------------------------


def test_placeholders_are_numbered_outside_quoted_text() -> None:
    sql = "SELECT '?', \"a?\" FROM t WHERE a = ? AND b = '10:00' AND c = ? -- what?\n AND d = ?"
    assert dialect.to_postgres(sql) == (
        "SELECT '?', \"a?\" FROM t WHERE a = $1 AND b = '10:00' AND c = $2 -- what?\n AND d = $3"
    )
    named = dialect.to_postgres("SELECT 1 FROM t WHERE a = :c OR b = :d OR e = :c")
    assert named == "SELECT 1 FROM t WHERE a = $1 OR b = $2 OR e = $1"
    assert dialect.named_parameters("SELECT :c, :d, :c") == ["c", "d"]


def test_sqlite_only_forms_are_rewritten() -> None:
    to_pg = dialect.to_postgres
    assert (
        to_pg("INSERT OR IGNORE INTO inbox (a) VALUES (?)")
        == "INSERT INTO inbox (a) VALUES ($1) ON CONFLICT DO NOTHING"
    )
    assert (
        to_pg("SELECT 1 WHERE a IS NOT ? AND b IS NOT NULL") == "SELECT 1 WHERE a IS DISTINCT FROM $1 AND b IS NOT NULL"
    )
    assert to_pg("SELECT 1 WHERE (? IS NULL OR id = ?)") == "SELECT 1 WHERE ($1::text IS NULL OR id = $2)"
    assert (
        to_pg("UPDATE t SET f = CASE WHEN ? THEN 1 ELSE f END")
        == "UPDATE t SET f = CASE WHEN $1::bigint <> 0 THEN 1 ELSE f END"
    )
    assert to_pg(
        "INSERT INTO p (id, until) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET until = max(until, excluded.until),"
        " n = n + 1"
    ) == (
        "INSERT INTO p (id, until) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET"
        " until = greatest(p.until, excluded.until), n = p.n + 1"
    )
    assert to_pg("SELECT max(at) FROM t") == "SELECT max(at) FROM t"  # the aggregate stays
    assert to_pg(f"SELECT id FROM t WHERE due {SKIP_LOCKED}") == "SELECT id FROM t WHERE due FOR UPDATE SKIP LOCKED"


@pytest.mark.parametrize(
    ("pattern", "matches", "refuses"),
    [
        ("[0-2][0-9]:[0-5][0-9]", ["08:00", "22:30"], ["8:00", "08:60", "08:00x"]),
        ("+7[0-9][0-9]", ["+701"], ["+70", "x+701", "+7012"]),
        ("http*://*", ["https://a.kz", "http://b"], ["ftp://c"]),
    ],
)
def test_glob_becomes_a_regular_expression_with_the_same_meaning(
    pattern: str, matches: list[str], refuses: list[str]
) -> None:
    import re

    regex = re.compile(dialect.glob_to_regex(pattern))
    with sqlite3.connect(":memory:") as conn:
        for text in matches + refuses:
            in_sqlite = bool(conn.execute("SELECT ? GLOB ?", (text, pattern)).fetchone()[0])
            assert bool(regex.search(text)) == in_sqlite == (text in matches), text


def test_every_migration_translates_and_its_triggers_become_plpgsql() -> None:
    folder = ROOT / "storage" / "migrations"
    for path in sorted(folder.glob("[0-9][0-9][0-9]_*.sql")):
        for statement in dialect.migration_to_postgres(_statements(path.read_text(encoding="utf-8"))):
            assert "WITHOUT ROWID" not in statement and " GLOB " not in statement, path.name
            if statement.startswith("CREATE TRIGGER"):
                assert "EXECUTE FUNCTION" in statement, statement
    audit = dialect.migration_to_postgres(
        [
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log\nBEGIN\n"
            "    SELECT RAISE(ABORT, 'audit_log is append-only');\nEND;"
        ]
    )
    assert "RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = '23000'" in audit[0]
    assert audit[1].startswith("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW")


# --- PostgreSQL ----------------------------------------------------------------------------------


@pytest.fixture
async def pg(tmp_path: Path) -> Any:
    db = await servers.fresh_postgres(servers.postgres_url(), tmp_path / "bot.sqlite3")
    yield db
    await db.close()
    await servers.dispose(db)


async def test_sqlite_date_functions_mean_the_same_on_postgresql(pg: PostgresDatabase) -> None:
    cases: list[tuple[str, tuple[Any, ...]]] = [
        ("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?)", ("2026-11-25T10:00:00.000Z",)),
        ("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?, ?)", ("2026-11-25T10:00:00.125Z", "-2 days")),
        ("SELECT strftime('%Y%m%dT%H%M%SZ', ?, ?)", ("2026-02-28T23:30:00Z", "+45 minutes")),
        ("SELECT date(?, ?)", ("2026-11-25T20:00", "+300 minutes")),
        ("SELECT datetime(?, ?)", ("2026-11-25T10:00:00Z", "+1 hours")),
        ("SELECT date(?)", ("not a time",)),
        ("SELECT group_concat(x) FROM (SELECT 'a' AS x UNION ALL SELECT 'b') AS t", ()),
        ("SELECT instr('abc<d>', '<'), printf('%02d', 5), substr('2026-11-25T10:05', 15, 2)", ()),
        ("SELECT SUM(x = 'y') FROM (SELECT 'y' AS x UNION ALL SELECT 'n' UNION ALL SELECT 'y') AS t", ()),
        ("SELECT json_extract(?, '$.ru')", ('{"kk": "сәлем", "ru": "привет"}',)),
    ]
    with sqlite3.connect(":memory:") as lite:
        for sql, params in cases:
            expected = lite.execute(sql, params).fetchone()
            got = await pg.fetchone(sql, params)
            assert got is not None
            assert tuple(str(v) if v is not None else None for v in got) == tuple(
                str(v) if v is not None else None for v in expected
            ), sql
    now = await pg.fetchval("SELECT strftime('%Y-%m-%dT%H:%M:%fZ')")
    assert len(now) == 24 and now.endswith("Z")


async def test_the_rules_that_never_break_are_constraints_on_postgresql(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_DATABASE_URL", servers.postgres_url())
    world = await World.create(tmp_path)
    try:
        db = world.db
        assert isinstance(db, PostgresDatabase)
        rd, village = world.rural_district_id, world.village_ids[0]
        people = []
        for telegram_id in (1, 2, 3):
            people.append(
                await db.execute(
                    "INSERT INTO people (telegram_id, rural_district_id, village_id) VALUES (?, ?, ?)",
                    (telegram_id, rd, village),
                )
            )
        await db.execute(
            "INSERT INTO roles (person_id, rural_district_id, role) VALUES (?, ?, 'chair')", (people[0], rd)
        )
        with pytest.raises(sqlite3.IntegrityError):  # one chair
            await db.execute(
                "INSERT INTO roles (person_id, rural_district_id, role) VALUES (?, ?, 'chair')", (people[1], rd)
            )
        contest = await db.execute(
            "INSERT INTO contests (rural_district_id, title_kk, title_ru, status, opens_at, closes_at)"
            " VALUES (?, 'a', 'a', 'published', ?, ?)",
            (rd, "2026-11-01T00:00:00.000Z", "2026-12-01T00:00:00.000Z"),
        )
        project = await db.execute(
            "INSERT INTO contest_projects (contest_id, title_kk, title_ru, category, cost)"
            " VALUES (?, 'p', 'p', 'park', 1)",
            (contest,),
        )
        vote = "INSERT INTO contest_votes (contest_id, project_id, person_id, phone, cast_at) VALUES (?, ?, ?, ?, ?)"
        await db.execute(vote, (contest, project, people[0], "+77011234567", "2026-11-25T10:00:00.000Z"))
        with pytest.raises(sqlite3.IntegrityError, match="person"):  # one vote per person
            await db.execute(vote, (contest, project, people[0], "+77019999999", "2026-11-25T10:01:00.000Z"))
        with pytest.raises(sqlite3.IntegrityError, match="phone"):  # one vote per phone
            await db.execute(vote, (contest, project, people[1], "+77011234567", "2026-11-25T10:01:00.000Z"))
        with pytest.raises(sqlite3.IntegrityError, match="register"):  # a number that voted on paper
            await db.execute(
                "INSERT INTO contest_paper_voters (contest_id, phone, recorded_at) VALUES (?, ?, ?)",
                (contest, "+77011234567", "2026-11-25T10:02:00.000Z"),
            )
        assert await db.fetchval("SELECT votes FROM contest_vote_counts WHERE contest_id = ?", (contest,)) == 1
        initiative = await db.fetchval("SELECT id FROM initiatives LIMIT 1")
        if initiative is not None:  # one support per person (the primary key)
            support = "INSERT INTO initiative_supports (initiative_id, person_id, at) VALUES (?, ?, ?)"
            await db.execute(support, (initiative, people[2], "2026-11-25T10:00:00.000Z"))
            with pytest.raises(sqlite3.IntegrityError):
                await db.execute(support, (initiative, people[2], "2026-11-25T10:00:00.000Z"))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await db.execute("DELETE FROM audit_log")
    finally:
        await world.close()
        await servers.dispose(world.db)


async def test_two_senders_claim_different_rows_without_waiting_for_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SKIP LOCKED: a sender whose claim is still open does not hold up another process's claim."""
    monkeypatch.setenv("TEST_DATABASE_URL", servers.postgres_url())
    world = await World.create(tmp_path)
    other = await world.db.reopened().connect()  # another worker process on the same database
    try:
        from tests.test_delivery import add_people, queue

        people = await add_people(world, 6)
        await queue(world, people)
        async with world.db.transaction():  # the first claim is still open: its rows are locked
            first, _ = await outbox.claim(world.db, "a", NOW, 3)
            second, _ = await asyncio.wait_for(outbox.claim(other, "b", NOW, 6), timeout=10)
        assert len(first) == 3 and len(second) == 3
        assert {c.id for c in first}.isdisjoint({c.id for c in second})
    finally:
        await other.close()
        await world.close()
        await servers.dispose(world.db)


async def test_migrate_to_copies_a_sqlite_deployment_and_checks_the_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = servers.postgres_url()
    lite_path = tmp_path / "bot.sqlite3"
    monkeypatch.delenv("TEST_DATABASE_URL", raising=False)  # the deployment to copy is an SQLite file
    world = await World.create(tmp_path)
    assert not isinstance(world.db, PostgresDatabase)
    aigerim = await world.resident("Aigerim")
    await aigerim.send("/start")
    await world.close()
    with sqlite3.connect(lite_path) as conn:
        people = conn.execute("SELECT count(*) FROM people").fetchone()[0]
        audit_rows = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert people >= 1 and audit_rows >= 1
    admin_db = f"aul_test_{os.getpid()}_migrate"
    import asyncpg

    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{admin_db}"')
        await admin.execute(f'CREATE DATABASE "{admin_db}"')
    finally:
        await admin.close()
    target = servers.with_database(url, admin_db)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BOT_TOKEN")}
    env["DATABASE_PATH"] = str(lite_path)

    def migrate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "bot.py", "migrate-to", target], cwd=ROOT, env=env, capture_output=True, text=True
        )

    try:
        done = await asyncio.to_thread(migrate)
        assert done.returncode == 0, done.stderr
        assert "the counts match" in done.stdout
        assert "MISMATCH" not in done.stdout
        copy = await PostgresDatabase(target, path=lite_path).connect()
        try:
            assert await copy.fetchval("SELECT count(*) FROM people") == people
            assert await copy.fetchval("SELECT count(*) FROM audit_log") == audit_rows
            # the identities go on after the copied rows: a new person gets a new id
            new = await copy.execute("INSERT INTO people (telegram_id) VALUES (?)", (987654321,))
            assert new > await copy.fetchval("SELECT max(id) FROM people WHERE telegram_id <> 987654321")
        finally:
            await copy.close()
        again = await asyncio.to_thread(migrate)  # never into a database that has rows
        assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{admin_db}" WITH (FORCE)')
        finally:
            await admin.close()


# --- Redis -----------------------------------------------------------------------------------------


async def test_redis_isolation_keeps_one_persons_updates_one_at_a_time_across_workers(tmp_path: Path) -> None:
    from aiogram.fsm.storage.base import StorageKey

    from bot.app import events_isolation
    from bot.config import Settings

    url = servers.redis_url()
    settings = Settings(_env_file=None, redis_url=url)
    one, two = events_isolation(settings), events_isolation(settings)  # two worker processes
    key = StorageKey(bot_id=42, chat_id=7, user_id=7)
    other = StorageKey(bot_id=42, chat_id=8, user_id=8)
    order: list[str] = []
    try:
        async with one.lock(key):
            waiting = asyncio.create_task(_hold(two, key, order, "second worker"))
            async with two.lock(other):  # another person is not held up
                order.append("other person")
            for _ in range(3):  # the second worker's attempt has reached Redis and found the lock
                await one.redis.ping()  # type: ignore[attr-defined]
            order.append("first worker done")
        await asyncio.wait_for(waiting, timeout=10)
        assert order == ["other person", "first worker done", "second worker"]
    finally:
        await one.close()
        await two.close()


async def _hold(isolation: Any, key: Any, order: list[str], name: str) -> None:
    async with isolation.lock(key):
        order.append(name)


async def test_a_bot_with_redis_url_answers_through_the_shared_isolation(tmp_path: Path) -> None:
    url = servers.redis_url()
    world = await World.create(tmp_path, redis_url=url)
    try:
        assert type(world.dp.fsm.events_isolation).__name__ == "SharedIsolation"
        aigerim = world.person("Aigerim", language_code="ru")
        await aigerim.send("/start")
        assert aigerim.inbox
    finally:
        await world.dp.fsm.close()
        await world.close()
        await servers.dispose(world.db)
