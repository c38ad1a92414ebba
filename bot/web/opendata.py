"""Open data: every list of the pages also as CSV and JSON at a stable address
(``/data/<district>/<name>.csv`` and ``.json``), with both languages' texts side by side.

The fields follow the staff's exports (the contest results, the initiatives), named for machines
instead of people; instants are ISO 8601 in UTC. CSV is UTF-8 with a byte-order mark, so Excel
opens Cyrillic as it is. Nothing personal: no author, voter, phone or Telegram id.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiogram.utils.i18n import gettext as _

from bot.keyboards.budget import LINE_LABELS
from bot.rules.clock import to_db
from bot.rules.contests import Phase
from bot.rules.documents import self_sufficiency
from bot.texts import excel_safe
from storage import budget as budgets
from storage import contests as contest_store
from storage import documents as docs
from storage import events as event_store
from storage import initiatives as initiative_store
from storage import places, public
from storage.places import RuralDistrict

if TYPE_CHECKING:
    from bot.web.app import Site

Rows = tuple[list[str], list[dict[str, Any]]]


async def documents(site: Site, rd: RuralDistrict) -> Rows:
    fields = [
        "id",
        "series_id",
        "version",
        "kind",
        "title_kk",
        "title_ru",
        "year",
        "published_at",
        "current",
        "superseded_at",
        "official_url",
        "page_kk",
        "page_ru",
    ]
    items, _total = await docs.current(site.db, rd.id, limit=10_000)
    rows = []
    for doc in items:
        for version in await docs.history(site.db, doc.series_id):
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
                    "page_kk": _page(site, "kk", rd.id, "documents", version.id),
                    "page_ru": _page(site, "ru", rd.id, "documents", version.id),
                }
            )
    return fields, rows


async def contests(site: Site, rd: RuralDistrict) -> Rows:
    """One row per project; the votes only once voting has closed (as on the page)."""
    fields = [
        "contest_id",
        "contest_title_kk",
        "contest_title_ru",
        "status",
        "opens_at",
        "closes_at",
        "money",
        "project_id",
        "project_title_kk",
        "project_title_ru",
        "category",
        "village_kk",
        "village_ru",
        "cost",
        "rank",
        "bot_votes",
        "paper_votes",
        "total_votes",
        "share",
        "funded",
    ]
    now = site.clock.now()
    villages = {v.id: v for v in await places.villages(site.db, rd.id)}
    rows = []
    for contest in await public.contests(site.db, rd.id):
        closed = contest.phase(now) is Phase.CLOSED
        results = await contest_store.results(site.db, contest) if closed else None
        for project in await contest_store.projects(site.db, contest.id):
            ranked = results.of(project.id) if results else None
            village = villages.get(project.village_id) if project.village_id is not None else None
            rows.append(
                {
                    "contest_id": contest.id,
                    "contest_title_kk": contest.title_kk,
                    "contest_title_ru": contest.title_ru,
                    "status": "closed" if closed else str(contest.phase(now)),
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


async def events(site: Site, rd: RuralDistrict) -> Rows:
    fields = [
        "id",
        "kind",
        "title_kk",
        "title_ru",
        "place",
        "starts_at",
        "ends_at",
        "status",
        "villages_kk",
        "villages_ru",
        "agenda",
        "protocol",
    ]
    villages = {v.id: v for v in await places.villages(site.db, rd.id)}
    ids = await public.calendar(site.db, rd.id, site.clock.now() - _YEARS, limit=1000)
    rows = []
    for event_id in ids:
        e = await event_store.get(site.db, event_id, rd.id)
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


async def initiatives(site: Site, rd: RuralDistrict) -> Rows:
    fields = [
        "number",
        "submitted_at",
        "status",
        "topic",
        "title",
        "text",
        "village_kk",
        "village_ru",
        "supports",
        "review_by",
        "decided_at",
        "agenda",
    ]
    items, _total = await initiative_store.published(site.db, rd.id, by_support=False, limit=10_000)
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


async def budget(site: Site, rd: RuralDistrict) -> Rows:
    fields = ["year", "side", "source", "code", "name_kk", "name_ru", "amount", "own_share", "target"]
    rows = []
    for year in sorted(await budgets.years(site.db, rd.id)):
        found = await budgets.get(site.db, rd.id, year)
        if found is None:
            continue
        sufficiency = self_sufficiency(found.own, found.total_spending, year, found.target)
        for line in found.lines:
            label = next((msgid for code, msgid in LINE_LABELS.items() if code == line.code), None)
            rows.append(
                {
                    "year": year,
                    "side": line.side,
                    "source": line.source,
                    "code": line.code,
                    "name_kk": site.i18n.gettext(label, locale="kk") if label else line.name_kk,
                    "name_ru": site.i18n.gettext(label, locale="ru") if label else line.name_ru,
                    "amount": line.amount,
                    "own_share": round(sufficiency.share, 4) if sufficiency.share is not None else None,
                    "target": sufficiency.target,
                }
            )
    return fields, rows


_YEARS = timedelta(days=3650)

DATASETS: dict[str, Callable[[Site, RuralDistrict], Awaitable[Rows]]] = {
    "documents": documents,
    "contests": contests,
    "events": events,
    "initiatives": initiatives,
    "budget": budget,
}


def describe() -> list[tuple[str, str]]:
    """Each dataset with what it holds, in the current language."""
    return [
        ("documents", _("Documents: every published version, with its kind, year and dates")),
        ("contests", _("Project contests: projects, costs, and after voting the votes in the bot and on paper")),
        ("events", _("Gatherings and meetings: dates, places, agendas, protocols")),
        ("initiatives", _("Published civic initiatives: status, topic, village, supports")),
        ("budget", _("Budget by year: revenues by source, spending by programme, self-sufficiency")),
    ]


def _page(site: Site, lang: str, rd: int, *parts: str | int) -> str:
    from bot.web.links import page_path

    return (site.settings.public_url or "") + page_path(lang, rd, *parts)


def encode(fmt: str, name: str, rd: RuralDistrict, fields: list[str], rows: list[dict[str, Any]]) -> tuple[bytes, str]:
    """CSV (UTF-8 with BOM, CRLF) or JSON of the rows; the same fields in both."""
    if fmt == "json":
        document = {
            "dataset": name,
            "rural_district": {"id": rd.id, "name_kk": rd.name_kk, "name_ru": rd.name_ru},
            "fields": fields,
            "rows": rows,
        }
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"), "application/json"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    return ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv"


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return excel_safe(value)
