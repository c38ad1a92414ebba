"""Backups while the bot writes, restoring them with the bot stopped, the daily job, and the public
export; every refusal says why and changes nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import tarfile
from datetime import timedelta
from pathlib import Path

import pytest

from bot.exports.opendata import Source, export
from bot.rules.clock import to_db
from bot.rules.errors import DomainError
from storage import backups, operations
from storage.db import Database
from tests.harness import NOW, World, published_contest
from tests.steps import operator_world

pytestmark = pytest.mark.sqlite  # the backup is of the SQLite file (PostgreSQL: pg_dump)

LEASE = timedelta(seconds=30)


async def test_a_backup_taken_under_write_load_restores_every_committed_row(tmp_path: Path) -> None:
    db = await Database(tmp_path / "live" / "bot.sqlite3").connect()
    await db.execute("CREATE TABLE load (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    committed: list[int] = []
    stop = asyncio.Event()

    async def writer() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            async with db.transaction() as tx:
                row = await tx.execute("INSERT INTO load (payload) VALUES (?)", ("x" * 200 + str(n),))
            committed.append(row)  # committed: the transaction's block has returned
            await asyncio.sleep(0)

    task = asyncio.create_task(writer())
    while len(committed) < 200:
        await asyncio.sleep(0.01)
    before = list(committed)
    made = await asyncio.to_thread(backups.backup, db.path, tmp_path / "b.tar.gz", now=NOW)
    after = list(committed)
    stop.set()
    await task
    await db.close()
    assert made.path.exists() and made.schema
    restored = tmp_path / "restored" / "bot.sqlite3"
    backups.restore(made.path, restored, now=NOW, lease=LEASE)
    again = await Database(restored).connect()
    ids = [r[0] for r in await again.fetchall("SELECT id FROM load ORDER BY id")]
    await again.close()
    assert set(before) <= set(ids)  # every row committed before the backup began is in it
    assert ids == committed[: len(ids)] and len(ids) <= len(after)  # a consistent moment: no gaps


async def test_a_backup_includes_the_documents_files_and_restores_them(world: World, tmp_path: Path) -> None:
    files = world.db.path.parent / "files"
    files.mkdir(exist_ok=True)
    (files / "7-abcdef").write_bytes(b"%PDF-1.4 protocol")
    await world.db.execute("INSERT INTO document_files (id, file_name, path) VALUES (7, 'p.pdf', 'files/7-abcdef')")
    made = await asyncio.to_thread(backups.backup, world.db.path, tmp_path / "with-files.tar.gz", now=NOW)
    assert made.files == 1
    with tarfile.open(made.path) as tar:
        assert {"manifest.json", "bot.sqlite3", "files/7-abcdef"} <= set(tar.getnames())
    elsewhere = tmp_path / "elsewhere" / "bot.sqlite3"
    done = backups.restore(made.path, elsewhere, now=NOW, lease=LEASE)
    assert done.files == 1 and (elsewhere.parent / "files" / "7-abcdef").read_bytes() == b"%PDF-1.4 protocol"


async def test_a_backup_to_a_path_that_cannot_be_written_says_so_and_the_bot_goes_on(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        op = world.person("Operator", user_id=777, language_code="ru")
        await op.send("/backup /nonexistent/folder/b.tar.gz")
        assert "Не удаётся записать в /nonexistent/folder/b.tar.gz" in op.last.text
        assert "Бот продолжает работать как прежде" in op.last.text
        (tmp_path / "a-file").write_text("not a folder")
        await op.send(f"/backup {tmp_path}/a-file/b.tar.gz")
        assert "Не удаётся записать" in op.last.text and "the folder does not exist" in op.last.text
        await op.send(f"/backup {tmp_path}")
        assert "it is a folder" in op.last.text
        await op.send("/status")  # the bot answers as before
        assert "Состояние" in op.last.text
        await op.send(f"/backup {tmp_path}/fine.tar.gz")
        assert "проверка целостности пройдена" in op.last.text and (tmp_path / "fine.tar.gz").exists()


def test_a_restore_refuses_what_is_not_this_bots_database(tmp_path: Path) -> None:
    target = tmp_path / "data" / "bot.sqlite3"
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"this is not a database at all" * 10)
    other = tmp_path / "other.sqlite3"
    import sqlite3

    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    fake_tar = tmp_path / "fake.tar.gz"
    with tarfile.open(fake_tar, "w:gz") as tar:
        tar.add(junk, arcname="readme.txt")
    for source, says in (
        (junk, "not an SQLite database"),
        (other, "not this bot's database"),
        (fake_tar, "not a backup"),
    ):
        with pytest.raises(DomainError) as refused:
            backups.restore(source, target, now=NOW, lease=LEASE)
        assert says in refused.value.values["reason"]
        assert not target.exists()
    with pytest.raises(DomainError):
        backups.restore(tmp_path / "missing.tar.gz", target, now=NOW, lease=LEASE)


async def test_a_restore_refuses_a_newer_schema_and_a_running_bot(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    db = await Database(newer).connect()
    await db.execute("INSERT INTO schema_migrations (name) VALUES ('999_from_the_future')")
    await db.close()
    target = tmp_path / "data" / "bot.sqlite3"
    with pytest.raises(DomainError) as refused:
        backups.restore(newer, target, now=NOW, lease=LEASE)
    assert "newer version" in refused.value.msgid
    live = await Database(target).connect()
    await live.execute(
        "INSERT INTO senders (token, host, pid, started_at, beat_at) VALUES ('t', 'elsewhere', 1, ?, ?)",
        (to_db(NOW), to_db(NOW - timedelta(seconds=3))),
    )
    await live.close()
    good = tmp_path / "good.tar.gz"
    backups.backup(target, good, now=NOW)
    with pytest.raises(DomainError) as running:
        backups.restore(good, target, now=NOW, lease=LEASE)
    assert running.value.values["seconds"] == 3
    # stopped a minute later: the restore goes ahead and keeps the database it replaces
    done = backups.restore(good, target, now=NOW + timedelta(minutes=1), lease=LEASE)
    assert done.kept_previous is not None and done.kept_previous.exists()


async def test_the_daily_backup_keeps_the_last_copies(tmp_path: Path) -> None:
    world = await World.create(tmp_path / "w", backup_dir=tmp_path / "backups", backup_keep=2)
    try:
        for _day in range(4):
            await world.tick()
            await world.tick()  # the same day: no second copy
            world.clock.advance(days=1)
        made = sorted((tmp_path / "backups").glob("backup-*.tar.gz"))
        assert len(made) == 2 and made[-1].name.startswith("backup-20261128")
        found = await operations.get_state(world.db, "backup_at")
        assert found is not None and found[0] == str(made[-1])
    finally:
        await world.close()


async def test_the_export_writes_each_list_as_csv_and_json_and_refuses_a_full_folder(
    world: World, tmp_path: Path
) -> None:
    contest_id, _projects = await published_contest(world, closes=NOW + timedelta(hours=1))
    voter = await world.resident("Voter")
    await world.db.execute("UPDATE people SET phone = '+77011234567' WHERE telegram_id = ?", (voter.user_id,))
    from tests.test_personal_data import vote

    await vote(voter, contest_id, _projects[0])
    world.clock.advance(hours=2)
    await world.tick()
    source = Source(world.db, world.settings, world.i18n, world.clock)
    written = await export(source, tmp_path / "open")
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"{n}.{ext}" for n in ("initiatives", "contests", "events", "documents", "budget") for ext in ("csv", "json")
    )
    data = (tmp_path / "open" / "contests.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0]["status"] == "closed" and rows[0]["total_votes"] == "1" and rows[0]["bot_votes"] == "1"
    document = json.loads((tmp_path / "open" / "contests.json").read_text("utf-8"))
    assert document["fields"] == list(rows[0].keys()) and document["rows"][0]["total_votes"] == 1
    for path in written:
        text = path.read_text("utf-8-sig")
        assert "7011234567" not in text and str(voter.user_id) not in text and "Voter" not in text
    with pytest.raises(DomainError) as refused:
        await export(source, tmp_path / "open")
    assert refused.value.values["path"] == str(tmp_path / "open")
