"""The public pages, in-process with aiohttp's test client, on the demo district: every page in
both languages, and each thing the pages must never do as its own test."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import demo
from bot.config import Settings
from bot.i18n import build_i18n
from bot.keyboards.contests import Act, ContestCb
from bot.rules.clock import FixedClock, to_db
from bot.web.app import SITE, RenderBudget, open_app
from bot.web.guard import MAX_CLIENTS, RateLimit
from storage import audit
from storage import documents as docs
from storage.db import Database
from tests.harness import NOW, World, published_contest

STAFF = 424242
PUBLIC_URL = "https://aksai.example.kz/bot"
LANGS = ("kk", "ru")


@dataclass
class Public:
    client: TestClient[Any, Any]
    db: Database  # the bot's own (writable) connection, to set the scene
    rd: int
    clock: FixedClock
    path: Path

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, Any]:
        response = await self.client.get(path, allow_redirects=False, **kwargs)
        return response.status, await response.text(), response.headers


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Public]:
    async with public_site(tmp_path) as opened:
        yield opened


class public_site:
    def __init__(self, tmp_path: Path, **settings: Any) -> None:
        self.tmp_path, self.settings = tmp_path, {"web_rate_per_client": 0, **settings}  # 0: no rate limit

    async def __aenter__(self) -> Public:
        path = self.tmp_path / "bot.sqlite3"
        config = Settings(_env_file=None, database_path=path, public_url=PUBLIC_URL, web_port=8080, **self.settings)  # type: ignore[call-arg]
        self.db = await Database(path).connect()
        clock = FixedClock(NOW)
        rd = await demo.fill(self.db, clock, staff_telegram_id=STAFF)
        app = await open_app(config, build_i18n(), clock)
        app[SITE].budget = RenderBudget(1.0)  # every page drawn: a shared slow machine must not see 503s
        self.client = TestClient(TestServer(app))
        await self.client.start_server()
        return Public(self.client, self.db, rd, clock, path)

    async def __aexit__(self, *exc: object) -> None:
        await self.client.close()
        await self.db.close()


async def _ids(db: Database, sql: str, *params: Any) -> list[int]:
    return [row[0] for row in await db.fetchall(sql, params)]


async def every_page(site: Public, lang: str) -> list[str]:
    rd = site.rd
    documents = await _ids(site.db, "SELECT id FROM documents WHERE rural_district_id = ? AND status = 'published'", rd)
    contests = await _ids(site.db, "SELECT id FROM contests WHERE rural_district_id = ? AND status != 'draft'", rd)
    years = await _ids(site.db, "SELECT year FROM budgets WHERE rural_district_id = ?", rd)
    base = f"/{lang}/{rd}/"
    return [
        f"/{lang}/",
        base,
        base + "documents/",
        *(f"{base}documents/{i}" for i in documents),
        base + "contests/",
        *(f"{base}contests/{i}" for i in contests),
        base + "calendar/",
        base + "initiatives/",
        base + "budget/",
        *(f"{base}budget/{y}" for y in years),
        base + "data/",
    ]


class Structure(HTMLParser):
    """Enough of an HTML check to catch a broken template: tags closed in order, one h1, landmarks."""

    VOID = frozenset({"meta", "link", "br", "img", "input", "hr", "rect"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.seen: dict[str, int] = {}
        self.attrs: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen[tag] = self.seen.get(tag, 0) + 1
        self.attrs.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()


def check_page(body: str, lang: str) -> Structure:
    page = Structure()
    page.feed(body)
    assert page.problems == [] and page.stack == [], (page.problems, page.stack)
    assert f'<html lang="{lang}">' in body
    assert page.seen.get("h1") == 1 and page.seen.get("main") == 1 and page.seen.get("header") == 1
    assert "<script" not in body and " style=" not in body and "<style" not in body
    assert len(body.encode()) < 60_000
    return page


# --- every page, both languages --------------------------------------------------------------


async def test_every_page_in_both_languages_is_whole_small_and_safe(site: Public) -> None:
    for lang in LANGS:
        other = "ru" if lang == "kk" else "kk"
        for path in await every_page(site, lang):
            status, body, headers = await site.get(path)
            assert status == 200, path
            page = check_page(body, lang)
            switch = [a for tag, a in page.attrs if tag == "a" and a.get("hreflang") == other]
            assert switch and switch[0]["href"] == "/bot/" + other + path[3:], path  # the same page, other language
            assert headers["Content-Type"] == "text/html; charset=utf-8"
            assert "ETag" in headers and "Last-Modified" in headers and "public" in headers["Cache-Control"]


async def test_the_demo_district_reads_in_kazakh_and_in_russian(site: Public) -> None:
    rd = site.rd
    _s, kk, _h = await site.get(f"/kk/{rd}/documents/")
    _s, ru, _h = await site.get(f"/ru/{rd}/documents/")
    assert "Құжаттар" in kk and "Даму бағдарламалары" in kk and "Азаматтық бюджет" in kk
    assert "Документы" in ru and "Гражданский бюджет" in ru and "Программа развития местного сообщества" in ru
    closed = await site.db.fetchval("SELECT id FROM contests WHERE status = 'closed'")
    _s, results, _h = await site.get(f"/ru/{rd}/contests/{closed}")
    assert "Итоги" in results and "Уличные фонари" in results and "На бумаге" in results and "64" in results
    assert "5 500 000 ₸" in results.replace("\u00a0", " ").replace("\u202f", " ")
    _s, calendar, _h = await site.get(f"/kk/{rd}/calendar/")
    assert "Жиындар мен жиналыстар күнтізбесі" in calendar and "Бесағаш ауылының бөлек жиыны" in calendar
    assert "Балалар ойын алаңы Ақсай ауылында салынсын." in calendar  # the past gathering's protocol
    _s, budget, _h = await site.get(f"/ru/{rd}/budget/")
    assert "Уровень самодостаточности" in budget and "Налог на имущество" in budget and "<meter" in budget


async def test_the_root_sends_to_the_index_in_the_browsers_language(site: Public) -> None:
    status, _body, headers = await site.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert status == 302 and headers["Location"] == "/bot/ru/"
    status, _body, headers = await site.get("/")
    assert headers["Location"] == "/bot/kk/"
    status, body, _h = await site.get("/kk/")
    assert status == 200 and "Ақсай ауылдық округі" in body and f'href="/bot/kk/{site.rd}/"' in body


async def test_a_superseded_version_says_so_and_links_to_the_current_one(site: Public) -> None:
    old, new = await _ids(site.db, "SELECT id FROM documents WHERE kind = 'paid_services' ORDER BY version")
    _s, body, _h = await site.get(f"/ru/{site.rd}/documents/{old}")
    assert "Эта версия больше не действует." in body and f'href="/bot/ru/{site.rd}/documents/{new}"' in body
    assert "2 000 тенге" in body and "Все версии" in body


async def test_open_data_as_csv_for_excel_and_as_json_with_validators(site: Public) -> None:
    for name in ("documents", "contests", "events", "initiatives", "budget"):
        response = await site.client.get(f"/data/{site.rd}/{name}.csv")
        raw = await response.read()
        assert response.status == 200 and raw.startswith(b"\xef\xbb\xbf"), name
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        response = await site.client.get(f"/data/{site.rd}/{name}.json")
        document = json.loads(await response.text())
        assert document["dataset"] == name and list(rows[0]) == document["fields"], name
        assert len(document["rows"]) == len(rows) > 0, name
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        again = await site.client.get(
            f"/data/{site.rd}/{name}.json", headers={"If-None-Match": response.headers["ETag"]}
        )
        assert again.status == 304
        since = await site.client.get(
            f"/data/{site.rd}/{name}.json", headers={"If-Modified-Since": response.headers["Last-Modified"]}
        )
        assert since.status == 304
    response = await site.client.get(f"/data/{site.rd}/contests.json")
    rows = json.loads(await response.text())["rows"]
    closed = [r for r in rows if r["status"] == "closed"]
    still_open = [r for r in rows if r["status"] == "open"]
    assert {r["paper_votes"] for r in closed} == {64, 41, 38} and {r["bot_votes"] for r in closed} == {0}
    assert still_open and all(r["total_votes"] is None for r in still_open)  # no tally before the close


async def test_the_calendar_feed_has_every_event_with_its_uid(site: Public) -> None:
    response = await site.client.get(f"/kk/{site.rd}/calendar.ics")
    body = await response.text()
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    events = await _ids(site.db, "SELECT id FROM events WHERE rural_district_id = ? AND ends_at > ?", site.rd, "")
    assert body.count("BEGIN:VEVENT") == len(events) == 4
    assert f"UID:event-{events[0]}-rd{site.rd}@rural-self-government-bot" in body
    assert "SUMMARY:Бөлек жиын: Бесағаш ауылының бөлек жиыны" in body.replace("\r\n ", "")  # unfolded
    assert f"URL:{PUBLIC_URL}/kk/{site.rd}/calendar/#e" in body


async def test_a_change_in_the_bot_is_on_the_page_at_once(site: Public) -> None:
    site.client.server.app[SITE].settle = 0  # else within SETTLE seconds
    _s, _b, headers = await site.get(f"/kk/{site.rd}/documents/")
    again = await site.client.get(f"/kk/{site.rd}/documents/", headers={"If-None-Match": headers["ETag"]})
    assert again.status == 304
    async with site.db.transaction() as tx:
        await docs.publish(
            tx, rural_district_id=site.rd, kind="decision", title_kk="Шешім №7", title_ru="", text_kk="…"
        )
    _status, body, new_headers = await site.get(f"/kk/{site.rd}/documents/")
    assert "Шешім №7" in body and new_headers["ETag"] != headers["ETag"]


async def test_drawing_pages_never_takes_more_than_its_share_of_the_loop(site: Public) -> None:
    app_site = site.client.server.app[SITE]
    app_site.settle = 0
    _s, before, _h = await site.get(f"/kk/{site.rd}/documents/")
    async with site.db.transaction() as tx:
        await docs.publish(
            tx, rural_district_id=site.rd, kind="decision", title_kk="Шешім №8", title_ru="", text_kk="…"
        )
    app_site.budget = RenderBudget(0.02)
    app_site.budget.tokens = -1.0  # the share is spent: as under a flood of changes and requests
    status, after, _h = await site.get(f"/kk/{site.rd}/documents/")
    assert status == 200 and after == before  # the page already drawn, a little longer
    status, _body, headers = await site.get(f"/ru/{site.rd}/budget/")
    assert status == 503 and headers["Retry-After"] == "2"  # never drawn: wait, rather than slow the bot
    app_site.budget.tokens = 0.5
    _s, after, _h = await site.get(f"/kk/{site.rd}/documents/")
    assert "Шешім №8" in after


# --- what the pages never do -----------------------------------------------------------------


async def _everything(site: Public) -> str:
    """Every page, feed and data file of the district, in both languages, as one text."""
    parts = []
    for lang in LANGS:
        for path in [*await every_page(site, lang), f"/{lang}/{site.rd}/calendar.ics"]:
            status, body, _h = await site.get(path)
            assert status == 200, path
            parts.append(body)
    for name in ("documents", "contests", "events", "initiatives", "budget"):
        for fmt in ("csv", "json"):
            parts.append((await site.get(f"/data/{site.rd}/{name}.{fmt}"))[1])
    return "\n".join(parts)


async def _person(db: Database, rd: int, telegram_id: int, name: str, phone: str) -> int:
    village = await db.fetchval("SELECT id FROM villages WHERE rural_district_id = ? ORDER BY id", (rd,))
    async with db.transaction() as tx:
        return await tx.execute(
            "INSERT INTO people (telegram_id, language, rural_district_id, village_id, consent_version, consent_at,"
            " full_name, phone) VALUES (?, 'kk', ?, ?, 0, '2026-11-01T00:00:00.000Z', ?, ?)",
            (telegram_id, rd, village, name, phone),
        )


async def test_no_name_phone_or_telegram_id_and_no_voters_choice(site: Public) -> None:
    rd = site.rd
    contest = await site.db.fetchval("SELECT id FROM contests WHERE status = 'published'")
    projects = await _ids(site.db, "SELECT id FROM contest_projects WHERE contest_id = ? ORDER BY id", contest)
    village = await site.db.fetchval("SELECT id FROM villages WHERE rural_district_id = ? ORDER BY id", (rd,))
    people = [
        (await _person(site.db, rd, 7_770_001 + i, f"Айгерім Сейітова{i}", f"+77019{i:06d}"), f"+77019{i:06d}")
        for i in range(3)
    ]
    async with site.db.transaction() as tx:
        for (person, phone), project in zip(people, (projects[0], projects[0], projects[1]), strict=True):
            await tx.execute(
                "INSERT INTO contest_votes (contest_id, project_id, person_id, phone, village_id, cast_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (contest, project, person, phone, village, to_db(NOW)),
            )
        await tx.execute("UPDATE initiatives SET author_id = ? WHERE rural_district_id = ?", (people[0][0], rd))
    site.clock.set(NOW + timedelta(days=30))  # voting is over: the results are public, the choices never
    everything = await _everything(site)
    for _person_id, phone in people:
        assert phone not in everything and phone[1:] not in everything
    assert "Айгерім Сейітова" not in everything and "777000" not in everything and str(STAFF) not in everything
    assert "person_id" not in everything and "author" not in everything.replace("Authors", "")
    _s, page, _h = await site.get(f"/kk/{rd}/contests/{contest}")
    assert "Айгерім" not in page and ">2<" in page and ">1<" in page  # two and one bot votes, nothing of whom


async def test_a_hidden_or_unpublished_initiative_is_never_shown(site: Public) -> None:
    rd = site.rd
    await site.db.execute("UPDATE initiatives SET status = 'hidden', published = 0 WHERE number = 2")
    everything = await _everything(site)
    assert "Көше жарығы" not in everything  # №2, hidden
    assert "Мектеп жанындағы бос жерге" not in everything  # №1, submitted and never published
    assert "Саябаққа ағаш отырғызу" in everything  # №3, published
    _s, page, _h = await site.get(f"/ru/{rd}/initiatives/")
    assert 'id="n3"' in page and 'id="n2"' not in page and 'id="n1"' not in page


async def test_a_draft_document_or_contest_is_never_shown(site: Public) -> None:
    rd = site.rd
    async with site.db.transaction() as tx:
        draft = await docs.publish(
            tx, rural_district_id=rd, kind="decision", title_kk="Жоба шешім", title_ru="Черновое решение",
            text_kk="құпия мәтін", draft=True,
        )  # fmt: skip
    status, _body, _h = await site.get(f"/kk/{rd}/documents/{draft}")
    assert status == 404
    draft_contest = await site.db.fetchval("SELECT id FROM contests WHERE status = 'draft'")
    status, body, _h = await site.get(f"/ru/{rd}/contests/{draft_contest}")
    assert status == 404 and "Страница не найдена" in body
    everything = await _everything(site)
    assert "Черновое решение" not in everything and "құпия мәтін" not in everything
    assert "Орталық сквер" not in everything and "Проект сквера" not in everything  # the draft contest


async def test_a_private_question_is_never_shown_only_published_answers(site: Public) -> None:
    rd = site.rd
    report = await site.db.fetchval("SELECT series_id FROM documents WHERE kind = 'akim_report'")
    staff = await site.db.fetchval("SELECT id FROM people WHERE telegram_id = ?", (STAFF,))
    shown = await docs.ask(site.db, rural_district_id=rd, person_id=staff, document_id=report, text="Су қашан келеді?")
    hidden = await docs.ask(site.db, rural_district_id=rd, person_id=staff, document_id=report, text="Жасырын сұрақ")
    for question in (shown, hidden):
        notice = {"kk": "Жауап", "ru": "Ответ"}
        await docs.answer(site.db, audit.CLI, question, text="Көктемде.", now=to_db(NOW), texts=notice)
        await docs.publish_answer(site.db, audit.CLI, question)
    await site.db.execute("UPDATE report_questions SET hidden = 1 WHERE id = ?", (hidden,))
    _s, page, _h = await site.get(f"/kk/{rd}/documents/{report}")
    assert "Су қашан келеді?" in page and "Көктемде." in page
    assert "Жасырын сұрақ" not in page
    assert "Бесағаштағы жол қашан жөнделеді?" not in page  # the demo's question: asked, never answered


async def test_nothing_of_another_district_whatever_the_address(site: Public) -> None:
    world = World(site.db, None, None, None, site.clock, None, None, site.path)  # type: ignore[arg-type]
    other = await world.add_rural_district("Бесқайнар ауылдық округі", "Бескайнарский сельский округ")
    async with site.db.transaction() as tx:
        foreign = await docs.publish(
            tx, rural_district_id=other, kind="decision", title_kk="Бөтен шешім", title_ru="Чужое решение", text_kk="…"
        )
    mine = await site.db.fetchval("SELECT id FROM documents WHERE rural_district_id = ? LIMIT 1", (site.rd,))
    contest = await site.db.fetchval("SELECT id FROM contests WHERE rural_district_id = ? LIMIT 1", (site.rd,))
    event = await site.db.fetchval("SELECT id FROM events WHERE rural_district_id = ? LIMIT 1", (site.rd,))
    assert (await site.get(f"/kk/{site.rd}/documents/{foreign}"))[0] == 404
    assert (await site.get(f"/kk/{site.rd}/documents/{foreign}/file/kk"))[0] == 404
    assert (await site.get(f"/kk/{other}/documents/{mine}"))[0] == 404
    assert (await site.get(f"/ru/{other}/contests/{contest}"))[0] == 404
    _s, calendar, _h = await site.get(f"/kk/{other}/calendar/")
    assert f'id="e{event}"' not in calendar
    everything = await _everything(site)
    assert "Бөтен шешім" not in everything and "Чужое решение" not in everything
    assert (await site.get("/kk/999999/"))[0] == 404


async def test_no_write_is_accepted_and_the_connection_is_read_only(site: Public) -> None:
    rd = site.rd
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = await site.client.request(method, f"/kk/{rd}/documents/", data=b"x=1")
        assert response.status == 405 and response.headers["Allow"] == "GET, HEAD", method
    head = await site.client.head(f"/kk/{rd}/documents/")
    assert head.status == 200
    web_db = site.client.server.app[SITE].db
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await web_db.execute("UPDATE documents SET title_kk = 'бұзылды'")
    assert await site.db.fetchval("SELECT COUNT(*) FROM documents WHERE title_kk = 'бұзылды'") == 0


async def test_no_path_or_id_reaches_a_file_outside_the_bots_own(site: Public, tmp_path: Path) -> None:
    rd = site.rd
    secret = tmp_path / "secret.txt"
    secret.write_text("the bot token")
    files = tmp_path / "files"
    files.mkdir()
    (files / "ok.pdf").write_bytes(b"%PDF-1.4 ok")
    (files / "link.pdf").symlink_to(secret)
    async with site.db.transaction() as tx:
        made = {}
        for name, stored in (("ok.pdf", "files/ok.pdf"), ("up.pdf", "../secret.txt"), ("abs.pdf", str(secret)),
                             ("link.pdf", "files/link.pdf"), ("up2.pdf", "files/../../secret.txt")):  # fmt: skip
            ref = await docs.add_file(tx, file_name=name, mime_type="application/pdf")
            await tx.execute("UPDATE document_files SET path = ? WHERE id = ?", (stored, ref))
            made[name] = await docs.publish(
                tx, rural_district_id=rd, kind="decision", title_kk=name, title_ru=name, file_ref=ref
            )
    response = await site.client.get(f"/kk/{rd}/documents/{made['ok.pdf']}/file/kk")
    assert response.status == 200 and await response.read() == b"%PDF-1.4 ok"
    assert "attachment" in response.headers["Content-Disposition"]
    for name in ("up.pdf", "abs.pdf", "link.pdf", "up2.pdf"):
        response = await site.client.get(f"/kk/{rd}/documents/{made[name]}/file/kk")
        assert response.status == 404 and "token" not in await response.text(), name
    for path in (
        "/static/..%2F..%2Fapp.py",
        "/static/../app.py",
        "/static/%2e%2e/routes.py",
        f"/kk/{rd}/documents/..%2F..%2Fetc%2Fpasswd",
        f"/kk/{rd}/documents/1/file/..%2F..%2Fsecret.txt",
        "/kk/../../etc/passwd",
        f"/data/{rd}/..%2Fsecret.csv",
    ):
        status, body, _h = await site.get(path)
        assert status == 404 and "token" not in body and "import" not in body, path


async def test_every_answer_has_the_safe_headers(site: Public) -> None:
    rd = site.rd
    answers = [
        ("GET", f"/kk/{rd}/"),
        ("GET", "/kk/1/nowhere"),
        ("POST", "/kk/"),
        ("GET", "/static/style.css"),
        ("GET", f"/data/{rd}/budget.csv"),
        ("GET", "/x" * 700),
    ]
    for method, path in answers:
        response = await site.client.request(method, path, allow_redirects=False)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "script-src" not in csp, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_hostile_clients_get_4xx(site: Public) -> None:
    rd = site.rd
    assert (await site.get("/kk/" + "a" * 2000))[0] == 414
    response = await site.client.get(f"/kk/{rd}/", data=b"x" * 100)
    assert response.status == 413
    response = await site.client.get(f"/kk/{rd}/", headers={"X-Huge": "h" * 10_000})
    assert response.status in (400, 431)
    assert (await site.get(f"/kk/{rd}/documents/99999999999"))[0] == 404
    assert (await site.get(f"/kk/{rd}/budget/1999"))[0] == 404
    assert (await site.get("/xx/1/"))[0] == 404


async def test_a_client_that_floods_is_slowed_alone(tmp_path: Path) -> None:
    async with public_site(tmp_path, web_rate_per_client=1.0) as site:  # a burst of 4, then 1 a second
        statuses = [(await site.get(f"/kk/{site.rd}/"))[0] for _ in range(6)]
        assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]
        response = await site.client.get(f"/kk/{site.rd}/")
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        behind_proxy = await site.client.get(f"/kk/{site.rd}/", headers={"X-Forwarded-For": "203.0.113.9"})
        assert behind_proxy.status == 429  # X-Forwarded-For is not trusted unless told


def test_the_rate_table_stays_bounded_and_refills() -> None:
    now = [0.0]
    limit = RateLimit(2.0, clock=lambda: now[0])
    for i in range(MAX_CLIENTS + 500):
        limit.allow(f"10.0.{i // 256}.{i % 256}")
    assert len(limit._buckets) == MAX_CLIENTS
    assert [limit.allow("a") for _ in range(9)][-1] > 0  # 8 at once, the ninth waits
    now[0] += 1.0
    assert limit.allow("a") == 0 and limit.allow("a") == 0 and limit.allow("a") > 0


async def test_behind_a_trusted_proxy_the_forwarded_client_is_limited(tmp_path: Path) -> None:
    async with public_site(tmp_path, web_rate_per_client=1.0, web_trust_forwarded=True) as site:
        for _ in range(4):
            await site.get(f"/kk/{site.rd}/", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
        flooded = await site.client.get(f"/kk/{site.rd}/", headers={"X-Forwarded-For": "203.0.113.7"})
        other = await site.client.get(f"/kk/{site.rd}/", headers={"X-Forwarded-For": "203.0.113.8"})
        assert flooded.status == 429 and other.status == 200


async def test_the_webhook_beside_the_pages_is_not_guarded_by_them(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    await (await Database(path).connect()).close()
    config = Settings(_env_file=None, database_path=path, web_port=8080, web_rate_per_client=1.0)  # type: ignore[call-arg]
    app = await open_app(config, build_i18n(), FixedClock(NOW), exempt=frozenset({"/webhook"}))

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app.router.add_post("/webhook", webhook)
    async with TestClient(TestServer(app)) as client:
        for _ in range(10):  # Telegram posts as often as it must: no rate, no method rule
            assert (await client.post("/webhook", json={"update_id": 1})).status == 200
        assert (await client.post("/kk/")).status == 405


# --- the button in the bot -------------------------------------------------------------------


async def test_the_bot_links_a_document_to_its_page_when_public_url_is_set(tmp_path: Path) -> None:
    for public_url in (PUBLIC_URL, None):
        world = await World.create(tmp_path / str(bool(public_url)), public_url=public_url)
        try:
            async with world.db.transaction() as tx:
                doc = await docs.publish(
                    tx, rural_district_id=world.rural_district_id, kind="decision", title_kk="Шешім №5",
                    title_ru="Решение №5", text_kk="Мәтін",
                )  # fmt: skip
            aigerim = await world.resident()
            await aigerim.send("📄 Құжаттар")
            await aigerim.press(world.i18n.gettext("Decisions", locale="kk") + " (1)")
            await aigerim.press("Шешім №5")
            links = [b for row in aigerim.last.markup["inline_keyboard"] for b in row if "url" in b]
            if public_url:
                assert links == [
                    {"text": "🌐 Сайтта", "url": f"{PUBLIC_URL}/kk/{world.rural_district_id}/documents/{doc}"}
                ]
            else:
                assert links == []
            assert not world.telegram.violations
        finally:
            await world.close()


async def test_the_bot_links_the_calendar_and_results_pages(tmp_path: Path) -> None:
    world = await World.create(tmp_path, public_url=PUBLIC_URL)
    try:
        ivan = await world.resident("Ivan", lang="ru")
        sent = await ivan.send("📅 Мероприятия")
        buttons = [b for r in sent for row in r.markup.get("inline_keyboard", []) for b in row if "url" in b]
        assert buttons == [{"text": "🌐 На сайте", "url": f"{PUBLIC_URL}/ru/{world.rural_district_id}/calendar/"}]
        contest, _projects = await published_contest(world, closes=NOW + timedelta(hours=1))
        world.clock.set(NOW + timedelta(hours=2))
        await world.tick()
        sent = await ivan.press_data(ContestCb(act=Act.RESULTS, contest=contest).pack())
        urls = [b["url"] for r in sent for row in r.markup.get("inline_keyboard", []) for b in row if "url" in b]
        assert urls == [f"{PUBLIC_URL}/ru/{world.rural_district_id}/contests/{contest}"]
        assert not world.telegram.violations
    finally:
        await world.close()


# --- in the real process: off unless WEB_PORT, beside polling, beside the webhook -------------


async def _page_of(url: str, timeout: float = 120.0) -> tuple[int, str]:
    import asyncio
    import time

    import aiohttp

    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url) as response:
                    return response.status, await response.text()
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def test_the_real_bot_serves_the_pages_beside_polling_and_beside_the_webhook(tmp_path: Path) -> None:
    from tests.fake_telegram import FakeBotAPIServer
    from tests.steps import free_port
    from tests.test_e2e import bot_process, walk_onboarding, webhook_env

    server = await FakeBotAPIServer().start()
    try:
        port = free_port()
        async with bot_process(tmp_path / "polling", server, WEB_PORT=str(port), WEB_HOST="127.0.0.1"):
            status, body = await _page_of(f"http://127.0.0.1:{port}/ru/")
            assert status == 200 and "Аксайский сельский округ" in body
        server.telegram.requests.clear()
        port = free_port()
        async with bot_process(tmp_path / "webhook", server, **webhook_env(port), WEB_PORT=str(port)):
            status, body = await _page_of(f"http://127.0.0.1:{port}/kk/1/documents/")
            assert status == 200 and "Құжаттар" in body
            await walk_onboarding(server.telegram)  # the webhook still works beside the pages
        port = free_port()
        async with bot_process(tmp_path / "unpublished", server, **webhook_env(port)):
            status, _body = await _page_of(f"http://127.0.0.1:{port}/kk/")
            assert status == 404  # publishing is a decision: no WEB_PORT, no pages
        assert not server.telegram.violations
    finally:
        await server.stop()


async def test_the_progress_of_a_funded_project_is_on_its_contests_page(site: Public) -> None:
    from storage import contests as contest_store
    from storage import progress
    from storage.audit import CLI

    site.client.server.app[SITE].settle = 0
    closed = int(
        await site.db.fetchval("SELECT id FROM contests WHERE status = 'closed' AND rural_district_id = ?", (site.rd,))
    )
    contest = await contest_store.for_resident(site.db, closed, site.rd)
    funded = [r.project_id for r in (await contest_store.results(site.db, contest)).ranked if r.funded]
    _status, before, _h = await site.get(f"/ru/{site.rd}/contests/{closed}")
    assert "Ход работ по финансируемым проектам" in before and "отчётов пока нет" in before
    await progress.post(
        site.db,
        CLI,
        contest_id=closed,
        project_id=funded[0],
        stage="started",
        note="Опоры <ставят> & тянут провод",
        photos=[],
        location=None,
        now=site.clock.now(),
        texts=lambda project: {"kk": "…", "ru": "…"},
        buttons=None,
    )
    _status, body, _h = await site.get(f"/ru/{site.rd}/contests/{closed}")
    assert "Начато, " in body
    assert "Опоры &lt;ставят&gt; &amp; тянут провод" in body
