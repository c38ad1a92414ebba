"""The rules of gatherings and meetings, as plain functions of plain values.

Three kinds of event, three different bodies: the gathering (жиын / сход) of every resident of
the villages it concerns, the separate gathering (бөлек жиын / раздельный сход) of one village,
and the meeting (жиналыс / собрание) of the representatives and the chair. Anyone may follow a
meeting as a listener (тыңдаушы / слушатель). Reminders fall a day and two hours before the start;
one claimed later than the margin (the bot was down) is skipped rather than sent late.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class Kind(StrEnum):
    GATHERING = "gathering"
    SEPARATE_GATHERING = "separate_gathering"
    MEETING = "meeting"


class Role(StrEnum):
    """What a person is to an event."""

    INVITED = "invited"
    LISTENER = "listener"


# minutes before the start: a day, and two hours
DEFAULT_REMINDERS = (24 * 60, 2 * 60)
DURATIONS = (60, 90, 120, 180)  # the expected lengths staff choose from, in minutes


def role_of(
    kind: str, *, village_id: int | None, event_villages: Iterable[int], representative_of: int | None, is_chair: bool
) -> Role:
    """Invited or listener: residents of the villages for a gathering, members for a meeting."""
    villages = set(event_villages)
    if kind == Kind.MEETING:
        if is_chair or (representative_of is not None and representative_of in villages):
            return Role.INVITED
        return Role.LISTENER
    return Role.INVITED if village_id in villages else Role.LISTENER


def villages_ok(kind: str, village_ids: Sequence[int]) -> bool:
    """A separate gathering concerns exactly one village; the others at least one."""
    if kind == Kind.SEPARATE_GATHERING:
        return len(set(village_ids)) == 1
    return len(set(village_ids)) >= 1


def reminder_times(
    starts_at: datetime, now: datetime, minutes_before: Iterable[int] = DEFAULT_REMINDERS
) -> list[tuple[int, datetime]]:
    """The reminders still to come for an event starting at ``starts_at``: (minutes before, due)."""
    due = [(m, starts_at - timedelta(minutes=m)) for m in sorted(set(minutes_before), reverse=True)]
    return [(m, at) for m, at in due if at > now]


def notice_times(starts_at: datetime, *, was: datetime | None = None) -> tuple[datetime, datetime]:
    """(due by, expires at) of a message about an event: quiet hours never hold it past the first
    moment people might come (the earlier of the old and the new start, for a move), and it is not
    sent once the event has begun (its new start)."""
    return (starts_at if was is None else min(was, starts_at)), starts_at


def too_late(due_at: datetime, now: datetime, late_minutes: int) -> bool:
    """A reminder whose moment passed more than the margin ago (the bot was down) is not sent."""
    return now - due_at > timedelta(minutes=late_minutes)


def is_past(starts_at: datetime, now: datetime) -> bool:
    """An event that has begun can no longer be answered, moved or cancelled."""
    return starts_at <= now


def can_rsvp(starts_at: datetime, cancelled: bool, now: datetime) -> bool:
    return not cancelled and not is_past(starts_at, now)


_DATETIME = re.compile(
    r"^\s*(?P<d>\d{1,2})[./-](?P<m>\d{1,2})[./-](?P<y>\d{4})\s*[,]?\s+(?P<H>\d{1,2})[:.](?P<M>\d{2})\s*$"
)


def parse_local(text: str, tz: str) -> datetime | None:
    """«10.12.2026 15:00» in the district's zone → an aware UTC instant, or None."""
    match = _DATETIME.match(text or "")
    if not match:
        return None
    try:
        local = datetime(
            int(match["y"]), int(match["m"]), int(match["d"]), int(match["H"]), int(match["M"]), tzinfo=ZoneInfo(tz)
        )
    except ValueError:
        return None
    return local.astimezone(UTC)


def split_agenda(text: str) -> list[str]:
    """Agenda items from a message: one a line, list numbers and bullets dropped."""
    items = []
    for line in (text or "").splitlines():
        item = re.sub(r"^\s*(?:\d+[.)]|[-•*–])\s*", "", line).strip()
        if item:
            items.append(item)
    return items


# --- iCalendar (RFC 5545), written by hand: a few lines do not need a dependency -------------


def _ics_escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines longer than 75 octets are folded: CRLF then a space (never inside a UTF-8 character)."""
    out: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # continuation lines start with a space
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One event in a calendar: its single ``.ics`` and the public pages' ``calendar.ics`` alike."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    summary: str
    location: str
    description: str
    sequence: int = 0
    cancelled: bool = False
    url: str | None = None


_CALENDAR = [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//rural-self-government-bot//events//KK-RU",
    "CALSCALE:GREGORIAN",
]


def _vevent(item: FeedItem, stamp: datetime) -> list[str]:
    """The lines of an event up to (without) its END:VEVENT."""
    lines = [
        "BEGIN:VEVENT",
        "UID:" + item.uid,
        "SEQUENCE:" + str(item.sequence),
        "DTSTAMP:" + _utc(stamp),
        "DTSTART:" + _utc(item.starts_at),
        "DTEND:" + _utc(item.ends_at),
        "SUMMARY:" + _ics_escape(item.summary),
        "LOCATION:" + _ics_escape(item.location),
        "DESCRIPTION:" + _ics_escape(item.description),
        "STATUS:" + ("CANCELLED" if item.cancelled else "CONFIRMED"),
    ]
    if item.url:
        lines.append("URL:" + item.url)
    return lines


def _ics_text(lines: list[str]) -> str:
    return "".join(part + "\r\n" for line in lines for part in _fold(line))


def ics(item: FeedItem, *, stamp: datetime) -> str:
    """One event as an iCalendar file, times in UTC, CRLF line endings."""
    lines = [*_CALENDAR, "METHOD:" + ("CANCEL" if item.cancelled else "PUBLISH"), *_vevent(item, stamp)]
    if not item.cancelled:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            "TRIGGER:-PT2H",
            "DESCRIPTION:" + _ics_escape(item.summary),
            "END:VALARM",
        ]
    return _ics_text([*lines, "END:VEVENT", "END:VCALENDAR"])


def ics_feed(*, name: str, items: Iterable[FeedItem], stamp: datetime) -> str:
    """A calendar to subscribe to: every event with the UID and SEQUENCE of its single ``.ics``, so
    a calendar that has both keeps one copy, and a move or a cancellation updates it."""
    lines = [
        *_CALENDAR,
        "METHOD:PUBLISH",
        "X-WR-CALNAME:" + _ics_escape(name),
        "REFRESH-INTERVAL;VALUE=DURATION:PT6H",
    ]
    for item in items:
        lines += [*_vevent(item, stamp), "END:VEVENT"]
    return _ics_text([*lines, "END:VCALENDAR"])
