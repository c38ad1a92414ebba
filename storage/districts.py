"""A rural district's settings the operator sets: time zone, quiet hours, the review deadline in
working days, the support threshold for the agenda, the census, and the size of an announcement
that needs a second person's approval.

Each verb takes the ``Actor`` (an operator or the CLI), checks the value, writes it and its audit
entry in one transaction. The review deadline and the support threshold are the initiatives'
settings (``storage.initiatives.set_setting``, which staff may change too), the census the vote
trust's (``storage.census.set_census_required``: it refuses to turn on without a census uploaded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.rules.errors import DomainError
from storage import audit, census, initiatives, outbox
from storage.audit import Actor
from storage.db import Database, Tx
from storage.operator import BAD_NUMBER, BAD_ON_OFF, BAD_QUIET, UNKNOWN_TZ, _operator, _rural_district
from storage.places import Named

REVIEW_DAYS = (1, 40)  # the schema's bounds (003)
THRESHOLD_MAX = 100_000
APPROVAL_MAX = 1_000_000


class Key(StrEnum):
    """A setting, as the command line and the chat name it."""

    TIMEZONE = "timezone"
    QUIET = "quiet"
    REVIEW_DAYS = "review_days"
    THRESHOLD = "threshold"
    CENSUS = "census"
    APPROVAL = "approval"


@dataclass(frozen=True, slots=True)
class DistrictSettings(Named):
    id: int
    name_kk: str
    name_ru: str
    timezone: str
    quiet_start: str
    quiet_end: str
    review_days: int
    threshold: int
    census: bool
    approval: int
    office_kk: str | None
    office_ru: str | None


async def get(db: Database | Tx, rural_district_id: int) -> DistrictSettings | None:
    row = await db.fetchone(
        "SELECT id, name_kk, name_ru, timezone, quiet_start, quiet_end, initiative_review_days,"
        " initiative_support_threshold, census_required, approval_threshold, office_kk, office_ru"
        " FROM rural_districts WHERE id = ?",
        (rural_district_id,),
    )
    if row is None:
        return None
    values = list(row)
    values[8] = bool(values[8])
    return DistrictSettings(*values)


def _whole(value: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise DomainError(BAD_NUMBER, low=low, high=high)
    return number


def _timezone(value: str) -> str:
    value = value.strip()
    # a file path that happens to load is not a zone's name: only the names of the zone database
    if value not in available_timezones():
        raise DomainError(UNKNOWN_TZ, tz=value[:60])
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(UNKNOWN_TZ, tz=value[:60]) from None
    return value


_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
_OFF = {"off", "no", "0", "жоқ", "нет"}


def _quiet(value: str) -> tuple[str, str]:
    """«22:00-08:00» (or «22:00–08:00»; «off»: never quiet) → ('22:00', '08:00')."""
    text = value.strip().replace("–", "-").replace("—", "-").replace(" ", "")
    if text.lower() in _OFF:
        return "00:00", "00:00"  # equal start and end: never quiet (bot/rules/delivery.py)
    parts = [_HHMM.match(part) for part in text.split("-")]
    if len(parts) != 2 or not all(parts):
        raise DomainError(BAD_QUIET)
    return tuple(f"{int(m.group(1)):02d}:{m.group(2)}" for m in parts if m)  # type: ignore[return-value]


def _on_off(value: str) -> bool:
    text = value.strip().lower()
    if text in {"on", "1", "yes", "true", "иә", "да"}:
        return True
    if text in _OFF | {"false"}:
        return False
    raise DomainError(BAD_ON_OFF)


async def change(
    db: Database, actor: Actor, rural_district_id: int, key: Key | str, value: str, *, now: datetime
) -> None:
    """Set one setting from its written value («Asia/Almaty», «22:00-08:00», «15», «on»).

    New quiet hours (or a new time zone) apply at once, to what is already waiting too."""
    _operator(actor)
    key = Key(key)
    if key in (Key.TIMEZONE, Key.QUIET):
        async with db.transaction() as tx:
            if key is Key.TIMEZONE:
                await _write(db, actor, rural_district_id, "timezone", _timezone(value), key)
            else:
                start, end = _quiet(value)
                await _write(db, actor, rural_district_id, "quiet_start", start, key)
                await _write(db, actor, rural_district_id, "quiet_end", end, key)
            await outbox.requeue_quiet(tx, rural_district_id, now)
    elif key is Key.REVIEW_DAYS:
        days = _whole(value, *REVIEW_DAYS)
        await _check(db, rural_district_id)
        await initiatives.set_setting(db, actor, rural_district_id, initiatives.Setting.REVIEW_DAYS, days)
    elif key is Key.THRESHOLD:
        threshold = _whole(value, 1, THRESHOLD_MAX)
        await _check(db, rural_district_id)
        await initiatives.set_setting(db, actor, rural_district_id, initiatives.Setting.THRESHOLD, threshold)
    elif key is Key.CENSUS:
        await _check(db, rural_district_id)
        await census.set_census_required(db, actor, rural_district_id, _on_off(value))
    else:
        await _write(db, actor, rural_district_id, "approval_threshold", _whole(value, 0, APPROVAL_MAX), key)


async def _check(db: Database, rural_district_id: int) -> None:
    async with db.transaction() as tx:
        await _rural_district(tx, rural_district_id)


_COLUMNS = {"timezone", "quiet_start", "quiet_end", "approval_threshold"}


async def _write(db: Database, actor: Actor, rural_district_id: int, column: str, value: object, key: str) -> None:
    assert column in _COLUMNS  # a name of ours
    async with db.transaction() as tx:
        await _rural_district(tx, rural_district_id)
        before = await tx.fetchval(f"SELECT {column} FROM rural_districts WHERE id = ?", (rural_district_id,))
        await tx.execute(f"UPDATE rural_districts SET {column} = ? WHERE id = ?", (value, rural_district_id))
        await audit.write(
            tx,
            actor,
            f"district_{key}",
            "rural_district",
            rural_district_id,
            rural_district_id=rural_district_id,
            before={column: before},
            after={column: value},
        )
