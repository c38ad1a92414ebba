"""Fixtures: a world (bot, dispatcher, SQLite file, fixed clock) per test, and no request Telegram would refuse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.harness import World


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    world = await World.create(tmp_path)
    yield world
    await world.close()
    assert not world.telegram.violations, world.telegram.violations
