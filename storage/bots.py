"""The districts' own bots (issue 18): a rural district may have a bot token of its own.

The deployment's own bot (``BOT_TOKEN``) is not a row here: it serves every district without a
bot of its own, and the people who never wrote to a district's bot. ``people.bot_id`` is the
district bot a person last wrote to (NULL: the deployment's own), which decides the bot whose
sender writes to them (``storage.outbox.claim``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.rules.clock import to_db
from bot.rules.errors import DomainError
from bot.rules.texts import N_
from storage import audit, outbox
from storage.audit import Actor
from storage.db import Database, Tx
from storage.operator import _operator, _rural_district


@dataclass(frozen=True, slots=True)
class DistrictBot:
    telegram_id: int
    rural_district_id: int
    token: str
    username: str
    webhook_secret: str

    def __repr__(self) -> str:  # never the token in a log line or a traceback
        return f"DistrictBot(@{self.username}, id {self.telegram_id}, rural district {self.rural_district_id})"


NO_BOT = N_("Rural district {id} has no bot of its own: add it first (add-bot).")
_COLUMNS = "telegram_id, rural_district_id, token, username, webhook_secret"


async def every(db: Database | Tx) -> list[DistrictBot]:
    """Every district's own bot, by rural district."""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM bots ORDER BY rural_district_id")
    return [DistrictBot(*row) for row in rows]


async def of_district(db: Database | Tx, rural_district_id: int) -> DistrictBot | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM bots WHERE rural_district_id = ?", (rural_district_id,))
    return DistrictBot(*row) if row else None


async def by_id(db: Database | Tx, telegram_id: int) -> DistrictBot | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM bots WHERE telegram_id = ?", (telegram_id,))
    return DistrictBot(*row) if row else None


async def add(
    db: Database, actor: Actor, rural_district_id: int, *, token: str, telegram_id: int, username: str, now: datetime
) -> DistrictBot:
    """The district's own bot (getMe answered ``telegram_id`` and ``username`` for the token)."""
    _operator(actor)
    secret = secrets.token_urlsafe(32)
    async with db.transaction() as tx:
        await _rural_district(tx, rural_district_id)
        await tx.execute(
            f"INSERT INTO bots ({_COLUMNS}, added_at) VALUES (?, ?, ?, ?, ?, ?)",
            (telegram_id, rural_district_id, token, username, secret, to_db(now)),
        )
        after = {"telegram_id": telegram_id, "username": username}
        await audit.write(tx, actor, "add_bot", "bot", telegram_id, rural_district_id=rural_district_id, after=after)
    return DistrictBot(telegram_id, rural_district_id, token, username, secret)


async def remove(db: Database, actor: Actor, rural_district_id: int) -> DistrictBot | None:
    """The district goes back to the deployment's own bot; None when it had none. Its people are
    written to by the deployment's bot again (from their next message on, if they never started it)."""
    _operator(actor)
    async with db.transaction() as tx:
        found = await of_district(tx, rural_district_id)
        if found is None:
            return None
        await tx.execute("DELETE FROM bots WHERE telegram_id = ?", (found.telegram_id,))
        await tx.execute("UPDATE people SET bot_id = NULL WHERE bot_id = ?", (found.telegram_id,))
        before = {"telegram_id": found.telegram_id, "username": found.username}
        await audit.write(
            tx, actor, "remove_bot", "bot", found.telegram_id, rural_district_id=rural_district_id, before=before
        )
    return found


async def residents_elsewhere(db: Database | Tx, rural_district_id: int, bot_id: int) -> int:
    """How many of the district's reachable residents still write to another bot than its own."""
    return int(
        await db.fetchval(
            "SELECT count(*) FROM people WHERE rural_district_id = ? AND unreachable_at IS NULL AND bot_id IS NOT ?",
            (rural_district_id, bot_id),
        )
    )


async def announce(
    db: Database, actor: Actor, rural_district_id: int, *, texts: dict[str, str], buttons: dict[str, Any]
) -> tuple[int, int]:
    """The district's residents who still write to another bot are told, by that bot, about the
    district's own one (a bot cannot write first to someone who never started it): (the outbox
    message, how many people). A resident who starts the new bot is the same person (the same
    Telegram id): their data stays, and the new bot's sender writes to them from then on."""
    _operator(actor)
    async with db.transaction() as tx:
        found = await of_district(tx, rural_district_id)
        if found is None:
            raise DomainError(NO_BOT, id=rural_district_id)
        rows = await tx.fetchall(
            "SELECT id FROM people WHERE rural_district_id = ? AND unreachable_at IS NULL AND bot_id IS NOT ?"
            " ORDER BY id",
            (rural_district_id, found.telegram_id),
        )
        people = [row[0] for row in rows]
        message_id = await outbox.enqueue(
            tx, rural_district_id=rural_district_id, kind="notice", texts=texts, recipients=people, buttons=buttons
        )
        after = {"bot": found.username, "recipients": len(people)}
        await audit.write(
            tx, actor, "announce_bot", "outbox_message", message_id, rural_district_id=rural_district_id, after=after
        )
    return message_id, len(people)
