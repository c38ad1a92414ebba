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

Rules kept here, decided in ``bot/delivery_rules.py``:

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
  district's quiet hours end, in its time zone.
- **Language.** The text is picked in the recipient's language when the request leaves.
- **Lateness.** The sender never drops a row for being late: a large broadcast may hold rows
  behind the rate limit for many minutes. Whether a reminder is too late is judged once, by the
  job that claims it and queues it (``REMINDER_LATE_MINUTES``).

``allow_paid_broadcast`` (off by default): announcements are sent with Telegram's paid broadcast
flag, which lifts the limit to 1000 messages a second for 0.1 Telegram Star per message, paid from
the bot's balance. Raise ``SEND_RATE`` with it (e.g. to 300); it cannot be tried without Stars.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
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
from bot.rules.delivery import (
    Outcome,
    RateLimiter,
    backoff,
    classify,
    fair_order,
    gives_up,
    next_ready,
    quiet_until,
)

log = logging.getLogger(__name__)

BATCH_SECONDS = 2.0  # a claim takes about this much work
MAX_IN_FLIGHT = 16  # requests waiting for Telegram's answer at once
IDLE_SECONDS = 0.5  # the loop's sleep when nothing is due
PROGRESS_EVERY = 3.0  # seconds between edits of a broadcast's progress message
HOST = socket.gethostname()


@dataclass(frozen=True, slots=True)
class OutMessage:
    """A message of the outbox: texts, buttons and media per language, as queued."""

    id: int
    rural_district_id: int
    kind: str
    texts: dict[str, str]
    buttons: dict[str, Any] | None = None
    media_type: str | None = None
    media_ref: str | None = None
    priority: int = 5

    def text(self, lang: str) -> str:
        return self.texts.get(lang) or next((t for t in self.texts.values() if t), "")

    def markup(self, lang: str) -> InlineKeyboardMarkup | None:
        if not self.buttons:
            return None
        rows = self.buttons.get(lang) or next(iter(self.buttons.values()))
        return InlineKeyboardMarkup.model_validate({"inline_keyboard": rows})


async def send_rendered(bot: Bot, chat_id: int, message: OutMessage, lang: str, *, paid: bool = False) -> int:
    """Send one message in ``lang`` (falling back to the other language); Telegram's message id.

    The staff's preview goes through here too, so it is exactly what a resident gets."""
    text, markup = message.text(lang), message.markup(lang)
    extra: dict[str, Any] = {"allow_paid_broadcast": True} if paid else {}
    if message.media_type == "photo" and message.media_ref:
        sent = await bot.send_photo(chat_id, message.media_ref, caption=text or None, reply_markup=markup, **extra)
    elif message.media_type == "document" and message.media_ref:
        sent = await bot.send_document(chat_id, message.media_ref, caption=text or None, reply_markup=markup, **extra)
    else:
        sent = await bot.send_message(chat_id, text, reply_markup=markup, **extra)
    return sent.message_id


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


@dataclass(slots=True)
class Claimed:
    id: int
    message_id: int
    person_id: int
    chat_id: int


