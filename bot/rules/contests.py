"""The rules of project contests, as plain functions of plain values (no aiogram, no database).

Who may vote: a resident of a village the contest covers, while voting is open
(``opens_at <= now < closes_at`` of a published contest), with consent and a Kazakhstan mobile
number shared through Telegram's contact button (those two are checked by the handler).

Funding: projects are ranked by votes (online and offline together). The money of all sources
is one pot. Going down the ranking, a project is funded when its cost fits in what is left; one
that does not fit is skipped and the next is tried. A project with no votes is never funded.

With an approval ballot (``max_choices`` K > 1, set by staff) a voter may choose up to K projects,
and each chosen project gets one vote from them; funding stays the same greedy walk down the
ranking. K = 1 is the ordinary ballot: one voter, one project.

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

from bot.rules.texts import N_


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
    NOT_ON_CENSUS = "not_on_census"  # the district keeps a census and the number is not on it


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


MAX_CHOICES = 10  # the largest K of an approval ballot


def choices_problem(chosen: list[int], projects: set[int], max_choices: int) -> str | None:
    """Why a ballot's choices cannot be cast: 'none', 'too_many' or 'unknown'; None when fine."""
    if not chosen:
        return "none"
    if len(set(chosen)) > max_choices:
        return "too_many"
    if not set(chosen) <= projects:
        return "unknown"
    return None


# What storage refuses, in the contests catalog (the messages are shown as they are raised).
FROZEN = N_(
    "The contest is frozen since its first vote ({at}): projects, their costs, the rules and the census "
    "no longer change. Voting can only be closed early or extended, with a reason."
)
NO_CENSUS_YET = N_("Please upload the census first: with the check on and no census, nobody could vote.")
CENSUS_GONE = N_("This list is no longer waiting for confirmation. Please send the file again.")
PAPER_VOTED_ONLINE = N_("This number already voted in the bot: {at}. A paper ballot is not given.")
PAPER_TWICE = N_("This number is already recorded at the polling table: {at}.")
PAPER_NOT_ON_CENSUS = N_("This number is not on the census of voters. A paper ballot is not given.")
PHONE_VOTED_ON_PAPER = N_("This phone number has already voted on paper at the polling table in this contest.")
VOTE_ANNULLED = N_(
    "Your vote in this contest was annulled by the meeting's chair after a check. "
    "If you think this is wrong, please contact the chair."
)
PROTOCOL_OVER_REGISTER = N_(
    "The protocol has more ballots ({ballots}) than paper voters recorded at the polling table ({voters}). "
    "Please check the protocol and the register."
)
NOT_A_JUDGE = N_("Only the meeting's chair or an operator decides on flagged votes.")
FLAG_NOT_READY = N_("This hour is not over yet: its votes can be judged when it ends.")
FLAG_GONE = N_("This flag is no longer there: the votes changed. Please open the anomalies again.")
ALREADY_DECIDED = N_("This flag is already decided.")
NOT_FUNDED = N_("Progress is reported only for funded projects of a closed contest.")
FROZEN_CLOSED = N_("This contest is closed: nothing in it changes any more.")
COST_OUT_OF_RANGE = N_("The cost must be more than zero and not more than all the money of the contest.")
CHOICES_OUT_OF_RANGE = N_("Please send a whole number from 1 to {most}.")
REPORT_EMPTY = N_("The report is empty. Please write what happened, or send a voice message.")
REPORT_GONE = N_("This report is not available.")
NOT_FINISHED = N_("This project is not finished yet: you can answer when the akim's office reports it done.")
NOT_YOUR_VILLAGE = N_("This project is in another village: its residents answer.")
