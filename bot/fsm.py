"""aiogram's FSM storage kept in SQLite, so a conversation survives a restart of the bot."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage import fsm as queries
from storage.db import Database


def _key(key: StorageKey) -> queries.Key:
    return (key.bot_id, key.chat_id, key.user_id, key.thread_id or 0, key.destiny)


class SQLiteStorage(BaseStorage):
    """State and data per (bot, chat, user, thread), on the bot's own database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await queries.set_state(self.db, _key(key), value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await queries.get(self.db, _key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await queries.set_data(self.db, _key(key), dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await queries.get(self.db, _key(key)))[1]

    async def close(self) -> None:
        """The database belongs to the application and is closed by it."""
