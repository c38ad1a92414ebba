"""Civic initiatives: the resident's screens and the staff's.

A resident proposes an initiative in a guided form (``form``, ``attachments``: topic, title, text,
photos, location, voice, village, preview), follows its review in «My initiatives» and supports
the district's published ones (``browse``). Staff work through a queue (``queue``), change
statuses with an answer, hide, merge and publish (``review``; the author is told through the
outbox), and set the district's deadlines and limits (``settings``). Every write is one call
to ``storage.initiatives``, which checks the district and the status again.

Include order is priority: ``browse`` first, so the menu's «Initiatives» button pressed in the
middle of the form opens the section instead of becoming a title.
"""

from __future__ import annotations

from aiogram import Router

from handlers.initiatives import attachments, browse, form, queue, review, settings
from handlers.initiatives.queue import admin_summary

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed)
router.include_routers(browse.router, form.router, attachments.router)

admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)
admin_router.include_routers(queue.router, review.router, settings.router)

__all__ = ["admin_router", "admin_summary", "router"]
