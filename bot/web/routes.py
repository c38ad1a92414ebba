"""The pages: one function per address, each reading what is published and rendering a template.

Every address names its language and rural district (``/kk/1/documents/12``); an id is looked up
only inside that district, and only among published things, so a guessed or forged id finds
nothing it should not. Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from bot.keyboards.budget import line_label
from bot.keyboards.common import LANGUAGE_NAMES
from bot.keyboards.contests import SOURCE_LABELS, STAGE_LABELS, category_label
from bot.keyboards.documents import kind_label
from bot.keyboards.events import kind_name, kind_title
from bot.keyboards.initiatives import status_label, topic_label
from bot.rules import events as event_rules
from bot.rules.contests import Phase
from bot.rules.documents import KINDS, self_sufficiency
from bot.rules.errors import NotFound
from bot.texts.events import calendar_item
from bot.web import opendata
from bot.web.app import SITE, Cached, Site, entry
from bot.web.links import LANGUAGES, page_path
from bot.web.views import Fmt, bar_width, file_size, paragraphs, plain, section_labels
from storage import budget as budgets
from storage import contests as contest_store
from storage import documents as docs
from storage import events as event_store
from storage import initiatives as initiative_store
from storage import places, public
from storage import progress as progress_store
from storage.places import RuralDistrict

LANG = "{lang:kk|ru}"
RD = "{rd:[0-9]{1,9}}"
ID = "{id:[0-9]{1,9}}"


class Missing(Exception):
    """Nothing published at this address: a 404 page in the address's language."""


Page = Callable[[web.Request, Site, str], Awaitable[Cached]]


def add(app: web.Application) -> None:
    r = app.router
    r.add_get("/", root)
    r.add_get("/static/{name}", static)
    r.add_get(f"/{LANG}", slash)
    r.add_get(f"/{LANG}/", pages(index))
    r.add_get(f"/{LANG}/{RD}", slash)
    r.add_get(f"/{LANG}/{RD}/", pages(district))
    r.add_get(f"/{LANG}/{RD}/{{section:documents|contests|calendar|initiatives|budget|data}}", slash)
    r.add_get(f"/{LANG}/{RD}/documents/", pages(documents))
    r.add_get(f"/{LANG}/{RD}/documents/{ID}", pages(document))
    r.add_get(f"/{LANG}/{RD}/documents/{ID}/file/{{which:kk|ru}}", document_file)
    r.add_get(f"/{LANG}/{RD}/contests/", pages(contests))
    r.add_get(f"/{LANG}/{RD}/contests/{ID}", pages(contest))
    r.add_get(f"/{LANG}/{RD}/calendar/", pages(calendar))
    r.add_get(f"/{LANG}/{RD}/calendar.ics", pages(calendar_feed))
    r.add_get(f"/{LANG}/{RD}/initiatives/", pages(initiatives))
    r.add_get(f"/{LANG}/{RD}/budget/", pages(budget))
    r.add_get(f"/{LANG}/{RD}/budget/{{year:[0-9]{{4}}}}", pages(budget))
    r.add_get(f"/{LANG}/{RD}/data/", pages(data))
    r.add_get(f"/data/{RD}/{{name:[a-z]{{1,20}}}}.{{fmt:csv|json}}", open_data)


