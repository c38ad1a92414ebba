"""Sample contests for the demo district: one open for voting, one draft for the staff to finish, and one
closed last month with its paper ballots counted and its results."""

from __future__ import annotations

from datetime import timedelta

from bot.rules.clock import Clock
from storage import contests
from storage.audit import CLI_KIND, Actor
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
    """Add sample contests (created at the command line, in the name of the district's staff member)."""
    now = clock.now()
    cli = Actor(CLI_KIND, person_id=staff_person_id)
    contest_id = await contests.create(
        db,
        cli,
        rural_district_id=rural_district_id,
        titles=("Ауылды абаттандыру жобалары 2027", "Проекты благоустройства села 2027"),
        descriptions=("Ауылға қай жоба керек екенін таңдаңыз.", "Выберите, какой проект нужен селу."),
        village_ids=village_ids,
        money={"budget": 5_000_000, "fees": 1_000_000, "sponsors": 2_000_000},
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=14),
    )
    for titles, descriptions, category, village, cost in OPEN_PROJECTS:
        await contests.add_project(
            db,
            cli,
            contest_id=contest_id,
            titles=titles,
            descriptions=descriptions,
            category=category,
            village_id=village_ids[village % len(village_ids)],
            cost=cost,
            photo_file_id=None,
        )
    await contests.publish(
        db,
        cli,
        contest_id=contest_id,
        now=now,
        texts={"kk": "🗳 Жаңа жобалар конкурсы", "ru": "🗳 Новый конкурс проектов"},
        buttons=None,
    )
    draft = await contests.create(
        db,
        cli,
        rural_district_id=rural_district_id,
        titles=("Сквер жобасы", "Проект сквера"),
        descriptions=("", ""),
        village_ids=village_ids[:1],
        money={"investors": 3_000_000},
        opens_at=now + timedelta(days=7),
        closes_at=now + timedelta(days=21),
    )
    await contests.add_project(
        db,
        cli,
        contest_id=draft,
        titles=("Орталық сквер", "Центральный сквер"),
        descriptions=("", ""),
        category="square",
        village_id=village_ids[0],
        cost=2_500_000,
        photo_file_id=None,
    )
    await _closed(db, rural_district_id, village_ids, staff_person_id, clock)


CLOSED_PROJECTS = [
    (("Көше шамдары", "Уличные фонари"), "other", 0, 3_000_000, 64),
    (("Мектеп жанындағы сквер", "Сквер у школы"), "square", 1, 2_500_000, 41),
    (("Стадион трибунасы", "Трибуна стадиона"), "sports", 2, 4_000_000, 38),
]


async def _closed(
    db: Database, rural_district_id: int, village_ids: list[int], staff_person_id: int | None, clock: Clock
) -> None:
    """A contest voted on last month, with paper ballots counted at the gathering, and its results."""
    now = clock.now()
    opened = now - timedelta(days=40)
    cli = Actor(CLI_KIND, person_id=staff_person_id)
    contest_id = await contests.create(
        db,
        cli,
        rural_district_id=rural_district_id,
        titles=("Абаттандыру жобалары 2026", "Проекты благоустройства 2026"),
        descriptions=("Жиында және ботта дауыс берілді.", "Голосовали на сходе и в боте."),
        village_ids=village_ids,
        money={"budget": 4_000_000, "fees": 1_500_000},
        opens_at=opened,
        closes_at=now - timedelta(days=26),
    )
    ids = []
    for titles, category, village, cost, _paper in CLOSED_PROJECTS:
        ids.append(
            await contests.add_project(
                db,
                cli,
                contest_id=contest_id,
                titles=titles,
                descriptions=("", ""),
                category=category,
                village_id=village_ids[village % len(village_ids)],
                cost=cost,
                photo_file_id=None,
            )
        )
    texts = {"kk": "🗳 Жобалар конкурсы", "ru": "🗳 Конкурс проектов"}
    await contests.publish(db, cli, contest_id=contest_id, now=opened, texts=texts, buttons=None)
    await contests.record_offline(
        db,
        cli,
        contest_id=contest_id,
        tally={project: paper for project, (*_rest, paper) in zip(ids, CLOSED_PROJECTS, strict=True)},
        photo_file_id="demo-protocol",
        now=opened + timedelta(days=7),
    )
    # Only the sample contest: the demo may run on a database with real districts in it.
    await contests.close_due(db, now, lambda *_: ({"kk": "🏆 Нәтижелер", "ru": "🏆 Итоги"}, None), only=contest_id)
