"""``python -m bench votes``: residents vote through the real dispatcher and a real SQLite file.

10,000 residents (1,000 with ``--quick``) each press «Yes, vote» once, and 10 % of them change
their vote afterwards: every press is a callback update fed to the bot's own dispatcher (all
middlewares, the FSM storage, the consent check, the vote's write transaction, the answer to
Telegram through the recording session of tests/harness.py). Twice, on two databases set up
alike: through the inbox as the process does it (bot/intake.py: the update written to the inbox,
the vote and the done mark in one transaction, the answer kept until Telegram accepts it), and
straight into the dispatcher, without the inbox. The baseline is a bare aiogram ``Dispatcher``
with one handler that answers the callback and echoes its data, fed the same kind of updates
through the same session. Updates are fed one after another, so the latency of each is its own;
the three are fed in turns of 100 updates, each going first in turn, so the machine's noise (it
is shared) falls on all of them alike; the figures that matter are the ratios.

The district keeps a census of voters of ``CENSUS`` (10,000) numbers, every voter's among them,
and the contest checks each vote against it inside the vote's transaction (issue 13).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.types import CallbackQuery, Message, Update

from bot.intake import Intake
from bot.keyboards.contests import Act, ContestCb
from tests.fake_telegram import BOT_ID, TOKEN, FakeTelegram
from tests.harness import NOW, RecordingSession, World, published_contest

PROJECTS = 5
CHANGE_SHARE = 0.10
CENSUS = 10_000


def _update(update_id: int, user_id: int, *, data: str | None = None, text: str | None = None) -> Update:
    """A resident's update: a press of a button (``data``) under a message of the bot, or a ``text`` message."""
    chat = {"id": user_id, "type": "private", "first_name": "R"}
    resident = {"id": user_id, "is_bot": False, "first_name": "R", "language_code": "kk"}
    if data is None:
        message = {"message_id": update_id, "date": int(NOW.timestamp()), "chat": chat, "from": resident, "text": text}
        return Update.model_validate({"update_id": update_id, "message": message})
    return Update.model_validate(
        {
            "update_id": update_id,
            "callback_query": {
                "id": str(update_id),
                "chat_instance": "ci",
                "data": data,
                "from": resident,
                "message": {
                    "message_id": 1,
                    "date": int(NOW.timestamp()),
                    "chat": chat,
                    "text": "…",
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Test Bot"},
                },
            },
        }
    )


async def _feed(dp: Dispatcher, bot: Bot, updates: list[Update]) -> list[float]:
    latencies = []
    for update in updates:
        started = time.perf_counter()
        await dp.feed_update(bot, update)
        latencies.append(time.perf_counter() - started)
    return latencies


async def _take(intake: Intake, updates: list[Update]) -> list[float]:
    latencies = []
    for update in updates:
        started = time.perf_counter()
        await intake.take(update)
        latencies.append(time.perf_counter() - started)
    return latencies


def _bare() -> tuple[Dispatcher, Bot]:
    """The baseline: aiogram alone, one handler that answers and echoes."""
    dp = Dispatcher()

    @dp.callback_query()
    async def echo(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.answer(query.data or "…")

    bot = Bot(TOKEN, session=RecordingSession(FakeTelegram()), default=DefaultBotProperties(parse_mode="HTML"))
    return dp, bot


async def _residents(world: World, count: int) -> list[int]:
    """Onboarded residents with consent and a phone number, as the bot would have stored them."""
    first = 5_000_000
    async with world.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO people (telegram_id, language, language_chosen, rural_district_id, village_id,"
            " consent_version, consent_at, phone) VALUES (?, 'kk', 1, ?, ?, 0, '2026-11-01T00:00:00.000Z', ?)",
            [
                (first + i, world.rural_district_id, world.village_ids[i % len(world.village_ids)], f"+7701{i:07d}")
                for i in range(count)
            ],
        )
    return [first + i for i in range(count)]


async def _census(world: World, voters: int) -> None:
    """A census of ``CENSUS`` numbers with every voter's, switched on for the district."""
    from bot.rules.census import Entry, Parsed
    from storage import census
    from storage.audit import CLI

    numbers = [f"+7701{i:07d}" for i in range(voters)] + [f"+7702{i:07d}" for i in range(max(0, CENSUS - voters))]
    parsed = Parsed(entries=[Entry(n, line) for line, n in enumerate(numbers, start=2)], rows=len(numbers))
    staged = await census.stage(
        world.db, CLI, rural_district_id=world.rural_district_id, parsed=parsed, file_name="census.csv", now=NOW
    )
    await census.apply(world.db, CLI, census_id=staged.census.id, now=NOW)
    await census.set_census_required(world.db, CLI, world.rural_district_id, True)


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 3)


