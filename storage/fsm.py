"""Queries behind the FSM storage adapter (bot/fsm.py)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage.db import Database

Key = tuple[int, int, int, int, str]  # bot_id, chat_id, user_id, thread_id, destiny


async def get(db: Database, key: Key) -> tuple[str | None, dict[str, Any]]:
    row = await db.fetchone(
        "SELECT state, data_json FROM fsm_states WHERE bot_id = ? AND chat_id = ? AND user_id = ?"
        " AND thread_id = ? AND destiny = ?",
        key,
    )
    return (row[0], json.loads(row[1])) if row else (None, {})


_UPSERT_STATE = (
    "INSERT INTO fsm_states (bot_id, chat_id, user_id, thread_id, destiny, state) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (bot_id, chat_id, user_id, thread_id, destiny) DO UPDATE SET state = excluded.state,"
    " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ')"
)
_UPSERT_DATA = (
    "INSERT INTO fsm_states (bot_id, chat_id, user_id, thread_id, destiny, data_json)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (bot_id, chat_id, user_id, thread_id, destiny)"
    " DO UPDATE SET data_json = excluded.data_json, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ')"
)
_FORGET_EMPTY = (
    "DELETE FROM fsm_states WHERE bot_id = ? AND chat_id = ? AND user_id = ? AND thread_id = ?"
    " AND destiny = ? AND state IS NULL AND data_json = '{}'"
)


async def set_state(db: Database, key: Key, state: str | None) -> None:
    await _write(db, _UPSERT_STATE, (*key, state), key)


async def set_data(db: Database, key: Key, data: dict[str, Any]) -> None:
    await _write(db, _UPSERT_DATA, (*key, json.dumps(data, ensure_ascii=False)), key)


async def _write(db: Database, upsert: str, params: tuple[Any, ...], key: Key) -> None:
    """The upsert and the clean-up as one ``Database.run``: no thread hop when the write lock is free
    (most screens write the conversation's state; a search writes it twice), joining the update's
    transaction when it has one."""

    def work(conn: sqlite3.Connection) -> None:
        conn.execute(upsert, params)
        conn.execute(_FORGET_EMPTY, key)

    await db.run(work)
