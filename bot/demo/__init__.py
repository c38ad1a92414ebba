"""A sample rural district with content on every screen, for a newcomer to see the bot at once."""

from __future__ import annotations

from bot.demo import contests, documents, events, initiatives
from bot.rules.clock import Clock
from storage import audit, operator
from storage.db import Database

VILLAGES = [("Ақсай", "Аксай"), ("Бесағаш", "Бесагаш"), ("Жаңатұрмыс", "Жанатурмыс"), ("Қарасу", "Карасу")]


async def fill(db: Database, clock: Clock, *, staff_telegram_id: int | None = None) -> int:
    """Add the sample district (once); return its id."""
    existing = await db.fetchval("SELECT id FROM rural_districts WHERE name_kk = 'Ақсай ауылдық округі'")
    if existing:
        return int(existing)
    actor = audit.CLI
    region = await operator.add_region(db, actor, "Алматы облысы", "Алматинская область")
    district = await operator.add_district(db, actor, region, "Қарасай ауданы", "Карасайский район")
    rd = await operator.add_rural_district(
        db,
        actor,
        district,
        "Ақсай ауылдық округі",
        "Аксайский сельский округ",
        office_kk="Ақсай ауылдық округі әкімінің аппараты",
        office_ru="аппарат акима Аксайского сельского округа",
    )
    village_ids = [await operator.add_village(db, actor, rd, kk, ru) for kk, ru in VILLAGES]
    staff_person = None
    if staff_telegram_id is not None:
        staff_person = await operator.add_staff(db, actor, rd, staff_telegram_id)
    for feature in (initiatives, contests, events, documents):
        await feature.fill(db, rd, village_ids, staff_person, clock)
    return rd
