"""The audit trail: every admin and operator action, with what it changed."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Database, Tx


async def record(
    tx: Tx,
    *,
    actor_kind: str,
    action: str,
    actor_telegram_id: int | None = None,
    rural_district_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> int:
    """Write one entry, inside the transaction of the change it describes."""
    return await tx.execute(
        "INSERT INTO audit_log (actor_telegram_id, actor_kind, rural_district_id, action, object_type,"
        " object_id, before_json, after_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            actor_telegram_id,
            actor_kind,
            rural_district_id,
            action,
            object_type,
            object_id,
            None if before is None else json.dumps(before, ensure_ascii=False, default=str),
            None if after is None else json.dumps(after, ensure_ascii=False, default=str),
        ),
    )


async def entries(db: Database, *, rural_district_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = await db.fetchall(
        "SELECT * FROM audit_log WHERE (? IS NULL OR rural_district_id = ?) ORDER BY id DESC LIMIT ?",
        (rural_district_id, rural_district_id, limit),
    )
    return [dict(row) for row in rows]
