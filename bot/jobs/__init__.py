"""Scheduled work. The database says what is due; each feature's ``tick`` claims it atomically
(``UPDATE … RETURNING``) and puts messages in the outbox. The scheduler runs every tick once at
start (catching up with what fell due while the bot was down) and then every few seconds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.rules.clock import Clock
from storage.db import Database

if TYPE_CHECKING:
    from bot.logs import LastError


@dataclass(frozen=True)
class JobContext:
    db: Database
    bot: Bot
    clock: Clock
    settings: Settings
    i18n: I18n
    errors: LastError | None = None  # the process's last error, written down by the operations job


Job = Callable[[JobContext], Awaitable[object]]


def all_jobs() -> list[tuple[str, Job]]:
    """Every feature's tick, in the order they run."""
    from bot.jobs import contests, events, initiatives, operations

    return [
        ("contests", contests.tick),
        ("events", events.tick),
        ("initiatives", initiatives.tick),
        ("operations", operations.tick),
    ]
