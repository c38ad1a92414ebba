"""The sender: order, limits, 429, 403, retries, idempotence, recovery, quiet hours, languages."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from bot import sender
from bot.jobs import JobContext
from bot.rules.clock import from_db, to_db
from bot.rules.delivery import (
    Outcome,
    RateLimiter,
    backoff,
    classify,
    fair_order,
    parse_send_at,
    quiet_until,
)
from storage import outbox
from storage.db import Database
from tests.fake_telegram import Limits
from tests.harness import World
from tests.steps import koktobe

ALMATY = "Asia/Almaty"


async def add_people(
    world: World, n: int, *, rural_district_id: int | None = None, lang: str = "kk", first_id: int = 500000
) -> list[int]:
    """Residents stored directly (the sender does not care how they came)."""
    rd = rural_district_id or world.rural_district_id
    village = await world.db.fetchval("SELECT id FROM villages WHERE rural_district_id = ? ORDER BY id", (rd,))
    ids = []
    async with world.db.transaction() as tx:
        for i in range(n):
            ids.append(
                await tx.execute(
                    "INSERT INTO people (telegram_id, language, language_chosen, rural_district_id, village_id,"
                    " consent_version) VALUES (?, ?, 1, ?, ?, 0)",
                    (first_id + i, lang, rd, village),
                )
            )
    return ids


async def queue(
    world: World,
    recipients: list[int],
    *,
    kind: str = "announcement",
    texts: dict[str, str] | None = None,
    rural_district_id: int | None = None,
    not_before: datetime | None = None,
) -> int:
    async with world.db.transaction() as tx:
        return await outbox.enqueue(
            tx,
            rural_district_id=rural_district_id or world.rural_district_id,
            kind=kind,
            texts=texts or {"kk": "Сәлеметсіз бе", "ru": "Здравствуйте"},
            recipients=recipients,
            not_before=to_db(not_before) if not_before else None,
        )


async def rows(world: World, message_id: int) -> list[dict[str, object]]:
    found = await world.db.fetchall("SELECT * FROM outbox WHERE message_id = ? ORDER BY id", (message_id,))
    return [dict(r) for r in found]


async def one_failing(world: World, status: int, error: str, times: int = 1) -> int:
    """A message queued to one person; Telegram answers its first ``times`` sends with ``status``."""
    message = await queue(world, await add_people(world, 1))
    world.telegram.fail(lambda r: r.method == "sendMessage", status, error, times=times)
    return message


async def outcome(world: World, message_id: int) -> tuple[object, object, object]:
    """The state, attempts and error of a message's only row."""
    row = (await rows(world, message_id))[0]
    return row["state"], row["attempts"], row["error"]


def sends(world: World) -> list[tuple[int | None, str]]:
    return [(r.chat_id, r.text) for r in world.telegram.requests if r.method == "sendMessage"]


# --- languages and idempotence ------------------------------------------------------------------


async def test_each_resident_gets_the_message_once_in_their_own_language(world: World) -> None:
    aigerim = await world.resident("Aigerim", lang="kk")
    ivan = await world.resident("Ivan", lang="ru")
    message = await queue(world, [await aigerim.person_id(), await ivan.person_id()])
    await world.deliver()
    assert aigerim.last.text == "Сәлеметсіз бе"
    assert ivan.last.text == "Здравствуйте"
    before = len(world.telegram.requests)
    await world.deliver()
    assert len(world.telegram.requests) == before  # nothing sent twice
    assert [(r["state"], r["attempts"]) for r in await rows(world, message)] == [("sent", 1), ("sent", 1)]
    assert all(r["telegram_message_id"] for r in await rows(world, message))


async def test_language_is_picked_when_the_message_leaves_not_when_queued(world: World) -> None:
    aigerim = await world.resident("Aigerim", lang="kk")
    await queue(world, [await aigerim.person_id()])
    await aigerim.send("/language")
    await aigerim.press("Русский")
    await world.deliver()
    assert aigerim.last.text == "Здравствуйте"


