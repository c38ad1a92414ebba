"""``python -m bench web``: residents' handling time while the public pages take 200 requests a second.

The demo district, 3,000 onboarded residents, the bot's own dispatcher (tests/harness.py), and the
public pages on a real port of the same process and event loop, as in production. Residents send
40 updates a second, alternately a vote (a write: every one changes the database the pages
read) and the documents screen (a read). The same stream runs twice in one run: first with the
pages idle, then with 200 requests a second on them from another process (tests of every page
and open-data file by 50 clients, plus 15 % from a hostile client: floods, POSTs, huge URLs). The
figure that matters is the ratio of the residents' p99 handling time, loaded to unloaded (≤ 1.5).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.votes import _ms, _residents, _update
from bot import demo
from bot.web.app import open_app
from tests.harness import World
from tests.steps import free_port

UPDATES_PER_SECOND = 40.0
WEB_RATE = 200.0


async def _stream(world: World, updates: list[Any]) -> list[float]:
    """Feed the updates at a steady pace; each one's handling time is its own."""
    latencies = []
    t0 = time.perf_counter()
    for i, update in enumerate(updates):
        delay = t0 + i / UPDATES_PER_SECOND - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        started = time.perf_counter()
        await world.dp.feed_update(world.bot, update)
        latencies.append(time.perf_counter() - started)
    return latencies


async def run(quick: bool = False) -> dict[str, Any]:
    seconds = 6.0 if quick else 20.0
    per_phase = int(seconds * UPDATES_PER_SECOND)
    with tempfile.TemporaryDirectory() as tmp:
        world = await World.create(Path(tmp), setup=False, web_port=1, web_rate_per_client=5.0)
        rd = await demo.fill(world.db, world.clock)
        world.rural_district_id = rd
        world.village_ids = [
            r[0] for r in await world.db.fetchall("SELECT id FROM villages WHERE rural_district_id = ?", (rd,))
        ]
        contest = await world.db.fetchval("SELECT id FROM contests WHERE status = 'published'")
        projects = [
            r[0] for r in await world.db.fetchall("SELECT id FROM contest_projects WHERE contest_id = ?", (contest,))
        ]
        users = await _residents(world, per_phase * 2)
        documents_label = world.i18n.gettext("📄 Documents", locale="kk")

        def updates(offset: int) -> list[Any]:
            batch = []
            for i in range(per_phase):
                user = users[offset + i]
                n = offset + i + 1
                if i % 2:
                    batch.append(_update(n, user, text=documents_label))
                else:
                    batch.append(_update(n, user, data=f"ct:v:{contest}:{projects[i % len(projects)]}"))
            return batch

        port = free_port()
        app = await open_app(world.settings.model_copy(update={"web_port": port}), world.i18n, world.clock)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        paths = await _paths(world, rd, contest)
        try:
            await _stream(world, updates(0)[:20])  # warm up: imports, caches, the first statements
            idle = await _stream(world, updates(0)[20:])
            load = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench._webload", "127.0.0.1", str(port), str(seconds + 1), str(WEB_RATE),
                json.dumps(paths), stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            await asyncio.sleep(1.0)  # the load is under way before residents are measured
            loaded = await _stream(world, updates(per_phase))
            out, _err = await load.communicate()
            web_figures = json.loads(out.decode() or "{}")
            refused = len(world.telegram.violations)
        finally:
            await runner.cleanup()
            await world.close()
    ratio = _ms(loaded, 0.99) / max(_ms(idle, 0.99), 1e-6)
    return {
        "resident_updates_per_phase": len(loaded),
        "resident_p50_ms_idle": _ms(idle, 0.50),
        "resident_p99_ms_idle": _ms(idle, 0.99),
        "resident_p50_ms_loaded": _ms(loaded, 0.50),
        "resident_p99_ms_loaded": _ms(loaded, 0.99),
        "resident_mean_ms_idle": round(statistics.fmean(idle) * 1000, 3),
        "resident_mean_ms_loaded": round(statistics.fmean(loaded) * 1000, 3),
        "p99_ratio_loaded_to_idle": round(ratio, 2),
        "web_requests": web_figures.get("requests"),
        "web_requests_per_second": web_figures.get("requests_per_second"),
        "web_statuses": web_figures.get("statuses"),
        "web_page_p50_ms": web_figures.get("page_p50_ms"),
        "web_page_p99_ms": web_figures.get("page_p99_ms"),
        "refused_requests": refused,
    }


async def _paths(world: World, rd: int, contest: int) -> list[str]:
    documents = [r[0] for r in await world.db.fetchall("SELECT id FROM documents WHERE status = 'published'")]
    closed = await world.db.fetchval("SELECT id FROM contests WHERE status = 'closed'")
    paths = []
    for lang in ("kk", "ru"):
        base = f"/{lang}/{rd}/"
        paths += [f"/{lang}/", base, base + "documents/", base + "contests/", f"{base}contests/{contest}",
                  f"{base}contests/{closed}", base + "calendar/", base + "calendar.ics", base + "initiatives/",
                  base + "budget/", *(f"{base}documents/{d}" for d in documents)]  # fmt: skip
    paths += [f"/data/{rd}/{name}.{fmt}" for name in ("documents", "contests", "events", "initiatives", "budget")
              for fmt in ("csv", "json")]  # fmt: skip
    return paths


P99_TARGET = 1.5


def targets(figures: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(figure, value, target, holds) rows for the summary table of ``python -m bench``."""
    ratio = figures["p99_ratio_loaded_to_idle"]
    return [
        ("residents' p99, pages at 200 req/s / idle", ratio, f"≤ {P99_TARGET}", ratio <= P99_TARGET),
        ("requests refused by the fake Bot API", figures["refused_requests"], "0", figures["refused_requests"] == 0),
    ]
