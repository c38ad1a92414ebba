"""The two private parts of aiosqlite this project relies on, in one place, and why.

aiosqlite runs every call in its own thread and offers no public way to run a plain function
there, nor to reach the ``sqlite3.Connection`` it wraps. Both matter for speed: a statement
with its fetch and close as one call costs one thread hop instead of three, and short reads
and a free-lock vote transaction run on the event loop's thread with no hop at all (the votes
benchmark, ``bench/README.md``). ``tests/test_storage.py::test_aiosqlite_private_parts`` pins
what is used here, so an upgrade that changes it fails a test instead of the bot.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

import aiosqlite

T = TypeVar("T")


def raw(conn: aiosqlite.Connection) -> sqlite3.Connection:
    """The ``sqlite3`` connection aiosqlite wraps (opened with ``check_same_thread=False``)."""
    return conn._conn


async def in_thread(conn: aiosqlite.Connection, work: Callable[[], T]) -> T:
    """``work()`` in aiosqlite's thread, in order with the connection's other calls."""
    return await conn._execute(work)
