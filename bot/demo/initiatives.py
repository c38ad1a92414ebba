"""Sample initiatives for the demo district: one awaiting review, one accepted and published, one done."""

from __future__ import annotations

from datetime import timedelta

from bot.rules import initiatives as rules
from bot.rules.clock import Clock
from storage import initiatives as store
from storage.db import Database

SAMPLES = [
    # topic, title, text, status, published, days ago
    (
        "sports",
        "Балалар ойын алаңы / Детская площадка",
        "Мектеп жанындағы бос жерге балалар ойын алаңын салуды ұсынамыз. / Предлагаем построить детскую площадку "
        "на пустыре у школы.",
        "submitted",
        False,
        2,
    ),
    (
        "roads",
        "Көше жарығы / Освещение улицы",
        "Абай көшесінде кешкі уақытта жарық жоқ. / На улице Абая вечером нет освещения.",
        "accepted",
        True,
        9,
    ),
    (
        "greening",
        "Саябаққа ағаш отырғызу / Посадка деревьев в парке",
        "Көктемде саябаққа 50 ағаш отырғызуды ұсынамыз. / Предлагаем весной посадить в парке 50 деревьев.",
        "done",
        True,
        40,
    ),
]


async def fill(
    db: Database, rural_district_id: int, village_ids: list[int], staff_person_id: int | None, clock: Clock
) -> None:
    """Add sample initiatives."""
    cfg = await store.settings(db, rural_district_id)
    async with db.transaction() as tx:
        for number, (topic, title, body, status, published, days_ago) in enumerate(SAMPLES, start=1):
            at = clock.now() - timedelta(days=days_ago)
            await store.add_sample(
                tx,
                rural_district_id=rural_district_id,
                number=number,
                village_id=village_ids[(number - 1) % len(village_ids)] if village_ids else None,
                topic=topic,
                title=title,
                body=body,
                status=status,
                published=published,
                submitted_at=at,
                deadline=rules.review_deadline(at, cfg.timezone, cfg.review_days),
            )
