"""``python -m bench delivery``: one announcement to 5,000 residents through the real sender,
against the test suite's fake Bot API server over HTTP with Telegram's limits switched on
(429 past 30 a second in all and 1 a second per chat), 2 % blocked (403), 0.5 % gone (400 chat
not found) and 1 % of requests answered 502.

Two runs, each on its own database and server:

1. the sender in this process, start to finish: rate as a fraction of the limit, 429s, requests
   inside a ``retry_after`` window, lost and duplicated messages;
2. the sender as a real subprocess (``python -m bench.delivery worker …``), killed with SIGKILL
   three times in the middle and started again each time: lost and duplicated messages after the
   kills, and how many requests were out (started, unanswered) at the kills.

3. several bots in one process (issue 18): 1, 2 and 4 tokens, each with its own sender and
   Telegram's limits of its own, one announcement per district: the rate per token and in total
   (``python -m bench.delivery tokens [--quick]`` runs only this part).

Figures: ``limit_fraction`` (send requests a second / SEND_RATE, from the first request to the
last), ``share_429``, ``sent_in_retry_after``, ``lost`` (a reachable resident who got nothing),
``duplicates`` (messages beyond the first to one resident), the same after the kills
(``killed_*``), ``recipients`` and ``seconds``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fake_telegram import FakeBotAPIServer, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
FIRST_CHAT = 10_000_000
KILLS = 3


def _settings(db_path: Path, api_url: str) -> Any:
    from bot.config import Settings
    from tests.fake_telegram import TOKEN

    return Settings(
        bot_token=TOKEN,
        database_path=db_path,
        telegram_api_url=api_url,
        send_rate=30.0,
        send_rate_per_chat=1.0,
        sender_lease_seconds=30.0,
    )


async def _prepare(db_path: Path, n: int) -> tuple[set[int], set[int]]:
    """A district with ``n`` residents and one announcement to all of them; (blocked, gone) chats."""
    from storage import audit, operator, outbox
    from storage.db import Database

    db = await Database(db_path).connect()
    try:
        actor = audit.CLI
        region = await operator.add_region(db, actor, "Алматы облысы", "Алматинская область")
        district = await operator.add_district(db, actor, region, "Қарасай ауданы", "Карасайский район")
        rd = await operator.add_rural_district(db, actor, district, "Ақсай ауылдық округі", "Аксайский сельский округ")
        village = await operator.add_village(db, actor, rd, "Ақсай", "Аксай")
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO people (telegram_id, language, language_chosen, rural_district_id, village_id,"
                " consent_version) VALUES (?, ?, 1, ?, ?, 0)",
                ((FIRST_CHAT + i, "ru" if i % 3 == 0 else "kk", rd, village) for i in range(n)),
            )
            people = [r[0] for r in await tx.fetchall("SELECT id FROM people ORDER BY id")]
            await outbox.enqueue(
                tx,
                rural_district_id=rd,
                kind="announcement",
                respect_quiet=False,
                texts={
                    "kk": "📣 <b>Хабарландыру</b>\n\nЕртең су болмайды.",
                    "ru": "📣 <b>Объявление</b>\n\nЗавтра не будет воды.",
                },
                recipients=people,
            )
    finally:
        await db.close()
    blocked = {FIRST_CHAT + i for i in range(n) if i % 50 == 7}
    gone = {FIRST_CHAT + i for i in range(n) if i % 200 == 11}
    return blocked, gone


def _open_rows(db_path: Path) -> int:
    with sqlite3.connect(db_path, timeout=10) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')").fetchone()[0])


def _in_flight(db_path: Path) -> int:
    """Rows whose request was out when the sender died: started, never answered."""
    with sqlite3.connect(db_path, timeout=10) as conn:
        return int(
            conn.execute("SELECT count(*) FROM outbox WHERE state = 'sending' AND started_at IS NOT NULL").fetchone()[0]
        )


def _figures(telegram: Any, n: int, unreachable: set[int], send_rate: float) -> dict[str, Any]:
    sends = [r for r in telegram.requests if r.method.lower() == "sendmessage"]
    delivered = Counter(r.chat_id for r in sends if r.status == 200)
    reachable = {FIRST_CHAT + i for i in range(n)} - unreachable
    window = sends[-1].at - sends[0].at if len(sends) > 1 else 0.0
    return {
        "requests": len(sends),
        "limit_fraction": round((len(sends) - 1) / window / send_rate, 3) if window else 0.0,
        "share_429": round(telegram.count_429 / len(sends), 4) if sends else 0.0,
        "sent_in_retry_after": telegram.sent_in_penalty,
        "lost": sum(1 for chat in reachable if delivered[chat] == 0),
        "duplicates": sum(count - 1 for count in delivered.values() if count > 1),
        "send_seconds": round(window, 1),
    }


async def _fake_telegram(blocked: set[int], gone: set[int]) -> tuple[FakeTelegram, FakeBotAPIServer]:
    """A fake Telegram at its real limits (30 a second, 1 a chat), 1 % server errors, the blocked and gone
    chats refusing; served on a local port (the caller stops it)."""
    from tests.fake_telegram import FakeBotAPIServer, FakeTelegram, Limits

    telegram = FakeTelegram(limits=Limits(per_second=30, per_chat_per_second=1, retry_after=1))
    telegram.blocked, telegram.gone, telegram.server_error_rate = set(blocked), set(gone), 0.01
    return telegram, await FakeBotAPIServer(telegram).start()


async def _in_process(n: int, workdir: Path) -> dict[str, Any]:
    from bot.app import build_bot
    from bot.i18n import build_i18n
    from bot.jobs import JobContext
    from bot.retry import own_retries
    from bot.rules.clock import SystemClock
    from bot.sender import run_sender
    from storage.db import Database

    db_path = workdir / "in_process.sqlite3"
    blocked, gone = await _prepare(db_path, n)
    telegram, server = await _fake_telegram(blocked, gone)
    settings = _settings(db_path, server.url)
    db = await Database(db_path).connect()
    bot = build_bot(settings)
    with own_retries():  # as bot.app starts it: the sender retries its rows itself, and a 429 pauses it all
        task = asyncio.create_task(run_sender(JobContext(db, bot, SystemClock(), settings, build_i18n())))
    try:
        while _open_rows(db_path):
            await asyncio.sleep(0.5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bot.session.close()
        await db.close()
        await server.stop()
    return _figures(telegram, n, blocked | gone, settings.send_rate)


def _start_worker(db_path: Path, url: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bench.delivery", "worker", str(db_path), url],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


async def _killed(n: int, workdir: Path) -> dict[str, Any]:
    db_path = workdir / "killed.sqlite3"
    blocked, gone = await _prepare(db_path, n)
    telegram, server = await _fake_telegram(blocked, gone)
    log = workdir / "worker.log"
    in_flight = 0
    kills = 0
    worker = _start_worker(db_path, server.url, log)
    try:
        for k in range(1, KILLS + 1):
            target = n * k // (KILLS + 1)
            while sum(1 for r in telegram.requests if r.status == 200 and r.method == "sendMessage") < target:
                if worker.poll() is not None:
                    raise RuntimeError(f"the worker stopped by itself; see {log}")
                await asyncio.sleep(0.05)
            # kill at a random moment within the next second, not just after a request was answered
            await asyncio.sleep((time.monotonic() * 7919) % 1.0)
            os.kill(worker.pid, signal.SIGKILL)
            while worker.poll() is None:
                await asyncio.sleep(0.01)
            kills += 1
            in_flight += _in_flight(db_path)
            worker = _start_worker(db_path, server.url, log)
        while _open_rows(db_path):
            if worker.poll() is not None:
                raise RuntimeError(f"the worker stopped by itself; see {log}")
            await asyncio.sleep(0.5)
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(10)
        await server.stop()
    figures = _figures(telegram, n, blocked | gone, 30.0)
    return {"killed_" + key: value for key, value in figures.items()} | {
        "kills": kills,
        "killed_in_flight_at_kill": in_flight,
    }


TOKENS = (1, 2, 4)


def _district_token(i: int) -> str:
    return f"{700_000 + i}:TEST-token-of-a-district-bot-{i:02d}-000000"


async def _prepare_tokens(db_path: Path, k: int, per_bot: int) -> list[int]:
    """``k`` rural districts, the first on the deployment's bot, each other with its own bot whose
    ``per_bot`` residents write to it; one announcement in each. The districts' bot ids."""
    from bot.rules.clock import SystemClock
    from storage import audit, bots, operator, outbox
    from storage.db import Database

    db = await Database(db_path).connect()
    ids = []
    try:
        actor = audit.CLI
        region = await operator.add_region(db, actor, "Алматы облысы", "Алматинская область")
        district = await operator.add_district(db, actor, region, "Қарасай ауданы", "Карасайский район")
        for i in range(k):
            rd = await operator.add_rural_district(db, actor, district, f"Округ {i}", f"Округ {i}")
            village = await operator.add_village(db, actor, rd, f"Ауыл {i}", f"Село {i}")
            bot_id = None
            if i:
                bot_id = 700_000 + i
                ids.append(bot_id)
                token = _district_token(i)
                await bots.add(
                    db, actor, rd, token=token, telegram_id=bot_id, username=f"d{i}_bot", now=SystemClock().now()
                )
            async with db.transaction() as tx:
                first = FIRST_CHAT + i * per_bot
                await tx.executemany(
                    "INSERT INTO people (telegram_id, language, language_chosen, rural_district_id, village_id,"
                    " consent_version, bot_id) VALUES (?, 'kk', 1, ?, ?, 0, ?)",
                    ((first + j, rd, village, bot_id) for j in range(per_bot)),
                )
                people = await outbox.residents(tx, rd)
                await outbox.enqueue(
                    tx,
                    rural_district_id=rd,
                    kind="announcement",
                    respect_quiet=False,
                    texts={"kk": "📣 <b>Хабарландыру</b>\n\nЕртең су болмайды."},
                    recipients=people,
                )
    finally:
        await db.close()
    return ids


