"""The rules of project contests, as plain functions of plain values (no aiogram, no database).

Who may vote: a resident of a village the contest covers, while voting is open
(``opens_at <= now < closes_at`` of a published contest), with consent and a Kazakhstan mobile
number shared through Telegram's contact button (those two are checked by the handler).

Funding: projects are ranked by votes (online and offline together). The money of all sources
is one pot. Going down the ranking, a project is funded when its cost fits in what is left; one
that does not fit is skipped and the next is tried. A project with no votes is never funded.

Ties (the same number of votes) are broken, in this order, by:
1. the lower cost first: with the same support, the cheaper project leaves more money for others;
2. the project entered first (the lower id): a fixed, visible order that no one can game at the end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo


class Category(StrEnum):
    """What a project is: the staff choose one, residents see its label."""

    GREENING = "greening"
    PARK = "park"
    SQUARE = "square"
    SPORTS = "sports"
    PLAYGROUND = "playground"
    OTHER = "other"


CATEGORIES = tuple(c.value for c in Category)
SOURCES = ("budget", "fees", "sponsors", "investors")  # rural district budget, voluntary fees, sponsorship, investors
MAX_MONEY = 10**13  # whole tenge; far above any rural district's budget, catches a typo with extra digits


class Phase(StrEnum):
    DRAFT = "draft"
    UPCOMING = "upcoming"
    OPEN = "open"
    CLOSED = "closed"


class Refusal(StrEnum):
    """Why a vote is not taken."""

    NOT_PUBLISHED = "not_published"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    NOT_COVERED = "not_covered"


def phase(status: str, opens_at: datetime, closes_at: datetime, now: datetime) -> Phase:
    """Where a contest stands now: the deadline counts even before the scheduler has closed it."""
    if status == "draft":
        return Phase.DRAFT
    if status == "closed" or now >= closes_at:
        return Phase.CLOSED
    if now < opens_at:
        return Phase.UPCOMING
    return Phase.OPEN


def may_vote(current: Phase, covered_village_ids: set[int] | frozenset[int], village_id: int | None) -> Refusal | None:
    """None when the resident may vote now, else the reason they may not."""
    if current is Phase.DRAFT:
        return Refusal.NOT_PUBLISHED
    if current is Phase.CLOSED:
        return Refusal.CLOSED
    if current is Phase.UPCOMING:
        return Refusal.NOT_OPEN_YET
    if village_id is None or village_id not in covered_village_ids:
        return Refusal.NOT_COVERED
    return None


@dataclass(frozen=True, slots=True)
class Tally:
    """A project's votes as counted: online in the bot, offline from a signed protocol."""

    project_id: int
    cost: int
    online: int = 0
    offline: int = 0

    @property
    def total(self) -> int:
        return self.online + self.offline


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int
    project_id: int
    cost: int
    online: int
    offline: int
    total: int
    share: float  # of all votes cast in the contest
    funded: bool


@dataclass(frozen=True, slots=True)
class Results:
    ranked: list[Ranked]
    online: int
    offline: int
    total: int
    budget: int
    spent: int

    @property
    def left(self) -> int:
        return self.budget - self.spent

    def of(self, project_id: int) -> Ranked | None:
        return next((r for r in self.ranked if r.project_id == project_id), None)


def ranking_key(tally: Tally) -> tuple[int, int, int]:
    """More votes first; ties: the cheaper project, then the one entered first."""
    return (-tally.total, tally.cost, tally.project_id)


def results(tallies: list[Tally], budget: int) -> Results:
    """The ranking and the funding decision of a contest."""
    total = sum(t.total for t in tallies)
    left = budget
    ranked = []
    for rank, tally in enumerate(sorted(tallies, key=ranking_key), start=1):
        funded = tally.total > 0 and tally.cost <= left
        if funded:
            left -= tally.cost
        ranked.append(
            Ranked(
                rank,
                tally.project_id,
                tally.cost,
                tally.online,
                tally.offline,
                tally.total,
                share(tally.total, total),
                funded,
            )
        )
    return Results(
        ranked, sum(t.online for t in tallies), sum(t.offline for t in tallies), total, budget, budget - left
    )


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


_MONEY = re.compile(r"^\d{1,3}(?:[ \u00a0\u202f.,']\d{3})*$|^\d+$")


def parse_money(text: str | None) -> int | None:
    """Whole tenge as people type it: «1500000», «1 500 000», «1.500.000», «1 500 000 ₸». None if not."""
    if not text:
        return None
    raw = text.strip().removesuffix("₸").removesuffix("тг").removesuffix("тенге").removesuffix("теңге").strip()
    if not _MONEY.match(raw):
        return None
    value = int(re.sub(r"\D", "", raw))
    return value if value <= MAX_MONEY else None


_LOCAL = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s+(\d{1,2})[:.](\d{2})$")


def parse_local(text: str | None, tz: str) -> datetime | None:
    """«25.11.2026 18:00» in the rural district's zone, as an aware instant; None if not a valid one."""
    match = _LOCAL.match((text or "").strip())
    if not match:
        return None
    day, month, year, hour, minute = (int(g) for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz))
    except ValueError:
        return None


def window_problem(opens_at: datetime, closes_at: datetime, now: datetime) -> str | None:
    """Why a voting window cannot be used: 'closes_before_opens' or 'closes_in_past'; None when fine."""
    if closes_at <= now:
        return "closes_in_past"
    if closes_at <= opens_at:
        return "closes_before_opens"
    return None
