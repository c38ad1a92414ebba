"""The public pages' web application: its parts, its cache, and how it starts beside the bot.

    request ─▶ guard (method, size, rate per client, safe headers) ─▶ cache ─▶ route ─▶ template
                                                                         │
                                                  storage.public & the features' reads (read-only)

The pages read through their own SQLite connection opened read-only (``mode=ro``): SQLite
refuses any write on it, and its reads never wait for the bot's lock. A page is rendered once
and served from memory until the database changes (``PRAGMA data_version``, looked at once the
page is ``SETTLE`` seconds old) or a minute passes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from aiogram.utils.i18n import I18n
from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.config import Settings
from bot.rules.clock import Clock
from bot.web.guard import RateLimit, guard
from bot.web.links import base_path
from storage import public
from storage.db import Database

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
FRESH_FOR = 60.0  # seconds a cached page is served without looking again, if nothing changed
SETTLE = 2.0  # seconds within which a change in the bot reaches the pages (while the budget lasts)
RENDER_SHARE = 0.02  # of the event loop's time that drawing pages may take, on average
CACHE_SIZE = 256  # pages kept in memory


class RenderBudget:
    """Seconds of drawing pages allowed: ``share`` of each second, saved up to half a second (a
    visitor, or a crawler, opening every page at once after a restart is served at once)."""

    def __init__(self, share: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.share, self.clock = share, clock
        self.capacity = 0.5
        self.tokens, self.at = self.capacity, clock()

    def allow(self) -> bool:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.share)
        self.at = now
        return self.tokens > 0

    def spend(self, seconds: float) -> None:
        self.tokens -= seconds


@dataclass(slots=True)
class Cached:
    status: int
    body: bytes
    content_type: str
    etag: str
    last_modified: float
    max_age: int
    version: int
    stored_at: float
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Site:
    """What every route needs: the read-only database, the settings, the languages, the clock."""

    db: Database
    settings: Settings
    i18n: I18n
    clock: Clock
    env: Environment
    static: dict[str, tuple[bytes, str, str]]  # name -> (bytes, content type, etag)
    settle: float = SETTLE
    budget: RenderBudget = field(default_factory=lambda: RenderBudget(RENDER_SHARE))
    cache: OrderedDict[str, Cached] = field(default_factory=OrderedDict)
    first_seen: dict[tuple[str, str], float] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return base_path(self.settings.public_url)

    def static_url(self, name: str) -> str:
        return f"{self.base}/static/{name}?v={self.static[name][2][:10]}"

    async def cached(self, request: web.Request, make: Callable[[], Awaitable[Cached]]) -> web.StreamResponse:
        """The page from memory while the data is unchanged, else ``make()`` it again."""
        key = request.path
        now = time.monotonic()
        entry = self.cache.get(key)
        age = now - entry.stored_at if entry is not None else FRESH_FOR
        # a page younger than ``settle`` is served as it is: a contest in its last hour commits many
        # votes a second, and the page need not be drawn again for each of them
        version = entry.version if entry is not None and age < self.settle else await public.data_version(self.db)
        stale = entry is None or entry.version != version or age > FRESH_FOR
        # drawing pages may take only a small share of the event loop, whatever the load: past it,
        # the page already drawn is served a little longer, and one never drawn waits (503)
        drawing = stale and self.budget.allow()
        if stale and not drawing and entry is None:
            return web.Response(status=503, text="503: busy, try again\n", headers=BUSY)
        if drawing or entry is None:
            # CPU time of this thread, not the wall clock: a machine busy with other processes
            # must not make a page look expensive (and exhaust the budget) when it is not
            started = time.thread_time()
            entry = await make()
            self.budget.spend(time.thread_time() - started)
            entry.version, entry.stored_at = version, now
            # Last-Modified: when this exact body was first served (the ETag is its hash)
            entry.last_modified = self.first_seen.setdefault((key, entry.etag), time.time())
            if len(self.first_seen) > CACHE_SIZE * 8:
                self.first_seen.clear()
            if entry.status == 200:
                self.cache[key] = entry
                self.cache.move_to_end(key)
                while len(self.cache) > CACHE_SIZE:
                    self.cache.popitem(last=False)
        else:
            self.cache.move_to_end(key)
        return respond(request, entry)


BUSY = {"Retry-After": "2", "Cache-Control": "no-store"}


def entry(
    body: bytes, content_type: str, *, status: int = 200, max_age: int = 60, headers: dict[str, str] | None = None
) -> Cached:
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return Cached(status, body, content_type, etag, 0.0, max_age, 0, 0.0, dict(headers or {}))


def respond(request: web.Request, cached: Cached) -> web.StreamResponse:
    """The answer with its validators; 304 when the client already has this version."""
    headers = {
        "ETag": cached.etag,
        "Last-Modified": formatdate(cached.last_modified, usegmt=True),
        "Cache-Control": f"public, max-age={cached.max_age}" if cached.status == 200 else "no-store",
        "Vary": "Accept-Encoding",
        **cached.headers,
    }
    if cached.status == 200 and _not_modified(request, cached):
        return web.Response(status=304, headers=headers)
    charset = "utf-8" if cached.content_type.startswith("text/") or cached.content_type.endswith("json") else None
    return web.Response(
        status=cached.status, body=cached.body, content_type=cached.content_type, charset=charset, headers=headers
    )


def _not_modified(request: web.Request, cached: Cached) -> bool:
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        return cached.etag in {t.strip().removeprefix("W/") for t in tags.split(",")} or tags.strip() == "*"
    since = request.if_modified_since
    return since is not None and int(cached.last_modified) <= since.timestamp()


def environment() -> Environment:
    """Jinja2 with autoescape on every template and the i18n extension (texts in the catalogs)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _static() -> dict[str, tuple[bytes, str, str]]:
    files = {"style.css": "text/css"}
    loaded = {}
    for name, kind in files.items():
        data = (STATIC / name).read_bytes()
        loaded[name] = (data, kind, hashlib.sha256(data).hexdigest())
    return loaded


