"""A fake Telegram Bot API: the same core answers in-process (``RecordingSession``) and over
HTTP on 127.0.0.1 (``FakeBotAPIServer``), where it stands in for Telegram and for a self-hosted
Bot API server alike (``is_local``: files by path).

It records every request, answers with plausible results, and refuses what Telegram refuses
(tests/telegram_spec.py). Optional Telegram limits (30 messages a second in all, 1 a second per
chat: 429 with ``retry_after``), blocked chats (403) and server errors (5xx) make it a test bed
for the sender.

Faults for the reliability tests (``Faults``): for a while, a share of all requests answered 5xx,
left unanswered past the client's timeout, or cut with a TCP reset, before Telegram does anything
with them (so a retried message is not a duplicate); and ``hold()``, which takes messages in (they
count as delivered) and answers none of them, so a test can kill the bot with requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.telegram_spec import SHOWN_ENTITY, doubled_stops, problems, shown_entities

BOT_ID = 123456
TOKEN = f"{BOT_ID}:TEST-token-for-the-fake-bot-api-000000"
SEND_METHODS = {
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendvoice",
    "sendlocation",
    "sendmediagroup",
    "copymessage",
    "sendaudio",
    "sendvideo",
}


@dataclass
class Request:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None and str(value).lstrip("-").isdigit() else None

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    @property
    def markup(self) -> dict[str, Any]:
        markup = self.params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        return markup or {}

    @property
    def buttons(self) -> list[str]:
        rows = self.markup.get("inline_keyboard") or self.markup.get("keyboard") or []
        return [b["text"] if isinstance(b, dict) else str(b) for row in rows for b in row]

    @property
    def inline(self) -> list[dict[str, Any]]:
        return [b for row in self.markup.get("inline_keyboard") or [] for b in row]


@dataclass
class Faults:
    """Until ``until`` (monotonic), each request fails with probability ``rate``, in one of ``kinds``:
    ``"5xx"`` (502/503/500), ``"timeout"`` (no answer for ``hang`` seconds, then a 504), ``"reset"``
    (the connection cut with a TCP reset; over HTTP only, in process it is a network error)."""

    rate: float
    until: float
    kinds: tuple[str, ...] = ("5xx", "timeout", "reset")
    hang: float = 3.0
    methods: frozenset[str] | None = None  # lower-case method names; None: every method
    seed: int = 12
    injected: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)

    def pick(self, method: str) -> str | None:
        if time.monotonic() >= self.until or (self.methods is not None and method.lower() not in self.methods):
            return None
        if self.random.random() >= self.rate:
            return None
        kind = self.random.choice(self.kinds)
        self.injected[kind] = self.injected.get(kind, 0) + 1
        return kind


@dataclass
class Limits:
    """Telegram's flood limits; ``None`` switches one off."""

    per_second: float | None = 30.0
    per_chat_per_second: float | None = 1.0
    retry_after: int = 1


