"""The outbox: features put messages in here; the sender (bot/delivery.py) takes them out.

A message has its texts in every language (``{"kk": ..., "ru": ...}``); the sender picks the
recipient's language when it sends, so a person who switched language meanwhile reads the new one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from storage.db import Tx

# Lower goes first. Reminders, vote results and answers to a person before announcements.
PRIORITY = {
    "answer": 0,  # an answer to a person's own initiative or question
    "status": 0,  # a status change of a person's own initiative
    "reminder": 1,  # an event reminder
    "vote_result": 2,
    "staff": 3,  # notices to staff (new initiative, deadline)
    "notice": 5,  # a new contest, document, event
    "announcement": 9,
}
# Kinds that never wait for the morning (the rest respect the district's quiet hours).
NOT_QUIET = {"answer", "status", "reminder"}


async def enqueue(
    tx: Tx,
    *,
    rural_district_id: int,
    kind: str,
    texts: dict[str, str],
    recipients: Iterable[int],
    priority: int | None = None,
    respect_quiet: bool | None = None,
    buttons: dict[str, Any] | None = None,
    media_type: str | None = None,
    media_ref: str | None = None,
    not_before: str | None = None,
    created_by: int | None = None,
    source_type: str | None = None,
    source_id: int | None = None,
) -> int:
    """Queue one message for many people (person ids); return the message id. Duplicates are ignored."""
    message_id = await tx.execute(
        "INSERT INTO outbox_messages (rural_district_id, kind, priority, respect_quiet, texts_json, buttons_json,"
        " media_type, media_ref, not_before, created_by, source_type, source_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, strftime('%Y-%m-%dT%H:%M:%fZ')), ?, ?, ?)",
        (
            rural_district_id,
            kind,
            PRIORITY.get(kind, 5) if priority is None else priority,
            int(kind not in NOT_QUIET if respect_quiet is None else respect_quiet),
            json.dumps(texts, ensure_ascii=False),
            None if buttons is None else json.dumps(buttons, ensure_ascii=False),
            media_type,
            media_ref,
            not_before,
            created_by,
            source_type,
            source_id,
        ),
    )
    # Without not_before a row is due at once: the sender's (injected) clock decides, not SQLite's.
    await tx.executemany(
        "INSERT INTO outbox (message_id, person_id, next_attempt)"
        " VALUES (?, ?, COALESCE(?, '1970-01-01T00:00:00.000Z')) ON CONFLICT DO NOTHING",
        ((message_id, person_id, not_before) for person_id in dict.fromkeys(recipients)),
    )
    return message_id


async def residents(
    tx: Tx,
    rural_district_id: int,
    *,
    village_ids: Sequence[int] | None = None,
    role: str | None = None,
    announcements_only: bool = False,
    reminders_only: bool = False,
) -> list[int]:
    """Person ids of a district's residents (optionally of some villages, or with a role)."""
    sql = "SELECT p.id FROM people p WHERE p.rural_district_id = ? AND p.unreachable_at IS NULL"
    params: list[Any] = [rural_district_id]
    if village_ids:
        sql += f" AND p.village_id IN ({','.join('?' * len(village_ids))})"
        params += list(village_ids)
    if role:
        sql += " AND EXISTS (SELECT 1 FROM roles r WHERE r.person_id = p.id AND r.rural_district_id = ? AND r.role = ?)"
        params += [rural_district_id, role]
    if announcements_only:
        sql += " AND p.notify_announcements = 1"
    if reminders_only:
        sql += " AND p.notify_reminders = 1"
    return [row[0] for row in await tx.fetchall(sql + " ORDER BY p.id", params)]