def pages(make: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A page served from the cache; a missing one is a 404 page in the address's language."""

    async def handler(request: web.Request) -> web.StreamResponse:
        site = request.app[SITE]
        lang = request.match_info["lang"]

        async def build() -> Cached:
            try:
                return await make(request, site, lang)
            except (Missing, NotFound):
                return await render(request, site, lang, "error.html", None, status=404, title=_t(site, lang))

        return await site.cached(request, build)

    return handler


def _t(site: Site, lang: str) -> str:
    return site.i18n.gettext("Page not found", locale=lang)


async def render(
    request: web.Request,
    site: Site,
    lang: str,
    template: str,
    rd: RuralDistrict | None,
    *,
    title: str,
    section: str | None = None,
    status: int = 200,
    **context: Any,
) -> Cached:
    """The template in the page's language, with what every page shows (switch, navigation)."""
    other = "ru" if lang == "kk" else "kk"
    base = site.base
    path = request.path
    fmt = Fmt(lang, rd.timezone if rd else "Asia/Almaty")

    def u(*parts: str | int) -> str:
        assert rd is not None
        return base + page_path(lang, rd.id, *parts)

    with site.i18n.context(), site.i18n.use_locale(lang):
        labels = section_labels()
        nav = [(key, labels[key], u(f"{key}/")) for key in labels] if rd else []
        html = site.env.get_template(template).render(
            lang=lang,
            other=other,
            other_name=LANGUAGE_NAMES[other],
            switch=base + "/" + other + path[3:] if status == 200 else f"{base}/{other}/",
            base=base,
            css=site.static_url("style.css"),
            title=title,
            rd=rd,
            section=section,
            nav=nav,
            u=u,
            fmt=fmt,
            plain=plain,
            **context,
        )
    return entry(html.encode("utf-8"), "text/html", status=status)


async def _section(
    request: web.Request, site: Site, lang: str, rd: RuralDistrict, section: str, title: str, **context: Any
) -> Cached:
    """A page of a district's section (``/kk/1/budget/``): its template is named after the section."""
    return await render(request, site, lang, f"{section}.html", rd, title=title, section=section, **context)


async def _district(site: Site, request: web.Request) -> RuralDistrict:
    rd = await places.rural_district(site.db, int(request.match_info["rd"]))
    if rd is None:
        raise Missing
    return rd


# --- plain answers ---------------------------------------------------------------------------


async def root(request: web.Request) -> web.StreamResponse:
    """``/``: the index in Russian when the browser asks for it first, else in Kazakh."""
    site = request.app[SITE]
    accept = request.headers.get("Accept-Language", "").lower()
    first = accept.split(",")[0].split(";")[0].strip()[:2]
    lang = "ru" if first == "ru" else "kk"
    return web.Response(status=302, headers={"Location": f"{site.base}/{lang}/", "Cache-Control": "no-store"})


async def slash(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    return web.Response(status=301, headers={"Location": site.base + request.path + "/"})


async def static(request: web.Request) -> web.StreamResponse:
    """Our own stylesheet, from memory: no address reaches the file system."""
    found = request.app[SITE].static.get(request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound
    data, kind, digest = found
    cached = entry(data, kind, max_age=31_536_000)
    cached.etag = f'"{digest[:32]}"'
    cached.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return await request.app[SITE].cached(request, _ready(cached))


def _ready(cached: Cached) -> Callable[[], Awaitable[Cached]]:
    async def make() -> Cached:
        return cached

    return make


# --- the index and a district's home ---------------------------------------------------------


async def index(request: web.Request, site: Site, lang: str) -> Cached:
    listed = await public.directory(site.db)
    groups: dict[tuple[str, str], list[public.Listed]] = {}
    for item in listed:
        groups.setdefault((item.region(lang), item.district(lang)), []).append(item)
    title = site.i18n.gettext("Rural districts", locale=lang)
    return await render(request, site, lang, "index.html", None, title=title, groups=groups)


async def district(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    now = site.clock.now()
    latest, total = await docs.current(site.db, rd.id, limit=5)
    upcoming = await event_store.upcoming(site.db, rd.id, now, limit=3)
    open_contests = [c for c in await public.contests(site.db, rd.id) if c.phase(now) is not Phase.CLOSED]
    _items, initiative_count = await initiative_store.published(site.db, rd.id, by_support=False, limit=1)
    years = await budgets.years(site.db, rd.id)
    sufficiency = None
    if years:
        b = await budgets.get(site.db, rd.id, years[0])
        if b is not None:
            sufficiency = (b.year, self_sufficiency(b.own, b.total_spending, b.year, b.target))
    return await render(
        request,
        site,
        lang,
        "district.html",
        rd,
        title=rd.name(lang),
        latest=latest,
        documents_total=total,
        upcoming=upcoming,
        open_contests=open_contests,
        initiative_count=initiative_count,
        sufficiency=sufficiency,
        kind_label=kind_label,
        kind_name=kind_name,
        now=now,
    )


# --- documents -------------------------------------------------------------------------------


async def documents(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    items, _total = await docs.current(site.db, rd.id, limit=1000)
    by_kind: dict[str, list[docs.Document]] = {}
    for doc in items:
        by_kind.setdefault(doc.kind, []).append(doc)
    kinds = [kind for kind in KINDS if kind in by_kind]
    with site.i18n.context(), site.i18n.use_locale(lang):
        title = _("Documents")
    return await _section(
        request,
        site,
        lang,
        rd,
        "documents",
        title,
        kinds=kinds,
        by_kind=by_kind,
        kind_label=kind_label,
        published_at=_published_at,
    )


def _published_at(doc: docs.Document) -> datetime | None:
    from bot.rules.clock import from_db

    return from_db(doc.published_at) if doc.published_at else None


async def document(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    doc = await docs.visible(site.db, int(request.match_info["id"]), rd.id)
    if doc is None:
        raise Missing
    versions = await docs.history(site.db, doc.series_id)
    current = next((v for v in versions if v.current), None)
    files: list[tuple[str, str, int | None]] = []  # which language's file, its name, its size
    seen: set[int] = set()
    for which, ref in (("kk", doc.file_kk), ("ru", doc.file_ru)):
        stored = await docs.file_info(site.db, ref) if ref is not None and ref not in seen else None
        if ref is not None and stored is not None and docs.file_path(site.db, stored) is not None:
            seen.add(ref)
            files.append((which, stored.file_name or f"document-{doc.id}", stored.size))
    questions = await public.published_questions(site.db, rd.id, doc.series_id) if doc.kind == "akim_report" else []
    with site.i18n.context(), site.i18n.use_locale(lang):
        sizes = {which: file_size(size, lang) for which, _name, size in files}
    return await render(
        request,
        site,
        lang,
        "document.html",
        rd,
        title=doc.title(lang),
        section="documents",
        doc=doc,
        text=paragraphs(doc.text(lang)),
        versions=versions,
        current=current,
        files=files,
        sizes=sizes,
        questions=questions,
        kind_label=kind_label,
        published_at=_published_at,
    )


async def document_file(request: web.Request) -> web.StreamResponse:
    """A published document's own file; its path comes from the database and must lie inside
    the bot's files folder, whatever was stored."""
    site = request.app[SITE]
    rd = await places.rural_district(site.db, int(request.match_info["rd"]))
    doc = await docs.visible(site.db, int(request.match_info["id"]), rd.id) if rd else None
    ref = None if doc is None else (doc.file_kk if request.match_info["which"] == "kk" else doc.file_ru)
    stored = await docs.file_info(site.db, ref) if ref is not None else None
    path = _inside(docs.files_dir(site.db), stored.path) if stored is not None and stored.path else None
    if stored is None or path is None:
        raise web.HTTPNotFound
    name = (stored.file_name or f"document-{ref}").replace("\r", "").replace("\n", "")
    response = web.FileResponse(
        path,
        headers={
            "Content-Type": stored.mime_type or "application/octet-stream",
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "Cache-Control": "public, max-age=3600",
        },
    )
    return response


def _inside(folder: Path, stored: str) -> Path | None:
    """``folder / stored`` when it really is a file under ``folder`` (no ``..``, no symlink out)."""
    root = folder.resolve()
    try:
        path = (folder.parent / stored).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return path if path.is_file() and path.is_relative_to(root) else None


# --- contests --------------------------------------------------------------------------------


async def contests(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    items = await public.contests(site.db, rd.id)
    now = site.clock.now()
    with site.i18n.context(), site.i18n.use_locale(lang):
        title = _("Project contests")
    return await _section(
        request, site, lang, rd, "contests", title, items=[(c, c.phase(now)) for c in items], Phase=Phase
    )


async def contest(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    found = await contest_store.for_resident(site.db, int(request.match_info["id"]), rd.id)
    now = site.clock.now()
    phase = found.phase(now)
    projects = await contest_store.projects(site.db, found.id)
    villages = {v.id: v for v in await places.villages(site.db, rd.id)}
    turnout = await contest_store.turnout(site.db, found, rd.timezone)
    results = await contest_store.results(site.db, found) if phase is Phase.CLOSED else None
    by_id = {p.id: p for p in projects}
    funded = [r.project_id for r in results.ranked if r.funded] if results else []
    progress = {project_id: await progress_store.stages(site.db, project_id) for project_id in funded}
    with site.i18n.context(), site.i18n.use_locale(lang):
        money = [(_(SOURCE_LABELS[source]), amount) for source, amount in found.money.items() if amount]
        categories = {p.id: plain(category_label(p.category)) for p in projects}
        stage_labels = {stage: plain(_(label)) for stage, label in STAGE_LABELS.items()}
    top_day = max((votes for _day, votes in turnout.by_day), default=0)
    return await render(
        request,
        site,
        lang,
        "contest.html",
        rd,
        title=found.title(lang),
        section="contests",
        contest=found,
        phase=phase,
        Phase=Phase,
        projects=projects,
        by_id=by_id,
        villages=villages,
        categories=categories,
        money=money,
        turnout=turnout,
        results=results,
        progress=progress,
        stage_labels=stage_labels,
        top_day=top_day,
        bar=bar_width,
        day_of=date.fromisoformat,
    )


# --- the calendar ----------------------------------------------------------------------------


async def _events(site: Site, rd: RuralDistrict, ids: list[int]) -> list[event_store.Event]:
    found = [await event_store.get(site.db, event_id, rd.id) for event_id in ids]
    return [e for e in found if e is not None]


async def calendar(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    now = site.clock.now()
    coming = await _events(site, rd, await public.calendar(site.db, rd.id, now))
    past = await _events(site, rd, await public.past_events(site.db, rd.id, now))
    past = [e for e in past if e.ends_at <= now]
    protocols = {e.id: await docs.by_event(site.db, e.id) for e in past}
    villages = {v.id: v for v in await places.villages(site.db, rd.id)}
    with site.i18n.context(), site.i18n.use_locale(lang):
        title = _("Calendar of gatherings and meetings")
        kinds = {e.id: kind_title(e.kind) for e in [*coming, *past]}
    return await _section(
        request,
        site,
        lang,
        rd,
        "calendar",
        title,
        coming=coming,
        past=past,
        protocols=protocols,
        village_names={
            e.id: ", ".join(villages[v].name(lang) for v in e.village_ids if v in villages) for e in [*coming, *past]
        },
        kinds=kinds,
        now=now,
        paragraphs=paragraphs,
    )


async def calendar_feed(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    now = site.clock.now()
    found = await _events(site, rd, await public.calendar(site.db, rd.id, now - timedelta(days=90)))
    public_url = site.settings.public_url
    with site.i18n.context(), site.i18n.use_locale(lang):
        items = [
            calendar_item(e, lang, f"{public_url}{page_path(lang, rd.id, 'calendar/')}#e{e.id}" if public_url else None)
            for e in found
        ]
        name = _("{district}: gatherings and meetings").format(district=rd.name(lang))
    body = event_rules.ics_feed(name=name, items=items, stamp=now).encode("utf-8")
    disposition = f'inline; filename="calendar-{rd.id}.ics"'
    return entry(body, "text/calendar", max_age=900, headers={"Content-Disposition": disposition})


# --- initiatives -----------------------------------------------------------------------------


async def initiatives(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    items, total = await initiative_store.published(site.db, rd.id, by_support=False, limit=100)
    answers = {}
    for item in items:
        history = await initiative_store.history(site.db, item.id)
        answers[item.id] = [h for h in history if h.answer or h.forwarded_to or h.new_deadline]
    with site.i18n.context(), site.i18n.use_locale(lang):
        title = _("Civic initiatives")
        statuses = {i.id: status_label(i.status) for i in items}
        topics = {i.id: plain(topic_label(i.topic)) for i in items}
        history_statuses = {(i.id, n): status_label(h.to_status) for i in items for n, h in enumerate(answers[i.id])}
    return await _section(
        request,
        site,
        lang,
        rd,
        "initiatives",
        title,
        items=items,
        total=total,
        answers=answers,
        statuses=statuses,
        topics=topics,
        history_statuses=history_statuses,
        paragraphs=paragraphs,
    )


# --- the budget ------------------------------------------------------------------------------


async def budget(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    years = await budgets.years(site.db, rd.id)
    year = int(request.match_info.get("year") or (years[0] if years else 0))
    found = await budgets.get(site.db, rd.id, year) if year in years else None
    if "year" in request.match_info and found is None:
        raise Missing
    sufficiency = self_sufficiency(found.own, found.total_spending, year, found.target) if found else None
    citizen = await docs.latest(site.db, rd.id, "citizen_budget", year) if found else None
    with site.i18n.context(), site.i18n.use_locale(lang):
        title = _("Budget")
        names = {
            line.id: line_label(line.code, line.name_kk, line.name_ru, lang) for line in (found.lines if found else ())
        }
    top = max((line.amount for line in found.lines), default=0) if found else 0
    return await _section(
        request,
        site,
        lang,
        rd,
        "budget",
        title,
        years=years,
        year=year,
        budget=found,
        sufficiency=sufficiency,
        citizen=citizen,
        names=names,
        top=top,
        bar=bar_width,
    )


# --- open data -------------------------------------------------------------------------------


async def data(request: web.Request, site: Site, lang: str) -> Cached:
    rd = await _district(site, request)
    with site.i18n.context(), site.i18n.use_locale(lang):
        title = _("Open data")
        sets = opendata.describe()
    return await _section(request, site, lang, rd, "data", title, sets=sets)


async def open_data(request: web.Request) -> web.StreamResponse:
    site = request.app[SITE]
    name, fmt = request.match_info["name"], request.match_info["fmt"]
    if name not in opendata.DATASETS:
        raise web.HTTPNotFound
    rd = await places.rural_district(site.db, int(request.match_info["rd"]))
    if rd is None:
        raise web.HTTPNotFound

    async def make() -> Cached:
        assert rd is not None
        fields, rows = await opendata.DATASETS[name](site, rd)
        body, kind = opendata.encode(fmt, name, rd, fields, rows)
        return entry(
            body,
            kind,
            max_age=300,
            headers={
                "Content-Disposition": f'inline; filename="{name}-{rd.id}.{fmt}"',
                "Access-Control-Allow-Origin": "*",
            },
        )

    return await site.cached(request, make)


__all__ = ["LANGUAGES", "add"]
