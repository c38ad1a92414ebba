"""What keeps every screen as fast at 100,000 residents as at 1,000 (issue 17, ``python -m bench``):
counts kept by the database as rows come and go, and lists read a page through an index."""

from __future__ import annotations

import inspect
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiogram import Dispatcher, Router

import handlers
from bot.rules import initiatives as rules
from bot.rules.anomalies import curve
from handlers.common import IsOperator, IsStaff
from storage import contests, initiatives
from storage import documents as docs
from storage._aiosqlite import raw
from storage.people import ensure_person, set_place
from tests.harness import NOW, World, published_contest
from tests.steps import stored_vote


async def _people(world: World, count: int) -> list[int]:
    async with world.db.transaction() as tx:
        return [await ensure_person(tx, 7_000_000 + n) for n in range(count)]


async def _published_initiatives(world: World, count: int) -> list[int]:
    cfg = await initiatives.settings(world.db, world.rural_district_id)
    ids = []
    async with world.db.transaction() as tx:
        for n in range(count):
            at = NOW - timedelta(days=n)
            ids.append(
                await initiatives.add_sample(
                    tx,
                    rural_district_id=world.rural_district_id,
                    number=n + 1,
                    village_id=world.village_ids[0],
                    topic="roads",
                    title=f"Жол {n + 1}",
                    body="Жөндеу керек.",
                    status="accepted",
                    published=True,
                    submitted_at=at,
                    deadline=rules.review_deadline(at, cfg.timezone, cfg.review_days),
                )
            )
    return ids


async def _counted_supports(world: World) -> dict[int, tuple[int, int]]:
    """Per initiative: (the kept count, the rows)."""
    rows = await world.db.fetchall(
        "SELECT i.id, i.supports, (SELECT count(*) FROM initiative_supports s WHERE s.initiative_id = i.id)"
        " FROM initiatives i"
    )
    return {r[0]: (r[1], r[2]) for r in rows}


async def test_an_initiatives_supports_are_counted_as_they_come_move_and_go(world: World) -> None:
    first, second = await _published_initiatives(world, 2)
    people = await _people(world, 3)
    for person in people:
        result = await initiatives.support(world.db, first, person, rural_district_id=world.rural_district_id, now=NOW)
        assert result.added
    await initiatives.support(world.db, second, people[0], rural_district_id=world.rural_district_id, now=NOW)
    assert await _counted_supports(world) == {first: (3, 3), second: (1, 1)}
    async with world.db.transaction() as tx:  # moved, as a merge or a correction would
        await tx.execute(
            "UPDATE initiative_supports SET initiative_id = ? WHERE initiative_id = ? AND person_id = ?",
            (second, first, people[1]),
        )
    assert await _counted_supports(world) == {first: (2, 2), second: (2, 2)}
    async with world.db.transaction() as tx:  # a person deleted: their supports go with them
        await tx.execute("DELETE FROM people WHERE id = ?", (people[0],))
    assert await _counted_supports(world) == {first: (1, 1), second: (1, 1)}
    listed, total = await initiatives.published(world.db, world.rural_district_id, by_support=True, limit=5)
    assert total == 2 and [i.supports for i in listed] == [1, 1]


async def _votes(world: World, contest_id: int, project_id: int, people: list[int], at: list[datetime]) -> None:
    for n, (person, when) in enumerate(zip(people, at, strict=True)):
        await stored_vote(world, contest_id, project_id, person, village=n % 2, phone=f"+7701000{n:04d}", now=when)


