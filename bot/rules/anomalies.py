"""Votes that look farmed, flagged per village and per local hour for a person to judge.

A flag is a group of votes of one village in one hour of the rural district's time:

- ``burst``: the hour has more votes than max(``burst_min``, ``burst_factor`` × the median of the
  village's hours with votes in this contest) — 10 and 3 by default;
- ``night``: votes cast between ``night_start`` and ``night_end`` o'clock (00:00–06:00);
- ``new``: votes by people the bot first saw less than ``new_hours`` (24) before they voted;
- ``minute``: the votes of every minute in which the village cast ``minute_votes`` (5) or more.

Nothing is annulled by a rule: the meeting's chair (or an operator) keeps or annuls a flag's votes
with a reason. A flag can be judged once its hour is over (its votes can no longer change);
``key`` names it in the decision. The thresholds are settings (``ANOMALY_*``).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Kind(StrEnum):
    BURST = "burst"
    NIGHT = "night"
    NEW = "new"
    MINUTE = "minute"


@dataclass(frozen=True, slots=True)
class Thresholds:
    burst_min: int = 10
    burst_factor: float = 3.0
    night_start: int = 0
    night_end: int = 6
    new_hours: int = 24
    minute_votes: int = 5


@dataclass(frozen=True, slots=True)
class Stamp:
    """One vote as the rules see it: when, from which village, and when its voter first wrote to the bot."""

    vote_id: int
    village_id: int | None
    cast_at: datetime  # aware
    first_seen: datetime | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    kind: Kind
    village_id: int | None
    hour: datetime  # the local hour's start, aware
    vote_ids: tuple[int, ...]
    threshold: int = 0  # burst: the count the hour went over; minute: votes in a minute

    @property
    def key(self) -> str:
        return key(self.kind, self.village_id, self.hour)

    @property
    def votes(self) -> int:
        return len(self.vote_ids)

    def judgeable(self, now: datetime) -> bool:
        """Its hour is over: no vote can join it any more."""
        return now >= self.hour + timedelta(hours=1)


def key(kind: Kind, village_id: int | None, hour: datetime) -> str:
    """«night.12.2026112503»: short, and without «:», so it travels in a button's callback data."""
    return f"{kind.value}.{village_id or 0}.{hour:%Y%m%d%H}"


def flags(stamps: Iterable[Stamp], tz: str, limits: Thresholds = Thresholds()) -> list[Flag]:
    """Every flag of a contest's votes, by local hour, then village, then kind."""
    zone = ZoneInfo(tz)
    hours: dict[tuple[int | None, datetime], list[Stamp]] = defaultdict(list)
    for stamp in stamps:
        at = stamp.cast_at.astimezone(zone)
        hours[(stamp.village_id, at.replace(minute=0, second=0, microsecond=0))].append(stamp)
    per_village: dict[int | None, list[int]] = defaultdict(list)
    for (village_id, _hour), group in hours.items():
        per_village[village_id].append(len(group))
    found: list[Flag] = []
    for (village_id, hour), group in hours.items():
        ids = tuple(sorted(s.vote_id for s in group))
        over = max(limits.burst_min, int(limits.burst_factor * statistics.median(per_village[village_id])))
        if len(group) > over:
            found.append(Flag(Kind.BURST, village_id, hour, ids, over))
        if limits.night_start <= hour.hour < limits.night_end:
            found.append(Flag(Kind.NIGHT, village_id, hour, ids))
        fresh = tuple(
            sorted(
                s.vote_id
                for s in group
                if s.first_seen is not None and s.cast_at - s.first_seen < timedelta(hours=limits.new_hours)
            )
        )
        if fresh:
            found.append(Flag(Kind.NEW, village_id, hour, fresh))
        minutes: dict[int, list[int]] = defaultdict(list)
        for s in group:
            minutes[s.cast_at.astimezone(zone).minute].append(s.vote_id)
        crowded = tuple(sorted(v for ids_ in minutes.values() if len(ids_) >= limits.minute_votes for v in ids_))
        if crowded:
            found.append(Flag(Kind.MINUTE, village_id, hour, crowded, limits.minute_votes))
    order = list(Kind)
    return sorted(found, key=lambda f: (f.hour, f.village_id or 0, order.index(f.kind)))


@dataclass(frozen=True, slots=True)
class Curve:
    """Votes per local day and per village: the public turnout curve."""

    days: list[tuple[str, int]]  # ISO date, votes first cast that day
    villages: list[tuple[int | None, int]]


def curve(stamps: Iterable[Stamp], tz: str) -> Curve:
    zone = ZoneInfo(tz)
    days: dict[str, int] = defaultdict(int)
    villages: dict[int | None, int] = defaultdict(int)
    for stamp in stamps:
        days[stamp.cast_at.astimezone(zone).date().isoformat()] += 1
        villages[stamp.village_id] += 1
    return Curve(sorted(days.items()), sorted(villages.items(), key=lambda item: (-item[1], item[0] or 0)))


def bar(count: int, largest: int, width: int = 12) -> str:
    """A text bar for a screen: «▇▇▇▇▁» scaled to the largest value; at least one block when count > 0."""
    if largest <= 0 or count <= 0:
        return ""
    return "▇" * max(1, round(width * count / largest))
