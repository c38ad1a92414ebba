"""What keeps every screen as fast at 100,000 residents as at 1,000 (issue 17, ``python -m bench``):
counts kept by the database as rows come and go, and lists read a page through an index."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from bot.rules import initiatives as rules
from storage import documents as docs
from storage import initiatives
from storage._aiosqlite import raw
from storage.people import ensure_person
from tests.harness import NOW, World


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
