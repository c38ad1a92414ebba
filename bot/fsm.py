"""aiogram's FSM storage kept in SQLite, so a conversation survives a restart of the bot."""

from __future__ import annotations

import copy
import json
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage import fsm as queries
from storage.db import Database


def _key(key: StorageKey) -> queries.Key:
    return (key.bot_id, key.chat_id, key.user_id, key.thread_id or 0, key.destiny)


class SQLiteStorage(BaseStorage):
    """State and data per (bot, chat, user, thread), on the bot's own database.

    Writes go to the database at once (inside the update's transaction, when it has one); reads
    are served from a bounded write-through cache, so the state every update reads costs no query
    once known. A write whose transaction rolls back (the handler failed, or the process is told
    the database is full) is forgotten by the cache too, so the next read sees what is stored.
    This assumes what aiogram's own event isolation assumes: one process handles a bot's updates.
    """

    def __init__(self, db: Database, cache_size: int = 50_000) -> None:
        self.db = db
        self._cache: OrderedDict[queries.Key, tuple[str | None, dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size

    async def _get(self, key: StorageKey) -> tuple[str | None, dict[str, Any]]:
        k = _key(key)
        cached = self._cache.get(k)
        if cached is None:
            cached = await queries.get(self.db, k)
            self._remember(k, cached)
        else:
            self._cache.move_to_end(k)
        return cached

    def _remember(self, k: queries.Key, value: tuple[str | None, dict[str, Any]]) -> None:
        self._cache[k] = value
        self._cache.move_to_end(k)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _forget_on_rollback(self, k: queries.Key) -> None:
        self.db.on_rollback(lambda: self._cache.pop(k, None))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        current_state, data = await self._get(key)
        if value == current_state:
            return
        await queries.set_state(self.db, _key(key), value)
        self._remember(_key(key), (value, data))
        self._forget_on_rollback(_key(key))

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._get(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, current = await self._get(key)
        new = json.loads(json.dumps(dict(data), ensure_ascii=False))  # as stored, and a copy
        if new == current:
            return
        await queries.set_data(self.db, _key(key), new)
        self._remember(_key(key), (state, new))
        self._forget_on_rollback(_key(key))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return copy.deepcopy((await self._get(key))[1])

    async def close(self) -> None:
        """The database belongs to the application and is closed by it."""
