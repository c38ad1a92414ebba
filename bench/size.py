"""``python -m bench size``: start-up and memory of the real ``bot.py`` process at a region's size.

The data set of ``bench/_data.py`` (one rural district with 1,000 and with 100,000 onboarded
residents, 50 contests, 10,000 initiatives of which a tenth published, a third of the residents
voting), the real ``bot.py`` in long polling against the test suite's fake Bot API server over
HTTP (``tests/fake_telegram.py``), and as the baseline, started the same way in the same run, a
bare aiogram bot that echoes (``bench/_bare_bot.py``).

Start-up is the time from just before the process is spawned to the first answer to a message
that was already waiting (``/menu`` from a resident). Then the resident asks for the budget's
chart and opens a few screens (the bare bot echoes the same updates), and the process's peak
resident memory (``VmHWM`` in ``/proc/PID/status``) is read. Bot and bare bot alternate,
7 times for each size after one warm-up round; the start-up ratio is the median of the ratios of
the pairs run back to back (the shared machine's pace drifts), the other figures are medians.
``startup_cpu`` is the process's own CPU time up to its first answer: the same ratio without the
time the machine gave to others.

The chart's own process (``bot/charts.py`` draws in a short-lived worker) is measured apart:
``chart_worker_peak_mb`` is its peak memory, ``chart_seconds`` the bot's time from the press to
the photo. At the largest size two more variants of the bot run in the same rounds: ``inline``
(``CHART_WORKER=false``: matplotlib imported in the bot on the first chart) and ``nobytecode``
(every module compiled at every start, as with ``PYTHONDONTWRITEBYTECODE``). The others find
their bytecode where the first round wrote it (``PYTHONPYCACHEPREFIX`` in a temporary directory),
as a deployment does after its first start.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench._data import DataSet, data_set

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TARGET = 1.15
RSS_TARGET_MB = 25.0


def _status(pid: int) -> dict[str, int]:
    """``VmHWM`` and ``VmRSS`` of a process, in kB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            values[key] = int(rest.split()[0])
    return values


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _message(user: int, text: str, lang: str) -> dict[str, Any]:
    content: dict[str, Any] = {
        "message_id": int(time.monotonic_ns() % 1_000_000_000),
        "date": int(time.time()),
        "chat": {"id": user, "type": "private", "first_name": "R"},
        "from": {"id": user, "is_bot": False, "first_name": "R", "language_code": lang},
        "text": text,
    }
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"message": content}


def _callback(user: int, data: str, lang: str) -> dict[str, Any]:
    return {
        "callback_query": {
            "id": str(time.monotonic_ns()),
            "from": {"id": user, "is_bot": False, "first_name": "R", "language_code": lang},
            "chat_instance": "c",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user, "type": "private", "first_name": "R"},
                "text": "…",
            },
        }
    }


def _after_start(ds: DataSet) -> list[tuple[str, dict[str, Any]]]:
    """What a resident does once the bot is up: the chart first, then a few screens."""
    from bot.i18n import build_i18n
    from bot.keyboards.budget import Bud
    from bot.keyboards.common import MENU_LABELS
    from bot.keyboards.events import Ev, EvAct
    from bot.keyboards.initiatives import Ini, IniAct, Sort

    user = ds.resident(10)
    i18n = build_i18n()
    return [
        ("chart", _callback(user, Bud(year=ds.budget_year, chart=True).pack(), "kk")),
        ("contests", _message(user, i18n.gettext(MENU_LABELS["contests"], locale="kk"), "kk")),
        ("initiatives", _callback(user, Ini(act=IniAct.BROWSE, page=3, sort=Sort.SUPPORT).pack(), "kk")),
        ("event", _callback(user, Ev(act=EvAct.OPEN, id=ds.event_id).pack(), "kk")),
        ("documents", _message(user, i18n.gettext(MENU_LABELS["documents"], locale="kk"), "kk")),
    ]


async def _answers(telegram: Any, user: int, count: int, timeout: float = 60.0) -> Any:
    """The ``count``-th thing sent to ``user`` (a message or a photo), once it was sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sent = [
            r
            for r in telegram.requests
            if r.chat_id == user and r.method.lower() in {"sendmessage", "sendphoto"} and r.status == 200
        ]
        if len(sent) >= count:
            return sent[count - 1]
        await asyncio.sleep(0.005)
    raise TimeoutError(f"no answer {count} to {user}; last: {[r.method for r in telegram.requests[-5:]]}")


_update_ids = itertools.count(1)


def _fresh(update: dict[str, Any]) -> dict[str, Any]:
    """The update with an id no earlier process saw: every process of a size reads the same database,
    and the bot's inbox (storage/inbox.py) skips an update id it has already handled."""
    return {**update, "update_id": next(_update_ids)}


