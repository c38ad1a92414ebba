"""The district's initiatives as CSV, in the staff member's language."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _

from bot.keyboards.initiatives import status_label, topic_label
from bot.texts import spreadsheet
from storage.initiatives import Initiative


def initiatives_csv(items: list[Initiative], lang: str, tz: str) -> bytes:
    """UTF-8 with a BOM, so Excel reads Cyrillic; times in the district's zone."""
    zone = ZoneInfo(tz)
    header = [
        _("Number"),
        _("Submitted"),
        _("Status"),
        _("Topic"),
        _("Title"),
        _("Text"),
        _("Village"),
        _("Supports"),
        _("Review by"),
        _("Published"),
        _("Agenda"),
    ]
    rows = [
        [
            i.number,
            i.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            status_label(i.status),
            topic_label(i.topic),
            i.title,
            i.body,
            i.village(lang),
            i.supports,
            i.deadline_on.isoformat(),
            _("yes") if i.published else _("no"),
            _("yes") if i.agenda_flagged_at else "",
        ]
        for i in items
    ]
    return spreadsheet([header, *rows])