async def _tokens(k: int, per_bot: int, workdir: Path) -> dict[str, Any]:
    """One process, ``k`` tokens, each with Telegram's limits of its own (30 a second): the sender
    of each bot (``bot.app.App.senders``) against the fake Bot API. Rate per token and in total."""
    from dataclasses import replace

    from bot.app import build_bot
    from bot.i18n import build_i18n
    from bot.jobs import JobContext
    from bot.retry import own_retries
    from bot.rules.clock import SystemClock
    from bot.sender import Sender, run_sender
    from storage import outbox
    from storage.db import Database
    from tests.fake_telegram import FakeBotAPIServer, FakeTelegram, Limits

    db_path = workdir / f"tokens_{k}.sqlite3"
    bot_ids = await _prepare_tokens(db_path, k, per_bot)

    def limits() -> Limits:
        return Limits(per_second=30, per_chat_per_second=1, retry_after=1)

    server = await FakeBotAPIServer(FakeTelegram(limits=limits())).start()
    fakes = [server.telegram]
    for i in range(1, k):
        fakes.append(server.add_bot(_district_token(i), FakeTelegram(bot_id=700_000 + i, limits=limits())))
    settings = _settings(db_path, server.url)
    db = await Database(db_path).connect()
    ctx = JobContext(db, build_bot(settings), SystemClock(), settings, build_i18n())
    if k == 1:
        senders = [Sender(ctx)]  # a deployment with one bot, as today
    else:
        senders = [Sender(ctx, route=outbox.OWN_BOT)]
        for i, bot_id in enumerate(bot_ids, start=1):
            senders.append(Sender(replace(ctx, bot=build_bot(settings, token=_district_token(i))), route=bot_id))
    with own_retries():  # as bot.app starts them: each sender retries its rows itself
        tasks = [asyncio.create_task(run_sender(s.ctx, s)) for s in senders]
    try:
        while _open_rows(db_path):
            await asyncio.sleep(0.2)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sender in senders:
            await sender.ctx.bot.session.close()
        await db.close()
        await server.stop()
    sends = [[r for r in f.requests if r.method.lower() == "sendmessage"] for f in fakes]
    rates = [(len(s) - 1) / (s[-1].at - s[0].at) for s in sends if len(s) > 1]
    every = sorted(r.at for s in sends for r in s)
    delivered = sum(1 for s in sends for r in s if r.status == 200)
    return {
        f"tokens_{k}_per_token": round(sum(rates) / len(rates), 1),
        f"tokens_{k}_total": round((len(every) - 1) / (every[-1] - every[0]), 1),
        f"tokens_{k}_429": sum(f.count_429 for f in fakes),
        f"tokens_{k}_lost": k * per_bot - delivered,
    }


