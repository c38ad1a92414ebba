"""The sender: takes due rows from the outbox and delivers them within Telegram's limits.

One row is one message to one person. Its life::

    pending ──claim (UPDATE … RETURNING, a batch)──▶ sending ──start (started_at, attempts+1)──▶ request
       ▲                                                                                          │
       ├── 429: back, and every sender pauses for retry_after ◀───────────────────────────────────┤
       ├── network / 5xx: back after a backoff (2 s, 4 s, 8 s …) ◀─────────────────────────────────┤
       │   …until SEND_MAX_ATTEMPTS: failed, with the reason                                        │
       │                                     skipped (403 / chat not found: the person is marked    │
       │                                              unreachable; announcements turned off)        │
       │                                     failed (Telegram refuses the message itself)  ◀────────┤
       │                                     sent (with Telegram's message id)             ◀────────┘
       └── recover(): rows a dead sender left in 'sending'

Rules kept here, decided in ``bot/rules/delivery.py``; every statement is in ``storage/outbox.py``:

- **Claims.** A sender claims a batch (about two seconds of work) in one ``BEGIN IMMEDIATE``
  transaction, so two processes on one database never hold the same row. Before the request it
  writes ``started_at`` in its own transaction; after the answer, the outcome.
- **Recovery.** Every sender beats in ``senders``. One that stopped beating for
  ``SENDER_LEASE_SECONDS`` (or whose pid is gone on this host) is dead: its rows go back to
  'pending'. Rows it never started are sent once as if nothing happened; rows whose request was
  out when it died may have reached the person and are sent again (at-least-once: a duplicate is
  possible only for the few requests in flight at the kill; ``python -m bench delivery`` measures it).
- **Limits.** At most ``SEND_RATE`` requests in any second and ``SEND_RATE_PER_CHAT`` to one chat
  (sliding windows); a 429 pauses every request of every sender for ``retry_after``.
- **Order.** Priority first (answers, reminders, vote results before announcements); within a
  priority the rural districts take turns. A chat that must wait its second does not hold back
  the others.
- **Quiet hours.** Rows of messages that respect them wait (``next_attempt`` moved) until the
  district's quiet hours end, in its time zone; never past a message's ``due_by`` (a notice about
  an event that starts before the morning goes at once).
- **Language.** The text is picked in the recipient's language when the request leaves.
- **Lateness.** The sender never drops a row for being late: a large broadcast may hold rows
  behind the rate limit for many minutes. Whether a reminder is too late is judged once, by the
  job that claims it and queues it (``REMINDER_LATE_MINUTES``). Only a message with
  ``expires_at`` (about an event: from its start) is skipped once that moment has come, and the
  rows an event's move or cancellation superseded are cancelled before they go.

``allow_paid_broadcast`` (off by default): announcements are sent with Telegram's paid broadcast
flag, which lifts the limit to 1000 messages a second for 0.1 Telegram Star per message, paid from
the bot's balance. Raise ``SEND_RATE`` with it (e.g. to 300); it cannot be tried without Stars.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.jobs import JobContext
from bot.rules.clock import from_db, to_db
from bot.rules.delivery import Outcome, RateLimiter, classify, fair_order, next_ready
from storage import outbox
from storage.outbox import Claimed, OutMessage, process_alive

log = logging.getLogger(__name__)

BATCH_SECONDS = 2.0  # a claim takes about this much work
MAX_IN_FLIGHT = 16  # requests waiting for Telegram's answer at once
IDLE_SECONDS = 0.5  # the loop's sleep when nothing is due
PROGRESS_EVERY = 3.0  # seconds between edits of a broadcast's progress message
HOST = socket.gethostname()


async def send_rendered(bot: Bot, chat_id: int, message: OutMessage, lang: str, *, paid: bool = False) -> int:
    """Send one message in ``lang`` (falling back to the other language); Telegram's message id.

    The staff's preview goes through here too, so it is exactly what a resident gets."""
    text, markup = message.text(lang), _markup(message.button_rows(lang))
    extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
    if message.media_type == "photo" and message.media_ref:
        sent = await bot.send_photo(chat_id, message.media_ref, caption=text or None, reply_markup=markup, **extra)
    elif message.media_type == "document" and message.media_ref:
        sent = await bot.send_document(chat_id, message.media_ref, caption=text or None, reply_markup=markup, **extra)
    else:
        sent = await bot.send_message(chat_id, text, reply_markup=markup, **extra)
    return sent.message_id


