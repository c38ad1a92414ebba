"""What stands between the internet and the pages: limits, the rate per client, safe headers.

Every check here is O(1) and runs before a page is read or rendered, so a client that sends
thousands of requests, huge URLs, bodies or other methods gets a cheap 4xx and the event loop
stays free for the bot's residents.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)

MAX_URL = 1024  # bytes of path and query; longer: 414
MAX_CLIENTS = 10_000  # buckets kept; the least recently seen client is forgotten first
BURST = 4.0  # a client may send this many seconds' worth of requests at once

# No script at all, styles only from our own stylesheet, images only our own (and data: for the
# favicon), no forms, no plugins, nothing framing-sensitive (no writes: nothing to click-jack).
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


class RateLimit:
    """A token bucket per client: ``rate`` requests a second, bursts up to ``rate * BURST``.

    The table is bounded (``MAX_CLIENTS``), so a flood from many addresses costs memory once."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * BURST)
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str) -> float:
        """0 when the request may go on, else the seconds to wait (for ``Retry-After``)."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        tokens, seen = self._buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - seen) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate
        self._buckets[client] = (tokens, now)
        if len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)
        return wait


def client_of(request: web.Request, trust_forwarded: bool) -> str:
    """The client's address; behind a trusted proxy, the one it appended to ``X-Forwarded-For``."""
    if trust_forwarded:
        forwarded = request.headers.get("X-Forwarded-For", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last[:64]
    return request.remote or "?"


def guard(limit: RateLimit, *, trust_forwarded: bool, exempt: frozenset[str] = frozenset()) -> Middleware:
    """The middleware: methods, sizes, rate, then the page; safe headers on every answer."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in exempt:  # the webhook on the same server has its own secret
            return await handler(request)
        response = _refuse(request, limit, trust_forwarded)
        if response is None:
            try:
                response = await handler(request)
            except web.HTTPException as error:
                response = _plain(error.status, f"{error.status}: {error.reason}\n")
            except Exception:
                log.exception("public page %s failed", request.path)
                response = _plain(500, "500: something went wrong on our side\n")
        response.headers.update(HEADERS)
        return response

    return middleware


def _refuse(request: web.Request, limit: RateLimit, trust_forwarded: bool) -> web.StreamResponse | None:
    if request.method not in ("GET", "HEAD"):
        return _plain(405, "405: the pages are read-only\n", Allow="GET, HEAD")
    if len(request.raw_path) > MAX_URL:
        return _plain(414, "414: address too long\n")
    if request.content_length or request.headers.get("Transfer-Encoding"):
        return _plain(413, "413: a request here has no body\n")
    wait = limit.allow(client_of(request, trust_forwarded))
    if wait:
        return _plain(429, "429: too many requests, slow down\n", **{"Retry-After": str(max(1, round(wait + 0.5)))})
    return None


def _plain(status: int, text: str, **headers: str) -> web.Response:
    return web.Response(status=status, text=text, headers={"Cache-Control": "no-store", **headers})
