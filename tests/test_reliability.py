"""Nothing lost, nothing doubled, in process: the unit of an update's writes (storage/db.py), the
inbox (bot/intake.py), the retries and the pace of a screen (bot/retry.py), buttons from before a
restart, and a database that is locked by another process or full. The faults of a process (a
SIGKILL, Telegram failing over HTTP) are in tests/test_reliability_e2e.py."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendMessage
from aiogram.types import Update

from bot.keyboards.contests import Act, ContestCb
from bot.middlewares import BUSY, FULL, SORRY
from bot.retry import BURST, Requests, kept, restored, screen
from storage.db import Database, fault
from tests.fake_telegram import BOT_ID, Faults
from tests.harness import Person, World, published_contest
from tests.steps import scratch_db

# --- the unit: one update's writes ------------------------------------------------------------


async def values(db: Database) -> list[int]:
    return [int(r[0]) for r in await db.fetchall("SELECT x FROM t ORDER BY x")]


def outside(path: Path) -> list[int]:
    """What another process sees."""
    with sqlite3.connect(path) as other:
        return [int(r[0]) for r in other.execute("SELECT x FROM t ORDER BY x")]


async def test_a_units_writes_commit_together_before_its_next_call_and_roll_back_together(tmp_path: Path) -> None:
    async with scratch_db(tmp_path / "u.db") as db:

        def done_mark(conn: sqlite3.Connection, note: Any) -> str:
            conn.execute("INSERT INTO t VALUES (100)")
            return f"noted {note}"

        async with db.unit(done_mark) as unit:
            assert not db.holds_unit  # nothing written: nothing open
            async with db.transaction() as tx:  # a storage write
                await tx.execute("INSERT INTO t VALUES (1)")
            await db.run(lambda conn: conn.execute("INSERT INTO t VALUES (2)"))  # the hot path of a vote
            await db.execute("INSERT INTO t VALUES (3)")
            assert db.holds_unit and await values(db) == [1, 2, 3] and outside(db.path) == []
            assert await db.flush(lambda: "the answer") == "noted the answer"  # just before a Telegram call
            assert not db.holds_unit and outside(db.path) == [1, 2, 3, 100]
            async with db.transaction() as tx:  # written after the answer: the next transaction
                await tx.execute("INSERT INTO t VALUES (4)")
            db.rollback_unit()  # the handler failed
            assert await values(db) == [1, 2, 3, 100]
            await db.execute("INSERT INTO t VALUES (5)")
        assert unit.commits == 2 and outside(db.path) == [1, 2, 3, 5, 100, 100]


async def test_inside_a_unit_a_failed_write_undoes_only_itself_and_deferred_calls_wait_for_the_commit(
    tmp_path: Path,
) -> None:
    async with scratch_db(tmp_path / "u.db") as db:
        calls: list[str] = []

        async def call(name: str) -> None:
            calls.append(name)

        async with db.unit():
            assert not db.after_commit(lambda: call("nothing open: the caller goes ahead"))
            await db.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(RuntimeError):
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO t VALUES (2)")
                    raise RuntimeError("a refused step, caught by the handler")

            def half(conn: sqlite3.Connection) -> None:
                conn.execute("INSERT INTO t VALUES (3)")
                raise ValueError("half a vote")

            with pytest.raises(ValueError):
                await db.run(half)
            assert db.after_commit(lambda: call("the button's answer"))
            assert calls == [] and await values(db) == [1]
            await db.flush()
            assert calls == ["the button's answer"]
            await db.execute("INSERT INTO t VALUES (4)")
            assert db.after_commit(lambda: call("dropped"))
            db.rollback_unit()
        assert calls == ["the button's answer"] and outside(db.path) == [1]


async def test_a_task_started_inside_a_unit_writes_on_its_own(tmp_path: Path) -> None:
    async with scratch_db(tmp_path / "u.db") as db:

        async def elsewhere() -> None:
            await db.execute("INSERT INTO t VALUES (7)")

        async with db.unit():
            await asyncio.create_task(elsewhere())
            await db.execute("INSERT INTO t VALUES (1)")
            db.rollback_unit()
        assert outside(db.path) == [7]


async def test_the_fsm_cache_forgets_a_state_whose_transaction_rolled_back(world: World) -> None:
    storage = world.dp.storage
    key = StorageKey(bot_id=BOT_ID, chat_id=5, user_id=5)
    await storage.set_state(key, "Flow:first")
    async with world.db.unit():
        await storage.set_state(key, "Flow:second")
        await storage.set_data(key, {"half": True})
        assert await storage.get_state(key) == "Flow:second"
        world.db.rollback_unit()
    assert await storage.get_state(key) == "Flow:first" and await storage.get_data(key) == {}


# --- the inbox ---------------------------------------------------------------------------------


def callback_update(person: Person, update_id: int, data: str) -> Update:
    chat = {"id": person.user_id, "type": "private", "first_name": person.first_name}
    return Update.model_validate(
        {
            "update_id": update_id,
            "callback_query": {
                "id": f"q{update_id}",
                "from": {"id": person.user_id, "is_bot": False, "first_name": person.first_name, "language_code": "kk"},
                "chat_instance": "ci",
                "data": data,
                "message": {"message_id": 1, "date": 1_700_000_000, "chat": chat, "text": "…"},
            },
        },
        context={"bot": person.world.bot},
    )


def text_update(person: Person, update_id: int, text: str) -> Update:
    chat = {"id": person.user_id, "type": "private", "first_name": person.first_name}
    user = {"id": person.user_id, "is_bot": False, "first_name": person.first_name, "language_code": "kk"}
    message = {"message_id": update_id, "date": 1_700_000_000, "chat": chat, "from": user, "text": text}
    return Update.model_validate({"update_id": update_id, "message": message}, context={"bot": person.world.bot})


async def tally(world: World, contest_id: int) -> int:
    return int(await world.db.fetchval("SELECT count(*) FROM contest_votes WHERE contest_id = ?", (contest_id,)))


async def voter(world: World, name: str = "Aigerim") -> Person:
    person = await world.resident(name)
    await world.db.execute(
        "UPDATE people SET phone = ? WHERE telegram_id = ?", (f"+7701{person.user_id:07d}", person.user_id)
    )
    return person


async def test_an_update_that_comes_again_is_not_handled_again(world: World) -> None:
    contest_id, (project, _other) = await published_contest(world)
    aigerim = await voter(world)
    before = len(aigerim.inbox)
    for _ in range(3):  # Telegram sends it again after a webhook error, or a restart polls it again
        await world.intake.take(
            callback_update(aigerim, 90_001, ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
        )
    confirmations = [t for t in aigerim.texts(before) if "дауысыңыз есептелді" in t]
    assert len(confirmations) == 1 and await tally(world, contest_id) == 1
    row = await world.db.fetchone("SELECT state, attempts FROM inbox WHERE update_id = 90001")
    assert tuple(row) == ("done", 1)  # type: ignore[arg-type]


@pytest.mark.sqlite  # SQLite's write lock, busy_timeout, max_page_count and triggers
async def test_the_phone_the_state_and_the_vote_are_one_transaction(world: World) -> None:
    """The contact step: the vote refused at the last write leaves the phone unsaved and the step open."""
    contest_id, (_playground, sports) = await published_contest(world)
    aigerim = await world.resident()
    await aigerim.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=sports).pack())
    await aigerim.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=sports).pack())
    assert aigerim.last.markup["keyboard"][0][0]["request_contact"] is True
    # the vote's own insert, the last write of the step, fails as a full disk would make it fail
    await world.db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON contest_votes"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    await aigerim.share_contact("77011234567")
    assert aigerim.last.text == world.i18n.gettext(FULL, locale="kk")
    assert await aigerim.stored("phone") is None and await tally(world, contest_id) == 0
    key = StorageKey(bot_id=BOT_ID, chat_id=aigerim.user_id, user_id=aigerim.user_id)
    assert await world.dp.storage.get_state(key) == "VoteFlow:phone"  # the cache agrees with the database
    assert await world.db.fetchval("SELECT state FROM fsm_states WHERE user_id = ?", (aigerim.user_id,)) == (
        "VoteFlow:phone"
    )
    await world.db.execute("DROP TRIGGER refuse")
    await aigerim.share_contact("77011234567")  # the same step again: now all of it
    assert "дауысыңыз есептелді" in aigerim.last.text
    assert await aigerim.stored("phone") == "+77011234567" and await tally(world, contest_id) == 1
    assert await world.dp.storage.get_state(key) is None


async def test_a_vote_and_its_answer_are_kept_together_and_the_answer_goes_again_after_a_crash(world: World) -> None:
    """The process dies after the vote's commit, before Telegram confirmed the answer: at start the
    kept answer is sent again; the vote counts once."""
    contest_id, (project, _other) = await published_contest(world)
    aigerim = await voter(world)
    world.telegram.faults = Faults(rate=1.0, until=time.monotonic() + 3600, kinds=("reset",), methods={"sendmessage"})
    await world.intake.take(
        callback_update(aigerim, 90_002, ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
    )
    assert await tally(world, contest_id) == 1
    kept_json = await world.db.fetchval("SELECT reply_json FROM inbox WHERE update_id = 90002")
    assert "дауысыңыз есептелді" in kept_json
    world.telegram.faults = None
    await world.restart()
    before = len(aigerim.inbox)
    await world.intake.recover()
    assert [t for t in aigerim.texts(before) if "дауысыңыз есептелді" in t] != []
    await world.intake.take(
        callback_update(aigerim, 90_002, ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
    )  # re-polled
    assert await tally(world, contest_id) == 1
    await world.intake.flush_marks()
    assert await world.db.fetchval("SELECT reply_json FROM inbox WHERE update_id = 90002") is None


async def test_a_kept_answer_is_the_request_itself() -> None:
    method = SendMessage(
        chat_id=5, text="<b>✅</b>", reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "x"}]]}
    )
    again = restored(kept(method) or "")
    assert again == method and str(again.parse_mode) == str(method.parse_mode)  # the default stays a default


async def test_an_update_still_running_when_its_batch_is_confirmed_is_kept_and_handled_first_at_start(
    world: World,
) -> None:
    aigerim = await world.resident()
    ivan = await world.resident("Ivan", lang="ru")
    world.telegram.hold()  # Telegram takes the answers in and answers none
    tasks = [
        world.intake.submit(u)
        for u in await world.intake.receive(
            [
                text_update(aigerim, 91_001, "💡 Бастамалар"),
                text_update(ivan, 91_002, "📄 Документы"),
                text_update(aigerim, 91_003, "📅 Іс-шаралар"),
            ]
        )
    ]
    assert await world.intake.settle(tasks, timeout=0.05) == 3
    rows = await world.db.fetchall("SELECT update_id, state FROM inbox WHERE update_id > 91000 ORDER BY update_id")
    assert [tuple(r) for r in rows] == [(91_001, "pending"), (91_002, "pending"), (91_003, "pending")]
    for task in tasks:  # the process dies
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    world.telegram.release()
    await world.restart()
    before_a, before_i = len(aigerim.inbox), len(ivan.inbox)
    assert await world.intake.recover() == 3
    await asyncio.gather(*world.intake._tasks)
    first, second = aigerim.texts(before_a)  # her two, in order
    assert "бастамалар" in first.casefold() and "іс-шара" in second.casefold()
    assert len(ivan.texts(before_i)) == 1
    rows = await world.db.fetchall("SELECT state, attempts FROM inbox WHERE update_id > 91000 ORDER BY update_id")
    assert [tuple(r) for r in rows] == [("done", 2)] * 3


async def test_an_update_that_dies_with_the_process_each_time_is_given_up_after_three_starts(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    aigerim = await world.resident()
    world.telegram.hold()
    tasks = [world.intake.submit(u) for u in await world.intake.receive([text_update(aigerim, 92_001, "/menu")])]
    await world.intake.settle(tasks, timeout=0.05)
    for _start in range(3):
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await world.restart()
        world.telegram.hold()
        await world.intake.recover()
        tasks = list(world.intake._tasks)
    assert tasks == [] and "given up" in caplog.text
    assert await world.db.fetchval("SELECT state FROM inbox WHERE update_id = 92001") == "given_up"
    world.telegram.release()


# --- requests: retries and the pace of a screen ------------------------------------------------


async def test_telegram_failing_a_third_of_requests_every_resident_is_answered_once(world: World) -> None:
    contest_id, (project, _other) = await published_contest(world)
    people = [await voter(world, f"R{i}") for i in range(12)]
    world.telegram.faults = Faults(rate=0.3, until=time.monotonic() + 3600, kinds=("5xx", "timeout", "reset"))
    starts = {p.user_id: len(p.inbox) for p in people}
    for person in people:
        await person.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
        await person.send("📄 Құжаттар")
    injected = dict(world.telegram.faults.injected)
    world.telegram.faults = None
    assert sum(injected.values()) >= 5 and world.requests.retried >= sum(injected.values())
    for person in people:
        texts = person.texts(starts[person.user_id])
        assert len([t for t in texts if "дауысыңыз есептелді" in t]) == 1
        assert not [t for t in texts if t == world.i18n.gettext(SORRY, locale="kk")]
        assert len(texts) == 2
    assert await tally(world, contest_id) == len(people)


async def test_a_direct_reply_hit_by_429_waits_retry_after_and_arrives(world: World) -> None:
    aigerim = await world.resident()
    world.telegram.fail(lambda r: r.method == "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    requests = await aigerim.send("/menu")
    sends = [r for r in requests if r.method == "sendMessage"]
    assert [r.status for r in sends] == [429, 200]
    assert sends[1].at - sends[0].at >= 1.0  # waited out, not an apology 0.01 s later
    assert aigerim.last.text != world.i18n.gettext(SORRY, locale="kk")


async def test_a_screen_sends_at_most_three_messages_a_second_to_one_chat() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    requests = Requests(None, sleep=sleep)
    with screen():
        for _ in range(BURST + 2):
            await requests._pace(5)
        await requests._pace(6)
    assert len(waits) == 2 and all(0.9 < w <= 1.0 for w in waits)
    await requests._pace(5)  # outside a screen (the sender, jobs): their own limits
    assert len(waits) == 2


# --- buttons from before a restart -----------------------------------------------------------


async def test_every_button_sent_before_a_restart_still_works_or_says_what_to_do(world: World) -> None:
    await published_contest(world)
    staff = await world.staff()
    aigerim = await world.resident()
    for person, labels in (
        (aigerim, ["💡 Бастамалар", "🗳 Конкурстар", "📅 Іс-шаралар", "📄 Құжаттар", "⚙️ Баптаулар"]),
        (staff, ["🛠 Басқару"]),
    ):
        for label in labels:
            await person.send(label)
    await aigerim.press("Саябақ жобалары")
    await aigerim.press("🗳 Жобалар, дауыс беру")
    buttons = [
        (person, request, button["callback_data"])
        for person in (aigerim, staff)
        for request in person.inbox
        for button in request.inline
        if "callback_data" in button
    ]
    assert len(buttons) > 20
    await world.restart()
    sorry = {world.i18n.gettext(SORRY, locale=lang) for lang in ("kk", "ru")}
    for person, under, data in buttons:
        sent = await person.press_data(data, message=under)
        answered = [r for r in sent if r.method == "answerCallbackQuery"]
        assert answered or any(r.method.startswith(("send", "edit")) for r in sent), data
        assert not [r for r in sent if r.text in sorry], data


# --- the database: locked by another process, or full ------------------------------------------


@contextmanager
def locked(path: Path, *, until: threading.Event | None = None, seconds: float | None = None) -> Iterator[None]:
    """Another process holds the write lock (a long backup, a script) until told, or for ``seconds``."""
    held = threading.Event()
    release = until or threading.Event()

    def hold() -> None:
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        held.set()
        release.wait(seconds)
        other.execute("COMMIT")
        other.close()

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait()
    try:
        yield
    finally:
        release.set()
        thread.join()


async def asked_for_phone(world: World, person: Person) -> int:
    contest_id, (_playground, sports) = await published_contest(world)
    await person.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=sports).pack())
    await person.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=sports).pack())
    assert person.last.markup["keyboard"][0][0]["request_contact"] is True
    return contest_id


@pytest.mark.sqlite  # SQLite's write lock, busy_timeout, max_page_count and triggers
async def test_a_write_waits_for_another_process_within_the_bound_and_answers(world: World) -> None:
    aigerim = await world.resident()
    contest_id = await asked_for_phone(world, aigerim)
    started = time.monotonic()
    with locked(world.db.path, seconds=0.5):
        await aigerim.share_contact("77011234567")
    assert time.monotonic() - started >= 0.5  # it did wait for the other process
    assert "дауысыңыз есептелді" in aigerim.last.text and await tally(world, contest_id) == 1


@pytest.mark.sqlite  # SQLite's write lock, busy_timeout, max_page_count and triggers
async def test_past_the_bound_the_person_is_asked_to_try_again_and_nothing_is_half_written(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    aigerim = await world.resident()
    ivan = await world.resident("Ivan", lang="ru")
    contest_id = await asked_for_phone(world, aigerim)
    world.db.busy_timeout = 0.3
    release = threading.Event()
    with locked(world.db.path, until=release):
        started = time.monotonic()
        await aigerim.share_contact("77011234567")
        assert time.monotonic() - started < 3.0  # bounded: 0.3 s for the step, not one wait per write
        assert aigerim.last.text == world.i18n.gettext(BUSY, locale="kk")
        await ivan.send("📄 Документы")  # what only reads still works
        assert "Документ" in ivan.last.text
    assert "locked by another process" in caplog.text
    assert await aigerim.stored("phone") is None and await tally(world, contest_id) == 0
    await aigerim.share_contact("77011234567")  # the step is still open: again, now all of it
    assert "дауысыңыз есептелді" in aigerim.last.text and await tally(world, contest_id) == 1


async def test_a_long_backup_does_not_stop_the_bot(world: World, tmp_path: Path) -> None:
    contest_id, (project, _other) = await published_contest(world)
    people = [await voter(world, f"R{i}") for i in range(8)]
    stop = threading.Event()
    result: dict[str, Any] = {}

    def backup() -> None:  # page by page, as a slow `.backup` of a big file would
        source = sqlite3.connect(world.db.path)
        target = sqlite3.connect(tmp_path / "backup.sqlite3")
        while not stop.is_set():
            source.backup(target, pages=1, progress=lambda *_: time.sleep(0.002))
        source.backup(target)
        result["integrity"] = target.execute("PRAGMA integrity_check").fetchone()[0]
        target.close()
        source.close()

    thread = threading.Thread(target=backup)
    thread.start()
    try:
        for person in people:
            await person.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
            assert "дауысыңыз есептелді" in person.last.text
    finally:
        stop.set()
        thread.join()
    assert await tally(world, contest_id) == len(people) and result["integrity"] == "ok"


async def fill_the_disk(db: Database) -> None:
    """``PRAGMA max_page_count``: the file may not grow. VACUUM packs every page first, so that a
    write needs a page more, as it needs room on a full disk."""
    await db.execute("CREATE TABLE filler (junk BLOB)")
    await db.execute("VACUUM")
    pages = int(await db.fetchval("PRAGMA page_count"))
    await db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError) as full:
        while True:
            await db.execute("INSERT INTO filler VALUES (zeroblob(512))")
    assert fault(full.value) == "full"


@pytest.mark.sqlite  # SQLite's write lock, busy_timeout, max_page_count and triggers
async def test_a_full_disk_gets_a_clear_apology_and_log_line_loses_nothing_and_recovers(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The disk fills up while residents vote: each is either counted or told plainly that nothing
    was saved; nobody is half-written; the bot stays up; when space returns, they vote again."""
    caplog.set_level(logging.ERROR)
    contest_id, (project, _other) = await published_contest(world)
    earlier = await voter(world, "Earlier")
    await earlier.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
    first = 6_000_000
    await world.db.execute(  # onboarded, without a phone: voting asks for the contact
        "INSERT INTO people (telegram_id, language, language_chosen, rural_district_id, village_id, consent_version,"
        " consent_at) SELECT 6000000 + value, 'kk', 1, ?, ?, 0, '2026-11-01T00:00:00.000Z'"
        " FROM json_each(?)",
        (world.rural_district_id, world.village_ids[0], str(list(range(150)))),
    )
    people = [world.person(f"R{i}", user_id=first + i) for i in range(150)]
    for person in people:
        await person.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=project).pack())
        await person.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
        assert person.last.markup["keyboard"][0][0]["request_contact"] is True
    await fill_the_disk(world.db)
    full = world.i18n.gettext(FULL, locale="kk")
    for i, person in enumerate(people):
        await person.share_contact(f"7701{i:07d}")
    counted = [p for p in people if "дауысыңыз есептелді" in p.last.text]
    told = [p for p in people if p.last.text == full]
    assert len(counted) + len(told) == len(people) and told, (len(counted), len(told))
    assert "THE DATABASE IS FULL" in caplog.text
    for person in people:  # all of the step or none of it
        assert (await person.stored("phone") is None) == (person in told)
    assert await tally(world, contest_id) == 1 + len(counted)  # the vote from before is still there
    await earlier.send("📄 Құжаттар")  # the bot stays up: reading works
    assert "Құжат" in earlier.last.text
    assert await world.db.fetchval("PRAGMA integrity_check") == "ok"
    await world.db.execute("PRAGMA max_page_count = 1073741823")  # space returns
    for i, person in enumerate(people):
        if person in told:  # their step is still open: the same contact again
            await person.share_contact(f"7701{i:07d}")
            assert "дауысыңыз есептелді" in person.last.text
    assert await tally(world, contest_id) == 1 + len(people)
    await world.intake.flush_marks()
    assert await world.db.fetchval("SELECT count(*) FROM inbox WHERE state = 'pending'") == 0