class FakeTelegram:
    """The state of the fake: messages, files, updates, injected failures and limits."""

    def __init__(
        self,
        *,
        limits: Limits | None = None,
        files_dir: Path | None = None,
        bot_id: int = BOT_ID,
        username: str = "test_bot",
        own_files_only: bool = False,
    ) -> None:
        # One bot (a token): several fakes stand for several bots, each with its own limits, and
        # its own file ids when ``own_files_only`` (a file_id belongs to one bot: another's is refused).
        self.bot_id, self.username, self.own_files_only = bot_id, username, own_files_only
        self.known_files: set[str] = set()  # file ids people sent to this bot (heard in updates)
        self.requests: list[Request] = []
        self.violations: list[str] = []
        # the checks of every request against the Bot API's spec and the texts' look: tests keep
        # them on; the screens benchmark turns them off for its timed rounds (they are the fake's
        # work, not the bot's) after one checked pass of every screen
        self.checks = True
        self.limits = limits
        self.blocked: set[int] = set()  # chats that blocked the bot: 403
        self.gone: set[int] = set()  # chats that do not exist: 400 chat not found
        self.server_error_rate = 0.0  # share of send requests answered 502
        self.failures: list[tuple[Callable[[Request], bool], int, str, int | None]] = []
        self._message_ids = itertools.count(1000)
        self._file_ids = itertools.count(1)
        self.files: dict[str, bytes] = {}
        self.files_dir = files_dir
        self.updates: deque[dict[str, Any]] = deque()
        self._update_ids = itertools.count(1)
        self._update_event = asyncio.Event()
        self.webhook: dict[str, Any] | None = None
        self._sent_times: deque[float] = deque()
        self._chat_times: dict[int, float] = {}
        self.penalty_until = 0.0
        self.sent_in_penalty = 0
        self.count_429 = 0
        self.random = random.Random(7)
        self.heard: set[str] = set()  # the HTML entities people typed themselves («&amp;» in their own text)
        self.faults: Faults | None = None
        self.closing = False  # the server stops: long polls return at once
        self._release: asyncio.Event | None = None  # set by hold(): messages wait for it unanswered
        self.held = 0  # messages taken in and not answered (in flight)

    # --- test controls ------------------------------------------------------------------

    def fail(
        self,
        when: Callable[[Request], bool],
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` matching requests with an error."""
        for _ in range(times):
            self.failures.append((when, status, description, retry_after))

    def hear(self, update: dict[str, Any]) -> None:
        """Note the entities people typed in an update (a text may show them back: no double escaping).

        Only what the person wrote: the bot's own message under a button press is not theirs.
        """

        def walk(value: Any) -> None:
            if isinstance(value, str):
                self.heard.update(SHOWN_ENTITY.findall(value))
            elif isinstance(value, dict):
                for key, item in value.items():
                    if key == "file_id" and isinstance(item, str):
                        self.known_files.add(item)
                    if key not in {"reply_to_message", "pinned_message"}:
                        walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        query = update.get("callback_query")
        walk({k: v for k, v in update.items() if k != "callback_query"})
        if isinstance(query, dict):
            walk(query.get("data"))

    def fault(self, method: str) -> str | None:
        """The fault to inject into this request, if any (``Faults``)."""
        return self.faults.pick(method) if self.faults is not None else None

    def hold(self) -> None:
        """From now on, messages are taken in (recorded, as delivered) and never answered."""
        self._release = asyncio.Event()

    def release(self) -> None:
        if self._release is not None:
            self._release.set()
            self._release = None

    async def held_back(self, method: str) -> None:
        """Wait here while ``hold()`` is on, for a message (counted in ``held``)."""
        gate = self._release
        if gate is None or method.lower() not in SEND_METHODS:
            return
        self.held += 1
        try:
            await gate.wait()
        finally:
            self.held -= 1

    def push_update(self, update: dict[str, Any]) -> int:
        self.hear(update)
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self.updates.append(update)
        self._update_event.set()
        return int(update["update_id"])

    def sent_to(self, chat_id: int) -> list[Request]:
        return [
            r
            for r in self.requests
            if r.chat_id == chat_id
            and r.status == 200
            and r.method.lower() in SEND_METHODS | {"editmessagetext", "editmessagereplymarkup"}
        ]

    # --- answering ---------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one request as Telegram would: (HTTP status, JSON body)."""
        request = Request(method, params)
        self.requests.append(request)
        name = method.lower()
        if self.checks and (refused := self._check(request, method, params)) is not None:
            return refused
        for i, (when, status, description, retry_after) in enumerate(self.failures):
            if when(request):
                del self.failures[i]
                return self._error(request, status, description, retry_after)
        if name in SEND_METHODS:
            chat_id = request.chat_id
            if chat_id in self.blocked:
                return self._error(request, 403, "Forbidden: bot was blocked by the user")
            if chat_id in self.gone:
                return self._error(request, 400, "Bad Request: chat not found")
            if self.server_error_rate and self.random.random() < self.server_error_rate:
                return self._error(request, 502, "Bad Gateway")
            limited = self._limit(chat_id)
            if limited is not None:
                return self._error(request, 429, f"Too Many Requests: retry after {limited}", limited)
            media = value if isinstance(value := params.get("media"), list) else []
            files = [params.get(k) for k in ("photo", "document", "voice")] + [m.get("media") for m in media]
            if self.own_files_only and any(self._foreign(f) for f in files):
                return self._error(request, 400, "Bad Request: wrong file identifier/HTTP URL specified")
        return 200, {"ok": True, "result": self.result(name, params)}

    def _check(self, request: Request, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
        """Refuse what the Bot API would refuse; note what it takes but a person would misread."""
        found = problems(method, params)
        if found:
            self.violations += found
            return self._error(request, 400, "Bad Request: " + "; ".join(found))
        # Telegram accepts these, but a person would read «&amp;» (escaped twice) or «2026 г..»
        self.violations += [
            f"{method}: shows {entity!r}: escaped twice"
            for entity in shown_entities(params)
            if entity not in self.heard
        ]
        self.violations += [
            f"{method}: «{date}»: the date's full stop and the sentence's" for date in doubled_stops(params)
        ]
        return None

    def _limit(self, chat_id: int | None) -> int | None:
        if self.limits is None:
            return None
        now = time.monotonic()
        if now < self.penalty_until:
            self.sent_in_penalty += 1
        window = self._sent_times
        while window and now - window[0] >= 1.0:
            window.popleft()
        too_many = self.limits.per_second is not None and len(window) >= self.limits.per_second
        last = self._chat_times.get(chat_id) if chat_id is not None else None
        too_fast = (
            self.limits.per_chat_per_second is not None
            and last is not None
            and now - last < 1.0 / self.limits.per_chat_per_second
        )
        if too_many or too_fast:
            self.count_429 += 1
            self.penalty_until = max(self.penalty_until, now + self.limits.retry_after)
            return self.limits.retry_after
        window.append(now)
        if chat_id is not None:
            self._chat_times[chat_id] = now
        return None

    def _error(
        self, request: Request, status: int, description: str, retry_after: int | None = None
    ) -> tuple[int, dict[str, Any]]:
        request.status = status
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return status, body

    def _foreign(self, value: Any) -> bool:
        """A file_id this bot never gave nor heard: another bot's."""
        return (
            isinstance(value, str)
            and not value.startswith("attach://")  # an upload
            and value not in self.files
            and value not in self.known_files
        )

    def new_file(self, content: bytes = b"") -> str:
        prefix = f"B{self.bot_id}-" if self.bot_id != BOT_ID else ""
        file_id = f"{prefix}FILE{next(self._file_ids):06d}"
        self.files[file_id] = content
        return file_id

    def _file(self, value: Any) -> dict[str, Any]:
        content = value if isinstance(value, bytes) else b""
        file_id = str(value) if isinstance(value, str) and not value.startswith("attach://") else self.new_file(content)
        return {"file_id": file_id, "file_unique_id": "U" + file_id, "file_size": len(self.files.get(file_id, b""))}

    def result(self, name: str, params: dict[str, Any]) -> Any:
        now = int(time.time())
        if name == "getme":
            return {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": "Test Bot",
                "username": self.username,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if name in SEND_METHODS or name in {"editmessagetext", "editmessagecaption", "editmessagereplymarkup"}:
            chat_id = params.get("chat_id") or 0
            message: dict[str, Any] = {
                "message_id": int(params.get("message_id") or next(self._message_ids)),
                "date": now,
                "chat": {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "group", "first_name": "X"},
                "from": {"id": self.bot_id, "is_bot": True, "first_name": "Test Bot"},
            }
            if "text" in params:
                message["text"] = params["text"]
            if "caption" in params:
                message["caption"] = params["caption"]
            if name == "sendphoto":
                message["photo"] = [dict(self._file(params.get("photo")), width=640, height=480)]
            if name == "senddocument":
                message["document"] = self._file(params.get("document"))
            if name == "sendvoice":
                message["voice"] = dict(self._file(params.get("voice")), duration=1)
            if name == "sendlocation":
                message["location"] = {"latitude": params["latitude"], "longitude": params["longitude"]}
            markup = params.get("reply_markup")
            if isinstance(markup, str):
                markup = json.loads(markup)
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                message["reply_markup"] = markup
            if name == "copymessage":
                return {"message_id": message["message_id"]}
            if name == "sendmediagroup":
                media = params.get("media") or []
                if isinstance(media, str):
                    media = json.loads(media)
                return [
                    dict(
                        message,
                        message_id=next(self._message_ids),
                        photo=[dict(self._file(m.get("media")), width=640, height=480)],
                    )
                    for m in media
                ]
            return message
        if name == "getfile":
            file_id = str(params["file_id"])
            path = f"documents/{file_id}.bin"
            if self.files_dir is not None:  # a self-hosted server in --local mode answers with a local path
                target = self.files_dir / f"{file_id}.bin"
                target.write_bytes(self.files.get(file_id, b""))
                path = str(target)
            return {
                "file_id": file_id,
                "file_unique_id": "U" + file_id,
                "file_size": len(self.files.get(file_id, b"")),
                "file_path": path,
            }
        if name == "getupdates":
            return []
        if name == "getwebhookinfo":
            return {
                "url": (self.webhook or {}).get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": len(self.updates),
            }
        if name == "getmycommands":
            return []
        return True

    # --- updates -----------------------------------------------------------------------

    async def get_updates(self, offset: int | None, timeout: float) -> list[dict[str, Any]]:
        if offset is not None:
            while self.updates and self.updates[0]["update_id"] < offset:
                self.updates.popleft()
        if not self.updates and timeout > 0 and not self.closing:
            self._update_event.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_event.wait(), timeout)
        return list(self.updates)[:100]


class FakeBotAPIServer:
    """The fake on 127.0.0.1 over HTTP, as aiogram (or ``bot.py``) sees a Bot API server."""

    def __init__(self, telegram: FakeTelegram | None = None, *, is_local: bool = False) -> None:
        self.telegram = telegram or FakeTelegram()
        self.bots: dict[str, FakeTelegram] = {TOKEN: self.telegram}  # token → that bot's fake
        self.is_local = is_local
        self.send_delay = 0.0  # seconds each message takes to be answered (requests in flight)
        self.port = 0
        self._runner: Any = None
        self._webhook_task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_bot(self, token: str, telegram: FakeTelegram | None = None) -> FakeTelegram:
        """Another bot the server answers for (its id: the token's digits)."""
        found = telegram or FakeTelegram(bot_id=int(token.split(":")[0]), username=f"bot{token.split(':')[0]}")
        self.bots[token] = found
        return found

    async def start(self) -> FakeBotAPIServer:
        from aiohttp import web

        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return self

    async def stop(self) -> None:
        for telegram in self.bots.values():
            telegram.closing = True
            telegram._update_event.set()  # a long poll still waiting returns now
            telegram.release()
        if self._webhook_task:
            self._webhook_task.cancel()
        if self._runner:
            await self._runner.cleanup()

    async def _params(self, request: Any) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):  # an uploaded file
                    params[key] = value.file.read()
                else:
                    params[key] = value
        for key, value in list(params.items()):
            if key in {
                "reply_markup",
                "media",
                "commands",
                "scope",
                "allowed_updates",
                "link_preview_options",
            } and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    params[key] = json.loads(value)
        # uploaded files referenced as attach://name
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.pop(value[len("attach://") :], b"")
        return params

    async def _api(self, request: Any) -> Any:
        from aiohttp import web

        telegram = self.bots.get(request.match_info["token"])
        if telegram is None:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        return await self._answer(telegram, request)

    async def _answer(self, telegram: FakeTelegram, request: Any) -> Any:
        from aiohttp import web

        method = request.match_info["method"]
        params = await self._params(request)
        fault = telegram.fault(method)
        if fault == "reset":
            telegram.requests.append(Request(method, params, status=0))
            sock = request.transport.get_extra_info("socket") if request.transport else None
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)
        if fault == "timeout":
            telegram.requests.append(Request(method, params, status=0))
            assert telegram.faults is not None
            await asyncio.sleep(telegram.faults.hang)
            return web.json_response({"ok": False, "error_code": 504, "description": "Gateway Timeout"}, status=504)
        if fault == "5xx":
            status = telegram.random.choice([500, 502, 503])
            telegram.requests.append(Request(method, params, status=status))
            return web.json_response({"ok": False, "error_code": status, "description": "Bad Gateway"}, status=status)
        numeric = {"chat_id", "offset", "timeout", "limit", "message_id", "latitude", "longitude"}
        for key in numeric & params.keys():
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key]) if isinstance(params[key], str) else params[key]
        name = method.lower()
        if name == "getupdates":
            if telegram.webhook:
                return web.json_response(
                    {
                        "ok": False,
                        "error_code": 409,
                        "description": "Conflict: can't use getUpdates while webhook is active",
                    },
                    status=409,
                )
            updates = await telegram.get_updates(params.get("offset"), float(params.get("timeout") or 0))
            telegram.requests.append(Request(method, params))
            return web.json_response({"ok": True, "result": updates})
        if name == "setwebhook":
            telegram.webhook = {"url": params.get("url"), "secret": params.get("secret_token")}
        if name == "deletewebhook":
            telegram.webhook = None
        status, body = telegram.handle(method, params)
        await telegram.held_back(method)
        if self.send_delay and name in SEND_METHODS:
            await asyncio.sleep(self.send_delay)
        return web.json_response(body, status=status)

    async def _download(self, request: Any) -> Any:
        from aiohttp import web

        path = request.match_info["path"]
        file_id = Path(path).stem
        telegram = self.bots.get(request.match_info["token"])
        if telegram is None or file_id not in telegram.files:
            return web.Response(status=404)
        return web.Response(body=telegram.files[file_id])

    async def _deliver_webhooks(self) -> None:
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while True:
                waiting = [t for t in self.bots.values() if t.webhook and t.updates]
                if not waiting:
                    await asyncio.sleep(0.02)
                    continue
                for telegram in waiting:
                    hook = telegram.webhook
                    assert hook is not None
                    update = telegram.updates[0]
                    headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret"]} if hook.get("secret") else {}
                    try:
                        async with session.post(hook["url"], json=update, headers=headers) as response:
                            if response.status == 200:
                                telegram.updates.popleft()
                            else:
                                await asyncio.sleep(0.1)
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.1)