class Sender:
    """One sender: its token in ``senders``, its limits, and the messages it has read."""

    def __init__(self, ctx: JobContext, *, max_in_flight: int = MAX_IN_FLIGHT) -> None:
        self.ctx = ctx
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
        now = to_db(self.ctx.clock.now())
        async with self.ctx.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO senders (token, host, pid, started_at, beat_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (token) DO UPDATE SET beat_at = excluded.beat_at",
                (self.token, HOST, os.getpid(), now, now),
            )
        self.registered = True

    async def beat(self) -> None:
        async with self.ctx.db.transaction() as tx:
            await tx.execute(
                "UPDATE senders SET beat_at = ? WHERE token = ?", (to_db(self.ctx.clock.now()), self.token)
            )

    async def unregister(self) -> None:
        """Give back what was claimed and not started, and leave."""
        async with self.ctx.db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET state = 'pending', claimed_by = NULL"
                " WHERE state = 'sending' AND claimed_by = ? AND started_at IS NULL",
                (self.token,),
            )
            await tx.execute("DELETE FROM senders WHERE token = ?", (self.token,))
        self.registered = False

    async def recover(self) -> int:
        """Rows left in 'sending' by dead senders go back to 'pending'; return how many."""
        now = self.ctx.clock.now()
        stale = to_db(now - self.lease)
        async with self.ctx.db.transaction() as tx:
            senders = await tx.fetchall("SELECT token, host, pid, beat_at FROM senders WHERE token <> ?", (self.token,))
            dead = [s[0] for s in senders if s[3] < stale or (s[1] == HOST and not _alive(int(s[2])))]
            alive = [s[0] for s in senders if s[0] not in dead] + [self.token]
            marks = ",".join("?" * len(alive))
            recovered = await tx.execute(
                "UPDATE outbox SET state = 'pending', claimed_by = NULL, next_attempt = ?,"
                " error = CASE WHEN started_at IS NULL THEN error"
                "         ELSE 'interrupted: the sender stopped during the request; sent again' END,"
                " started_at = NULL"
                f" WHERE state = 'sending' AND (claimed_by IS NULL OR claimed_by NOT IN ({marks}))",
                (to_db(now), *alive),
            )
            if dead:
                await tx.execute(f"DELETE FROM senders WHERE token IN ({','.join('?' * len(dead))})", dead)
        if recovered:
            log.warning("recovered %d outbox rows from stopped senders %s", recovered, dead)
        return recovered

    # --- claiming ----------------------------------------------------------------------

    async def claim(self) -> list[Claimed]:
        """Defer what quiet hours hold, then claim the next batch in fair order."""
        now = self.ctx.clock.now()
        now_db = to_db(now)
        districts = await self.ctx.db.fetchall("SELECT id, timezone, quiet_start, quiet_end FROM rural_districts")
        quiet = [(rd, until) for rd, tz, start, end in districts if (until := quiet_until(now, tz, start, end))]
        async with self.ctx.db.transaction() as tx:
            pause = await tx.fetchval("SELECT until FROM delivery_pause WHERE id = 1")
            for rd, until in quiet:
                await tx.execute(
                    "UPDATE outbox SET next_attempt = ? WHERE state = 'pending' AND next_attempt <= ? AND message_id IN"
                    " (SELECT id FROM outbox_messages WHERE rural_district_id = ? AND respect_quiet = 1)",
                    (to_db(until), now_db, rd),
                )
            rows = await tx.fetchall(
                "UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ?, started_at = NULL"
                " WHERE id IN ("
                "  SELECT id FROM ("
                "   SELECT o.id, m.priority, m.rural_district_id AS rd, ROW_NUMBER() OVER"
                "     (PARTITION BY m.priority, m.rural_district_id ORDER BY o.id) AS turn"
                "   FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
                "   WHERE o.state = 'pending' AND o.next_attempt <= ? AND m.cancelled_at IS NULL)"
                "  ORDER BY priority, turn, rd LIMIT ?)"
                " AND state = 'pending'"
                " RETURNING id, message_id, person_id",
                (self.token, now_db, now_db, self.batch),
            )
            chats = {}
            if rows:
                people = sorted({r[2] for r in rows})
                found = await tx.fetchall(
                    f"SELECT id, telegram_id FROM people WHERE id IN ({','.join('?' * len(people))})", people
                )
                chats = {r[0]: r[1] for r in found}
        if pause and pause != self._pause_seen:  # another sender (or we, earlier) heard a 429
            self._pause_seen = pause
            left = (from_db(pause) - now).total_seconds()
            if left > 0:
                self.limiter.pause(left, time.monotonic())
        await self._load_messages({r[1] for r in rows})
        items = []
        for row_id, message_id, person_id in rows:
            message = self.messages[message_id]
            items.append(
                (
                    message.priority,
                    message.rural_district_id,
                    row_id,
                    Claimed(row_id, message_id, person_id, int(chats.get(person_id, 0))),
                )
            )
        return fair_order(items)

    async def _load_messages(self, ids: set[int]) -> None:
        todo = sorted(ids - self.messages.keys())
        if not todo:
            return
        rows = await self.ctx.db.fetchall(
            "SELECT id, rural_district_id, kind, texts_json, buttons_json, media_type, media_ref, priority"
            f" FROM outbox_messages WHERE id IN ({','.join('?' * len(todo))})",
            todo,
        )
        for row in rows:
            self.messages[row[0]] = OutMessage(
                row[0],
                row[1],
                row[2],
                json.loads(row[3]),
                json.loads(row[4]) if row[4] else None,
                row[5],
                row[6],
                row[7],
            )

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
        message = self.messages[row.message_id]
        now = to_db(self.ctx.clock.now())
        async with self.ctx.db.transaction() as tx:
            person = await tx.fetchone(
                "SELECT p.telegram_id, p.language, p.unreachable_at, p.notify_announcements, m.cancelled_at"
                " FROM people p, outbox_messages m WHERE p.id = ? AND m.id = ?",
                (row.person_id, row.message_id),
            )
            skip: tuple[str, str | None] | None = None
            if person is None:
                skip = ("skipped", "the person is gone")
            elif person[4] is not None:
                skip = ("cancelled", None)
            elif person[2] is not None:
                skip = ("skipped", "unreachable: blocked the bot or the chat is gone")
            elif message.kind == "announcement" and not person[3]:
                skip = ("skipped", "announcements turned off")
            if skip:
                await tx.execute(
                    "UPDATE outbox SET state = ?, error = ?, claimed_by = NULL WHERE id = ? AND claimed_by = ?",
                    (skip[0], skip[1], row.id, self.token),
                )
                return None
            started = await tx.execute(
                "UPDATE outbox SET started_at = ?, attempts = attempts + 1"
                " WHERE id = ? AND state = 'sending' AND claimed_by = ?",
                (now, row.id, self.token),
            )
        if not started:  # cancelled meanwhile (or taken back): not ours to send
            return None
        assert person is not None
        return int(person[0]), str(person[1])

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
        until = to_db(self.ctx.clock.now() + timedelta(seconds=retry_after))
        self._pause_seen = until
        async with self.ctx.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO delivery_pause (id, until) VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET until = max(until, excluded.until)",
                (until,),
            )
        log.warning("Telegram asked to wait %s s; every sender pauses", retry_after)

    async def _finish(
        self, row: Claimed, outcome: Outcome, *, description: str = "", telegram_message_id: int | None = None
    ) -> None:
        now = self.ctx.clock.now()
        now_db = to_db(now)
        async with self.ctx.db.transaction() as tx:
            where = " WHERE id = ? AND claimed_by = ?"
            key = (row.id, self.token)
            if outcome is Outcome.SENT:
                await tx.execute(
                    "UPDATE outbox SET state = 'sent', sent_at = ?, telegram_message_id = ?, error = NULL,"
                    " claimed_by = NULL" + where,
                    (now_db, telegram_message_id, *key),
                )
            elif outcome is Outcome.PAUSE:  # not the row's fault: the attempt does not count
                await tx.execute(
                    "UPDATE outbox SET state = 'pending', attempts = max(0, attempts - 1), next_attempt = ?,"
                    " started_at = NULL, claimed_by = NULL, error = ?" + where,
                    (now_db, description, *key),
                )
            elif outcome is Outcome.UNREACHABLE:
                await tx.execute(
                    "UPDATE outbox SET state = 'skipped', claimed_by = NULL, error = ?" + where,
                    ("unreachable: " + description, *key),
                )
                await tx.execute(
                    "UPDATE people SET unreachable_at = ? WHERE id = ? AND unreachable_at IS NULL",
                    (now_db, row.person_id),
                )
            elif outcome is Outcome.RETRY:
                attempts = int(await tx.fetchval("SELECT attempts FROM outbox WHERE id = ?", (row.id,)) or 0)
                if gives_up(attempts, self.max_attempts):
                    await tx.execute(
                        "UPDATE outbox SET state = 'failed', claimed_by = NULL, error = ?" + where,
                        (f"gave up after {attempts} attempts: {description}", *key),
                    )
                else:
                    await tx.execute(
                        "UPDATE outbox SET state = 'pending', next_attempt = ?, started_at = NULL, claimed_by = NULL,"
                        " error = ?" + where,
                        (to_db(now + backoff(attempts)), description, *key),
                    )
            else:
                await tx.execute(
                    "UPDATE outbox SET state = 'failed', claimed_by = NULL, error = ?" + where, (description, *key)
                )

    # --- broadcasts' progress ----------------------------------------------------------

    async def refresh_progress(self, *, force: bool = False) -> None:
        """Edit the progress message of every unfinished broadcast whose counts changed."""
        if not force and time.monotonic() - self._progress_at < PROGRESS_EVERY:
            return
        self._progress_at = time.monotonic()
        from bot.keyboards.broadcasts import progress_view  # keyboards need i18n; loaded when used
        from storage import broadcasts

        for item in await broadcasts.unfinished(self.ctx.db, to_db(self.ctx.clock.now())):
            counts = await broadcasts.counts(self.ctx.db, item.message_id)
            shown = counts.key()
            finished = counts.open == 0
            if shown == item.progress_shown and not finished:
                continue
            with self.ctx.i18n.context(), self.ctx.i18n.use_locale(item.progress_lang):
                rd_tz = await self.ctx.db.fetchval(
                    "SELECT timezone FROM rural_districts WHERE id = ?", (item.rural_district_id,)
                )
                text, markup = progress_view(item, counts, str(rd_tz or "Asia/Almaty"), self.ctx.clock.now())
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


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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


def start_sender(ctx: JobContext) -> asyncio.Task[None]:
    """Start the sender loop as a background task."""
    return asyncio.create_task(run_sender(ctx), name="sender")
