"""Every request the bot makes honours Telegram's answer, and none is made inside a transaction.

One session middleware (``Requests``) sees every request of the bot:

- **429** (``TelegramRetryAfter``): the request waits ``retry_after`` and goes again; every other
  request to that chat waits with it. Up to ``max_wait`` seconds in all, then the error is raised.
- **5xx, network errors, timeouts**: again after about 0.5, 1, 2, 4 s (with jitter), at most
  ``max_attempts`` tries and ``max_wait`` seconds; then the error is raised.
- Anything else (400, 403, …) is the caller's to handle, at once.
- **One screen** (the handling of one update, ``screen()``) sends at most ``BURST`` messages to one
  chat in any second: Telegram allows about one a second with a short burst, and a screen that
  needs more should combine them. More wait for their turn instead of meeting a 429.
- **Before a request leaves**, the update's unit commits (``Database.flush``, storage/db.py): the
  handler's writes, the update's done mark and, for an answer (``sendMessage``, an edit, …), a copy
  of the request kept in the inbox until Telegram accepts it (sent again at start after a crash).
  ``flush`` hands back the intake's callable to call once Telegram accepted it.
  An ``answerCallbackQuery`` asked while the unit still holds its transaction is sent right after
  that commit (its result is always True), so the button's answer never cuts the step in two.
- The sender (bot/delivery.py) keeps its own retries on the outbox rows (attempts, backoff, a
  pause for every sender on a 429): in its task ``own_retries()`` turns all of this off.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import Any

from aiogram import Bot, methods
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile

from storage.db import Database

log = logging.getLogger(__name__)

BURST = 3  # messages one screen may send to one chat in a second
MAX_ATTEMPTS = 6  # tries of one request on 5xx and network errors (about 15 s of backoff in all)
MAX_WAIT = 60.0  # seconds one request may spend waiting for Telegram in all
BASE_DELAY = 0.5  # the first backoff; doubled each time, up to MAX_DELAY
MAX_DELAY = 8.0

MESSAGES = (
    methods.SendMessage,
    methods.SendPhoto,
    methods.SendDocument,
    methods.SendVoice,
    methods.SendAudio,
    methods.SendVideo,
    methods.SendAnimation,
    methods.SendSticker,
    methods.SendLocation,
    methods.SendContact,
    methods.SendMediaGroup,
    methods.CopyMessage,
    methods.ForwardMessage,
)
ANSWERS = (*MESSAGES, methods.EditMessageText, methods.EditMessageReplyMarkup, methods.EditMessageCaption)
TEXTS = (methods.SendMessage, methods.EditMessageText, methods.EditMessageReplyMarkup, methods.SendLocation)
AFTER_COMMIT = (methods.AnswerCallbackQuery, methods.SendChatAction)  # their result is always True

_own: ContextVar[bool] = ContextVar("own_retries", default=False)
_screen: ContextVar[dict[Any, deque[list[float]]] | None] = ContextVar("screen", default=None)


@contextlib.contextmanager
def own_retries() -> Iterator[None]:
    """Requests of this task (and tasks it starts) are sent once: the caller retries them itself."""
    token = _own.set(True)
    try:
        yield
    finally:
        _own.reset(token)


@contextlib.contextmanager
def screen() -> Iterator[None]:
    """The handling of one update: at most ``BURST`` messages a second to one chat."""
    token = _screen.set({})
    try:
        yield
    finally:
        _screen.reset(token)


def _chat(method: TelegramMethod[Any]) -> Any:
    return getattr(method, "chat_id", None)


def kept(method: TelegramMethod[Any]) -> str | None:
    """The request as JSON, to send again after a crash; None for what cannot be kept (an upload).

    Fields left at their default (``parse_mode`` and the like) are left out, so the bot that sends
    it again fills them in as it would have."""
    if not isinstance(method, ANSWERS) or _uploads(method):
        return None
    return f'{{"method":"{type(method).__name__}","params":{method.model_dump_json(exclude_defaults=True)}}}'


def _uploads(method: TelegramMethod[Any]) -> bool:
    if isinstance(method, TEXTS):
        return False
    for value in vars(method).values():
        if isinstance(value, InputFile):
            return True
        if isinstance(value, list) and any(isinstance(getattr(item, "media", None), InputFile) for item in value):
            return True
    return False


def restored(kept_json: str) -> TelegramMethod[Any]:
    """The request ``kept()`` wrote."""
    value = json.loads(kept_json)
    cls = getattr(methods, value["method"])
    if not (isinstance(cls, type) and issubclass(cls, ANSWERS)):
        raise ValueError(f"not an answer: {value['method']}")
    method: TelegramMethod[Any] = cls.model_validate(value["params"])
    return method


class Requests(BaseRequestMiddleware):
    """The session middleware described above."""

    def __init__(
        self,
        db: Database | None,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        max_wait: float = MAX_WAIT,
        base_delay: float = BASE_DELAY,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.db = db
        self.max_attempts, self.max_wait, self.base_delay = max_attempts, max_wait, base_delay
        self.sleep = sleep
        self._paused: dict[Any, float] = {}  # chat → monotonic time until which Telegram asked to wait
        self.retried = 0  # requests sent again (for tests and logs)
        # aiogram reads each answer as ``Response[T]``; pydantic keeps a parametrized class only
        # while something refers to it, and builds it again (about 3 ms) once the garbage collector
        # dropped it: under load, every few votes. Holding them here keeps them built.
        self._responses: dict[Any, Any] = {}

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Any:
        returning = method.__returning__
        if returning not in self._responses:
            self._responses[returning] = Response[returning]  # type: ignore[valid-type]
        if _own.get():
            return await make_request(bot, method)
        db = self.db
        accepted: Callable[[], Any] | None = None
        if db is not None and db.holds_unit:
            if isinstance(method, AFTER_COMMIT):
                db.after_commit(lambda: self._send(make_request, bot, method))
                return True
            accepted = await db.flush(lambda: kept(method))
        slot = await self._pace(_chat(method)) if isinstance(method, MESSAGES) else None
        try:
            result = await self._send(make_request, bot, method)
        except (TelegramNetworkError, TelegramServerError):
            raise  # Telegram did not answer: a kept copy is sent again at the next start
        except Exception:
            if accepted is not None:  # Telegram refused it: sending it again would not help
                accepted()
            raise
        finally:
            if slot is not None:  # counted from when Telegram had it, not from when it was asked for
                slot[0] = time.monotonic()
        if accepted is not None:
            accepted()
        return result

    async def _pace(self, chat: Any) -> list[float] | None:
        """Wait until this screen may send one more message to ``chat``; return its slot in the
        window, which the caller moves to the moment the request was answered. Counting from the
        answer, not from the start of the request, keeps the spacing whatever the request's own
        time: the fourth message leaves a second after the first one arrived, never sooner."""
        windows = _screen.get()
        if windows is None or chat is None:
            return None
        window: deque[list[float]] = windows.setdefault(chat, deque())
        now = time.monotonic()
        while window and now - window[0][0] >= 1.0:
            window.popleft()
        if len(window) >= BURST:
            delay = window[0][0] + 1.0 - now
            log.warning("a screen sends more than %d messages a second to chat %s; waiting %.2f s", BURST, chat, delay)
            await self.sleep(delay)
            window.popleft()
        slot = [time.monotonic()]
        window.append(slot)
        return slot

    async def _send(self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: Any) -> Any:
        started = time.monotonic()
        chat = _chat(method)
        name = type(method).__name__
        attempt = 0
        while True:
            pause = self._paused.get(chat, 0.0) - time.monotonic()
            if pause > 0:
                await self.sleep(pause)
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                wait = float(error.retry_after)
                until = time.monotonic() + wait
                self._paused[chat] = max(self._paused.get(chat, 0.0), until)
                if until - started > self.max_wait:
                    raise
                log.warning(
                    "Telegram asked to wait %s s (%s to chat %s); waiting, then sending again", wait, name, chat
                )
            except (TelegramServerError, TelegramNetworkError) as error:
                attempt += 1
                delay = min(self.base_delay * 2 ** (attempt - 1), MAX_DELAY) * random.uniform(0.8, 1.2)
                if attempt >= self.max_attempts or time.monotonic() + delay - started > self.max_wait:
                    log.error("%s failed %d times, giving up: %s", name, attempt, error)
                    raise
                log.warning("%s failed (%s); trying again in %.1f s", name, error, delay)
                await self.sleep(delay)
            self.retried += 1
            if len(self._paused) > 10_000:
                now = time.monotonic()
                self._paused = {k: v for k, v in self._paused.items() if v > now}