async def test_a_text_missing_in_one_language_goes_in_the_other(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    await queue(world, [await ivan.person_id()], texts={"kk": "Тек қазақша", "ru": ""})
    await world.deliver()
    assert ivan.last.text == "Тек қазақша"


# --- order -----------------------------------------------------------------------------------------


async def test_reminders_go_before_announcements_and_districts_take_turns(world: World) -> None:
    other = await koktobe(world)
    big = await add_people(world, 4, first_id=600000)
    small = await add_people(world, 1, rural_district_id=other, first_id=700000)
    await queue(world, big, texts={"kk": "big", "ru": "big"})
    await queue(world, small, texts={"kk": "small", "ru": "small"}, rural_district_id=other)
    await queue(world, big[3:], kind="reminder", texts={"kk": "reminder", "ru": "reminder"})
    await world.deliver()
    assert sends(world) == [
        (600003, "reminder"),
        (600000, "big"),
        (700000, "small"),
        (600001, "big"),
        (600002, "big"),
        (600003, "big"),
    ]


def test_fair_order_serves_districts_in_turn_within_each_priority() -> None:
    rows = [(9, 1, 1, "a1"), (9, 1, 2, "a2"), (9, 1, 3, "a3"), (9, 2, 4, "b1"), (1, 2, 5, "r"), (9, 3, 6, "c1")]
    assert fair_order(rows) == ["r", "a1", "b1", "c1", "a2", "a3"]


# --- limits, 429 --------------------------------------------------------------------------------------


async def test_sender_keeps_the_global_and_per_chat_limits(world: World) -> None:
    world.settings = world.settings.model_copy(update={"send_rate": 10.0})
    world.telegram.limits = Limits(per_second=10, per_chat_per_second=1, retry_after=1)
    people = await add_people(world, 15)
    await queue(world, people)
    await queue(world, people[:2], kind="status", texts={"kk": "second", "ru": "second"})
    await world.deliver()
    assert world.telegram.count_429 == 0
    assert len(sends(world)) == 17
    times = [r.at for r in world.telegram.requests if r.method == "sendMessage"]
    assert times[-1] - times[0] >= 1.0  # 17 requests at 10 a second take more than a second
    for chat in (500000, 500001):  # two messages to one chat: a second apart
        at = [r.at for r in world.telegram.requests if r.chat_id == chat]
        assert at[1] - at[0] >= 1.0


async def test_429_pauses_every_request_for_retry_after_then_sends_the_rest(world: World) -> None:
    people = await add_people(world, 4)
    message = await queue(world, people)
    world.telegram.fail(lambda r: r.chat_id == 500001, 429, "Too Many Requests: retry after 1", retry_after=1)
    await world.deliver()
    requests = [r for r in world.telegram.requests if r.method == "sendMessage"]
    refused = next(r for r in requests if r.status == 429)
    later = [r for r in requests if r.at > refused.at]
    assert later and all(r.at - refused.at >= 1.0 for r in later)  # nothing inside retry_after
    assert sorted(r.chat_id for r in requests if r.status == 200) == [500000, 500001, 500002, 500003]
    row = next(r for r in await rows(world, message) if r["person_id"] == people[1])
    assert row["state"] == "sent" and row["attempts"] == 1  # the 429 did not count as an attempt
    assert await world.db.fetchval("SELECT until FROM delivery_pause") is not None


# --- 403, chat not found ----------------------------------------------------------------------------


async def test_a_resident_who_blocked_the_bot_is_marked_unreachable_until_they_write_again(world: World) -> None:
    aigerim = await world.resident("Aigerim")
    world.telegram.blocked.add(aigerim.user_id)
    first = await queue(world, [await aigerim.person_id()])
    await world.deliver()
    assert await aigerim.stored("unreachable_at") is not None
    row = (await rows(world, first))[0]
    assert row["state"] == "skipped" and str(row["error"]).startswith("unreachable: Forbidden")
    # later messages are skipped without asking Telegram
    second = await queue(world, [await aigerim.person_id()], kind="status")
    before = len(world.telegram.requests)
    await world.deliver()
    assert len(world.telegram.requests) == before
    assert (await rows(world, second))[0]["state"] == "skipped"
    # they unblock the bot and write: reachable again
    world.telegram.blocked.discard(aigerim.user_id)
    await aigerim.send("/menu")
    assert await aigerim.stored("unreachable_at") is None
    await queue(world, [await aigerim.person_id()], kind="status", texts={"kk": "Қайта", "ru": "Снова"})
    await world.deliver()
    assert aigerim.last.text == "Қайта"


async def test_chat_not_found_marks_the_person_unreachable(world: World) -> None:
    people = await add_people(world, 2)
    world.telegram.gone.add(500000)
    message = await queue(world, people)
    await world.deliver()
    states = {r["person_id"]: (r["state"], r["error"]) for r in await rows(world, message)}
    assert states[people[0]] == ("skipped", "unreachable: Bad Request: chat not found")
    assert states[people[1]] == ("sent", None)
    assert await world.db.fetchval("SELECT unreachable_at FROM people WHERE id = ?", (people[0],)) is not None


# --- retries -------------------------------------------------------------------------------------------


async def test_server_errors_are_retried_after_a_backoff(world: World) -> None:
    message = await one_failing(world, 502, "Bad Gateway")
    await world.deliver()
    assert await outcome(world, message) == ("pending", 1, "Bad Gateway")
    row = (await rows(world, message))[0]
    assert from_db(str(row["next_attempt"])) == world.clock.now() + timedelta(seconds=2)
    await world.deliver()  # not yet
    assert (await rows(world, message))[0]["state"] == "pending"
    world.clock.advance(seconds=2)
    await world.deliver()
    assert await outcome(world, message) == ("sent", 2, None)


async def test_the_sender_gives_up_after_max_attempts_and_says_why(world: World) -> None:
    message = await one_failing(world, 502, "Bad Gateway", times=10)
    for _ in range(world.settings.send_max_attempts):
        await world.deliver()
        world.clock.advance(minutes=10)
    row = (await rows(world, message))[0]
    assert row["state"] == "failed"
    assert row["attempts"] == world.settings.send_max_attempts == 5
    assert row["error"] == "gave up after 5 attempts: Bad Gateway"
    requests = len(world.telegram.requests)
    world.clock.advance(hours=1)
    await world.deliver()
    assert len(world.telegram.requests) == requests


async def test_a_message_telegram_refuses_fails_at_once(world: World) -> None:
    message = await one_failing(world, 400, "Bad Request: can't parse entities")
    await world.deliver()
    assert await outcome(world, message) == ("failed", 1, "Bad Request: can't parse entities")


# --- claims, recovery, two processes -------------------------------------------------------------------


async def test_two_senders_on_one_database_never_send_the_same_row(world: World) -> None:
    people = await add_people(world, 40)
    await queue(world, people)
    other_db = await Database(world.db.path).connect()
    try:
        other = JobContext(other_db, world.bot, world.clock, world.settings, world.i18n)
        first, second = await asyncio.gather(sender.deliver_due(world.job_context), sender.deliver_due(other))
    finally:
        await other_db.close()
    chats = [chat for chat, _text in sends(world)]
    assert sorted(chats) == list(range(500000, 500040))  # each exactly once
    assert first + second == 40


async def _claimed_by(world: World, token: str, person_ids: list[int], message: int, *, started: bool) -> None:
    async with world.db.transaction() as tx:
        for person_id in person_ids:
            await tx.execute(
                "UPDATE outbox SET state = 'sending', claimed_by = ?, claimed_at = ?, started_at = ?,"
                " attempts = attempts + ? WHERE message_id = ? AND person_id = ?",
                (
                    token,
                    to_db(world.clock.now()),
                    to_db(world.clock.now()) if started else None,
                    int(started),
                    message,
                    person_id,
                ),
            )


async def _sender(world: World, token: str, *, pid: int, beat: datetime) -> None:
    async with world.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO senders (token, host, pid, started_at, beat_at) VALUES (?, ?, ?, ?, ?)",
            (token, sender.HOST, pid, to_db(beat), to_db(beat)),
        )


