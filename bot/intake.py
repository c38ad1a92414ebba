"""How updates come in (long polling or a webhook) and reach the dispatcher: through the inbox
(storage/inbox.py), so that a crash loses none and one that comes again is not handled twice.

    getUpdates ─┐                            ┌─ handled within PARK_AFTER: its effects and its
    webhook ────┴─▶ not in the inbox yet? ─▶─┤  inbox row ('done') in one transaction
                    (one read)               └─ still running then: written as 'pending' with
                                                its payload, handled on, done when it finishes
                ─▶ only then the next getUpdates confirms the batch (its offset moves past
                   it), or the webhook answers 200

Handling one update (``handle``): every write of its handler and its done mark are one
transaction, committed just before its answer leaves, and that answer is kept with it until
Telegram accepts it (``Database.unit``, ``bot/retry.py``); an update that wrote nothing is marked
done right after it answered. Each chat's updates are handled one at a time, in order; different
chats at once. A crash before the commit leaves no effect and no row, and Telegram sends the
update again (it was never confirmed); after the commit the row says done and a re-sent copy is
ignored.

At start (``recover``): answers kept and never confirmed are sent again; then the updates left
pending are handled first, each chat's in order, before anything new from that chat. An update
started ``inbox.MAX_ATTEMPTS`` times without finishing (it kills the process?) is given up, logged.

When the database refuses a write (busy past its bound, or full) handling goes on: what only
reads works, a write gets a clear apology (bot/middlewares.py), and the marks that could not be
written are written with the next commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import logging
import time
from collections.abc import Hashable, Sequence
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import Update
from aiohttp import web

from bot.retry import restored, screen
from storage import inbox
from storage.db import Database, fault

log = logging.getLogger(__name__)

CONCURRENCY = 64  # updates handled at once (each chat's one at a time)
PARK_AFTER = 0.5  # seconds a batch may take before its unfinished updates are kept as pending
POLL_TIMEOUT = 25  # seconds a getUpdates waits for something new
PRUNE_EVERY = 3600.0  # seconds between forgetting old done updates
MARKS_FLUSH = 0.005  # seconds at most before marks waiting for a commit get one of their own (batched)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Intake:
    """The inbox between Telegram and the dispatcher of one bot."""

    def __init__(self, db: Database, dp: Dispatcher, bot: Bot, *, concurrency: int = CONCURRENCY) -> None:
        self.db, self.dp, self.bot = db, dp, bot
        self._slots = asyncio.Semaphore(concurrency)
        self._chains: dict[Hashable, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._active: dict[int, Update] = {}  # update_id → update, from submit until handled
        self._update_of: dict[asyncio.Task[Any], Update] = {}
        # Written with the next commit the intake makes anyway (another update's, a park), or after
        # MARKS_FLUSH: the done marks the database refused (busy, full), and the kept answers
        # Telegram accepted.
        self._unmarked: list[tuple[int, int | None]] = []
        self._sent: list[int] = []
        self._marks_flush: asyncio.TimerHandle | None = None
        self._pruned_at = 0.0

    @property
    def bot_id(self) -> int:
        return self.bot.id

    @property
    def busy(self) -> int:
        """Updates being handled or waiting their turn."""
        return len(self._active)

    # --- taking updates in --------------------------------------------------------------

    async def receive(self, updates: Sequence[Update]) -> list[Update]:
        """The updates to handle: those neither in the inbox already nor being handled now."""
        if not updates:
            return []
        try:
            seen = await inbox.known(self.db, self.bot_id, [u.update_id for u in updates])
        except Exception as error:  # a read rarely fails; if it does, handling twice beats losing
            log.error("the inbox could not be read (%s); taking the updates as new", error)
            seen = set()
        skipped = [u.update_id for u in updates if u.update_id in seen or u.update_id in self._active]
        if skipped:
            log.info("update(s) %s already taken: not handled again", ", ".join(map(str, skipped)))
        return [u for u in updates if u.update_id not in seen and u.update_id not in self._active]

    def submit(self, update: Update) -> asyncio.Task[None]:
        """Handle the update in a task of its own, after the updates of its chat that came before."""
        key: Hashable = _chat(update) or ("update", update.update_id)
        previous = self._chains.get(key)
        self._active[update.update_id] = update
        task = asyncio.create_task(self._in_turn(previous, update), name=f"update-{update.update_id}")
        self._chains[key] = task
        self._tasks.add(task)
        self._update_of[task] = update
        task.add_done_callback(functools.partial(self._finished, key, update.update_id))
        return task

    def _finished(self, key: Hashable, update_id: int, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._update_of.pop(task, None)
        self._active.pop(update_id, None)
        if self._chains.get(key) is task:
            del self._chains[key]

    async def _in_turn(self, previous: asyncio.Task[None] | None, update: Update) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        async with self._slots:
            await self.handle(update)

    async def settle(self, tasks: Sequence[asyncio.Task[None]], timeout: float = PARK_AFTER) -> int:
        """Wait for the tasks of a batch up to ``timeout``; keep the updates still unfinished as
        pending (with their payload), so the batch may be confirmed to Telegram. Returns how many."""
        if not tasks:
            return 0
        _done, slow = await asyncio.wait(tasks, timeout=timeout)
        updates = sorted((self._update_of[t] for t in slow if t in self._update_of), key=lambda u: u.update_id)
        if updates:
            await self._park(updates)
        return len(updates)

    async def _park(self, updates: Sequence[Update]) -> None:
        parked = [inbox.Incoming(u.update_id, _chat(u), u.model_dump_json(exclude_none=True)) for u in updates]
        done, sent = self._take_marks()
        try:
            await inbox.park(self.db, self.bot_id, parked, done=done, sent=sent)
        except Exception as error:
            self._unmarked[:0], self._sent[:0] = done, sent
            log.error(
                "update(s) %s could not be kept for later (%s: %s); a crash now would lose them",
                ", ".join(str(u.update_id) for u in updates),
                fault(error) or "error",
                error,
            )

    async def take(self, update: Update) -> None:
        """Receive one update and handle it in this task (tests, benchmarks)."""
        for fresh in await self.receive([update]):
            self._active[fresh.update_id] = fresh
            try:
                await self.handle(fresh)
            finally:
                self._active.pop(fresh.update_id, None)

    # --- handling -----------------------------------------------------------------------

    async def handle(self, update: Update) -> None:
        """Feed one update to the dispatcher, its writes and its done mark in one transaction."""
        db, bot_id, update_id, chat_id = self.db, self.bot_id, update.update_id, _chat(update)

        def commit(conn: Any, reply: str | None) -> Any:
            if reply is not None or not unit.commits:  # a later commit (the answer's clearing) is marked already
                inbox.finish(conn, bot_id, update_id, chat_id, reply)
            done, sent = self._take_marks()
            for other, other_chat in done:
                inbox.finish(conn, bot_id, other, other_chat, None)
            inbox.replies_sent(conn, bot_id, sent)
            return functools.partial(self._accepted, update_id) if reply is not None else None

        try:
            with screen():
                async with db.unit(commit) as unit:
                    await self.dp.feed_update(self.bot, update)
        except Exception:
            log.exception("update %s was not handled; it is kept for the next start", update_id)
            await self._park([update])
            return
        if not unit.commits:
            self._unmarked.append((update_id, chat_id))
            await self.flush_marks()

    def _accepted(self, update_id: int) -> None:
        """Telegram accepted the kept answer: cleared with the next commit the intake makes anyway
        (another update's, a park) or after MARKS_FLUSH. A commit of its own for each would cost
        every vote a fifth more, while one commit every few milliseconds for all that came meanwhile
        costs nothing; a crash in between sends those few again at start, as the requests in flight
        are (at-least-once)."""
        self._sent.append(update_id)
        if self._marks_flush is None:
            self._marks_flush = asyncio.get_running_loop().call_later(MARKS_FLUSH, self._flush_marks_soon)

    def _take_marks(self) -> tuple[list[tuple[int, int | None]], list[int]]:
        done, sent = self._unmarked, self._sent
        self._unmarked, self._sent = [], []
        if self._marks_flush is not None:  # a commit takes them: no commit of their own needed
            self._marks_flush.cancel()
            self._marks_flush = None
        return done, sent

    def _flush_marks_soon(self) -> None:
        self._marks_flush = None
        if self._sent or self._unmarked:
            task = asyncio.create_task(self.flush_marks())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def flush_marks(self) -> None:
        """Write the done marks and cleared answers that wait for a commit, now."""
        done, sent = self._take_marks()
        if not done and not sent:
            return
        try:
            await inbox.park(self.db, self.bot_id, [], done=done, sent=sent)
        except Exception as error:
            self._unmarked[:0], self._sent[:0] = done, sent
            log.warning("%d done mark(s) wait for the database (%s)", len(done) + len(sent), error)
            if self._marks_flush is None:
                self._marks_flush = asyncio.get_running_loop().call_later(1.0, self._flush_marks_soon)

    async def recover(self) -> int:
        """What the last run left: answers sent again, then the pending updates handled first."""
        left = await inbox.left_over(self.db, self.bot_id)
        for update_id in left.given_up:
            log.error(
                "update %s was being handled each of the last %d times the bot stopped: given up",
                update_id,
                inbox.MAX_ATTEMPTS,
            )
        if left.replies:
            log.warning("sending again %d answer(s) the last run may not have delivered", len(left.replies))
            await asyncio.gather(*(self._send_again(r.update_id, r.reply_json or "") for r in left.replies))
        for row in left.pending:
            try:
                update = Update.model_validate_json(row.payload_json or "", context={"bot": self.bot})
            except ValueError:
                log.exception("update %s in the inbox cannot be read: given up", row.update_id)
                self._unmarked.append((row.update_id, None))
                continue
            self.submit(update)
        if left.pending:
            log.warning("handling %d update(s) left from the last run first", len(left.pending))
        await self.flush_marks()
        await self._prune()
        return len(left.pending)

    async def _send_again(self, update_id: int, kept_json: str) -> None:
        try:
            await self.bot(restored(kept_json))
        except Exception as error:
            log.warning("the kept answer to update %s was not sent again: %s", update_id, error)
        self._accepted(update_id)

    async def _prune(self) -> None:
        if self._pruned_at and time.monotonic() - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = time.monotonic()
        try:
            await inbox.prune(self.db)
        except Exception as error:
            log.warning("old inbox rows not pruned: %s", error)

    async def drain(self, timeout: float) -> None:
        """Let the updates being handled finish; the rest are kept as pending for the next start."""
        if self._marks_flush is not None:
            self._marks_flush.cancel()
            self._marks_flush = None
        if self._tasks:
            await self.settle(list(self._tasks), timeout)
            pending = [t for t in self._tasks if not t.done()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            if pending:
                log.warning("%d update(s) unfinished at shutdown are kept for the next start", len(pending))
        await self.flush_marks()

    # --- long polling -------------------------------------------------------------------

    async def poll(self, stop: asyncio.Event, *, allowed_updates: list[str] | None = None) -> None:
        """getUpdates until ``stop``. Each batch is handled (or kept as pending) before the next call
        confirms it with its offset. Failures back off (0.5 s doubling to 15 s), never ending the loop."""
        offset: int | None = None  # from the start: Telegram sends again whatever was not confirmed
        failures = 0
        timeout = int(self.bot.session.timeout or 0) + POLL_TIMEOUT
        while not stop.is_set():
            request = asyncio.ensure_future(
                self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=allowed_updates, request_timeout=timeout
                )
            )
            stopped = asyncio.ensure_future(stop.wait())
            await asyncio.wait({request, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if not request.done():
                request.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await request
                break
            try:
                updates = request.result()
            except Exception as error:
                failures += 1
                delay = min(0.5 * 2 ** (failures - 1), 15.0)
                log.error("getUpdates failed (%s: %s); polling again in %.1f s", type(error).__name__, error, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                continue
            if failures:
                log.warning("polling resumed after %d failed getUpdates", failures)
                failures = 0
            if not updates:
                continue
            await self.settle([self.submit(u) for u in await self.receive(updates)])
            offset = updates[-1].update_id + 1
            await self._prune()
        if offset is not None:  # confirm the last batch, so a clean restart does not fetch it again
            with contextlib.suppress(Exception):
                await self.bot.get_updates(offset=offset, timeout=0, limit=1, request_timeout=5)

    # --- webhook ------------------------------------------------------------------------

    def webhook_handler(self, secret: str | None) -> Any:
        """An aiohttp handler: the secret checked; the 200 only once the update is handled or kept."""

        async def handler(request: web.Request) -> web.Response:
            if secret is not None and not hmac.compare_digest(
                request.headers.get(SECRET_HEADER, "").encode(), secret.encode()
            ):
                return web.Response(status=401)
            try:
                update = Update.model_validate(await request.json(), context={"bot": self.bot})
            except ValueError:
                return web.Response(status=400)
            await self.settle([self.submit(u) for u in await self.receive([update])])
            await self._prune()
            return web.Response()

        return handler


def _chat(update: Update) -> int | None:
    context = UserContextMiddleware.resolve_event_context(update)
    if context.chat is not None:
        return context.chat.id
    return context.user.id if context.user is not None else None
