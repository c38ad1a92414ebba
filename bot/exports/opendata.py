"""A rural district's public data as files: initiatives, contests with their results, events, the
documents list and the budget, each as CSV (UTF-8 with a byte-order mark, so Excel opens
Cyrillic as it is; cells that a spreadsheet would run as a formula are quoted) and as JSON.

The fields are those of the public pages' open data (both languages side by side, named for
machines; instants ISO 8601 in UTC). Nothing personal: no author, voter, phone, Telegram id or
person id, and no vote of anyone (only the totals, once a contest has closed).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram.utils.i18n import I18n

from bot.keyboards.budget import LINE_LABELS, Code
from bot.rules.clock import to_db
from bot.rules.contests import Phase
from bot.rules.documents import self_sufficiency
from bot.rules.errors import DomainError
from storage import budget as budgets
from storage import contests as contest_store
from storage import documents as docs
from storage import events as event_store
from storage import initiatives as initiative_store
from storage import places, public
from storage.db import Database
from storage.operator import NO_RURAL_DISTRICT, NOT_EMPTY
from storage.places import RuralDistrict

Rows = tuple[list[str], list[dict[str, Any]]]
YEARS = timedelta(days=3650)  # events as far back as this


@dataclass(frozen=True)
class Source:
    """What the lists are read with."""

    db: Database
    now: datetime
    i18n: I18n


async def initiatives(src: Source, rd: RuralDistrict) -> Rows:
    fields = ["number", "submitted_at", "status", "topic", "title", "text", "village_kk", "village_ru"]
    fields += ["supports", "review_by", "decided_at", "agenda"]
    items, _total = await initiative_store.published(src.db, rd.id, by_support=False, limit=100_000)
    rows = [
        {
            "number": i.number,
            "submitted_at": to_db(i.submitted_at),
            "status": i.status,
            "topic": i.topic,
            "title": i.title,
            "text": i.body,
            "village_kk": i.village_kk,
            "village_ru": i.village_ru,
            "supports": i.supports,
            "review_by": i.deadline_on.isoformat(),
            "decided_at": to_db(i.decided_at) if i.decided_at else None,
            "agenda": i.agenda_flagged_at is not None,
        }
        for i in sorted(items, key=lambda i: i.number)
    ]
    return fields, rows


async def contests(src: Source, rd: RuralDistrict) -> Rows:
    """One row per project; the votes only once voting has closed (as the pages show them)."""
    fields = ["contest_id", "contest_title_kk", "contest_title_ru", "status", "opens_at", "closes_at", "money"]
    fields += ["project_id", "project_title_kk", "project_title_ru", "category", "village_kk", "village_ru", "cost"]
    fields += ["rank", "bot_votes", "paper_votes", "total_votes", "share", "funded"]
    villages = {v.id: v for v in await places.villages(src.db, rd.id)}
    rows = []
    for contest in await public.contests(src.db, rd.id):
        phase = contest.phase(src.now)
        results = await contest_store.results(src.db, contest) if phase is Phase.CLOSED else None
        for project in await contest_store.projects(src.db, contest.id):
            ranked = results.of(project.id) if results else None
            village = villages.get(project.village_id) if project.village_id is not None else None
            rows.append(
                {
                    "contest_id": contest.id,
                    "contest_title_kk": contest.title_kk,
                    "contest_title_ru": contest.title_ru,
                    "status": str(phase),
                    "opens_at": to_db(contest.opens_at),
                    "closes_at": to_db(contest.closes_at),
                    "money": contest.budget,
                    "project_id": project.id,
                    "project_title_kk": project.title_kk,
                    "project_title_ru": project.title_ru,
                    "category": project.category,
                    "village_kk": village.name_kk if village else None,
                    "village_ru": village.name_ru if village else None,
                    "cost": project.cost,
                    "rank": ranked.rank if ranked else None,
                    "bot_votes": ranked.online if ranked else None,
                    "paper_votes": ranked.offline if ranked else None,
                    "total_votes": ranked.total if ranked else None,
                    "share": round(ranked.share, 4) if ranked else None,
                    "funded": ranked.funded if ranked else None,
                }
            )
    return fields, rows


async def events(src: Source, rd: RuralDistrict) -> Rows:
    fields = ["id", "kind", "title_kk", "title_ru", "place", "starts_at", "ends_at", "status"]
    fields += ["villages_kk", "villages_ru", "agenda", "protocol"]
    villages = {v.id: v for v in await places.villages(src.db, rd.id)}
    rows = []
    for event_id in await public.calendar(src.db, rd.id, src.now - YEARS, limit=100_000):
        e = await event_store.get(src.db, event_id, rd.id)
        if e is None:
            continue
        rows.append(
            {
                "id": e.id,
                "kind": e.kind,
                "title_kk": e.title_kk,
                "title_ru": e.title_ru,
                "place": e.place,
                "starts_at": to_db(e.starts_at),
                "ends_at": to_db(e.ends_at),
                "status": e.status,
                "villages_kk": "; ".join(villages[v].name_kk for v in e.village_ids if v in villages),
                "villages_ru": "; ".join(villages[v].name_ru for v in e.village_ids if v in villages),
                "agenda": " | ".join(e.agenda),
                "protocol": e.protocol_text,
            }
        )
    return fields, rows


async def documents(src: Source, rd: RuralDistrict) -> Rows:
    fields = ["id", "series_id", "version", "kind", "title_kk", "title_ru", "year", "published_at", "current"]
    fields += ["superseded_at", "official_url"]
    items, _total = await docs.current(src.db, rd.id, limit=100_000)
    rows = []
    for doc in items:
        for version in await docs.history(src.db, doc.series_id):
            rows.append(
                {
                    "id": version.id,
                    "series_id": version.series_id,
                    "version": version.version,
                    "kind": version.kind,
                    "title_kk": version.title_kk,
                    "title_ru": version.title_ru,
                    "year": version.year,
                    "published_at": version.published_at,
                    "current": version.current,
                    "superseded_at": version.superseded_at,
                    "official_url": version.url,
                }
            )
    return fields, rows


async def budget(src: Source, rd: RuralDistrict) -> Rows:
    fields = ["year", "side", "source", "code", "name_kk", "name_ru", "amount", "own_share", "target"]
    rows = []
    for year in sorted(await budgets.years(src.db, rd.id)):
        found = await budgets.get(src.db, rd.id, year)
        if found is None:
            continue
        sufficiency = self_sufficiency(found.own, found.total_spending, year, found.target)
        for line in found.lines:
            label = LINE_LABELS.get(Code(line.code)) if line.code in set(Code) else None
            rows.append(
                {
                    "year": year,
                    "side": line.side,
                    "source": line.source,
                    "code": line.code,
                    "name_kk": src.i18n.gettext(label, locale="kk") if label else line.name_kk,
                    "name_ru": src.i18n.gettext(label, locale="ru") if label else line.name_ru,
                    "amount": line.amount,
                    "own_share": round(sufficiency.share, 4) if sufficiency.share is not None else None,
                    "target": sufficiency.target,
                }
            )
    return fields, rows


DATASETS: dict[str, Callable[[Source, RuralDistrict], Awaitable[Rows]]] = {
    "initiatives": initiatives,
    "contests": contests,
    "events": events,
    "documents": documents,
    "budget": budget,
}


def to_csv(fields: list[str], rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_json(name: str, rd: RuralDistrict, fields: list[str], rows: list[dict[str, Any]]) -> bytes:
    document = {
        "dataset": name,
        "rural_district": {"id": rd.id, "name_kk": rd.name_kk, "name_ru": rd.name_ru},
        "fields": fields,
        "rows": rows,
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # a spreadsheet would run it as a formula
    return value


async def export(src: Source, folder: Path, rural_district_id: int | None = None) -> list[Path]:
    """Write every list of one district (or of each, into a folder per district) into ``folder``,
    which must be new or empty; the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DomainError(NOT_EMPTY, path=str(folder))
    districts = await places.all_rural_districts(src.db)
    if rural_district_id is not None:
        districts = [rd for rd in districts if rd.id == rural_district_id]
        if not districts:
            raise DomainError(NO_RURAL_DISTRICT, id=rural_district_id)
    written = []
    for rd in districts:
        target = folder if len(districts) == 1 else folder / f"rural_district_{rd.id}"
        target.mkdir(parents=True, exist_ok=True)
        for name, read in DATASETS.items():
            fields, rows = await read(src, rd)
            (target / f"{name}.csv").write_bytes(to_csv(fields, rows))
            (target / f"{name}.json").write_bytes(to_json(name, rd, fields, rows))
            written += [target / f"{name}.csv", target / f"{name}.json"]
    return written