async def tokens(quick: bool = False, workdir: Path | None = None) -> dict[str, Any]:
    """The send rate with 1, 2 and 4 tokens in one process."""
    per_bot = 150 if quick else 900
    found: dict[str, Any] = {"tokens_recipients_per_token": per_bot}
    with tempfile.TemporaryDirectory(prefix="bench-tokens-") as tmp:
        for k in TOKENS:
            found |= await _tokens(k, per_bot, workdir or Path(tmp))
    found["tokens_4_speedup"] = round(found["tokens_4_total"] / found["tokens_1_total"], 2)
    return found


async def run(quick: bool = False) -> dict[str, Any]:
    """Both runs; the figures for bench/results/delivery.json."""
    n = 500 if quick else 5000
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as tmp:
        workdir = Path(tmp)
        first = await _in_process(n, workdir)
        second = await _killed(n, workdir)
        several = await tokens(quick, workdir)
    return {
        "recipients": n,
        "limit_fraction": first["limit_fraction"],
        "share_429": first["share_429"],
        "sent_in_retry_after": first["sent_in_retry_after"],
        "lost": first["lost"],
        "duplicates": first["duplicates"],
        "requests": first["requests"],
        "send_seconds": first["send_seconds"],
        **second,
        **several,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _worker(db_path: str, api_url: str) -> None:
    """A sender process on its own: what ``bot.py run`` starts, without the dispatcher."""
    import logging

    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.i18n import build_i18n
    from bot.jobs import JobContext
    from bot.rules.clock import SystemClock
    from bot.sender import run_sender
    from storage.db import Database

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(process)d %(name)s %(message)s")

    async def main() -> None:
        settings = _settings(Path(db_path), api_url)
        db = await Database(settings.database_path).connect()
        # the Bot as bot.app builds it, without importing the handlers: a restart is what is measured
        session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
        bot = Bot(settings.token(), session=session, default=DefaultBotProperties(parse_mode="HTML"))
        await run_sender(JobContext(db, bot, SystemClock(), settings, build_i18n()))

    asyncio.run(main())


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "worker":
        _worker(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 2 and sys.argv[1] == "tokens":  # only the several-tokens part
        print(asyncio.run(tokens(quick="--quick" in sys.argv)))
    else:
        sys.exit("usage: python -m bench delivery   (python -m bench.delivery worker DB URL is its sender process)")


def targets(figures: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(figure, value, target, holds) rows for the summary table of ``python -m bench``."""
    rows: list[tuple[str, Any, str, bool | None]] = []
    for prefix, label in (("", "in process"), ("killed_", "killed 3× and restarted")):
        fraction = figures[prefix + "limit_fraction"]
        rows += [
            (f"sends a second / limit, {label}", fraction, "≥ 0.9", fraction >= 0.9),
            (f"share of 429s, {label}", figures[prefix + "share_429"], "≤ 0.01", figures[prefix + "share_429"] <= 0.01),
            (
                f"sent inside retry_after, {label}",
                figures[prefix + "sent_in_retry_after"],
                "0",
                figures[prefix + "sent_in_retry_after"] == 0,
            ),
            (f"lost, {label}", figures[prefix + "lost"], "0", figures[prefix + "lost"] == 0),
            (f"duplicates, {label}", figures[prefix + "duplicates"], "none", None),
        ]
    if "tokens_4_speedup" in figures:
        speedup = figures["tokens_4_speedup"]
        rows += [
            ("sends a second, 1 / 2 / 4 tokens", "/".join(str(figures[f"tokens_{k}_total"]) for k in TOKENS), "", None),
            ("4 tokens' rate / 1 token's", speedup, "≥ 3.5", speedup >= 3.5),
            ("lost, several tokens", sum(figures[f"tokens_{k}_lost"] for k in TOKENS), "0", None),
        ]
    return rows
