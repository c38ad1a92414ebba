"""The data set of the ``size`` and ``screens`` benchmarks: one rural district at a region's size.

The demo district (``bot.demo.fill``: villages, an open contest, events, documents, two budgets)
grown with the storage functions to 50 contests of 5 projects (3 open, 2 to come, the rest
closed, 2 of them within the last 60 days), 300 more documents and 20 past events; then, by bulk
inserts through ``storage.db`` (what the bot's own flows would store, a thousand times faster):
``residents`` onboarded residents (a third reading Russian, consent given, a phone number),
10,000 initiatives (a tenth published), a third of the residents voting in every contest that
opened, each of them supporting two published initiatives, and a third of the residents answering
the next gathering's invitation.

Contests are published before the residents exist, so no announcement sits in the outbox: the
benchmarks measure screens, not a backlog.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.demo import fill as demo_fill
from bot.rules import initiatives as initiative_rules
from bot.rules.clock import FixedClock, to_db
from storage import audit, contests, people
from storage import documents as docs
from storage import events as events_store
from storage import initiatives as initiatives_store
from storage.db import Database

FIRST_RESIDENT = 5_000_000  # telegram ids of residents: FIRST_RESIDENT + i
STAFF_TELEGRAM_ID = 4_000_000
CONTESTS = 50
PROJECTS = 5
INITIATIVES = 10_000
PUBLISHED_SHARE = 0.10
VOTING_SHARE = 1 / 3
EXTRA_DOCUMENTS = 300
TOPICS = ("greening", "roads", "water", "waste", "sports", "other")
STATUSES = ("submitted", "review", "accepted", "rejected", "in_progress", "done", "extended")
WORDS = ("жол", "су", "жарық", "мектеп", "саябақ", "алаң", "бюджет", "есеп", "қағида", "жер")
WORDS_RU = ("дорога", "вода", "свет", "школа", "парк", "площадка", "бюджет", "отчёт", "правила", "земля")
KINDS = ("protocol_gathering", "decision", "announcement", "other", "improvement_rules", "protocol_meeting")


@dataclass(frozen=True)
class DataSet:
    """A built database and what a benchmark needs to find its way in it."""

    path: Path
    residents: int
    now: datetime
    rural_district_id: int
    village_ids: list[int]
    open_contest: int
    open_projects: list[int]
    closed_contest: int
    event_id: int  # the next gathering, answered by a third of the residents
    published_initiative: int  # the newest published initiative
    budget_year: int
    seconds: float  # how long building took

    def resident(self, i: int) -> int:
        """The telegram id of resident ``i`` (0 ≤ i < residents)."""
        return FIRST_RESIDENT + i % self.residents

    def copy_to(self, directory: Path) -> DataSet:
        """The same data set in another file (each run writes to its own)."""
        directory.mkdir(parents=True, exist_ok=True)
        target = directory / self.path.name
        for suffix in ("", "-wal", "-shm"):
            source = self.path.with_name(self.path.name + suffix)
            if source.exists():
                shutil.copyfile(source, target.with_name(target.name + suffix))
        return DataSet(**{**self.__dict__, "path": target})


async def build(path: Path, residents: int, now: datetime | None = None) -> DataSet:
    """Build the data set in a new file at ``path``."""
    started = time.perf_counter()
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    clock = FixedClock(now)
    rng = random.Random(17)
    db = await Database(path).connect()
    try:
        rd = await demo_fill(db, clock, staff_telegram_id=STAFF_TELEGRAM_ID)
        villages = [r[0] for r in await db.fetchall("SELECT id FROM villages WHERE rural_district_id = ?", (rd,))]
        staff = await db.fetchval("SELECT id FROM people WHERE telegram_id = ?", (STAFF_TELEGRAM_ID,))
        await people.set_language(db, staff, "kk")
        await people.set_place(db, staff, rd, villages[0])
        await people.set_consent(db, staff, 0, now=to_db(now))
        open_contest, open_projects, closed_contest = await _contests(db, rd, villages, now)
        await _documents(db, rd, now, rng)
        event_id = await _events(db, rd, villages, now)
        await _residents(db, rd, villages, residents)
        await _initiatives(db, rd, villages, residents, now, rng)
        await _votes_supports_answers(db, rd, now, event_id, rng)
        published = await db.fetchval(
            "SELECT id FROM initiatives WHERE rural_district_id = ? AND published = 1"
            " ORDER BY submitted_at DESC LIMIT 1",
            (rd,),
        )
    finally:
        await db.close()
    return DataSet(
        path=path,
        residents=residents,
        now=now,
        rural_district_id=rd,
        village_ids=villages,
        open_contest=open_contest,
        open_projects=open_projects,
        closed_contest=closed_contest,
        event_id=event_id,
        published_initiative=int(published),
        budget_year=now.year,
        seconds=round(time.perf_counter() - started, 1),
    )


async def _contests(db: Database, rd: int, villages: list[int], now: datetime) -> tuple[int, list[int], int]:
    """49 more contests through the staff's storage verbs; the demo's open one makes 50."""
    actor = audit.CLI
    plan: list[tuple[datetime, datetime]] = []
    plan += [(now - timedelta(days=2 + k), now + timedelta(days=10 + k)) for k in range(2)]  # open
    plan += [(now + timedelta(days=20 + k), now + timedelta(days=40 + k)) for k in range(2)]  # to come
    plan += [(now - timedelta(days=40 + 10 * k), now - timedelta(days=20 + 10 * k)) for k in range(2)]  # just closed
    plan += [(now - timedelta(days=100 + 30 * k), now - timedelta(days=80 + 30 * k)) for k in range(43)]
    closed_contest = 0
    for k, (opens, closes) in enumerate(plan):
        contest_id = await contests.create(
            db,
            actor,
            rural_district_id=rd,
            titles=(f"Абаттандыру жобалары №{k + 1}", f"Проекты благоустройства №{k + 1}"),
            descriptions=("Ауылға қай жоба керек?", "Какой проект нужен селу?"),
            village_ids=villages,
            money={"budget": 5_000_000, "fees": 500_000},
            opens_at=opens,
            closes_at=closes,
        )
        for p in range(PROJECTS):
            await contests.add_project(
                db,
                actor,
                contest_id=contest_id,
                titles=(f"Жоба {p + 1}: ойын алаңы", f"Проект {p + 1}: площадка"),
                descriptions=("Мектеп жанында", "У школы"),
                category="playground",
                village_id=villages[p % len(villages)],
                cost=1_000_000 + 250_000 * p,
                photo_file_id=None,
            )
        await contests.publish(
            db,
            actor,
            contest_id=contest_id,
            now=min(now, opens),
            texts={"kk": "Конкурс", "ru": "Конкурс"},
            buttons=None,
        )
        if closes < now and not closed_contest:
            closed_contest = contest_id
    await contests.close_due(db, now, lambda contest, projects, results: ({"kk": "—", "ru": "—"}, None))
    open_contest = await db.fetchval(
        "SELECT id FROM contests WHERE rural_district_id = ? AND status = 'published' AND opens_at <= ?"
        " ORDER BY id LIMIT 1",
        (rd, to_db(now)),
    )
    open_projects = await db.fetchcol(
        "SELECT id FROM contest_projects WHERE contest_id = ? ORDER BY id", (open_contest,)
    )
    return int(open_contest), open_projects, closed_contest


async def _documents(db: Database, rd: int, now: datetime, rng: random.Random) -> None:
    """300 more published documents, titles made of a few common words (so a search finds a page or more)."""
    async with db.transaction() as tx:
        for k in range(EXTRA_DOCUMENTS):
            a, b = rng.randrange(len(WORDS)), rng.randrange(len(WORDS))
            await docs.publish(
                tx,
                rural_district_id=rd,
                kind=KINDS[k % len(KINDS)],
                title_kk=f"Шешім №{k + 1}: {WORDS[a]} және {WORDS[b]}",
                title_ru=f"Решение №{k + 1}: {WORDS_RU[a]} и {WORDS_RU[b]}",
                text_kk="Мәтін. " * 20,
                text_ru="Текст. " * 20,
                now=to_db(now - timedelta(days=k + 1, hours=k % 24)),
            )


async def _events(db: Database, rd: int, villages: list[int], now: datetime) -> int:
    """20 past gatherings with protocols; the next gathering (the demo's soonest for every village)."""
    for k in range(20):
        starts = now - timedelta(days=30 + 14 * k)
        draft = events_store.Event(
            id=0,
            rural_district_id=rd,
            kind="gathering",
            title_kk=f"Жиын №{k + 1}",
            title_ru=f"Сход №{k + 1}",
            place="Мәдениет үйі",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            report_hearing=False,
            village_ids=tuple(villages),
            agenda=("Ауыл мәселелері",),
        )
        await events_store.add_sample(db, draft, created_by=None, now=now, protocol_text="1. Шешім қабылданды.")
    soonest = await db.fetchval(
        "SELECT id FROM events WHERE rural_district_id = ? AND kind = 'gathering' AND starts_at > ?"
        " ORDER BY starts_at LIMIT 1",
        (rd, to_db(now)),
    )
    return int(soonest)


async def _residents(db: Database, rd: int, villages: list[int], count: int) -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO people (telegram_id, language, language_chosen, rural_district_id, village_id,"
            " consent_version, consent_at, phone) VALUES (?, ?, 1, ?, ?, 0, '2026-01-10T08:00:00.000Z', ?)",
            (
                (FIRST_RESIDENT + i, "ru" if i % 3 == 0 else "kk", rd, villages[i % len(villages)], f"+7701{i:07d}")
                for i in range(count)
            ),
        )


async def _initiatives(
    db: Database, rd: int, villages: list[int], residents: int, now: datetime, rng: random.Random
) -> None:
    """10,000 initiatives over the last four years by random residents, a tenth of them published."""
    first_person = await db.fetchval("SELECT id FROM people WHERE telegram_id = ?", (FIRST_RESIDENT,))
    start = await db.fetchval("SELECT COALESCE(MAX(number), 0) FROM initiatives WHERE rural_district_id = ?", (rd,))
    cfg = await initiatives_store.settings(db, rd)
    published = set(rng.sample(range(INITIATIVES), int(INITIATIVES * PUBLISHED_SHARE)))
    rows = []
    for k in range(INITIATIVES):
        at = now - timedelta(minutes=k * 210 + rng.randrange(60))  # the newest first: about 4 years
        deadline = initiative_rules.review_deadline(at, cfg.timezone, cfg.review_days) if k < 50 else None
        status = "submitted" if k < 20 else STATUSES[rng.randrange(len(STATUSES))]
        if k in published and status == "submitted":
            status = "accepted"
        day = (deadline.day.isoformat(), to_db(deadline.ends_at), to_db(deadline.remind_at)) if deadline else None
        stamp = to_db(at)
        rows.append(
            (
                rd,
                start + INITIATIVES - k,
                villages[k % len(villages)],
                first_person + rng.randrange(residents),
                TOPICS[k % len(TOPICS)],
                f"{WORDS[k % len(WORDS)].capitalize()} туралы ұсыныс №{k + 1}",
                "Ауылдың тұрғындары сұрайды: " + WORDS[(k * 7) % len(WORDS)] + ". " * 5,
                status,
                int(k in published),
                stamp,
                *(day or (stamp[:10], stamp, stamp)),
                stamp,
            )
        )
    rows.reverse()  # oldest first, as they arrived
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO initiatives (rural_district_id, number, village_id, author_id, topic, title, body, status,"
            " published, submitted_at, deadline_on, deadline_at, remind_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        # reminders of the old ones went long ago
        await tx.execute(
            "UPDATE initiatives SET reminded_at = remind_at, decided_at = CASE WHEN status IN"
            " ('accepted', 'rejected', 'done') THEN submitted_at END WHERE rural_district_id = ? AND remind_at < ?",
            (rd, to_db(now)),
        )
        await tx.execute(
            "INSERT INTO initiative_history (initiative_id, at, actor_id, from_status, to_status)"
            " SELECT id, submitted_at, author_id, NULL, 'submitted' FROM initiatives WHERE rural_district_id = ?",
            (rd,),
        )
        await tx.execute(
            "INSERT INTO initiative_history (initiative_id, at, from_status, to_status, answer)"
            " SELECT id, submitted_at, 'submitted', status, 'Жауап.' FROM initiatives"
            " WHERE rural_district_id = ? AND status != 'submitted'",
            (rd,),
        )


async def _votes_supports_answers(db: Database, rd: int, now: datetime, event_id: int, rng: random.Random) -> None:
    people = await db.fetchall(
        "SELECT id, village_id, phone FROM people WHERE telegram_id >= ? ORDER BY id", (FIRST_RESIDENT,)
    )
    opened = await db.fetchall(
        "SELECT id, opens_at, closes_at FROM contests WHERE rural_district_id = ? AND status != 'draft'"
        " AND opens_at <= ? ORDER BY id",
        (rd, to_db(now)),
    )
    published = await db.fetchcol("SELECT id FROM initiatives WHERE rural_district_id = ? AND published = 1", (rd,))
    voters = people[: int(len(people) * VOTING_SHARE)]
    async with db.transaction() as tx:
        for contest_id, opens_at, closes_at in opened:
            projects = [
                r[0]
                for r in await tx.fetchall(
                    "SELECT id FROM contest_projects WHERE contest_id = ? ORDER BY id", (contest_id,)
                )
            ]
            opens = datetime.fromisoformat(opens_at.replace("Z", "+00:00"))
            span = (min(now, datetime.fromisoformat(closes_at.replace("Z", "+00:00"))) - opens).total_seconds()
            await tx.executemany(
                "INSERT INTO contest_votes (contest_id, project_id, person_id, phone, village_id, cast_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (
                        contest_id,
                        projects[rng.randrange(len(projects))],
                        person_id,
                        phone,
                        village_id,
                        to_db(opens + timedelta(seconds=rng.random() * span)),
                    )
                    for person_id, village_id, phone in voters
                ),
            )
        stamp = to_db(now - timedelta(days=1))
        await tx.executemany(
            "INSERT OR IGNORE INTO initiative_supports (initiative_id, person_id, at) VALUES (?, ?, ?)",
            ((rng.choice(published), row[0], stamp) for row in voters for _ in range(2)),
        )
        await tx.executemany(
            "INSERT INTO event_rsvps (event_id, person_id, answer, answered_at) VALUES (?, ?, ?, ?)",
            ((event_id, row[0], "yes" if k % 4 else "no", stamp) for k, row in enumerate(voters)),
        )


_cache: dict[tuple[int, bool], DataSet] = {}


async def data_set(residents: int, workdir: Path) -> DataSet:
    """The data set of that size, built once per process (under ``workdir``) and copied for each use."""
    key = (residents, True)
    if key not in _cache or not _cache[key].path.exists():  # built under another benchmark's directory, gone
        _cache[key] = await build(workdir / f"built-{residents}" / "bot.sqlite3", residents)
    return _cache[key]