async def _one(ds: DataSet, variant: str, work: Path) -> dict[str, float]:
    """Start one process, wait for its first answer, walk the resident's steps, read its memory."""
    from tests.fake_telegram import TOKEN, FakeBotAPIServer

    server = await FakeBotAPIServer().start()
    telegram = server.telegram
    user = ds.resident(10)
    telegram.push_update(_fresh(_message(user, "/menu", "kk")))
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("BOT_", "MODE", "WEBHOOK", "TELEGRAM", "CHART", "PYTHONDONTWRITEBYTECODE"))
    }
    # Bytecode as a deployment has it after its first start (``./run`` writes __pycache__), kept
    # out of the source tree; ``nobytecode`` compiles every module at every start instead.
    env |= {"BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": server.url, "DATABASE_PATH": str(ds.path)}
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    if variant == "nobytecode":
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = str(work / "no-pycache")
    if variant == "inline":
        env["CHART_WORKER"] = "false"
    script = "bench/_bare_bot.py" if variant == "bare" else "bot.py"
    started = time.monotonic()
    with (work / "processes.log").open("ab") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, script, cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=err
        )
    try:
        try:
            first = await _answers(telegram, user, 1)
        except TimeoutError as error:  # what the process said is in a directory about to go
            log = (work / "processes.log").read_text(errors="replace").splitlines()[-40:]
            raise TimeoutError(f"{error}; {variant}, the process's log ends:\n" + "\n".join(log)) from error
        # CPU time to the first answer: the process waits on getUpdates right after it, so this is
        # what the start-up cost in work, whatever else the shared machine was doing meanwhile
        figures = {"startup": first.at - started, "startup_cpu": _cpu_seconds(process.pid)}
        for k, (name, update) in enumerate(_after_start(ds), start=2):
            pushed = time.monotonic()
            telegram.push_update(_fresh(update))
            answer = await _answers(telegram, user, k)
            figures[f"{name}_seconds"] = answer.at - pushed
        status = _status(process.pid)
        figures["peak_mb"] = status["VmHWM"] / 1024
        figures["rss_mb"] = status["VmRSS"] / 1024
        figures["refused"] = float(len(telegram.violations))
    finally:
        if process.returncode is None:  # a clean stop waits for the long poll: the tests check it, not this
            process.kill()
            await process.wait()
        telegram.push_update(_fresh(_message(user, "…", "kk")))  # ends the dead process's long poll at once
        await server.stop()
    return figures


def _chart_request() -> bytes:
    """A request as ``bot.charts.draw`` sends its worker: the demo district's budget."""
    revenues = [
        ("Мүлік салығы", 21_000_000, True),
        ("Жер салығы", 6_000_000, True),
        ("Трансферттер", 96_000_000, False),
    ]
    spending = [("Әкім аппараты", 48_000_000), ("Көше жарығы", 22_000_000), ("Абаттандыру", 30_000_000)]
    request = {
        "title": "Ақсай ауылдық округінің бюджеті, 2026",
        "revenue_title": "Кірістер көздері бойынша",
        "spending_title": "Шығыстар бағдарламалар бойынша",
        "revenues": revenues,
        "spending": spending,
        "legend_own": "меншікті кірістер",
        "legend_transfer": "жоғарыдан трансферттер",
        "lang": "kk",
    }
    return json.dumps(request, ensure_ascii=False).encode("utf-8")