async def test_the_turnout_curve_comes_from_counts_kept_by_quarter_hour_and_equals_every_vote_counted(
    world: World,
) -> None:
    contest_id, (one, two) = await published_contest(world)
    people = await _people(world, 6)
    # 23:50 and 00:10 in Almaty fall on two days; the same UTC quarter is one day in one zone, two in another
    at = [NOW, NOW, NOW + timedelta(hours=8, minutes=50), NOW + timedelta(hours=9, minutes=10)]
    await _votes(world, contest_id, one, people[:4], at)
    await _votes(world, contest_id, two, people[:1], [NOW + timedelta(hours=1)])  # a change: counted once
    async with world.db.transaction() as tx:  # a deleted voter's vote leaves the curve
        await tx.execute("DELETE FROM people WHERE id = ?", (people[1],))
    async with world.db.transaction() as tx:  # across a change of the clocks (Berlin, 29 March): counted per vote
        for n, stamp in enumerate(("2026-03-28T23:30:00.000Z", "2026-03-29T22:30:00.000Z")):
            await tx.execute(
                "INSERT INTO contest_votes (contest_id, project_id, person_id, phone, village_id, cast_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (contest_id, two, people[4 + n], f"+770190000{n:02d}", world.village_ids[0], stamp),
            )
    for tz in ("Asia/Almaty", "Asia/Kolkata", "Europe/Berlin"):
        expected = curve(await contests.stamps(world.db, contest_id), tz)
        assert await contests.curve(world.db, contest_id, tz) == expected
    berlin = await contests.curve(world.db, contest_id, "Europe/Berlin")
    assert berlin.days[:2] == [("2026-03-29", 1), ("2026-03-30", 1)]
    almaty = await contests.curve(world.db, contest_id, "Asia/Almaty")
    assert almaty.days[-2:] == [("2026-11-25", 2), ("2026-11-26", 1)]


async def _residents_counted(world: World) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], int]]:
    """Per (district, village): the kept count, and the rows of people (the places with none left out)."""
    kept = await world.db.fetchall(
        "SELECT rural_district_id, village_id, residents FROM village_residents WHERE residents > 0"
    )
    rows = await world.db.fetchall(
        "SELECT rural_district_id, village_id, count(*) FROM people"
        " WHERE rural_district_id IS NOT NULL AND village_id IS NOT NULL GROUP BY 1, 2"
    )
    return {(r[0], r[1]): r[2] for r in kept}, {(r[0], r[1]): r[2] for r in rows}


async def test_the_residents_of_each_village_are_counted_as_they_come_move_and_go(world: World) -> None:
    rd, (one, two) = world.rural_district_id, world.village_ids[:2]
    people = await _people(world, 4)  # no place yet: not counted
    before, _rows = await _residents_counted(world)
    for person in people[:3]:
        await set_place(world.db, person, rd, one)
    await set_place(world.db, people[3], rd, None)  # a district, no village: not counted
    kept, rows = await _residents_counted(world)
    assert kept == rows and kept[(rd, one)] == before.get((rd, one), 0) + 3
    await set_place(world.db, people[0], rd, two)  # moved
    await set_place(world.db, people[1], rd, one)  # the same place again: no change
    await set_place(world.db, people[3], rd, two)  # a village chosen
    async with world.db.transaction() as tx:  # a person deleted
        await tx.execute("DELETE FROM people WHERE id = ?", (people[2],))
        await tx.execute("INSERT INTO people (telegram_id, rural_district_id, village_id) VALUES (1, ?, ?)", (rd, two))
    kept, rows = await _residents_counted(world)
    assert kept == rows
    assert kept[(rd, one)] == before.get((rd, one), 0) + 1 and kept[(rd, two)] == before.get((rd, two), 0) + 3


async def test_the_results_are_counted_again_whenever_what_they_count_changes(world: World) -> None:
    contest_id, (one, two) = await published_contest(world)
    people = await _people(world, 3)
    await _votes(world, contest_id, one, people, [NOW] * 3)

    async def online() -> dict[int, int]:
        return {t.project_id: t.online for t in await contests.tallies(world.db, contest_id)}

    assert await online() == {one: 3, two: 0}
    assert await online() == {one: 3, two: 0}  # kept
    await _votes(world, contest_id, two, people[:1], [NOW])  # a changed vote
    assert await online() == {one: 2, two: 1}
    async with world.db.transaction() as tx:
        await tx.execute("UPDATE contest_votes SET status = 'annulled' WHERE person_id = ?", (people[1],))
    assert await online() == {one: 1, two: 1}
    async with world.db.transaction() as tx:
        await tx.execute("DELETE FROM people WHERE id = ?", (people[0],))
        await tx.execute("UPDATE contest_projects SET offline_votes = 5 WHERE id = ?", (one,))
    assert await online() == {one: 1, two: 0}
    assert [t.offline for t in await contests.tallies(world.db, contest_id)] == [5, 0]


