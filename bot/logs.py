"""Logging: one line per update (its id, the person's internal id, the handler that took it, how
long it took), plain text or JSON (``LOG_FORMAT=json``) for log collectors, and the last error
kept for ``/status`` and ``health``.

A line never carries a phone number, a name or a text a person wrote: the person is named by the
bot's id for them (``person_id``), which means nothing outside this database.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import BaseMiddleware, Dispatcher
from aiogram.types import TelegramObject, Update

log = logging.getLogger("bot.updates")
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]
EXTRAS = ("update_id", "person_id", "handler", "event", "ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the update's fields when set."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in EXTRAS:
            if hasattr(record, key):
                line[key] = getattr(record, key)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class LastError(logging.Handler):
    """Remembers the last ERROR of the process (the scheduler writes it to the database)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: tuple[str, datetime] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        self.last = (text[:1000], datetime.fromtimestamp(record.created, UTC))


def setup_logging(level: str, fmt: str) -> LastError:
    """The root logger, as the settings say; returns the handler that keeps the last error."""
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    errors = LastError()
    root.addHandler(errors)
    return errors


class UpdateLog(BaseMiddleware):
    """Outermost on ``update``: one line when the update is done."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        seen: dict[str, str] = {}
        data["update_log"] = seen
        started = time.perf_counter()
        try:
            return await handler(event, data)
        finally:
            person = data.get("person")
            update_id = event.update_id if isinstance(event, Update) else None
            kind = event.event_type if isinstance(event, Update) else type(event).__name__
            ms = round((time.perf_counter() - started) * 1000, 1)
            name = seen.get("handler", "-")
            person_id = getattr(person, "id", None)
            log.info(
                "update %s %s person %s handler %s %.1f ms",
                update_id,
                kind,
                person_id,
                name,
                ms,
                extra={"update_id": update_id, "person_id": person_id, "handler": name, "event": kind, "ms": ms},
            )


class HandlerName(BaseMiddleware):
    """Inner, on every event: notes which handler took the update, for ``UpdateLog``."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        seen = data.get("update_log")
        found = data.get("handler")
        if seen is not None and found is not None:
            callback = found.callback
            seen["handler"] = f"{getattr(callback, '__module__', '?')}.{getattr(callback, '__qualname__', '?')}"
        return await handler(event, data)


def install(dp: Dispatcher) -> None:
    """The two middlewares, on the dispatcher (inner ones reach every included router's handlers)."""
    dp.update.outer_middleware(UpdateLog())
    for name, observer in dp.observers.items():
        if name not in ("update", "error"):
            observer.middleware(HandlerName())
