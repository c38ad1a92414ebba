"""What the public pages read, and nothing else: every query here is scoped to one rural district
and to what is published (no drafts, no hidden items, no people).

The pages reuse the features' own reads where they already answer the question (a published
document, a contest that is not a draft, the published initiatives); the few reads below are the
ones no feature needed before. None of them selects a person's id, name, phone or Telegram id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.rules.clock import from_db, to_db
from storage import contests as contest_store
from storage.contests import Contest
from storage.db import Database
from storage.places import Named


async def data_version(db: Database) -> int:
    """Changes whenever another connection commits: the pages' cache is fresh while it stays put."""
    return int(await db.fetchval("PRAGMA data_version") or 0)


@dataclass(frozen=True, slots=True)
class Listed(Named):
    """A rural district in the index, under its region and district."""

    id: int
    name_kk: str
    name_ru: str
    district_kk: str
    district_ru: str
    region_kk: str
    region_ru: str

    def district(self, lang: str) -> str:
        return self.district_ru if lang == "ru" else self.district_kk

    def region(self, lang: str) -> str:
        return self.region_ru if lang == "ru" else self.region_kk


async def directory(db: Database) -> list[Listed]:
    """Every rural district with its district and region, in the order of the Kazakh names."""
    rows = await db.fetchall(
        "SELECT rd.id, rd.name_kk, rd.name_ru, d.name_kk, d.name_ru, r.name_kk, r.name_ru"
        " FROM rural_districts rd JOIN districts d ON d.id = rd.district_id JOIN regions r ON r.id = d.region_id"
        " ORDER BY r.name_kk, d.name_kk, rd.name_kk"
    )
    return [Listed(*row) for row in rows]


async def contests(db: Database, rural_district_id: int) -> list[Contest]:
    """The district's contests that residents can see (never a draft), open ones first, newest first."""
    rows = await db.fetchall(
        "SELECT id FROM contests WHERE rural_district_id = ? AND status IN ('published', 'closed')"
        " ORDER BY status = 'closed', closes_at DESC, id DESC LIMIT 100",
        (rural_district_id,),
    )
    return [await contest_store.for_resident(db, row[0], rural_district_id) for row in rows]


@dataclass(frozen=True, slots=True)
class PublicQuestion:
    """A resident's question the akim's office answered and chose to publish under the report."""

    text: str | None
    answer: str
    answered_at: datetime | None
    supports: int


async def published_questions(db: Database, rural_district_id: int, series_id: int) -> list[PublicQuestion]:
    """The answered questions published under a report (never hidden ones, never who asked)."""
    rows = await db.fetchall(
        "SELECT q.text, q.answer, q.answered_at,"
        " (SELECT COUNT(*) FROM report_question_supports s WHERE s.question_id = q.id)"
        " FROM report_questions q WHERE q.rural_district_id = ? AND q.document_id = ? AND q.published = 1"
        " AND q.hidden = 0 AND q.answer IS NOT NULL ORDER BY 4 DESC, q.id",
        (rural_district_id, series_id),
    )
    return [PublicQuestion(r[0], r[1], from_db(r[2]) if r[2] else None, int(r[3])) for r in rows]


async def calendar(db: Database, rural_district_id: int, since: datetime, *, limit: int = 200) -> list[int]:
    """Ids of the district's events that end after ``since`` (cancelled ones too: a subscribed
    calendar must learn of the cancellation), soonest first."""
    rows = await db.fetchall(
        "SELECT id FROM events WHERE rural_district_id = ? AND ends_at > ? ORDER BY starts_at, id LIMIT ?",
        (rural_district_id, to_db(since), limit),
    )
    return [row[0] for row in rows]


async def past_events(db: Database, rural_district_id: int, before: datetime, *, limit: int = 30) -> list[int]:
    """Ids of events that have begun (not cancelled), latest first."""
    rows = await db.fetchall(
        "SELECT id FROM events WHERE rural_district_id = ? AND status = 'scheduled' AND starts_at <= ?"
        " ORDER BY starts_at DESC, id DESC LIMIT ?",
        (rural_district_id, to_db(before), limit),
    )
    return [row[0] for row in rows]