async def test_rows_a_killed_sender_left_are_sent_after_restart_and_sent_rows_are_not(world: World) -> None:
    people = await add_people(world, 4)
    message = await queue(world, people)
    await _sender(world, "killed", pid=2**22 + 12345, beat=world.clock.now())  # no such process here
    await _claimed_by(world, "killed", people[:2], message, started=False)  # claimed, never tried
    await _claimed_by(world, "killed", people[2:3], message, started=True)  # request was out at the kill
    async with world.db.transaction() as tx:
        await tx.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ? WHERE person_id = ?", (to_db(world.clock.now()), people[3])
        )
    await world.restart()
    await world.deliver()
    assert sorted(chat for chat, _ in sends(world)) == [500000, 500001, 500002]  # not 500003: it was sent
    by_person = {r["person_id"]: r for r in await rows(world, message)}
    assert all(by_person[p]["state"] == "sent" for p in people)
    assert by_person[people[0]]["attempts"] == 1
    assert by_person[people[2]]["attempts"] == 2  # the interrupted attempt counts
    assert await world.db.fetchval("SELECT count(*) FROM senders") == 0


async def test_a_live_senders_claims_are_not_taken_until_its_lease_runs_out(world: World) -> None:
    people = await add_people(world, 2)
    message = await queue(world, people)
    await _sender(world, "elsewhere", pid=os.getpid(), beat=world.clock.now())  # alive: our own pid
    await _claimed_by(world, "elsewhere", people[:1], message, started=True)
    await world.deliver()
    assert [chat for chat, _ in sends(world)] == [500001]
    assert (await rows(world, message))[0]["state"] == "sending"
    world.clock.advance(seconds=world.settings.sender_lease_seconds + 1)  # it stopped beating
    await world.deliver()
    assert [chat for chat, _ in sends(world)] == [500001, 500000]
    row = (await rows(world, message))[0]
    assert row["state"] == "sent"


async def test_what_fell_due_while_the_bot_was_down_is_sent_at_start(world: World) -> None:
    people = await add_people(world, 2)
    await queue(world, people, not_before=world.clock.now() + timedelta(hours=1))
    await world.deliver()
    assert sends(world) == []
    await world.close()
    world.clock.advance(hours=5)  # down for hours
    await world.restart()
    await world.deliver()
    assert len(sends(world)) == 2


