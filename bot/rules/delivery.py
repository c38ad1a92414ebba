"""The rules of delivery as plain functions of plain values: quiet hours, fair order, backoff,
what Telegram's answer means, the rate limits, and when a scheduled announcement goes out.

No aiogram, no database: the sender (``bot/sender.py``, ``storage/outbox.py``) feeds them what it
read and what Telegram said.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

# --- quiet hours --------------------------------------------------------------------------


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours) % 24, int(minutes))


def quiet_until(now: datetime, tz: str, quiet_start: str, quiet_end: str) -> datetime | None:
    """The UTC instant the district's quiet hours end, if ``now`` falls inside them; else None.

    Quiet hours run from ``quiet_start`` (inclusive) to ``quiet_end`` (exclusive) in the district's
    time zone and may cross midnight (22:00–08:00). Equal start and end: never quiet.
    """
    start, end = parse_hhmm(quiet_start), parse_hhmm(quiet_end)
    if start == end:
        return None
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


# --- order --------------------------------------------------------------------------------

T = TypeVar("T")


def fair_order(rows: Iterable[tuple[int, int, int, T]]) -> list[T]:
    """Rows ``(priority, rural_district_id, id, item)`` in sending order: lower priority first;
    within a priority the rural districts take turns (round-robin), each in its own id order, so a
    large district's announcement never holds back a small district's message of the same rank."""
    queues: dict[int, dict[int, list[tuple[int, T]]]] = {}
    for priority, district, row_id, item in rows:
        queues.setdefault(priority, {}).setdefault(district, []).append((row_id, item))
    ordered: list[T] = []
    for priority in sorted(queues):
        districts = queues[priority]
        for queue in districts.values():
            queue.sort(key=lambda pair: pair[0])
        turn = 0
        while True:
            picked = [districts[d][turn][1] for d in sorted(districts) if turn < len(districts[d])]
            if not picked:
                break
            ordered += picked
            turn += 1
    return ordered


# --- what Telegram's answer means ------------------------------------------------------------


class Outcome(StrEnum):
    SENT = "sent"
    PAUSE = "pause"  # 429: nobody gets anything until retry_after has passed
    UNREACHABLE = "unreachable"  # blocked the bot, deactivated, chat gone: stop sending to them
    RETRY = "retry"  # network, timeout, 5xx: try again later, a bounded number of times
    FAILED = "failed"  # Telegram refuses this message itself: trying again will not help


_UNREACHABLE = re.compile(
    r"chat not found|user not found|bot was blocked|user is deactivated|bot was kicked|peer_id_invalid"
    r"|bot can't initiate conversation|chat_write_forbidden",
    re.IGNORECASE,
)


def classify(status: int | None, description: str = "") -> Outcome:
    """``status`` is the HTTP status of Telegram's answer, None when no answer came (network)."""
    if status is None or status >= 500:
        return Outcome.RETRY
    if status == 200:
        return Outcome.SENT
    if status == 429:
        return Outcome.PAUSE
    if status == 403 or (status == 400 and _UNREACHABLE.search(description)):
        return Outcome.UNREACHABLE
    if status in (401, 404, 409):  # the bot's own token or setup: the message is not at fault
        return Outcome.RETRY
    return Outcome.FAILED


BACKOFF_FIRST = 2.0  # seconds before the second attempt
BACKOFF_LIMIT = 600.0  # never wait longer than this between attempts


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 2 s, 4 s, 8 s … at most 10 min."""
    return timedelta(seconds=min(BACKOFF_LIMIT, BACKOFF_FIRST * 2 ** max(0, attempts - 1)))


def gives_up(attempts: int, max_attempts: int) -> bool:
    return attempts >= max_attempts


# --- rate limits --------------------------------------------------------------------------

# Telegram counts requests as they arrive, we count them as they leave; a little slack keeps the
# two windows from disagreeing when one request travels faster than the one 30 before it.
MARGIN = 0.04


@dataclass
class RateLimiter:
    """Sliding windows: at most ``rate`` requests in any second in all, and ``per_chat`` a second
    to one chat; nothing at all while paused. Times are plain seconds (``time.monotonic()``)."""

    rate: float
    per_chat: float
    margin: float = MARGIN
    paused_until: float = 0.0
    _sent: deque[float] = field(default_factory=deque)
    _chats: dict[int, float] = field(default_factory=dict)

    @property
    def capacity(self) -> int:
        return max(1, math.floor(self.rate))

    @property
    def window(self) -> float:
        return self.capacity / self.rate + self.margin

    def wait(self, chat_id: int, now: float) -> float:
        """Seconds until a request to ``chat_id`` may leave (0: now)."""
        delay = max(0.0, self.paused_until - now)
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        if self._sent:  # evenly spaced, not in bursts: bursts arrive bunched and trip Telegram's window
            delay = max(delay, self._sent[-1] + 1.0 / self.rate - now)
        if len(self._sent) >= self.capacity:
            delay = max(delay, self._sent[0] + self.window - now)
        last = self._chats.get(chat_id)
        if last is not None and self.per_chat > 0:
            delay = max(delay, last + 1.0 / self.per_chat + self.margin - now)
        return delay

    def record(self, chat_id: int, now: float) -> None:
        self._sent.append(now)
        self._chats[chat_id] = now
        if len(self._chats) > 50_000:  # forget chats whose second has long passed
            horizon = now - 10.0
            self._chats = {c: t for c, t in self._chats.items() if t > horizon}

    def pause(self, seconds: float, now: float) -> None:
        self.paused_until = max(self.paused_until, now + seconds + self.margin)


def next_ready(chats: Sequence[int], limiter: RateLimiter, now: float) -> tuple[int | None, float]:
    """The first index in ``chats`` whose chat may be sent to now, or (None, seconds to wait)."""
    best = math.inf
    for index, chat_id in enumerate(chats):
        delay = limiter.wait(chat_id, now)
        if delay <= 0:
            return index, 0.0
        best = min(best, delay)
    return None, best


# --- scheduling an announcement -------------------------------------------------------------

_WHEN = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2,4}))?\s+(\d{1,2})[:.](\d{2})\s*$")


def parse_send_at(text: str, now: datetime, tz: str) -> datetime | None:
    """«26.11 09:00» or «26.11.2026 9:00» in the district's zone → UTC; None if it is not a date.

    Without a year the next such date is meant (today's or later)."""
    match = _WHEN.match(text)
    if not match:
        return None
    day, month, year, hours, minutes = match.groups()
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    try:
        if year:
            full_year = int(year) + (2000 if len(year) == 2 else 0)
            at = datetime(full_year, int(month), int(day), int(hours), int(minutes), tzinfo=zone)
        else:
            at = datetime(local_now.year, int(month), int(day), int(hours), int(minutes), tzinfo=zone)
            if at.date() < local_now.date():
                at = at.replace(year=local_now.year + 1)
    except ValueError:
        return None
    return at.astimezone(UTC)


def tomorrow_morning(now: datetime, tz: str, at: str = "09:00") -> datetime:
    """Tomorrow at ``at`` in the district's zone, in UTC."""
    zone = ZoneInfo(tz)
    day = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, parse_hhmm(at), tzinfo=zone).astimezone(UTC)
