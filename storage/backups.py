"""Backups: an online, consistent copy of the database with the files the bot keeps on disk, and
restoring one with the bot stopped. Plain blocking functions (``sqlite3``, ``tarfile``): callers
in the event loop run them with ``asyncio.to_thread``.

A backup is one ``.tar.gz`` file::

    manifest.json   what it is: this bot's backup, when, the schema's migrations, the files
    bot.sqlite3     SQLite's backup API copy (a consistent snapshot, taken while the bot writes),
                    checked with PRAGMA integrity_check before the backup is reported done
    files/…         the documents' files (``document_files.path``, relative to the database)

Restoring refuses a file that is not this bot's backup or database, a database newer than the
code, and a bot that is running. The database it replaces is kept beside it
(``bot.sqlite3.before-restore-<time>``, with its ``-wal``).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from bot.rules.clock import from_db, to_db
from bot.rules.errors import DomainError
from storage.db import BUSY_TIMEOUT_MS, MIGRATIONS_DIR
from storage.operator import (
    BACKUP_INTEGRITY,
    BOT_RUNNING,
    CANNOT_WRITE,
    NOT_A_BACKUP,
    TOO_NEW,
)
from storage.outbox import process_alive

FORMAT = "aul-backup/1"
DB_NAME = "bot.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class Made:
    path: Path
    bytes: int
    files: int
    schema: str | None


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def _integrity(conn: sqlite3.Connection) -> str | None:
    """None when the database is sound, else what integrity_check said."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    return None if rows == ["ok"] else "; ".join(rows[:5])


def _writable(target: Path) -> None:
    """A clear error now, before the copy, when the backup cannot be written there."""
    folder = target.parent
    reason = None
    if target.is_dir():
        reason = "it is a folder"
    elif not folder.is_dir():
        reason = "the folder does not exist"
    elif not os.access(folder, os.W_OK | os.X_OK):
        reason = "no permission to write in the folder"
    if reason:
        raise DomainError(CANNOT_WRITE, path=str(target), reason=reason)


