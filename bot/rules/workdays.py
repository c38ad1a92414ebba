"""Working days of Kazakhstan: weekends, public holidays and the days off moved onto weekdays
(and the Saturdays or Sundays that became working days), as the ``holidays`` package knows them.

No list is kept by hand: the package's working-day functions (``is_working_day``,
``get_nth_working_day``, ``get_working_days_count``) read its ``weekend_workdays`` and moved
days off, and it fills in each year when a date of that year is first asked about.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from holidays import HolidayBase


@cache
def _calendar() -> HolidayBase:
    # Imported on the first deadline counted, not at start: the package and its tables are a few
    # megabytes and tens of milliseconds the bot does not need until then (bench/README.md, size).
    import holidays

    # Kazakh names (the package has none in Russian); only the days are used, never the names.
    return holidays.country_holidays("KZ", language="kk")


def is_working_day(day: date) -> bool:
    """Not a weekend, a holiday or a moved day off; or a weekend day made a working one."""
    return bool(_calendar().is_working_day(day))


def add_working_days(start: date, days: int) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
    return _calendar().get_nth_working_day(start, days)


def subtract_working_days(end: date, days: int) -> date:
    """The ``days``-th working day before ``end``."""
    return _calendar().get_nth_working_day(end, -days)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    if end <= start:
        return 0
    calendar = _calendar()
    return int(calendar.get_working_days_count(start, end)) - int(calendar.is_working_day(start))
