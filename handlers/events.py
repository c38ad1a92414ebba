"""Events: the resident's screens and the staff's admin screens."""

from __future__ import annotations

from aiogram import Router

from bot.clock import Clock
from storage.db import Database

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed)
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    return None