def backup(db_path: Path, target: Path, *, now: datetime) -> Made:
    """Copy the database (while the bot runs) and its files into ``target`` (a .tar.gz)."""
    target = Path(target)
    _writable(target)
    try:
        with tempfile.TemporaryDirectory(prefix=".backup-", dir=target.parent) as work:
            snapshot = Path(work) / DB_NAME
            source = _connect(db_path)
            try:
                copy = sqlite3.connect(snapshot)
                try:
                    source.backup(copy)  # one step: a snapshot of one moment, writers go on (WAL)
                    problem = _integrity(copy)
                    files = [r[0] for r in copy.execute("SELECT path FROM document_files WHERE path IS NOT NULL")]
                    schema = [r[0] for r in copy.execute("SELECT name FROM schema_migrations ORDER BY name")]
                finally:
                    copy.close()
            finally:
                source.close()
            if problem:
                raise DomainError(BACKUP_INTEGRITY, reason=problem)
            kept = [f for f in files if _safe(f) and (db_path.parent / f).is_file()]
            manifest = {
                "format": FORMAT,
                "made_at": to_db(now),
                "host": socket.gethostname(),
                "migrations": schema,
                "files": kept,
            }
            (Path(work) / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
            partial = Path(work) / "backup.tar.gz"
            with tarfile.open(partial, "w:gz") as tar:
                tar.add(Path(work) / "manifest.json", arcname="manifest.json")
                tar.add(snapshot, arcname=DB_NAME)
                for name in kept:
                    tar.add(db_path.parent / name, arcname=str(PurePosixPath(name)))
            os.replace(partial, target)  # same folder: the backup appears whole or not at all
    except OSError as error:
        raise DomainError(CANNOT_WRITE, path=str(target), reason=error.strerror or str(error)) from None
    return Made(target, target.stat().st_size, len(kept), schema[-1] if schema else None)


def _safe(name: str) -> bool:
    """A path inside the data folder: relative, no '..' (never trusted, even from our own table)."""
    parts = PurePosixPath(name).parts
    return bool(parts) and not PurePosixPath(name).is_absolute() and ".." not in parts and parts[0] == "files"


def rotate(folder: Path, keep: int, prefix: str = "backup-") -> list[Path]:
    """Delete the oldest of the daily backups in ``folder`` beyond the newest ``keep``; the deleted."""
    made = sorted(folder.glob(f"{prefix}*.tar.gz"))
    old = made[: max(0, len(made) - keep)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def daily_name(now: datetime) -> str:
    return "backup-" + now.strftime("%Y%m%dT%H%M%SZ") + ".tar.gz"


# --- restoring --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Restored:
    path: Path
    files: int
    kept_previous: Path | None
    schema: str | None


def _check_database(path: Path, shown: Path) -> str | None:
    """Refuse what is not this bot's database, or is newer than the code; its last migration."""
    with path.open("rb") as f:
        if f.read(16) != SQLITE_HEADER:
            raise DomainError(NOT_A_BACKUP, path=str(shown), reason="not an SQLite database")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            ours = {"schema_migrations", "people", "rural_districts", "audit_log"} <= tables
            applied = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")] if ours else []
        except sqlite3.DatabaseError as error:
            raise DomainError(NOT_A_BACKUP, path=str(shown), reason=str(error)) from None
        if "001_foundation" not in applied:
            raise DomainError(NOT_A_BACKUP, path=str(shown), reason="not this bot's database")
        known = {p.stem for p in MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql")}
        if set(applied) - known:
            raise DomainError(TOO_NEW, path=str(shown))
        problem = _integrity(conn)
        if problem:
            raise DomainError(BACKUP_INTEGRITY, reason=problem)
    finally:
        conn.close()
    return applied[-1] if applied else None


def running(db_path: Path, now: datetime, lease: timedelta) -> float | None:
    """Seconds since a living bot's sender last reported on this database, or None when none runs."""
    if not db_path.exists():
        return None
    conn = _connect(db_path)
    try:
        try:
            rows = conn.execute("SELECT host, pid, beat_at FROM senders").fetchall()
        except sqlite3.DatabaseError:
            return None
    finally:
        conn.close()
    here = socket.gethostname()
    for host, pid, beat_at in rows:
        age = (now - from_db(beat_at)).total_seconds()
        if age < lease.total_seconds() and (host != here or process_alive(int(pid))):
            return max(0.0, age)
    return None


def restore(source: Path, db_path: Path, *, now: datetime, lease: timedelta) -> Restored:
    """Put a backup (or a bare copy of the database) in place of the database, the bot stopped."""
    source, db_path = Path(source), Path(db_path)
    if not source.is_file():
        raise DomainError(NOT_A_BACKUP, path=str(source), reason="no such file")
    age = running(db_path, now, lease)
    if age is not None:
        raise DomainError(BOT_RUNNING, seconds=int(age))
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=db_path.parent) as work:
        staged, files = Path(work) / DB_NAME, []
        if tarfile.is_tarfile(source):
            files = _unpack(source, Path(work))
        else:
            shutil.copyfile(source, staged)
        if not staged.is_file():
            raise DomainError(NOT_A_BACKUP, path=str(source), reason="no database inside")
        schema = _check_database(staged, source)
        previous = None
        if db_path.exists():
            previous = db_path.with_name(f"{db_path.name}.before-restore-{now.strftime('%Y%m%dT%H%M%SZ')}")
            for suffix in ("", "-wal", "-shm"):
                old = Path(f"{db_path}{suffix}")
                if old.exists():
                    os.replace(old, Path(f"{previous}{suffix}"))
        for name in files:
            destination = db_path.parent / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            os.replace(Path(work) / name, destination)
        os.replace(staged, db_path)
    return Restored(db_path, len(files), previous, schema)


def _unpack(source: Path, work: Path) -> list[str]:
    """The database and the files of a backup into ``work``; the files' names. Nothing outside it."""
    try:
        with tarfile.open(source, "r:*") as tar:
            members = {m.name: m for m in tar.getmembers()}
            manifest = members.get("manifest.json")
            if manifest is None or DB_NAME not in members:
                raise DomainError(NOT_A_BACKUP, path=str(source), reason="not a backup of this bot")
            raw = tar.extractfile(manifest)
            info = json.loads(raw.read().decode("utf-8")) if raw else {}
            if info.get("format") != FORMAT:
                raise DomainError(NOT_A_BACKUP, path=str(source), reason="not a backup of this bot")
            files = [f for f in info.get("files", []) if isinstance(f, str) and _safe(f) and f in members]
            for name in [DB_NAME, *files]:
                member = members[name]
                if not member.isfile():
                    raise DomainError(NOT_A_BACKUP, path=str(source), reason=f"{name} is not a file")
                data = tar.extractfile(member)
                assert data is not None
                out = work / name
                out.parent.mkdir(parents=True, exist_ok=True)
                with out.open("wb") as f:
                    shutil.copyfileobj(data, f)
    except (tarfile.TarError, OSError, ValueError) as error:
        raise DomainError(NOT_A_BACKUP, path=str(source), reason=str(error)) from None
    return files
