"""Announcements: staff compose one (a text, or a photo or document with a caption; one text for
both languages or one per language), choose who gets it, see exactly what a resident gets, send
it now or at a time, and follow its progress on one message that updates, with Stop.

Residents have no screens here: announcements reach them through the outbox, and only those with
Announcements on in Settings. The texts are rendered in both languages when staff confirm; the
sender picks each resident's language when the message leaves.

The flows: ``progress`` (the announcements screen, one announcement's progress, Stop),
``compose`` (the text, the audience and the preview), ``send`` (the check, the time, Confirm),
``approval`` (a second staff member or the chair lets a large one go, or rejects it).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.utils.i18n import gettext as _

from bot.rules.clock import Clock
from handlers.broadcasts import approval, compose, progress, send
from storage import broadcasts
from storage.db import Database

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed): the chair's approval
router.include_routers(approval.router)
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)
admin_router.include_routers(progress.router, compose.router, send.router)


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu: announcements being sent or waiting for their time."""
    open_now = await broadcasts.open_count(db, rural_district_id)
    if not open_now:
        return None
    return _("📣 Announcements in progress or scheduled: {n}").format(n=open_now)
