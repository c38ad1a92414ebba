"""Fixtures: a world (bot, dispatcher, SQLite file, fixed clock) per test, a fake Bot API server for the tests
that run ``bot.py`` itself, and no request Telegram would refuse."""

from __future__ import annotations

import os
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


_postgres: list[str] = []


def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test marked ``sqlite`` tests that engine itself: its world is an SQLite file in every pass."""
    if item.get_closest_marker("sqlite") and "TEST_DATABASE_URL" in os.environ:
        _postgres.append(os.environ.pop("TEST_DATABASE_URL"))


def pytest_runtest_teardown(item: pytest.Item) -> None:
    if _postgres:
        os.environ["TEST_DATABASE_URL"] = _postgres.pop()


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
