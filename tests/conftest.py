"""Fixtures: a world (bot, dispatcher, SQLite file, fixed clock) per test, a fake Bot API server for the tests
that run ``bot.py`` itself, and no request Telegram would refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fake_telegram import FakeBotAPIServer
from tests.harness import World


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    world = await World.create(tmp_path)
    yield world
    await world.close()
    assert not world.telegram.violations, world.telegram.violations


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPIServer]:
    server = await FakeBotAPIServer().start()
    yield server
    await server.stop()
    assert not server.telegram.violations, server.telegram.violations
