"""What the templates are given: formatting bound to the page's language and time zone, texts
cut into paragraphs, and the district's navigation. Plain values; the templates only show them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from aiogram.utils.i18n import gettext as _

from bot import formatting
from bot.rules.clock import local

SECTIONS = ("documents", "contests", "calendar", "initiatives", "budget", "data")


@dataclass(frozen=True, slots=True)
class Fmt:
    """Dates, money, numbers and shares as the bot writes them (Babel), in the district's zone."""

    lang: str
    tz: str = "Asia/Almaty"

    def day(self, value: date | datetime | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = local(value, self.tz).date()
        return formatting.format_day(value, self.lang)

    def when(self, at: datetime | None) -> str:
        return "—" if at is None else formatting.format_datetime(at, self.tz, self.lang)

    def weekday(self, at: datetime) -> str:
        return formatting.format_weekday_datetime(at, self.tz, self.lang)

    def time(self, at: datetime) -> str:
        return formatting.format_time(at, self.tz, self.lang)

    def money(self, amount: int | Decimal) -> str:
        """As the bot writes it, with the sign kept on the number's line: «1 500 000 ₸»."""
        return formatting.format_money(amount, self.lang).replace(" ₸", "\u00a0₸")

    def number(self, value: int | float) -> str:
        return formatting.format_number(value, self.lang)

    def share(self, value: float | None, digits: int = 1) -> str:
        return "—" if value is None else formatting.format_share(value, self.lang, digits)

    def iso(self, at: date | datetime) -> str:
        """For ``<time datetime>``: the local date, or the instant with its offset."""
        if isinstance(at, datetime):
            return local(at, self.tz).isoformat(timespec="minutes")
        return at.isoformat()


def paragraphs(text: str | None) -> list[str]:
    """A staff-written text as paragraphs (blank lines between them); lines kept inside each."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


def plain(label: str) -> str:
    """A button label without its leading emoji, for a table cell: «🌳 Greening» → «Greening»."""
    head, _sep, rest = label.partition(" ")
    return rest if rest and not any(ch.isalnum() for ch in head) else label


def section_labels() -> dict[str, str]:
    """The district's sections, in the current language."""
    return {
        "documents": _("Documents"),
        "contests": _("Project contests"),
        "calendar": _("Calendar"),
        "initiatives": _("Initiatives"),
        "budget": _("Budget"),
        "data": _("Open data"),
    }


def file_size(size: int | None, lang: str) -> str:
    return formatting.format_file_size(size, lang) if size else ""


def bar_width(value: int | float, top: int | float, full: int = 100) -> float:
    """The length of a bar in a chart drawn with SVG (attributes only: the CSP allows no styles)."""
    return round(full * value / top, 2) if top else 0.0
