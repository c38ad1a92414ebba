"""Dates, times and money the way people read them, through Babel, in the district's zone."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as _format_date
from babel.dates import format_datetime as _format_datetime
from babel.dates import format_time as _format_time
from babel.numbers import format_decimal, format_percent, parse_pattern

from bot.rules.clock import local

BABEL_LOCALES = {"kk": "kk_KZ", "ru": "ru_RU"}
# parsed once: Babel parses a locale given by its name again on every call
_LOCALES = {lang: Locale.parse(name) for lang, name in BABEL_LOCALES.items()}


# and number patterns parsed once: Babel parses a pattern given as a string on every call too
_WHOLE = parse_pattern("#,##0")
_SHARES = {digits: parse_pattern("#,##0." + "0" * digits + " %" if digits else "#,##0 %") for digits in range(4)}


def babel_locale(lang: str) -> Locale:
    return _LOCALES.get(lang) or _LOCALES["kk"]


def format_datetime(at: datetime, tz: str, lang: str) -> str:
    """«2026 ж. 25 қараша, 15:00» / «25 ноября 2026 г., 15:00» (CLDR long dates) in the district's zone."""
    moment = local(at, tz)
    return f"{format_day(moment.date(), lang)}, {_format_time(moment, 'HH:mm', locale=babel_locale(lang))}"


@lru_cache(maxsize=4096)  # a screen names the same few days again and again
def format_day(day: date, lang: str) -> str:
    return _format_date(day, "long", locale=babel_locale(lang))


def format_time(at: datetime, tz: str, lang: str) -> str:
    return _format_time(local(at, tz), "HH:mm", locale=babel_locale(lang))


def format_utc_offset(tz: str, at: datetime) -> str:
    """«UTC+5»: the zone's offset at that moment, for a text in Kazakh or Russian (not the IANA name)."""
    offset = local(at, tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'+' if minutes >= 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def format_weekday_datetime(at: datetime, tz: str, lang: str) -> str:
    """With the weekday, for events: «сәрсенбі, 2026 ж. 25 қараша, 15:00»."""
    moment = local(at, tz)
    weekday = _format_datetime(moment, "EEEE", locale=babel_locale(lang))
    return f"{weekday}, {format_datetime(at, tz, lang)}"


@lru_cache(maxsize=4096)  # and the same sums: a budget's lines, a contest's projects
def format_money(amount: int | Decimal, lang: str) -> str:
    """Whole tenge with the locale's grouping: «1 500 000 ₸»."""
    return f"{format_decimal(amount, format=_WHOLE, locale=babel_locale(lang))} ₸"


def format_number(value: int | float | Decimal, lang: str) -> str:
    return format_decimal(value, locale=babel_locale(lang))


def format_share(share: float, lang: str, digits: int = 1) -> str:
    """A share (0.253) as a percent in the locale's style: «25,3 %»."""
    pattern = _SHARES.get(digits) or parse_pattern("#,##0." + "0" * digits + " %" if digits else "#,##0 %")
    return format_percent(share, format=pattern, locale=babel_locale(lang))


def format_file_size(size: int, lang: str) -> str:
    """A file's size in CLDR's short units, «340 кБ», «1,2 МБ», with the number in the person's locale.

    The units are Russian CLDR's for both languages: Kazakh CLDR writes a Latin M in «MБ»."""
    from babel.units import format_unit

    number = format_decimal(max(1, round(size / 1024)) if size < 1024 * 1024 else round(size / 1048576, 1),
                            locale=babel_locale(lang))  # fmt: skip
    unit = "digital-kilobyte" if size < 1024 * 1024 else "digital-megabyte"
    return format_unit(1, unit, "short", locale="ru_RU").replace("1", number, 1)


def escape(text: str | None) -> str:
    """User text shown back in an HTML message."""
    return html.escape(text or "", quote=False)
