"""``python -m bench screens``: every resident screen, in process, at 1,000 and at 100,000 residents.

Two data sets (``bench/_data.py``: one rural district with 1,000 and with 100,000 onboarded
residents, 50 contests, 10,000 initiatives of which a tenth published, a third of the residents
voting) are open at once, each with the bot's real dispatcher (every middleware, the SQLite FSM
storage, the handlers, the answer through the recording session of tests/harness.py). A bare
aiogram ``Dispatcher`` that echoes (a message answered with its text; a button answered and
its data sent back) is the baseline, fed in the same rounds through the same kind of session.
The fake Telegram checks every request against the Bot API's spec in one probe of each screen
(below); the timed rounds go without those checks, which are the fake's work, not the bot's.

One round presses every screen once in each data set (in a new order every round) and feeds the
bare echo a message and a button, so noise on the shared machine falls on all of them alike; residents take turns (100
of them spread over the whole district). Figures per screen: p50 and p99 in milliseconds at
each size, ``ratio`` (p99 at 100k / the bare echo's p99 for the same kind of update, target
≤ 3) and ``flat`` (p99 at 100k / p99 at 1k, target ≤ 1.2); each the median of ``REPEATS`` runs.

Each screen is also run once more with SQLite's statement trace and progress handler on: the
statements it ran, their ``EXPLAIN QUERY PLAN`` (a full scan of a big table or a sort in a
temporary B-tree is flagged) and the SQLite VM steps it took at each size, which do not depend
on the machine's noise: a screen that pages with an index takes as many steps at 100k as at 1k.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import random
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.types import Update

from bench._bare_bot import echo_dispatcher
from bench._data import STAFF_TELEGRAM_ID, DataSet, data_set
from bench.votes import _ms
from bot.app import build_dispatcher
from bot.config import Settings
from bot.i18n import build_i18n
from bot.keyboards.budget import Bud
from bot.keyboards.common import MENU_LABELS
from bot.keyboards.contests import Act, AdmAct, AdminContestCb, ContestCb
from bot.keyboards.documents import DocNav, Nav
from bot.keyboards.events import Ev, EvAct
from bot.keyboards.initiatives import Ini, IniAct, Sort, Src
from bot.rules.clock import FixedClock
from storage._aiosqlite import raw
from storage.db import Database
from tests.fake_telegram import BOT_ID, TOKEN, FakeTelegram
from tests.harness import RecordingSession

# tables that grow with the residents or with the years
BIG = {
    "people",
    "initiatives",
    "initiative_supports",
    "initiative_history",
    "contest_votes",
    "contests",
    "event_rsvps",
    "events",
    "documents",
    "outbox",
    "audit_log",
}
RATIO_TARGET = 3.0
FLAT_TARGET = 1.2
POOL = 100  # residents taking turns
LAST_PAGE = 199  # 1,000 published initiatives, 5 a page
SEARCH_WORD = "жол"


@dataclass(frozen=True)
class Screen:
    """One screen: what the person sends (``text``) or presses (``data``), and what comes first untimed."""

    name: str
    text: Callable[[DataSet, str], str] | None = None
    data: Callable[[DataSet, int], str] | None = None
    before: Callable[[DataSet, int], str] | None = None  # a button pressed (untimed) just before
    staff: bool = False

    @property
    def kind(self) -> str:
        return "message" if self.text else "callback"


def _menu(key: str) -> Callable[[DataSet, str], str]:
    i18n = build_i18n()
    return lambda ds, lang: i18n.gettext(MENU_LABELS[key], locale=lang)


def _vote(ds: DataSet, turn: int) -> str:
    # a resident alternates between two projects: every press after the first changes the vote
    return ContestCb(act=Act.VOTE, contest=ds.open_contest, project=ds.open_projects[turn % 2]).pack()


SCREENS = [
    Screen("menu", text=lambda ds, lang: "/menu"),
    Screen("section.initiatives", text=_menu("initiatives")),
    Screen("section.contests", text=_menu("contests")),
    Screen("section.events", text=_menu("events")),
    Screen("section.documents", text=_menu("documents")),
    Screen("section.settings", text=_menu("settings")),
    Screen("contest", data=lambda ds, t: ContestCb(act=Act.CONTEST, contest=ds.open_contest).pack()),
    Screen(
        "project",
        data=lambda ds, t: ContestCb(act=Act.PROJECT, contest=ds.open_contest, project=ds.open_projects[1]).pack(),
    ),
    Screen(
        "vote.confirm",
        data=lambda ds, t: ContestCb(act=Act.ASK, contest=ds.open_contest, project=ds.open_projects[0]).pack(),
    ),
    Screen("vote", data=_vote),
    Screen("contest.results", data=lambda ds, t: ContestCb(act=Act.RESULTS, contest=ds.closed_contest).pack()),
    Screen("initiatives.mine", data=lambda ds, t: Ini(act=IniAct.MINE).pack()),
    Screen("initiatives.page.newest", data=lambda ds, t: Ini(act=IniAct.BROWSE, page=1).pack()),
    Screen("initiatives.page.supported", data=lambda ds, t: Ini(act=IniAct.BROWSE, page=1, sort=Sort.SUPPORT).pack()),
    Screen("initiatives.page.last", data=lambda ds, t: Ini(act=IniAct.BROWSE, page=LAST_PAGE).pack()),
    Screen(
        "initiative.card",
        data=lambda ds, t: Ini(act=IniAct.OPEN, id=ds.published_initiative, src=Src.BROWSE).pack(),
    ),
    Screen(
        "documents.search",
        text=lambda ds, lang: SEARCH_WORD,
        before=lambda ds, t: DocNav(to=Nav.SEARCH).pack(),
    ),
    Screen("documents.search.page", data=lambda ds, t: DocNav(to=Nav.FOUND, page=2).pack()),
    Screen("event", data=lambda ds, t: Ev(act=EvAct.OPEN, id=ds.event_id).pack()),
    Screen("event.rsvp", data=lambda ds, t: Ev(act=EvAct.YES if t % 2 else EvAct.NO, id=ds.event_id).pack()),
    Screen("budget", data=lambda ds, t: Bud(year=0).pack()),
    Screen(
        "staff.turnout", data=lambda ds, t: AdminContestCb(act=AdmAct.TURNOUT, id=ds.open_contest).pack(), staff=True
    ),
]
NO_TARGET = {"vote"}  # a write: its figure is the votes benchmark's (bench/README.md)


class Updates:
    """Telegram updates as a private chat sends them."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def message(self, user_id: int, text: str, lang: str) -> Update:
        content: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "R"},
            "from": {"id": user_id, "is_bot": False, "first_name": "R", "language_code": lang},
            "text": text,
        }
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
        return Update.model_validate({"update_id": next(self._ids), "message": content})

    def callback(self, user_id: int, data: str, lang: str) -> Update:
        return Update.model_validate(
            {
                "update_id": next(self._ids),
                "callback_query": {
                    "id": str(next(self._ids)),
                    "chat_instance": "ci",
                    "data": data,
                    "from": {"id": user_id, "is_bot": False, "first_name": "R", "language_code": lang},
                    "message": {
                        "message_id": 1,
                        "date": 1_790_000_000,
                        "chat": {"id": user_id, "type": "private", "first_name": "R"},
                        "text": "…",
                        "from": {"id": BOT_ID, "is_bot": True, "first_name": "Test Bot"},
                    },
                },
            }
        )