async def _world(tmp: Path, count: int) -> tuple[World, int, list[int], list[int]]:
    world = await World.create(tmp)
    contest_id, projects = await published_contest(
        world,
        [(f"Жоба {i}", 1_000_000) for i in range(PROJECTS)],
        budget=10_000_000,
        titles=("Бенчмарк", "Бенчмарк"),
        descriptions=("", ""),
        project_descriptions=("", ""),
    )
    users = await _residents(world, count)
    await _census(world, count)
    return world, contest_id, projects, users


async def _tally(world: World, contest_id: int) -> dict[int, int]:
    rows = await world.db.fetchall(
        "SELECT project_id, COUNT(*) FROM contest_votes WHERE contest_id = ? GROUP BY project_id", (contest_id,)
    )
    return {int(r[0]): int(r[1]) for r in rows}


async def run(quick: bool = False) -> dict[str, Any]:
    count = 1_000 if quick else 10_000
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "inbox").mkdir()
        (Path(tmp) / "direct").mkdir()
        kept, contest_id, projects, users = await _world(Path(tmp) / "inbox", count)
        direct, direct_contest, _projects, _users = await _world(Path(tmp) / "direct", count)
        assert (direct_contest, _projects, _users) == (contest_id, projects, users)  # set up alike
        try:
            final: dict[int, int] = {}
            presses: list[tuple[int, int]] = []
            for user in users:
                presses.append((user, rng.choice(projects)))
            for user in rng.sample(users, int(count * CHANGE_SHARE)):
                presses.append((user, rng.choice(projects)))
            for user, project in presses:
                final[user] = project

            data = [ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack() for _user, project in presses]

            def updates() -> list[Update]:
                return [_update(i + 1, user, data=data[i]) for i, (user, _project) in enumerate(presses)]

            bare_dp, bare_bot = _bare()
            ours_in, ours_direct, bare_in = updates(), updates(), updates()
            inbox_times: list[float] = []
            direct_times: list[float] = []
            bare_times: list[float] = []
            for turn, start in enumerate(range(0, len(presses), 100)):
                chunk = slice(start, start + 100)
                runs = [
                    (bare_times, _feed(bare_dp, bare_bot, bare_in[chunk])),
                    (direct_times, _feed(direct.dp, direct.bot, ours_direct[chunk])),
                    (inbox_times, _take(kept.intake, ours_in[chunk])),
                ]
                for times, feed in runs[turn % 3 :] + runs[: turn % 3]:  # each goes first in turn
                    times += await feed

            expected = dict(Counter(final.values()))
            tally_exact = (await _tally(kept, contest_id)) == expected == (await _tally(direct, contest_id))
            done = await kept.db.fetchval("SELECT count(*) FROM inbox WHERE state = 'done'")
            errors = len(kept.telegram.violations) + len(direct.telegram.violations)
        finally:
            await kept.close()
            await direct.close()
    seconds, direct_seconds, bare_seconds = sum(inbox_times), sum(direct_times), sum(bare_times)
    return {
        "residents": count,
        "updates": len(presses),
        "votes_per_second": round(len(presses) / seconds, 1),
        "votes_per_second_without_inbox": round(len(presses) / direct_seconds, 1),
        "bare_updates_per_second": round(len(presses) / bare_seconds, 1),
        "ratio_to_bare": round(seconds / bare_seconds, 2),
        "ratio_to_bare_without_inbox": round(direct_seconds / bare_seconds, 2),
        "inbox_cost": round(seconds / direct_seconds, 3),
        "p50_ms": _ms(inbox_times, 0.50),
        "p99_ms": _ms(inbox_times, 0.99),
        "p50_ms_without_inbox": _ms(direct_times, 0.50),
        "bare_p50_ms": _ms(bare_times, 0.50),
        "bare_p99_ms": _ms(bare_times, 0.99),
        "mean_ms": round(statistics.fmean(inbox_times) * 1000, 3),
        "tally_exact": tally_exact,
        "inbox_rows_done": done,
        "refused_requests": errors,
    }


RATIO_TARGET = 3.5  # with the inbox and a census (issues 12 and 13); was 4 before them


def targets(figures: dict[str, Any]) -> list[tuple[str, Any, str, bool | None]]:
    """(figure, value, target, holds) rows for the summary table of ``python -m bench``."""
    return [
        (
            "time per vote / bare dispatcher",
            figures["ratio_to_bare"],
            f"≤ {RATIO_TARGET}",
            figures["ratio_to_bare"] <= RATIO_TARGET,
        ),
        ("votes per second", figures["votes_per_second"], "none", None),
        ("p99 per vote (ms)", figures["p99_ms"], "none", None),
        ("stored tally equals the votes cast", figures["tally_exact"], "true", bool(figures["tally_exact"])),
        ("requests Telegram would refuse", figures["refused_requests"], "0", figures["refused_requests"] == 0),
    ]