SITE: web.AppKey[Site] = web.AppKey("site", Site)


def create_app(
    db: Database, settings: Settings, i18n: I18n, clock: Clock, *, exempt: frozenset[str] = frozenset()
) -> web.Application:
    """The pages' application on an open (read-only) database; ``exempt`` paths skip the guard."""
    from bot.web import routes

    env = environment()
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        lambda message: i18n.gettext(message),
        lambda singular, plural, n: i18n.gettext(singular, plural, n),
        newstyle=False,
    )
    limit = RateLimit(settings.web_rate_per_client)
    app = web.Application(
        middlewares=[guard(limit, trust_forwarded=settings.web_trust_forwarded, exempt=exempt)],
    )
    app[SITE] = Site(db, settings, i18n, clock, env, _static())
    routes.add(app)
    return app


async def open_app(
    settings: Settings, i18n: I18n, clock: Clock, *, exempt: frozenset[str] = frozenset()
) -> web.Application:
    """The application on its own read-only connection, closed with the application."""
    db = await settings.database().connect(readonly=True)
    app = create_app(db, settings, i18n, clock, exempt=exempt)

    async def close(_app: web.Application) -> None:
        await db.close()

    app.on_cleanup.append(close)
    return app


async def start(settings: Settings, i18n: I18n, clock: Clock) -> web.AppRunner | None:
    """Polling mode and ``bot.py try``: serve the pages on ``WEB_HOST:WEB_PORT`` when it is set."""
    if settings.web_port is None:
        return None
    runner = web.AppRunner(await open_app(settings, i18n, clock), access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, settings.web_host, settings.web_port).start()
    log.info("public pages on http://%s:%s/", settings.web_host, settings.web_port)
    return runner


async def stop(runner: web.AppRunner | None) -> None:
    if runner is not None:
        await asyncio.shield(runner.cleanup())