class Bench:
    """One data set with the bot's dispatcher on it."""

    def __init__(self, ds: DataSet, db: Database, dp: Dispatcher, bot: Bot, telegram: FakeTelegram) -> None:
        self.ds, self.db, self.dp, self.bot, self.telegram = ds, db, dp, bot, telegram
        self.samples: dict[str, list[float]] = {s.name: [] for s in SCREENS}

    @classmethod
    async def open(cls, ds: DataSet) -> Bench:
        settings = Settings(_env_file=None, bot_token=TOKEN, database_path=ds.path, throttle_per_second=0)
        db = await Database(ds.path).connect()
        dp = build_dispatcher(db=db, settings=settings, clock=FixedClock(ds.now), i18n=build_i18n())
        telegram = FakeTelegram()
        bot = Bot(TOKEN, session=RecordingSession(telegram), default=DefaultBotProperties(parse_mode="HTML"))
        return cls(ds, db, dp, bot, telegram)

    def who(self, screen: Screen, turn: int) -> tuple[int, str]:
        if screen.staff:
            return STAFF_TELEGRAM_ID, "kk"
        i = (turn % POOL) * (self.ds.residents // POOL) + 7
        return self.ds.resident(i), "ru" if i % 3 == 0 else "kk"

    def update(self, updates: Updates, screen: Screen, turn: int) -> tuple[Update, Update | None]:
        user, lang = self.who(screen, turn)
        before = updates.callback(user, screen.before(self.ds, turn), lang) if screen.before else None
        if screen.text:
            return updates.message(user, screen.text(self.ds, lang), lang), before
        assert screen.data is not None
        return updates.callback(user, screen.data(self.ds, turn), lang), before

    async def feed(self, update: Update) -> float:
        started = time.perf_counter()
        await self.dp.feed_update(self.bot, update)
        return time.perf_counter() - started

    async def probe(self, updates: Updates, screen: Screen, turn: int) -> dict[str, Any]:
        """The screen once with SQLite's trace on: its statements, their plans, its VM steps."""
        update, before = self.update(updates, screen, turn)
        if before is not None:
            await self.feed(before)
        statements: list[str] = []
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        connection = raw(self.db.conn)
        connection.set_trace_callback(statements.append)
        connection.set_progress_handler(count, 10)
        hops = {"sqlite": 0, "filters": 0}
        conn = self.db.conn
        to_sqlite, to_thread = conn._execute, asyncio.to_thread

        async def sqlite_hop(*args: Any, **kwargs: Any) -> Any:
            hops["sqlite"] += 1
            return await to_sqlite(*args, **kwargs)

        async def thread_hop(*args: Any, **kwargs: Any) -> Any:
            hops["filters"] += 1
            return await to_thread(*args, **kwargs)

        conn._execute = sqlite_hop  # type: ignore[method-assign]
        asyncio.to_thread = thread_hop
        errors_before = len(self.telegram.violations)
        sent_before = len(self.telegram.requests)
        try:
            await self.feed(update)
        finally:
            connection.set_trace_callback(None)
            connection.set_progress_handler(None, 0)
            del conn._execute
            asyncio.to_thread = to_thread
        sent = self.telegram.requests[sent_before:]
        return {
            "statements": len(statements),
            "vm_steps": steps[0] * 10,
            "sqlite_thread_hops": hops["sqlite"],
            "filter_thread_hops": hops["filters"],
            "problems": plan_problems(self.ds.path, statements),
            "answered": bool(sent) and len(self.telegram.violations) == errors_before,
            "answer": next((r.text[:60] for r in reversed(sent) if r.text), ""),
        }

    async def close(self) -> None:
        await self.db.close()


# Plans reviewed and kept, with the reason: (a pattern of the statement, why it is fine)
ACCEPTED = [
    (
        re.compile(r"FROM documents WHERE rural_district_id = \d+ AND kind = '\w+' AND status = 'published'"),
        "the newest document of one kind: sorts that kind's few current documents",
    ),
]


def _accepted(sql: str) -> bool:
    return any(pattern.search(sql) for pattern, _why in ACCEPTED)


def plan_problems(path: Path, statements: list[str]) -> list[str]:
    """Statements whose plan scans a big table without an index, or sorts in a temporary B-tree."""
    found = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        for sql in statements:
            head = sql.lstrip().split(None, 1)[0].upper()
            if head not in {"SELECT", "WITH", "UPDATE", "DELETE", "INSERT"}:
                continue
            try:
                plan = [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
            except sqlite3.Error:
                continue
            tables = {word.strip('",()') for word in sql.split()} & BIG
            for step in plan:
                words = step.split()
                scan = words[:1] == ["SCAN"] and len(words) > 1 and words[1] in BIG and "COVERING" not in words
                if (scan or ("TEMP B-TREE" in step and tables)) and not _accepted(sql):
                    found.append(f"{step}: {sql[:160]}")
    return found


def _bare(telegram: FakeTelegram) -> tuple[Dispatcher, Bot]:
    """The baseline: aiogram alone, echoing."""
    bot = Bot(TOKEN, session=RecordingSession(telegram), default=DefaultBotProperties(parse_mode="HTML"))
    return echo_dispatcher(), bot


def _collection_ms() -> float:
    started = time.perf_counter()
    gc.collect()
    return (time.perf_counter() - started) * 1000


async def _run_once(benches: list[Bench], rounds: int) -> dict[str, Any]:
    """Rounds over every screen in every data set, with the bare echo in between."""
    updates = Updates()
    telegram = FakeTelegram()
    telegram.checks = False  # as for the screens (see run)
    bare_dp, bare_bot = _bare(telegram)
    bare: dict[str, list[float]] = {"message": [], "callback": []}
    for bench in benches:
        bench.samples = {s.name: [] for s in SCREENS}
    order = random.Random(3)
    for turn in range(rounds + 3):  # three rounds to warm up, not counted
        # a new order every round, so what comes first after the bare echo (or a cleared list) is no one screen
        for screen in order.sample(SCREENS, len(SCREENS)):
            for bench in benches:
                update, before = bench.update(updates, screen, turn)
                if before is not None:
                    await bench.feed(before)
                took = await bench.feed(update)
                if turn >= 3:
                    bench.samples[screen.name].append(took)
        for kind in ("message", "callback"):
            user = 9_000_000 + turn % POOL
            update = (
                updates.message(user, "Мероприятия", "ru")
                if kind == "message"
                else updates.callback(user, "ev1:up:0", "kk")
            )
            started = time.perf_counter()
            await bare_dp.feed_update(bare_bot, update)
            if turn >= 3:
                bare[kind].append(time.perf_counter() - started)
        if turn % 20 == 0:
            for bench in benches:  # the recording sessions keep every request: let them go
                bench.telegram.requests.clear()
            telegram.requests.clear()
    return {
        "bare": {kind: {"p50": _ms(v, 0.5), "p99": _ms(v, 0.99)} for kind, v in bare.items()},
        "screens": {
            bench.ds.residents: {name: {"p50": _ms(v, 0.5), "p99": _ms(v, 0.99)} for name, v in bench.samples.items()}
            for bench in benches
        },
    }


async def run(quick: bool = False) -> dict[str, Any]:
    sizes = (1_000, 10_000) if quick else (1_000, 100_000)
    rounds, repeats = (60, 1) if quick else (500, 5)
    with tempfile.TemporaryDirectory(prefix="bench-screens-") as tmp:
        work = Path(tmp)
        built = [await data_set(n, work) for n in sizes]
        benches = [await Bench.open(ds.copy_to(work / f"screens-{ds.residents}")) for ds in built]
        try:
            probes = {}
            updates = Updates()
            for bench in benches:
                probes[bench.ds.residents] = {s.name: await bench.probe(updates, s, 1) for s in SCREENS}
            # what bot.py does once it is up: the objects of the start-up (aiogram's types, the
            # routers, the catalogs) out of the collector's way, so a full collection does not
            # walk them in the middle of an update (the bare echo gains from it as much)
            # the fake Telegram's checks of each request (the spec, the texts' look) ran in the
            # probes above; they are the fake's work, not the bot's, and its larger answers
            # would pay more for them than the bare echo's: the timed rounds go without
            for bench in benches:
                bench.telegram.checks = False
            full_collection = [_collection_ms() for _ in range(3)]
            gc.freeze()
            frozen_collection = [_collection_ms() for _ in range(3)]
            runs = [await _run_once(benches, rounds) for _ in range(repeats)]
        finally:
            for bench in benches:
                await bench.close()
    small, large = sizes

    def median(path: Callable[[dict[str, Any]], float]) -> float:
        return round(statistics.median(path(r) for r in runs), 3)

    figures: dict[str, Any] = {
        "sizes": list(sizes),
        "rounds": rounds,
        "repeats": repeats,
        "build_seconds": {ds.residents: ds.seconds for ds in built},
        "full_collection_ms": round(statistics.median(full_collection), 1),
        "full_collection_after_freeze_ms": round(statistics.median(frozen_collection), 1),
        "bare_message_p50_ms": median(lambda r: r["bare"]["message"]["p50"]),
        "bare_message_p99_ms": median(lambda r: r["bare"]["message"]["p99"]),
        "bare_callback_p50_ms": median(lambda r: r["bare"]["callback"]["p50"]),
        "bare_callback_p99_ms": median(lambda r: r["bare"]["callback"]["p99"]),
    }
    table = []
    for screen in SCREENS:
        name = screen.name
        bare_p99 = figures[f"bare_{screen.kind}_p99_ms"]
        row: dict[str, Any] = {"kind": screen.kind}
        for size in sizes:
            row[f"p50_ms_{size}"] = median(lambda r, s=size, n=name: r["screens"][s][n]["p50"])  # type: ignore[misc]
            row[f"p99_ms_{size}"] = median(lambda r, s=size, n=name: r["screens"][s][n]["p99"])  # type: ignore[misc]
            row[f"vm_steps_{size}"] = probes[size][name]["vm_steps"]
            row[f"statements_{size}"] = probes[size][name]["statements"]
        row["sqlite_thread_hops"] = probes[large][name]["sqlite_thread_hops"]
        row["filter_thread_hops"] = probes[large][name]["filter_thread_hops"]
        row["ratio"] = round(row[f"p99_ms_{large}"] / bare_p99, 2)
        row["flat"] = round(row[f"p99_ms_{large}"] / row[f"p99_ms_{small}"], 2)
        row["vm_flat"] = round(row[f"vm_steps_{large}"] / max(row[f"vm_steps_{small}"], 1), 2)
        row["plan_problems"] = sorted(set(probes[large][name]["problems"]))
        row["answered"] = probes[small][name]["answered"] and probes[large][name]["answered"]
        row["answer"] = probes[large][name]["answer"]
        row["target"] = (
            "none (a write: see votes)" if name in NO_TARGET else f"ratio ≤ {RATIO_TARGET}, flat ≤ {FLAT_TARGET}"
        )
        table.append((name, row))
    figures["screens"] = dict(table)
    figures["accepted_plans"] = [why for _pattern, why in ACCEPTED]
    return figures


def targets(figures: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(figure, value, target, holds) rows for the summary table of ``python -m bench``."""
    rows: list[tuple[str, Any, str, bool | None]] = []
    for name, row in figures["screens"].items():
        if name in NO_TARGET:
            rows.append((f"{name} p99 / bare p99", row["ratio"], "none (see votes)", None))
            continue
        rows.append((f"{name} p99 / bare p99", row["ratio"], f"≤ {RATIO_TARGET}", row["ratio"] <= RATIO_TARGET))
        rows.append((f"{name} p99 large / small", row["flat"], f"≤ {FLAT_TARGET}", row["flat"] <= FLAT_TARGET))
    problems = sum(len(row["plan_problems"]) for row in figures["screens"].values())
    rows.append(("query plans scanning a big table or sorting", problems, "0", problems == 0))
    answered = all(row["answered"] for row in figures["screens"].values())
    rows.append(("every screen answered within the spec", answered, "true", answered))
    return rows
