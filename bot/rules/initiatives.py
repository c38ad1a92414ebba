"""The rules of civic initiatives, as plain functions of plain values (no aiogram, no database).

Statuses::

    submitted ─┬─▶ review ─┬─▶ accepted ─▶ in_progress ─▶ done
               │           ├─▶ rejected (with a reason)
               ├───────────┼─▶ extended (reason, new date ≤ two months from submission) ─▶ …
               └───────────┴─▶ forwarded (to the body named, with a reason)

Besides: an initiative still under review can be merged into another one (its supporters
follow), and any one not yet hidden or merged can be hidden (the author is told why).

The review deadline follows the appeals rule (15 working days from receipt by default, at most
two months with an extension), counted in Kazakhstan's working days (bot/workdays.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.rules import workdays
from bot.rules.errors import DomainError
from bot.rules.texts import N_


class Status(StrEnum):
    SUBMITTED = "submitted"
    REVIEW = "review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    EXTENDED = "extended"
    FORWARDED = "forwarded"
    MERGED = "merged"
    HIDDEN = "hidden"


class Topic(StrEnum):
    GREENING = "greening"
    ROADS = "roads"
    WATER = "water"
    WASTE = "waste"
    SPORTS = "sports"
    OTHER = "other"


TOPICS = tuple(t.value for t in Topic)

# Waiting for the akim's office to decide: these count towards the deadline and can be overdue.
UNDECIDED = frozenset({Status.SUBMITTED, Status.REVIEW, Status.EXTENDED})
# Residents may support these (when published).
SUPPORTABLE = frozenset({Status.SUBMITTED, Status.REVIEW, Status.EXTENDED, Status.ACCEPTED, Status.IN_PROGRESS})
# Residents never see these in the district's list.
NOT_LISTED = frozenset({Status.MERGED, Status.HIDDEN})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTED: frozenset({Status.REVIEW, Status.ACCEPTED, Status.REJECTED, Status.EXTENDED, Status.FORWARDED}),
    Status.REVIEW: frozenset({Status.ACCEPTED, Status.REJECTED, Status.EXTENDED, Status.FORWARDED}),
    Status.EXTENDED: frozenset({Status.ACCEPTED, Status.REJECTED, Status.EXTENDED, Status.FORWARDED}),
    Status.ACCEPTED: frozenset({Status.IN_PROGRESS, Status.DONE}),
    Status.IN_PROGRESS: frozenset({Status.DONE}),
    Status.REJECTED: frozenset(),
    Status.DONE: frozenset(),
    Status.FORWARDED: frozenset(),
    Status.MERGED: frozenset(),
    Status.HIDDEN: frozenset(),
}
# The order staff see the status buttons in.
ORDER = (
    Status.REVIEW,
    Status.ACCEPTED,
    Status.IN_PROGRESS,
    Status.DONE,
    Status.EXTENDED,
    Status.FORWARDED,
    Status.REJECTED,
)
# A change to these needs a reason (extended and forwarded also need a date or a body).
NEEDS_REASON = frozenset({Status.REJECTED, Status.EXTENDED, Status.FORWARDED, Status.HIDDEN})

TITLE_MAX = 100
BODY_MAX = 2000
ANSWER_MAX = 1000
MAX_PHOTOS = 3
EXTENSION_MONTHS = 2
REMIND_WORKING_DAYS = 2  # staff are reminded this many working days before the deadline
REMIND_HOUR = 9  # … at this local hour; the daily digest goes at the same hour
PER_DAY_WINDOW = timedelta(hours=24)


def allowed(current: Status | str, new: Status | str) -> bool:
    return Status(new) in TRANSITIONS[Status(current)]


def next_statuses(current: Status | str) -> list[Status]:
    """The statuses staff may set next, in the order of the buttons."""
    return [s for s in ORDER if allowed(current, s)]


def may_set(current: Status | str, new: Status | str) -> bool:
    """A status staff may set now: a transition, or hiding, or merging into another initiative."""
    if Status(new) == Status.HIDDEN:
        return can_hide(current)
    if Status(new) == Status.MERGED:
        return can_merge(current)
    return allowed(current, new)


def check_transition(current: Status | str, new: Status | str, reason: str | None) -> None:
    """Raise a ``DomainError`` when the change (hiding and merging too) is not allowed or lacks its reason."""
    if not may_set(current, new):
        raise DomainError(N_("This status cannot be set now: the initiative has changed meanwhile."))
    if Status(new) in NEEDS_REASON and not (reason or "").strip():
        raise DomainError(N_("This change needs a reason."))


def can_hide(current: Status | str) -> bool:
    return Status(current) not in NOT_LISTED


def can_merge(current: Status | str) -> bool:
    return Status(current) in UNDECIDED


def is_decision(new: Status | str) -> bool:
    """The office has answered the initiative: the review deadline no longer applies."""
    return Status(new) not in UNDECIDED


# --- texts the resident types ------------------------------------------------------------


def text_problem(text: str | None, limit: int) -> tuple[str, int] | None:
    """Why a title or text cannot be taken: ("empty", 0) or ("long", characters over), else None."""
    stripped = (text or "").strip()
    if not stripped:
        return "empty", 0
    if len(stripped) > limit:
        return "long", len(stripped) - limit
    return None


# --- how many a day ------------------------------------------------------------------------


def next_submission_at(recent: list[datetime], limit: int, now: datetime) -> datetime | None:
    """When the person may submit again, or None when they may now (``limit`` per 24 hours)."""
    window = sorted(at for at in recent if now - at < PER_DAY_WINDOW)
    if len(window) < limit:
        return None
    return window[len(window) - limit] + PER_DAY_WINDOW


# --- deadlines -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Deadline:
    day: date  # the last day of the review in the district's calendar
    ends_at: datetime  # the instant that day ends (UTC): overdue after it
    remind_at: datetime  # when staff are reminded (UTC)


def local_day(at: datetime, tz: str) -> date:
    return at.astimezone(ZoneInfo(tz)).date()


def deadline_from_day(day: date, tz: str) -> Deadline:
    zone = ZoneInfo(tz)
    ends = datetime.combine(day + timedelta(days=1), time(0), zone)
    remind_day = workdays.subtract_working_days(day, REMIND_WORKING_DAYS)
    remind = datetime.combine(remind_day, time(REMIND_HOUR), zone)
    return Deadline(day, ends.astimezone(ZoneInfo("UTC")), remind.astimezone(ZoneInfo("UTC")))


def review_deadline(submitted_at: datetime, tz: str, review_days: int) -> Deadline:
    """``review_days`` working days after the day of receipt (the appeals rule: 15 by default)."""
    return deadline_from_day(workdays.add_working_days(local_day(submitted_at, tz), review_days), tz)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def latest_extension(submitted_at: datetime, tz: str) -> date:
    """An extended review ends at most two months after the day of receipt."""
    return add_months(local_day(submitted_at, tz), EXTENSION_MONTHS)


def check_extension(new_day: date, current_day: date, submitted_at: datetime, tz: str) -> None:
    if new_day <= current_day:
        raise DomainError(N_("The new date must be later than the current deadline."))
    if new_day > latest_extension(submitted_at, tz):
        raise DomainError(N_("The review can be extended to at most two months from submission."))


def extension_choices(current_day: date, submitted_at: datetime, tz: str) -> list[date]:
    """Dates offered on buttons: 10 and 20 working days later, and the latest allowed."""
    latest = latest_extension(submitted_at, tz)
    days = {min(workdays.add_working_days(current_day, n), latest) for n in (10, 20)} | {latest}
    return sorted(d for d in days if d > current_day)


def is_overdue(status: Status | str, deadline_ends_at: datetime, now: datetime) -> bool:
    return Status(status) in UNDECIDED and now >= deadline_ends_at


def working_days_left(deadline_day: date, now: datetime, tz: str) -> int:
    return workdays.working_days_between(local_day(now, tz), deadline_day)


# --- supports and the gathering's agenda -----------------------------------------------------


def support_problem(*, status: Status | str, published: bool, is_author: bool, already: bool) -> str | None:
    """Why the person cannot support this initiative (a msgid), or None."""
    if is_author:
        return N_("This is your own initiative: you cannot support it yourself.")
    if already:
        return N_("You have already supported this initiative.")
    if not published or Status(status) not in SUPPORTABLE:
        return N_("This initiative is not open for support.")
    return None


def reaches_agenda(supports: int, threshold: int) -> bool:
    """Enough supports to put the initiative on the next gathering's agenda."""
    return supports >= threshold
