"""Fixtures: a world (bot, dispatcher, SQLite file, fixed clock) per test, a fake Bot API server for the tests
that run ``bot.py`` itself, and no request Telegram would refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests import servers
from tests.fake_telegram import FakeBotAPIServer
from tests.harness import World


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """The PostgreSQL databases of tests that made their own world, dropped at the end of the run."""
    yield
    servers.drop_all()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    world = await World.create(tmp_path)
    yield world
    await world.close()
    await servers.dispose(world.db)
    assert not world.telegram.violations, world.telegram.violations


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPIServer]:
    server = await FakeBotAPIServer().start()
    yield server
    await server.stop()
    assert not server.telegram.violations, server.telegram.violations
