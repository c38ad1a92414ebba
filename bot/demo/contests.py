"""Sample contests for the demo district."""

from __future__ import annotations

from bot.clock import Clock
from storage.db import Database


async def fill(db: Database, rural_district_id: int, village_ids: list[int], staff_person_id: int | None,
               clock: Clock) -> None:
    """Add sample contests."""