def _chart_worker_peak_mb() -> float:
    """The chart's worker process alone, drawing a district's budget: its peak memory (VmHWM)."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "bot.charts", "--report-peak"],
        input=_chart_request(),
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    return float(done.stderr.decode().strip().rsplit(" ", 1)[-1]) / 1024


async def run(quick: bool = False) -> dict[str, Any]:
    sizes = (1_000, 10_000) if quick else (1_000, 100_000)
    repeats = 2 if quick else 7
    figures: dict[str, Any] = {"sizes": list(sizes), "repeats": repeats}
    with tempfile.TemporaryDirectory(prefix="bench-size-") as tmp:
        work = Path(tmp)
        for size in sizes:
            ds = (await data_set(size, work)).copy_to(work / f"size-{size}")
            figures[f"build_seconds_{size}"] = ds.seconds
            variants = ["bot", "bare"] + (["inline", "nobytecode"] if size == sizes[-1] else [])
            runs: dict[str, list[dict[str, float]]] = {variant: [] for variant in variants}
            for k in range(repeats + 1):
                for variant in variants[k % len(variants) :] + variants[: k % len(variants)]:  # who goes first turns
                    result = await _one(ds, variant, work)
                    if k:  # the first round warms the disk cache and writes the bytecode
                        runs[variant].append(result)
            medians = {
                variant: {key: statistics.median(r[key] for r in results) for key in results[0]}
                for variant, results in runs.items()
            }
            ours, base = medians["bot"], medians["bare"]
            figures[f"startup_seconds_{size}"] = round(ours["startup"], 3)
            figures[f"bare_startup_seconds_{size}"] = round(base["startup"], 3)
            # the ratio of each pair run back to back, then their median: the machine's pace drifts
            pairs = list(zip(runs["bot"], runs["bare"], strict=True))
            figures[f"startup_ratios_{size}"] = [round(a["startup"] / b["startup"], 3) for a, b in pairs]
            figures[f"startup_ratio_{size}"] = round(
                statistics.median(a["startup"] / b["startup"] for a, b in pairs), 3
            )
            figures[f"startup_cpu_seconds_{size}"] = round(ours["startup_cpu"], 3)
            figures[f"bare_startup_cpu_seconds_{size}"] = round(base["startup_cpu"], 3)
            figures[f"startup_cpu_ratio_{size}"] = round(
                statistics.median(a["startup_cpu"] / b["startup_cpu"] for a, b in pairs), 3
            )
            figures[f"peak_mb_{size}"] = round(ours["peak_mb"], 1)
            figures[f"bare_peak_mb_{size}"] = round(base["peak_mb"], 1)
            figures[f"peak_over_bare_mb_{size}"] = round(ours["peak_mb"] - base["peak_mb"], 1)
            figures[f"chart_seconds_{size}"] = round(ours["chart_seconds"], 3)
            figures[f"screens_seconds_{size}"] = {
                key.removesuffix("_seconds"): round(value, 3)
                for key, value in ours.items()
                if key.endswith("_seconds") and key != "chart_seconds"
            }
            figures[f"refused_{size}"] = int(max(r["refused"] for results in runs.values() for r in results))
            if "inline" in medians:
                inline, cold = medians["inline"], medians["nobytecode"]
                figures[f"inline_chart_peak_over_bare_mb_{size}"] = round(inline["peak_mb"] - base["peak_mb"], 1)
                figures[f"inline_chart_seconds_{size}"] = round(inline["chart_seconds"], 3)
                figures[f"inline_startup_ratio_{size}"] = round(inline["startup"] / base["startup"], 3)
                figures[f"nobytecode_startup_ratio_{size}"] = round(cold["startup"] / base["startup"], 3)
        figures["chart_worker_peak_mb"] = round(_chart_worker_peak_mb(), 1)
    return figures


def targets(figures: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    rows: list[tuple[str, Any, str, bool | None]] = []
    check: Callable[[float, float], bool] = lambda value, limit: value <= limit  # noqa: E731
    for size in figures["sizes"]:
        ratio = figures[f"startup_ratio_{size}"]
        rows.append(
            (f"start-up / bare, {size:,} residents", ratio, f"≤ {STARTUP_TARGET}", check(ratio, STARTUP_TARGET))
        )
        cpu = figures[f"startup_cpu_ratio_{size}"]
        rows.append(
            (f"start-up CPU time / bare, {size:,} residents", cpu, f"≤ {STARTUP_TARGET}", check(cpu, STARTUP_TARGET))
        )
        over = figures[f"peak_over_bare_mb_{size}"]
        rows.append(
            (f"peak RSS − bare (MB), {size:,} residents", over, f"≤ {RSS_TARGET_MB:g}", check(over, RSS_TARGET_MB))
        )
    rows.append(("chart worker's own peak RSS (MB)", figures["chart_worker_peak_mb"], "none", None))
    return rows
