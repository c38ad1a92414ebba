"""Texts of initiatives that the resident's and the staff's screens both show, and what the author attached."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.types import InputMediaPhoto
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape, format_datetime, format_day
from bot.keyboards.initiatives import status_label, topic_label
from bot.rules import initiatives as rules
from bot.rules.initiatives import Status
from storage import initiatives as store

PAGE = 5  # initiatives a page, in every list
MESSAGE_MAX = 4096


def pages(total: int) -> int:
    return max((total + PAGE - 1) // PAGE, 1)


def card_text(
    initiative: store.Initiative,
    history: list[store.HistoryEntry],
    lang: str,
    tz: str,
    now: datetime,
    *,
    staff: bool = False,
) -> str:
    """An initiative with its history; the text is cut so the message stays within Telegram's limit."""
    head = [
        f"<b>№{initiative.number}. {escape(initiative.title)}</b>",
        _("Topic: {topic}").format(topic=topic_label(initiative.topic)),
        _("Village: {village}").format(village=escape(initiative.village(lang))),
        _("Submitted: {date}").format(date=format_datetime(initiative.submitted_at, tz, lang)),
        _("Status: {status}").format(status=status_label(initiative.status)),
    ]
    if initiative.status in rules.UNDECIDED:
        head.append(_("Review by: {date}").format(date=format_day(initiative.deadline_on, lang)))
        if staff and rules.is_overdue(initiative.status, initiative.deadline_at, now):
            head.append(_("⏰ Overdue"))
    if initiative.status != Status.HIDDEN:
        head.append(_("Supports: {count}").format(count=initiative.supports))
    if staff:
        head.append(_("Published for support") if initiative.published else _("Private: not published"))
        if initiative.agenda_flagged_at:
            head.append(_("📌 For the next gathering's agenda"))
        media = []
        if initiative.photos:
            media.append(
                ngettext("{count} photo", "{count} photos", len(initiative.photos)).format(count=len(initiative.photos))
            )
        if initiative.latitude is not None:
            media.append(_("location"))
        if initiative.voice_file_id:
            media.append(_("voice message"))
        if media:
            head.append(_("Attached: {items}").format(items=", ".join(media)))
    lines = [_("<b>History</b>")]
    for entry in history:
        line = f"• {format_day(rules.local_day(entry.at, tz), lang)} — " + status_label(entry.to_status)
        if entry.new_deadline:
            line += " " + _("(until {date})").format(date=format_day(entry.new_deadline, lang))
        if entry.forwarded_to:
            line += " → " + escape(entry.forwarded_to)
        if entry.answer:
            line += f": {escape(entry.answer)}"
        lines.append(line)
    top, bottom = "\n".join(head), "\n".join(lines)
    room = MESSAGE_MAX - len(top) - len(bottom) - 8
    body = initiative.body
    if len(body) > room:  # cut as text, then escape: never inside «&amp;» (Telegram counts what is shown)
        body = body[: max(room - 1, 0)] + "…"
    return f"{top}\n\n{escape(body)}\n\n{bottom}"


async def send_attachments(bot: Bot, chat_id: int, initiative: store.Initiative, *, voice: bool) -> None:
    """The photos (an album when several) and the location, before the card; the voice only to staff."""
    if len(initiative.photos) > 1:
        await bot.send_media_group(chat_id, [InputMediaPhoto(media=p) for p in initiative.photos])
    elif initiative.photos:
        await bot.send_photo(chat_id, initiative.photos[0])
    if initiative.latitude is not None and initiative.longitude is not None:
        await bot.send_location(chat_id, initiative.latitude, initiative.longitude)
    if voice and initiative.voice_file_id:
        await bot.send_voice(chat_id, initiative.voice_file_id)
