"""The sender: takes due rows from the outbox and delivers them within Telegram's limits.

(Minimal first version: sends every due row once, in the recipient's language. The delivery
engine issue replaces the inside, keeping ``deliver_due`` and ``start_sender``.)
"""

from __future__ import annotations

import asyncio
import json
import logging

from aiogram.types import InlineKeyboardMarkup

from bot.clock import to_db
from bot.jobs import JobContext

log = logging.getLogger(__name__)


async def deliver_due(ctx: JobContext) -> int:
    """Send every row that is due now; return how many were sent."""
    now = to_db(ctx.clock.now())
    async with ctx.db.transaction() as tx:
        rows = await tx.fetchall(
            "UPDATE outbox SET state = 'sending', claimed_at = ? WHERE id IN ("
            " SELECT o.id FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
            " WHERE o.state = 'pending' AND o.next_attempt <= ? AND m.cancelled_at IS NULL"
            " ORDER BY m.priority, o.id) RETURNING id, message_id, person_id",
            (now, now),
        )
    sent = 0
    for row_id, message_id, person_id in rows:
        message = await ctx.db.fetchone(
            "SELECT texts_json, buttons_json FROM outbox_messages WHERE id = ?", (message_id,))
        person = await ctx.db.fetchone("SELECT telegram_id, language FROM people WHERE id = ?", (person_id,))
        assert message is not None and person is not None
        texts = json.loads(message[0])
        text = texts.get(person[1]) or next(iter(texts.values()))
        markup = None
        if message[1]:
            buttons = json.loads(message[1])
            markup = InlineKeyboardMarkup.model_validate(
                {"inline_keyboard": buttons.get(person[1]) or next(iter(buttons.values()))})
        await ctx.bot.send_message(person[0], text, reply_markup=markup)
        async with ctx.db.transaction() as tx:
            await tx.execute("UPDATE outbox SET state = 'sent', sent_at = ? WHERE id = ?", (now, row_id))
        sent += 1
    return sent


def start_sender(ctx: JobContext) -> asyncio.Task[None]:
    """Start the sender loop as a background task."""

    async def loop() -> None:
        while True:
            try:
                await deliver_due(ctx)
            except Exception:
                log.exception("sender failed")
            await asyncio.sleep(1.0)

    return asyncio.create_task(loop())
