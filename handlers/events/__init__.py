"""Events: the calendar of gatherings and meetings for residents, and the staff's screens to plan
them, move or cancel them, mark representatives and attach the protocol afterwards.

``router`` holds the residents' screens (composed under ``Onboarded``), ``admin_router`` the
staff's (composed under ``IsStaff``); each includes one router per flow, in priority order.
"""

from __future__ import annotations

from aiogram import Router

from handlers.events import calendar, changes, planning, records, representatives
from handlers.events.representatives import admin_summary

__all__ = ["admin_router", "admin_summary", "router"]

router = Router(name=__name__)
router.include_router(calendar.router)

admin_router = Router(name=__name__ + ".admin")
admin_router.include_routers(changes.router, planning.router, records.router, representatives.router)