def _markup(rows: list[list[dict[str, Any]]] | None) -> InlineKeyboardMarkup | None:
    """The stored buttons of a message as Telegram's markup (they were packed when queued)."""
    return None if not rows else InlineKeyboardMarkup.model_validate({"inline_keyboard": rows})


def _answer_of(error: BaseException) -> tuple[int | None, str]:
    """The HTTP status and description behind an exception of a request (None: no answer)."""
    description = getattr(error, "message", None) or str(error) or type(error).__name__
    statuses: list[tuple[type[BaseException], int]] = [
        (TelegramRetryAfter, 429),
        (TelegramForbiddenError, 403),
        (TelegramMigrateToChat, 400),
        (TelegramBadRequest, 400),
        (TelegramNotFound, 404),
        (TelegramConflictError, 409),
        (TelegramUnauthorizedError, 401),
        (TelegramEntityTooLarge, 413),
        (TelegramServerError, 500),
    ]
    for kind, status in statuses:
        if isinstance(error, kind):
            return status, description
    return None, description  # TelegramNetworkError, timeouts, anything else on the way


class Sender:
    """One sender: its token in ``senders``, its limits, and the messages it has read."""

    def __init__(
        self,
        ctx: JobContext,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
        route: int = outbox.ANY_BOT,
        shows_progress: Callable[[int], bool] | None = None,
    ) -> None:
        self.ctx = ctx
        # Several bots: each has a sender of its own (``ctx.bot``), with its own budget, claiming
        # the rows of the people its bot may write to (``route``) and showing the progress of the
        # broadcasts of its districts (``shows_progress``, by rural district).
        self.route = route
        self.shows_progress = shows_progress
        settings = ctx.settings
        self.limiter = RateLimiter(settings.send_rate, settings.send_rate_per_chat)
        self.token = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.max_attempts = settings.send_max_attempts
        self.lease = timedelta(seconds=settings.sender_lease_seconds)
        self.batch = max(1, int(settings.send_rate * BATCH_SECONDS))
        self.slots = asyncio.Semaphore(max_in_flight)
        self.messages: dict[int, OutMessage] = {}
        self.registered = False
        self._pause_seen: str | None = None
        self._progress_at = 0.0

    # --- the sender's life -------------------------------------------------------------

    async def register(self) -> None:
        await outbox.register_sender(self.ctx.db, self.token, HOST, os.getpid(), self.ctx.clock.now())
        self.registered = True

    async def beat(self) -> None:
        await outbox.beat(self.ctx.db, self.token, self.ctx.clock.now())

    async def unregister(self) -> None:
        """Give back what was claimed and not started, and leave."""
        await outbox.unregister_sender(self.ctx.db, self.token)
        self.registered = False

    async def lead(self) -> bool:
        """Hold the deployment's singleton lease (``storage.outbox.lead``): True while this sender's
        process is the one that runs the scheduler's jobs. Asking beats (the lease runs from now)."""
        if not self.registered:
            await self.register()
        else:
            await self.beat()
        return await outbox.lead(
            self.ctx.db, self.token, self.ctx.clock.now(), self.lease, host=HOST, alive=process_alive
        )

    async def recover(self) -> int:
        """Rows left in 'sending' by dead senders go back to 'pending'; return how many."""
        recovered, dead = await outbox.recover(
            self.ctx.db, self.token, self.ctx.clock.now(), self.lease, host=HOST, alive=process_alive
        )
        if recovered:
            log.warning("recovered %d outbox rows from stopped senders %s", recovered, dead)
        return recovered

    # --- claiming ----------------------------------------------------------------------

    async def claim(self) -> list[Claimed]:
        """Defer what quiet hours hold, then claim the next batch in fair order."""
        now = self.ctx.clock.now()
        rows, pause = await outbox.claim(self.ctx.db, self.token, now, self.batch, route=self.route)
        if pause and pause != self._pause_seen:  # another sender (or we, earlier) heard a 429
            self._pause_seen = pause
            left = (from_db(pause) - now).total_seconds()
            if left > 0:
                self.limiter.pause(left, time.monotonic())
        todo = sorted({r.message_id for r in rows} - self.messages.keys())
        self.messages.update((m.id, m) for m in await outbox.messages(self.ctx.db, todo))
        items = []
        for row in rows:
            message = self.messages[row.message_id]
            items.append((message.priority, message.rural_district_id, row.id, row))
        return fair_order(items)

    # --- sending -----------------------------------------------------------------------

    async def run_once(self) -> int:
        """Send everything due now (waiting for the limits as needed); return how many were sent."""
        if not self.registered:
            await self.register()
        else:
            await self.beat()
        sent = 0
        while True:
            await self.recover()
            rows = await self.claim()
            if not rows:
                break
            sent += await self._dispatch(rows)
            await self.beat()
            await self.refresh_progress()
        await self.refresh_progress(force=True)
        return sent

    async def _dispatch(self, rows: list[Claimed]) -> int:
        """Start each row's request as soon as the limits allow, in order; wait for all answers."""
        waiting = list(rows)
        tasks: list[asyncio.Task[bool]] = []
        while waiting:
            index, delay = next_ready([r.chat_id for r in waiting], self.limiter, time.monotonic())
            if index is None:
                await asyncio.sleep(delay)
                continue
            row = waiting.pop(index)
            await self.slots.acquire()
            target = await self._start(row)
            if target is None:  # skipped (unreachable, turned off, cancelled): no request, no slot used
                self.slots.release()
                continue
            # the start was written to the database; the request leaves as soon as the limits allow
            while (delay := self.limiter.wait(row.chat_id, time.monotonic())) > 0:
                await asyncio.sleep(delay)
            self.limiter.record(row.chat_id, time.monotonic())
            task = asyncio.create_task(self._deliver(row, *target))
            task.add_done_callback(lambda _t: self.slots.release())
            tasks.append(task)
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.error("sending a row failed", exc_info=result)
        return sum(1 for result in results if result is True)

    async def _start(self, row: Claimed) -> tuple[int, str] | None:
        """Mark the request as leaving now; the (chat, language) to send to, or None if skipped."""
        kind = self.messages[row.message_id].kind
        return await outbox.start(self.ctx.db, self.token, row, kind, self.ctx.clock.now())

    async def _deliver(self, row: Claimed, chat_id: int, lang: str) -> bool:
        """One started row: the request, then its outcome. True when Telegram accepted it."""
        message = self.messages[row.message_id]
        paid = self.ctx.settings.allow_paid_broadcast and message.kind == "announcement"
        while (pause := self.limiter.paused_until - time.monotonic()) > 0:  # a 429 arrived since we were let go
            await asyncio.sleep(pause)
        try:
            telegram_id = await send_rendered(self.ctx.bot, chat_id, message, lang, paid=paid)
        except Exception as error:  # every failure is recorded on the row; none stops the sender
            status, description = _answer_of(error)
            outcome = classify(status, description)
            if isinstance(error, TelegramRetryAfter):
                await self._paused(error.retry_after)
            elif not isinstance(error, TelegramAPIError | TelegramNetworkError | asyncio.TimeoutError | OSError):
                log.exception("unexpected error sending outbox row %s", row.id)
            await self._finish(row, outcome, description=description[:500])
            return False
        await self._finish(row, Outcome.SENT, telegram_message_id=telegram_id)
        return True

    async def _paused(self, retry_after: int) -> None:
        """Telegram asked for a pause: every request of every sender waits."""
        self.limiter.pause(retry_after, time.monotonic())
        until = self.ctx.clock.now() + timedelta(seconds=retry_after)
        self._pause_seen = to_db(until)
        await outbox.pause(self.ctx.db, until, route=self.route)
        log.warning("Telegram asked bot %s to wait %s s; every sender of it pauses", self.ctx.bot.id, retry_after)

    async def _finish(
        self, row: Claimed, outcome: Outcome, *, description: str = "", telegram_message_id: int | None = None
    ) -> None:
        await outbox.finish(
            self.ctx.db,
            self.token,
            row,
            outcome,
            self.ctx.clock.now(),
            max_attempts=self.max_attempts,
            description=description,
            telegram_message_id=telegram_message_id,
        )

    # --- broadcasts' progress ----------------------------------------------------------

    async def refresh_progress(self, *, force: bool = False) -> None:
        """Edit the progress message of every unfinished broadcast whose counts changed."""
        if not force and time.monotonic() - self._progress_at < PROGRESS_EVERY:
            return
        self._progress_at = time.monotonic()
        from bot.keyboards.broadcasts import progress_view  # keyboards need i18n; loaded when used
        from storage import broadcasts, places

        for item in await broadcasts.unfinished(self.ctx.db, to_db(self.ctx.clock.now())):
            if self.shows_progress is not None and not self.shows_progress(item.rural_district_id):
                continue  # another bot's sender edits it: the staff's message is in that bot's chat
            counts = await broadcasts.counts(self.ctx.db, item.message_id)
            shown = counts.key()
            finished = counts.open == 0
            if shown == item.progress_shown and not finished:
                continue
            rd = await places.rural_district(self.ctx.db, item.rural_district_id)
            with self.ctx.i18n.context(), self.ctx.i18n.use_locale(item.progress_lang):
                tz = rd.timezone if rd else "Asia/Almaty"
                text, markup = progress_view(item, counts, tz, self.ctx.clock.now())
            try:
                # unfinished() selects only broadcasts with a progress message; chat and message are set together
                assert item.progress_chat_id is not None and item.progress_message_id is not None
                await self._edit(item.progress_chat_id, item.progress_message_id, text, markup)
            except TelegramBadRequest as error:
                if "not modified" not in error.message:
                    log.info("progress of broadcast %s not shown: %s", item.id, error.message)
            except Exception:
                log.exception("progress of broadcast %s not shown", item.id)
                continue
            await broadcasts.mark_shown(self.ctx.db, item.id, shown, finished=finished, now=to_db(self.ctx.clock.now()))

    async def _edit(self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None) -> None:
        """An edit counts against the same limits as a message."""
        while (delay := self.limiter.wait(chat_id, time.monotonic())) > 0:
            await asyncio.sleep(delay)
        self.limiter.record(chat_id, time.monotonic())
        await self.ctx.bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup)


async def deliver_due(ctx: JobContext) -> int:
    """Send every row that is due now; return how many were sent."""
    sender = Sender(ctx)
    try:
        return await sender.run_once()
    finally:
        await sender.unregister()


async def run_sender(ctx: JobContext, sender: Sender | None = None) -> None:
    """The sender loop of a process: send what is due, beat, sleep a little when idle."""
    sender = sender or Sender(ctx)
    try:
        while True:
            try:
                await sender.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sender failed; trying again shortly")
                await asyncio.sleep(5 * IDLE_SECONDS)
            await asyncio.sleep(IDLE_SECONDS)
    finally:
        if sender.registered:
            try:
                await asyncio.shield(sender.unregister())
            except Exception:
                log.exception("sender could not unregister")


def start_sender(ctx: JobContext, sender: Sender | None = None) -> asyncio.Task[None]:
    """Start the sender loop as a background task."""
    return asyncio.create_task(run_sender(ctx, sender), name="sender")
