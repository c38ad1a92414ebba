"""Queries behind the FSM storage adapter (bot/fsm.py)."""

from __future__ import annotations

import json
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


async def set_state(db: Database, key: Key, state: str | None) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO fsm_states (bot_id, chat_id, user_id, thread_id, destiny, state) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (bot_id, chat_id, user_id, thread_id, destiny) DO UPDATE SET state = excluded.state,"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%fZ')",
            (*key, state),
        )
        await _forget_empty(tx, key)


async def set_data(db: Database, key: Key, data: dict[str, Any]) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO fsm_states (bot_id, chat_id, user_id, thread_id, destiny, data_json)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (bot_id, chat_id, user_id, thread_id, destiny)"
            " DO UPDATE SET data_json = excluded.data_json, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ')",
            (*key, json.dumps(data, ensure_ascii=False)),
        )
        await _forget_empty(tx, key)


async def _forget_empty(tx: Any, key: Key) -> None:
    await tx.execute(
        "DELETE FROM fsm_states WHERE bot_id = ? AND chat_id = ? AND user_id = ? AND thread_id = ?"
        " AND destiny = ? AND state IS NULL AND data_json = '{}'",
        key,
    )
