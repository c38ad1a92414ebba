"""Sample contests for the demo district: one open for voting, one draft for the staff to finish."""

from __future__ import annotations

from datetime import timedelta

from bot.rules.clock import Clock
from storage import contests
from storage.db import Database

OPEN_PROJECTS = [
    (
        ("Балалар ойын алаңы", "Детская площадка"),
        ("Мектеп жанындағы ойын алаңы", "Площадка у школы"),
        "playground",
        0,
        4_500_000,
    ),
    (
        ("Ауыл саябағын көгалдандыру", "Озеленение сельского парка"),
        ("200 түп ағаш отырғызу", "Посадка 200 деревьев"),
        "greening",
        1,
        2_000_000,
    ),
    (
        ("Спорт алаңы", "Спортивная площадка"),
        ("Футбол және волейбол алаңы", "Поле для футбола и волейбола"),
        "sports",
        2,
        6_000_000,
    ),
]


async def fill(
    db: Database, rural_district_id: int, village_ids: list[int], staff_person_id: int | None, clock: Clock
) -> None:
    """Add sample contests."""
    now = clock.now()
    contest_id = await contests.create(
        db,
        rural_district_id=rural_district_id,
        titles=("Ауылды абаттандыру жобалары 2027", "Проекты благоустройства села 2027"),
        descriptions=("Ауылға қай жоба керек екенін таңдаңыз.", "Выберите, какой проект нужен селу."),
        village_ids=village_ids,
        money={"budget": 5_000_000, "fees": 1_000_000, "sponsors": 2_000_000},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
        created_by=staff_person_id,
        actor_telegram_id=None,
        actor_kind="cli",
    )
    for titles, descriptions, category, village, cost in OPEN_PROJECTS:
        await contests.add_project(
            db,
            contest_id=contest_id,
            rural_district_id=rural_district_id,
            titles=titles,
            descriptions=descriptions,
            category=category,
            village_id=village_ids[village % len(village_ids)],
            cost=cost,
            photo_file_id=None,
            actor_telegram_id=None,
            actor_kind="cli",
        )
    await contests.publish(
        db,
        contest_id=contest_id,
        rural_district_id=rural_district_id,
        now=now,
        actor_telegram_id=None,
        texts={"kk": "🗳 Жаңа жобалар конкурсы", "ru": "🗳 Новый конкурс проектов"},
        buttons=None,
        actor_kind="cli",
    )
    draft = await contests.create(
        db,
        rural_district_id=rural_district_id,
        titles=("Сквер жобасы", "Проект сквера"),
        descriptions=("", ""),
        village_ids=village_ids[:1],
        money={"investors": 3_000_000},
        opens_at=now + timedelta(days=7),
        closes_at=now + timedelta(days=21),
        created_by=staff_person_id,
        actor_telegram_id=None,
        actor_kind="cli",
    )
    await contests.add_project(
        db,
        contest_id=draft,
        rural_district_id=rural_district_id,
        titles=("Орталық сквер", "Центральный сквер"),
        descriptions=("", ""),
        category="square",
        village_id=village_ids[0],
        cost=2_500_000,
        photo_file_id=None,
        actor_telegram_id=None,
        actor_kind="cli",
    )
