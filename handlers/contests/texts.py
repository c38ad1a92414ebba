"""What several flows of contests show: the voting window, the money, the staff's marks of a phase."""

from __future__ import annotations

from datetime import date

from aiogram import Bot
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_datetime, format_day, format_money
from bot.keyboards.contests import SOURCE_LABELS
from bot.rules.anomalies import Curve, bar
from bot.rules.contests import Phase
from storage.contests import Contest

MARKS = {Phase.DRAFT: "📝", Phase.UPCOMING: "⏳", Phase.OPEN: "🟢", Phase.CLOSED: "🏁"}


def when(contest: Contest, current: Phase, tz: str, lang: str) -> str:
    """The voting window as it stands now, with the reason when it was closed early or extended."""
    closes = format_datetime(contest.closes_at, tz, lang)
    if current is Phase.OPEN:
        line = _("Voting is open until {closes}.").format(closes=closes)
    elif current is Phase.UPCOMING:
        line = _("Voting opens {opens} and closes {closes}.").format(
            opens=format_datetime(contest.opens_at, tz, lang), closes=closes
        )
    elif current is Phase.CLOSED:
        line = _("Voting closed {closes}.").format(closes=closes)
    else:
        line = _("Draft. Voting window: {opens} – {closes}.").format(
            opens=format_datetime(contest.opens_at, tz, lang), closes=closes
        )
    if contest.change_kind == "closed_early" and contest.change_reason:
        line += "\n" + _("Closed early. Reason: {reason}").format(reason=escape(contest.change_reason))
    elif contest.change_kind == "extended" and contest.change_reason:
        line += "\n" + _("Voting was extended. Reason: {reason}").format(reason=escape(contest.change_reason))
    return line


def money_lines(contest: Contest, lang: str) -> list[str]:
    """The money in all, then per source that gives any."""
    lines = [_("Money: {total}").format(total=format_money(contest.budget, lang))]
    for source, amount in contest.money.items():
        if amount:
            lines.append(f"  · {_(SOURCE_LABELS[source])}: {format_money(amount, lang)}")
    return lines


async def safety(bot: Bot) -> str:
    """The line every contest screen ends with: the bot's own name, and what it never asks for.

    ``bot.me()`` asks Telegram once per Bot and keeps the answer."""
    me = await bot.me()
    return _(
        "🔐 The official bot is @{username}. It never asks for codes, passwords or card numbers: "
        "whoever does is not us."
    ).format(username=escape(me.username or ""))


def curve_lines(figures: Curve, names: dict[int, str], lang: str) -> list[str]:
    """The public turnout curve: votes per day and per village as text bars, so a burst shows."""
    if not figures.days:
        return []
    lines = [_("📈 <b>Votes in the bot by day</b>")]
    largest = max(count for _day, count in figures.days)
    for day, count in figures.days[-10:]:
        lines.append(f"{format_day(date.fromisoformat(day), lang)}: {bar(count, largest)} {count}")
    lines.append(_("<b>By village</b>"))
    largest = max(count for _village, count in figures.villages)
    for village_id, count in figures.villages:
        name = escape(names.get(village_id or 0, "—"))
        lines.append(f"{name}: {bar(count, largest)} {count}")
    return lines
