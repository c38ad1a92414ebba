"""Sample contests for the demo district: one open for voting, one draft for the staff to finish, and one
closed last month with its paper ballots counted and its results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.rules.clock import Clock
from storage import contests
from storage.audit import CLI_KIND, Actor
from storage.db import Database

Project = tuple[tuple[str, str], tuple[str, str], str, int, int]  # titles, descriptions, category, village, cost
OPEN_PROJECTS: list[Project] = [
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


@dataclass(frozen=True)
class Sample:
    """A sample contest: titles and descriptions (kk, ru), its money, its window in days from now, its
    projects, and how many of the district's villages it covers (None: all)."""

    texts: tuple[tuple[str, str], tuple[str, str]]
    money: dict[str, int]
    days: tuple[int, int]
    projects: list[Project]
    villages: int | None = None


OPEN = Sample(
    (
        ("Ауылды абаттандыру жобалары 2027", "Проекты благоустройства села 2027"),
        ("Ауылға қай жоба керек екенін таңдаңыз.", "Выберите, какой проект нужен селу."),
    ),
    {"budget": 5_000_000, "fees": 1_000_000, "sponsors": 2_000_000},
    (-1, 14),
    OPEN_PROJECTS,
)
DRAFT = Sample(
    (("Сквер жобасы", "Проект сквера"), ("", "")),
    {"investors": 3_000_000},
    (7, 21),
    [(("Орталық сквер", "Центральный сквер"), ("", ""), "square", 0, 2_500_000)],
    villages=1,
)
# voted on last month: the projects and the paper ballots counted for each at the gathering
CLOSED_PROJECTS = [
    (("Көше шамдары", "Уличные фонари"), "other", 0, 3_000_000, 64),
    (("Мектеп жанындағы сквер", "Сквер у школы"), "square", 1, 2_500_000, 41),
    (("Стадион трибунасы", "Трибуна стадиона"), "sports", 2, 4_000_000, 38),
]
CLOSED = Sample(
    (
        ("Абаттандыру жобалары 2026", "Проекты благоустройства 2026"),
        ("Жиында және ботта дауыс берілді.", "Голосовали на сходе и в боте."),
    ),
    {"budget": 4_000_000, "fees": 1_500_000},
    (-40, -26),
    [(titles, ("", ""), kind, village, cost) for titles, kind, village, cost, _ in CLOSED_PROJECTS],
)


async def _create(
    db: Database, cli: Actor, rural_district_id: int, village_ids: list[int], sample: Sample, now: datetime
) -> tuple[int, list[int]]:
    """The sample contest as a draft, with its projects (the village of each an index into the villages it
    covers); the contest's and the projects' ids."""
    (titles, descriptions), (opens, closes) = sample.texts, sample.days
    covered = village_ids[: sample.villages]
    contest_id = await contests.create(
        db,
        cli,
        rural_district_id=rural_district_id,
        titles=titles,
        descriptions=descriptions,
        village_ids=covered,
        money=sample.money,
        opens_at=now + timedelta(days=opens),
        closes_at=now + timedelta(days=closes),
    )
    ids = [
        await contests.add_project(
            db,
            cli,
            contest_id=contest_id,
            titles=project_titles,
            descriptions=project_descriptions,
            category=category,
            village_id=covered[village % len(covered)],
            cost=cost,
            photo_file_id=None,
        )
        for project_titles, project_descriptions, category, village, cost in sample.projects
    ]
    return contest_id, ids


async def fill(
    db: Database, rural_district_id: int, village_ids: list[int], staff_person_id: int | None, clock: Clock
) -> None:
    """Add sample contests (created at the command line, in the name of the district's staff member)."""
    now = clock.now()
    cli = Actor(CLI_KIND, person_id=staff_person_id)
    contest_id, _ = await _create(db, cli, rural_district_id, village_ids, OPEN, now)
    texts = {"kk": "🗳 Жаңа жобалар конкурсы", "ru": "🗳 Новый конкурс проектов"}
    await contests.publish(db, cli, contest_id=contest_id, now=now, texts=texts, buttons=None)
    await _create(db, cli, rural_district_id, village_ids, DRAFT, now)
    await _closed(db, cli, rural_district_id, village_ids, now)


async def _closed(db: Database, cli: Actor, rural_district_id: int, village_ids: list[int], now: datetime) -> None:
    """The contest voted on last month, with paper ballots counted at the gathering, and its results."""
    contest_id, ids = await _create(db, cli, rural_district_id, village_ids, CLOSED, now)
    opened = now + timedelta(days=CLOSED.days[0])
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
