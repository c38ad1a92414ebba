"""Is the bot well? The same answer for ``python bot.py health`` (exit code for cron and
monitoring), ``GET /health`` in webhook mode, and the figures behind the operator's ``/status``.

Unwell: the database cannot be opened or is newer than the code; no sender has reported within
its lease (the bot is not running); a message due for more than ten minutes is still not sent
(and the operator has not stopped sending). Stopped sending, a last error, a backlog are reported
but are not, by themselves, unwell.
"""

from __future__ import annotations

import tomllib
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from bot.rules.clock import to_db
from storage import operations
from storage.db import Database
from storage.operations import Status

ROOT = Path(__file__).resolve().parent.parent


@cache
def version() -> str:
    """The bot's version, from pyproject.toml."""
    try:
        with (ROOT / "pyproject.toml").open("rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


async def check(db: Database, now: datetime, lease_seconds: float, *, expect_sender: bool = True) -> Status:
    return await operations.status(db, now, lease=timedelta(seconds=lease_seconds), expect_sender=expect_sender)


def as_json(found: Status, *, started_at: datetime | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The machine-readable report (the /health endpoint)."""
    return {
        "status": "ok" if found.well else "unwell",
        "problems": found.problems,
        "version": version(),
        "schema": found.schema,
        "uptime_seconds": int((now - started_at).total_seconds()) if started_at and now else None,
        "database_bytes": found.database_bytes,
        "backlog": found.backlog,
        "awaiting_approval": found.awaiting_approval,
        "oldest_unsent": to_db(found.oldest_unsent) if found.oldest_unsent else None,
        "unreachable": found.unreachable,
        "last_error": found.last_error,
        "last_error_at": to_db(found.last_error_at) if found.last_error_at else None,
        "sending_stopped_since": to_db(found.hold.since) if found.hold else None,
        "senders_alive": found.senders_alive,
        "last_backup_at": to_db(found.last_backup_at) if found.last_backup_at else None,
    }


def as_lines(found: Status) -> list[str]:
    """The report for a terminal: ``ok:``/``problem:`` lines first."""
    lines = [f"problem: {p}" for p in found.problems] or ["ok: the bot is well"]
    lines.append(f"version {version()}, schema {found.schema}, database {found.database_bytes} bytes")
    backlog = ", ".join(f"{kind} {n}" for kind, n in found.backlog.items()) or "nothing"
    lines.append(f"to send: {backlog}; waiting for approval: {found.awaiting_approval}")
    if found.oldest_unsent:
        lines.append(f"oldest unsent message queued at {to_db(found.oldest_unsent)}")
    lines.append(f"unreachable residents: {found.unreachable}; senders running: {found.senders_alive}")
    if found.hold:
        lines.append(f"sending is stopped by an operator since {to_db(found.hold.since)}")
    if found.last_error:
        lines.append(f"last error at {to_db(found.last_error_at) if found.last_error_at else '?'}: {found.last_error}")
    if found.last_backup_at:
        lines.append(f"last daily backup at {to_db(found.last_backup_at)}")
    return lines