async def _plans(world: World, read: Callable[[], Awaitable[Any]]) -> list[str]:
    """The query plan of every statement ``read()`` runs."""
    statements: list[str] = []
    connection = raw(world.db.conn)
    connection.set_trace_callback(statements.append)
    try:
        await read()
    finally:
        connection.set_trace_callback(None)
    plans = []
    with sqlite3.connect(world.db.path) as reader:
        for sql in statements:
            if sql.lstrip().upper().startswith("SELECT"):
                plans += [row[3] for row in reader.execute("EXPLAIN QUERY PLAN " + sql)]
    return plans


@pytest.mark.sqlite  # SQLite's query plans and aiosqlite's thread
async def test_the_districts_initiatives_page_through_an_index_in_either_order(world: World) -> None:
    await _published_initiatives(world, 12)
    rd = world.rural_district_id
    for by_support, index in ((False, "initiatives_listed_newest"), (True, "initiatives_listed_supported")):
        plans = await _plans(
            world,
            lambda by_support=by_support: initiatives.published(  # type: ignore[misc]
                world.db, rd, by_support=by_support, limit=5, offset=5
            ),
        )
        assert any(index in step for step in plans), plans
        assert not any("TEMP B-TREE" in step for step in plans), plans


@pytest.mark.sqlite  # SQLite's query plans and aiosqlite's thread
async def test_a_search_in_titles_reads_the_documents_index_newest_first(world: World) -> None:
    async with world.db.transaction() as tx:
        for n in range(8):
            await docs.publish(
                tx,
                rural_district_id=world.rural_district_id,
                kind="decision",
                title_kk=f"Шешім {n}: жол",
                title_ru=f"Решение {n}: дорога",
                text_kk="Мәтін",
                now=(NOW - timedelta(days=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            )
    found: list[Any] = []

    async def search() -> None:
        found.append(await docs.search(world.db, world.rural_district_id, "жол", limit=5))

    plans = await _plans(world, search)
    assert found[0][1] == 8 and [d.title_kk for d in found[0][0]][:2] == ["Шешім 0: жол", "Шешім 1: жол"]
    assert any("documents_searchable" in step for step in plans), plans
    assert not any("TEMP B-TREE" in step for step in plans), plans


def _resident_routers(router: Router) -> Iterator[Router]:
    """The router and those under it that a resident's update walks: not the staff's, not the operator's."""
    own = [f.callback for observer in router.observers.values() for f in observer._handler.filters or []]
    if any(isinstance(f, IsStaff | IsOperator) for f in own):
        return
    yield router
    for sub in router.sub_routers:
        yield from _resident_routers(sub)


@pytest.mark.sqlite  # SQLite's query plans and aiosqlite's thread
def test_no_filter_on_a_residents_way_costs_a_thread_hop() -> None:
    """aiogram 3.31 runs a filter that is not a coroutine (a ``State``, ``F.text``…) through
    ``asyncio.to_thread``: a thread hop for every update that reaches it, whether it matches or not.
    Where residents go, filters are async: ``StateFilter(Form.x)``, ``Has("photo")``, ``TextStarts("/")``,
    ``DataStarts(prefix)`` (handlers/common.py); ``CallbackData.filter(F.x == y)`` is evaluated inline."""
    dp = Dispatcher()
    dp.include_routers(*handlers.routers())
    slow = []
    for router in _resident_routers(dp):
        for name, observer in router.observers.items():
            for f in observer._handler.filters or []:
                if not f.awaitable:
                    slow.append(f"{router.name} ({name}): {f.magic or f.callback}")
            for handler in observer.handlers:
                callback = inspect.unwrap(handler.callback)
                for f in handler.filters or []:
                    if not f.awaitable:
                        where = f"{callback.__module__}.{callback.__qualname__}"
                        slow.append(f"{where} ({name}): {getattr(f.callback, '__self__', f.magic or f.callback)}")
    assert slow == [], "\n".join(slow)
