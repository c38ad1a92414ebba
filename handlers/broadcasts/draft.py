"""The announcement being composed: its steps (states) and what is kept of it in the conversation.

The draft lives in the FSM data under ``bc_*`` keys: ``bc_kk``/``bc_ru`` (HTML texts),
``bc_media_type``/``bc_media_ref``, ``bc_audience`` and ``bc_ids`` (villages or the event),
``bc_urgent``, ``bc_send_at``.
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.rules.errors import DomainError
from storage import broadcasts, places
from storage.db import Database
from storage.people import Person


class Compose(StatesGroup):
    text_one = State()
    text_kk = State()
    text_ru = State()
    audience = State()
    when = State()


def draft(data: dict[str, Any]) -> dict[str, Any]:
    """The announcement being composed; a stale button after it was sent or dropped finds none."""
    if "bc_kk" not in data:
        raise DomainError(N_("This draft is no longer open. Please start a new announcement."))
    return data


async def recipients(db: Database, person: Person, data: dict[str, Any]) -> list[int]:
    """Who in the chosen audience takes announcements, as of now."""
    assert person.rural_district_id is not None
    return await broadcasts.audience_ids(db, person.rural_district_id, data["bc_audience"], data.get("bc_ids") or [])


async def audience_name(db: Database, person: Person, data: dict[str, Any]) -> str:
    """The chosen audience in words, for the check before sending."""
    audience = data["bc_audience"]
    lang = person.language
    rural_district_id = person.rural_district_id or 0
    if audience == "villages":
        chosen = set(data.get("bc_ids") or [])
        names = [v.name(lang) for v in await places.villages(db, rural_district_id) if v.id in chosen]
        return _("villages: {names}").format(names=", ".join(names))
    if audience == "representatives":
        return _("representatives of the villages")
    if audience == "event":
        titles = await broadcasts.event_title(db, rural_district_id, (data.get("bc_ids") or [0])[0])
        title = ((titles[1] if lang == "ru" else titles[0]) or titles[0] or titles[1]) if titles else "—"
        return _("invited to the event «{title}»").format(title=escape(title))
    return _("the whole rural district")
