"""The scheduler's singleton jobs (reminders, closing votes, broadcasts, backups) run once per
deployment: in the process whose sender holds the singleton lease, the sender's own lease
(``storage.outbox.lead``), whoever else runs beside it; when the holder dies another takes over."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.scheduler import run_if_leading
from bot.sender import Sender
from storage.db import Database
from tests.fake_telegram import FakeBotAPIServer
from tests.harness import World
from tests.test_e2e import bot_process, prepare_database

LEASE = 3.0


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    world = await World.create(tmp_path, sender_lease_seconds=LEASE)
    yield world
    await world.close()


async def test_one_sender_holds_the_lease_until_it_leaves_or_falls_silent(world: World) -> None:
    first, second = Sender(world.job_context), Sender(world.job_context)
    assert await first.lead()
    assert not await second.lead()
    assert await first.lead()  # it keeps it while it beats
    world.clock.advance(seconds=LEASE + 1)  # the first fell silent past the lease
    assert await second.lead()
    assert not await first.lead()  # it lost it: its jobs stop at its next tick
    await second.unregister()  # a clean stop gives it back at once
    assert await first.lead()
    holders = await world.db.fetchall("SELECT token FROM senders WHERE leads = 1")
    assert [h[0] for h in holders] == [first.token]
    await first.unregister()


async def test_the_jobs_wait_where_the_lease_is_not_held(world: World) -> None:
    async def held() -> bool:
        return True

    async def elsewhere() -> bool:
        return False

    assert not await run_if_leading(world.job_context, elsewhere)
    assert await run_if_leading(world.job_context, held)


# --- real processes ----------------------------------------------------------------------------


async def holder(path: Path) -> tuple[int, str] | None:
    """(pid, beat_at) of the sender that holds the lease, as the database says."""
    db = await Database(path).connect(migrate=False)
    try:
        row = await db.fetchone("SELECT pid, beat_at FROM senders WHERE leads = 1")
        return (int(row[0]), str(row[1])) if row else None
    finally:
        await db.close()


async def registered(path: Path, pid: int) -> bool:
    db = await Database(path).connect(migrate=False)
    try:
        return bool(await db.fetchval("SELECT count(*) FROM senders WHERE pid = ?", (pid,)))
    finally:
        await db.close()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 60.0) -> float:
    """Wait for ``check()`` to be true (an event in the database); the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if await check():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


async def test_another_worker_takes_the_lease_over_within_it_when_the_holder_is_killed(tmp_path: Path) -> None:
    server = await FakeBotAPIServer().start()
    database = tmp_path / "bot.sqlite3"
    await prepare_database(database)
    env = {"SENDER_LEASE_SECONDS": str(LEASE), "TICK_SECONDS": "0.2"}
    try:
        async with bot_process(tmp_path, server, prepare=False, **env) as first:
            await until(lambda: _is(database, first.pid))
            async with bot_process(tmp_path, server, prepare=False, log=tmp_path / "second.log", **env) as second:
                await until(lambda: registered(database, second.pid))
                held = await holder(database)
                assert held is not None and held[0] == first.pid
                await until(lambda: _beat_after(database, held[1]))  # the holder beat again…
                assert (await holder(database) or (0,))[0] == first.pid  # …and kept it: the second waits
                first.send_signal(signal.SIGKILL)
                await first.wait()
                took = await until(lambda: _is(database, second.pid))
                assert took < LEASE, f"took {took:.1f} s"
                second.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(second.wait(), 30) == 0
            assert await holder(database) is None  # a clean stop gives the lease back
    finally:
        await server.stop()


async def _is(path: Path, pid: int) -> bool:
    held = await holder(path)
    return held is not None and held[0] == pid


async def _beat_after(path: Path, beat: str) -> bool:
    held = await holder(path)
    return held is not None and held[1] > beat


async def test_a_stop_lets_the_running_tick_finish(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM while reminders or a contest's closing are being written: the tick finishes (it was
    cancelled in the middle, with a traceback in the log and its transaction rolled back)."""
    import bot.scheduler

    started, release, finished = asyncio.Event(), asyncio.Event(), []

    async def slow(ctx: object) -> None:
        started.set()
        await release.wait()
        finished.append(True)

    monkeypatch.setattr(bot.scheduler, "all_jobs", lambda: [("slow", slow)])
    scheduler = bot.scheduler.build_scheduler(world.job_context)
    scheduler.start()
    await started.wait()
    stopping = asyncio.create_task(scheduler.stop(grace=60))
    for _ in range(5):  # let the stop run as far as it goes without the tick
        await asyncio.sleep(0)
    assert not stopping.done() and not finished
    release.set()
    await stopping
    assert finished == [True] and not scheduler.running