# --- quiet hours --------------------------------------------------------------------------------------


async def test_quiet_hours_hold_announcements_until_morning_but_not_reminders(world: World) -> None:
    world.clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))  # 23:00 in Almaty
    people = await add_people(world, 1)
    announcement = await queue(world, people, texts={"kk": "хабарландыру", "ru": "объявление"})
    await queue(world, people, kind="reminder", texts={"kk": "еске салу", "ru": "напоминание"})
    await world.deliver()
    assert [text for _, text in sends(world)] == ["еске салу"]
    row = (await rows(world, announcement))[0]
    assert row["state"] == "pending"
    assert from_db(str(row["next_attempt"])) == datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 08:00 in Almaty
    world.clock.set(datetime(2026, 11, 26, 2, 59, tzinfo=UTC))
    await world.deliver()
    assert len(sends(world)) == 1
    world.clock.set(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    await world.deliver()
    assert [text for _, text in sends(world)] == ["еске салу", "хабарландыру"]


async def test_quiet_hours_are_set_per_district(world: World) -> None:
    async with world.db.transaction() as tx:  # 15:00 in Almaty falls in this district's quiet hours
        await tx.execute(
            "UPDATE rural_districts SET quiet_start = '14:00', quiet_end = '16:00' WHERE id = ?",
            (world.rural_district_id,),
        )
    people = await add_people(world, 1)
    await queue(world, people, kind="notice")
    await world.deliver()
    assert sends(world) == []
    world.clock.advance(hours=1)
    await world.deliver()
    assert len(sends(world)) == 1


def test_quiet_hours_cross_midnight_in_the_district_time_zone() -> None:
    def at(hour: int, minute: int = 0) -> datetime:  # Almaty time → UTC
        return datetime(2026, 11, 25, hour, minute, tzinfo=UTC) - timedelta(hours=5)

    morning = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
    assert quiet_until(at(22), ALMATY, "22:00", "08:00") == morning
    assert quiet_until(at(23, 59), ALMATY, "22:00", "08:00") == morning
    assert quiet_until(at(21, 59), ALMATY, "22:00", "08:00") is None
    assert quiet_until(at(8), ALMATY, "22:00", "08:00") is None
    assert quiet_until(at(7, 59), ALMATY, "22:00", "08:00") == datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    assert quiet_until(at(13), ALMATY, "12:00", "14:00") == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert quiet_until(at(3), ALMATY, "00:00", "00:00") is None  # equal: never quiet


# --- the rules on their own -----------------------------------------------------------------------------


def test_telegram_answers_mean_what_the_sender_does() -> None:
    assert classify(200) is Outcome.SENT
    assert classify(429, "Too Many Requests: retry after 5") is Outcome.PAUSE
    assert classify(403, "Forbidden: bot was blocked by the user") is Outcome.UNREACHABLE
    assert classify(403, "Forbidden: user is deactivated") is Outcome.UNREACHABLE
    assert classify(400, "Bad Request: chat not found") is Outcome.UNREACHABLE
    assert classify(400, "Bad Request: message is too long") is Outcome.FAILED
    assert classify(502, "Bad Gateway") is Outcome.RETRY
    assert classify(None, "connection reset") is Outcome.RETRY


def test_backoff_doubles_and_is_bounded() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff(30).total_seconds() == 600


def test_the_limiter_spaces_requests_keeps_a_sliding_second_and_the_pause() -> None:
    limiter = RateLimiter(rate=4, per_chat=1, margin=0.0)
    assert limiter.wait(1, 10.0) == 0
    limiter.record(1, 10.0)
    assert limiter.wait(2, 10.0) == 0.25  # evenly spaced: a quarter of a second apart
    for chat, at in ((2, 10.25), (3, 10.5), (4, 10.75)):
        assert limiter.wait(chat, at) == 0
        limiter.record(chat, at)
    assert round(limiter.wait(5, 10.9), 6) == 0.1  # four in the last second: wait for the first to leave the window
    assert limiter.wait(5, 11.0) == 0
    assert limiter.wait(1, 11.0) == 0
    assert limiter.wait(2, 11.0) == 0.25  # one a second to one chat
    limiter.pause(5, 11.0)
    assert limiter.wait(5, 12.0) == 4.0


def test_a_schedule_time_is_read_in_the_district_time_zone() -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    assert parse_send_at("26.11 09:00", now, ALMATY) == datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    assert parse_send_at("26.11.2026 9:30", now, ALMATY) == datetime(2026, 11, 26, 4, 30, tzinfo=UTC)
    assert parse_send_at("01.01 10:00", now, ALMATY) == datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    assert parse_send_at("31.02 10:00", now, ALMATY) is None
    assert parse_send_at("tomorrow", now, ALMATY) is None
