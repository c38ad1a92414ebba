"""An event as an entry of a calendar, for its ``.ics`` in the bot and the public pages' feed alike."""

from __future__ import annotations

from bot.keyboards.events import kind_name
from bot.rules.events import FeedItem
from storage.events import Event


def calendar_item(event: Event, lang: str, url: str | None = None) -> FeedItem:
    """The same UID in the single file and in the feed, so a calendar that has both keeps one copy."""
    return FeedItem(
        uid=f"event-{event.id}-rd{event.rural_district_id}@rural-self-government-bot",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=f"{kind_name(event.kind)}: {event.title(lang)}",
        location=event.place,
        description="\n".join(f"{n}. {item}" for n, item in enumerate(event.agenda, 1)),
        sequence=event.sequence,
        cancelled=event.cancelled,
        url=url,
    )
