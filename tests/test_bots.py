"""Several bots in one deployment (issue 18): a rural district's own bot, added with one command
(checked with getMe), served by the same process; its residents see only its district, and each
bot's sender writes to the people who wrote to that bot."""

from __future__ import annotations

import argparse
import asyncio
import copy
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.types import InputMediaPhoto

from bot.app import instrument
from bot.files import share_files
from bot.intake import Intake
from bot.retry import own_retries
from bot.sender import Sender
from storage import audit, bots, operator, outbox
from storage.db import Database
from tests.fake_telegram import TOKEN, FakeBotAPIServer, FakeTelegram
from tests.harness import NOW, RecordingSession, World
from tests.test_e2e import bot_process, callback, free_port, message, prepare_database, wait_for
from tests.test_operations import cli

B_ID = 654321
B_TOKEN = f"{B_ID}:TEST-token-of-the-district-bot-000000"


async def second_district(world: World) -> int:
    return await world.add_rural_district("Қайнар ауылдық округі", "Кайнарский сельский округ", (("Қайнар", "Кайнар"),))


async def district_bot(world: World, rural_district_id: int, *, own_files_only: bool = False) -> World:
    """The world as the people of the district's own bot see it: the same database and dispatcher,
    another Bot (its own fake Telegram), another intake."""
    await bots.add(
        world.db, audit.CLI, rural_district_id, token=B_TOKEN, telegram_id=B_ID, username="kainar_bot", now=NOW
    )
    world.dp["bot_districts"] = {B_ID: rural_district_id}
    view = copy.copy(world)
    view.telegram = FakeTelegram(bot_id=B_ID, username="kainar_bot", own_files_only=own_files_only)
    view.bot = Bot(B_TOKEN, session=RecordingSession(view.telegram), default=DefaultBotProperties(parse_mode="HTML"))
    instrument(view.bot, world.db)
    view.intake = Intake(world.db, world.dp, view.bot)
    return view


async def send_all(world: World, own: World) -> None:
    """What the senders of both bots send now, as the process runs them (bot.app.App.senders)."""
    with own_retries():
        for ctx, route in ((world.job_context, outbox.OWN_BOT), (own.job_context, B_ID)):
            sender = Sender(ctx, route=route)
            await sender.run_once()
            await sender.unregister()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    world = await World.create(tmp_path)
    yield world
    await world.close()


# --- the operator's command ------------------------------------------------------------------


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    yield path


async def test_add_bot_checks_the_token_with_get_me_and_refuses_a_bad_one_politely(
    database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await FakeBotAPIServer().start()
    server.add_bot(B_TOKEN)
    monkeypatch.setenv("TELEGRAM_API_URL", server.url)
    try:
        await prepare_database(database)

        code, _out, err = await asyncio.to_thread(cli, "add-bot", "1", "not-a-token")
        assert code == 1 and "does not look like a token" in err
        unknown = "777777:TEST-token-nobody-knows-at-all-000000"
        code, _out, err = await asyncio.to_thread(cli, "add-bot", "1", unknown)
        assert code == 1 and "Telegram does not know this token" in err and "Traceback" not in err
        code, _out, err = await asyncio.to_thread(cli, "add-bot", "9", B_TOKEN)
        assert code == 1 and "no rural district 9" in err
        code, _out, err = await asyncio.to_thread(cli, "add-bot", "1", TOKEN)
        assert code == 1 and "the deployment's own bot" in err
        assert not [r for r in server.bots[B_TOKEN].requests if r.method == "getMe"]  # refused before asking

        code, out, err = await asyncio.to_thread(cli, "add-bot", "1", B_TOKEN)
        assert code == 0, err
        assert f"@bot{B_ID} (id {B_ID})" in out
        assert [r.method for r in server.bots[B_TOKEN].requests] == ["getMe"]
        code, _out, err = await asyncio.to_thread(cli, "add-bot", "1", B_TOKEN)
        assert code == 1 and "has its bot already" in err

        code, out, _err = await asyncio.to_thread(cli, "bots")
        assert f"rural district 1: @bot{B_ID} (id {B_ID})" in out
        code, out, _err = await asyncio.to_thread(cli, "remove-bot", "1")
        assert code == 0 and "removed" in out
        code, out, _err = await asyncio.to_thread(cli, "bots")
        assert "none" in out
    finally:
        await server.stop()
    db = await Database(database).connect()
    try:
        actions = [r[0] for r in await db.fetchall("SELECT action FROM audit_log WHERE action LIKE '%_bot'")]
        assert actions == ["add_bot", "remove_bot"]
    finally:
        await db.close()


def test_add_bot_has_help() -> None:
    code, out, _err = cli("add-bot", "--help")
    assert code == 0 and "getMe" in out and "rural_district_id" in out


# --- residents of a district's bot ---------------------------------------------------------------


async def test_a_district_bot_offers_only_its_villages_and_refuses_another_district(world: World) -> None:
    kainar = await second_district(world)
    own = await district_bot(world, kainar)
    dana = own.person("Dana", language_code="ru")
    await dana.send("/start")
    await dana.press("Русский")
    assert dana.last.text == "Выберите своё село." and dana.last.buttons == ["Кайнар"]
    assert not world.telegram.sent_to(dana.user_id)  # all through the district's bot
    # a forged press for a place of another district is refused
    caused = await dana.press_data(f"pick:v:{world.village_ids[0]}")
    assert any("больше недоступен" in r.text for r in caused)
    assert await dana.stored("village_id") is None
    await dana.press("Кайнар")
    assert await dana.stored("rural_district_id") == kainar
    assert await dana.stored("bot_id") == B_ID

    # a resident of the other district who writes to this bot sees only this one too
    aigerim = await world.resident("Aigerim")
    meets = own.person("Aigerim", user_id=aigerim.user_id)
    await meets.send("/start")
    await meets.press("Қазақша")
    assert meets.last.buttons == ["Қайнар"]
    assert await aigerim.stored("rural_district_id") == kainar  # the ask moved them here: this bot's district
    await own.intake.drain(0)


async def test_each_bot_sends_to_the_people_who_wrote_to_it_with_its_own_budget(world: World) -> None:
    kainar = await second_district(world)
    own = await district_bot(world, kainar)
    aigerim = await world.resident("Aigerim")
    dana = await own.resident("Dana", rural_district_id=kainar)
    async with world.db.transaction() as tx:
        for rd in (world.rural_district_id, kainar):
            people = await outbox.residents(tx, rd)
            await outbox.enqueue(
                tx, rural_district_id=rd, kind="notice", texts={"kk": f"Хабар {rd}"}, recipients=people
            )
    both = [s.token for s in (Sender(world.job_context), Sender(own.job_context))]
    assert len(set(both)) == 2
    with own_retries():
        deployment = Sender(world.job_context, route=outbox.OWN_BOT)
        district = Sender(own.job_context, route=B_ID)
        assert deployment.limiter is not district.limiter  # a send budget per token
        assert await district.run_once() == 1
        assert await deployment.run_once() == 1
        await deployment.unregister()
        await district.unregister()
    assert aigerim.last.text == f"Хабар {world.rural_district_id}"
    assert dana.last.text == f"Хабар {kainar}"
    assert not [r for r in own.telegram.requests if r.chat_id == aigerim.user_id]
    assert not [r for r in world.telegram.requests if r.chat_id == dana.user_id]
    await own.intake.drain(0)


async def test_one_bot_alone_sends_to_everyone_as_before(world: World) -> None:
    aigerim = await world.resident("Aigerim")
    async with world.db.transaction() as tx:
        people = await outbox.residents(tx, world.rural_district_id)
        await outbox.enqueue(
            tx, rural_district_id=world.rural_district_id, kind="notice", texts={"kk": "Хабар"}, recipients=people
        )
    await world.deliver()
    assert aigerim.last.text == "Хабар"
    assert await aigerim.stored("bot_id") is None  # nothing new is written in a one-bot deployment


# --- one process, every token ----------------------------------------------------------------


async def prepare_two_bots(path: Path) -> int:
    await prepare_database(path)
    db = await Database(path).connect()
    try:
        region = await operator.add_region(db, audit.CLI, "Алматы облысы", "Алматинская область")
        district = await operator.add_district(db, audit.CLI, region, "Қарасай ауданы", "Карасайский район")
        rd = await operator.add_rural_district(db, audit.CLI, district, "Қайнар ауылдық округі", "Кайнарский с. о.")
        await operator.add_village(db, audit.CLI, rd, "Қайнар", "Кайнар")
        await bots.add(db, audit.CLI, rd, token=B_TOKEN, telegram_id=B_ID, username="kainar_bot", now=NOW)
        return rd
    finally:
        await db.close()


USER_ID = 5001


async def walk_to_village(telegram: FakeTelegram, first: int) -> None:
    telegram.push_update(message("/start", first))
    greeting = await wait_for(telegram, lambda r: r.method == "sendMessage" and r.chat_id == USER_ID)
    telegram.push_update(callback("lang:ru", greeting))
    village = await wait_for(telegram, lambda r: r.chat_id == USER_ID and "Выберите своё село." in r.text)
    assert village.buttons == ["Кайнар"]


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPIServer]:
    server = await FakeBotAPIServer().start()
    server.add_bot(B_TOKEN)
    yield server
    await server.stop()


async def test_one_process_polls_every_token(tmp_path: Path, server: FakeBotAPIServer) -> None:
    await prepare_two_bots(tmp_path / "bot.sqlite3")
    async with bot_process(tmp_path, server, prepare=False) as process:
        await walk_to_village(server.bots[B_TOKEN], 1)
        assert not [r for r in server.telegram.requests if r.method == "sendMessage"]
        server.telegram.push_update(message("/start", 2))  # the deployment's own bot still answers
        await wait_for(server.telegram, lambda r: r.method == "sendMessage" and r.chat_id == USER_ID)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0 and b"Traceback" not in output, output.decode()
    db = await Database(tmp_path / "bot.sqlite3").connect()
    try:
        bots_seen = {r[0] for r in await db.fetchall("SELECT DISTINCT bot_id FROM inbox")}
        assert bots_seen == {B_ID, int(TOKEN.split(":")[0])}  # each bot's updates in its own inbox
    finally:
        await db.close()


async def test_webhook_mode_has_a_path_and_a_secret_per_bot(tmp_path: Path, server: FakeBotAPIServer) -> None:
    await prepare_two_bots(tmp_path / "bot.sqlite3")
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhook"
    async with bot_process(
        tmp_path,
        server,
        prepare=False,
        MODE="webhook",
        WEBHOOK_URL=url,
        WEBHOOK_SECRET="s3cret-Value",
        WEBHOOK_HOST="127.0.0.1",
        WEBHOOK_PORT=str(port),
    ) as process:
        district = server.bots[B_TOKEN]
        hook = await wait_for(district, lambda r: r.method == "setWebhook")
        assert hook.params["url"] == f"{url}/{B_ID}"
        secret = hook.params["secret_token"]
        assert secret and secret != "s3cret-Value"
        async with aiohttp.ClientSession() as http:
            for wrong in ("s3cret-Value", "wrong"):  # the deployment's secret does not open the district's path
                headers = {"X-Telegram-Bot-Api-Secret-Token": wrong}
                async with http.post(f"{url}/{B_ID}", json=message("/start", 99), headers=headers) as forged:
                    assert forged.status == 401
        await walk_to_village(district, 1)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        assert process.returncode == 0


# --- a file_id belongs to one bot ------------------------------------------------------------


async def test_an_attachment_of_one_bot_is_uploaded_again_for_another_then_sent_by_its_file_id(world: World) -> None:
    world.telegram.own_files_only = True
    kainar = await second_district(world)
    own = await district_bot(world, kainar, own_files_only=True)
    copies = share_files([world.bot, own.bot])
    aigerim = await world.resident("Aigerim")
    dana = await own.resident("Dana", rural_district_id=kainar)
    erlan = await own.resident("Erlan", rural_district_id=kainar)
    photo = world.telegram.new_file(b"the photo's bytes")  # staff sent it to the deployment's bot
    async with world.db.transaction() as tx:
        everyone = [await p.person_id() for p in (aigerim, dana, erlan)]
        await outbox.enqueue(
            tx,
            rural_district_id=kainar,
            kind="notice",
            texts={"kk": "Сурет"},
            recipients=everyone,
            media_type="photo",
            media_ref=photo,
        )
    await send_all(world, own)
    assert aigerim.last.method == "sendPhoto" and aigerim.last.params["photo"] == photo
    sent = [r for r in own.telegram.requests if r.method == "sendPhoto" and r.status == 200]
    assert len(sent) == 2
    uploads = [r for r in sent if isinstance(r.params["photo"], bytes)]
    assert [u.params["photo"] for u in uploads] == [b"the photo's bytes"]  # once, then its own file_id
    by_id = [r for r in sent if isinstance(r.params["photo"], str)]
    assert by_id and by_id[0].params["photo"].startswith(f"B{B_ID}-")
    assert {dana.user_id, erlan.user_id} == {r.chat_id for r in sent}
    refused = [r for r in own.telegram.requests if r.method == "sendPhoto" and r.status == 400]
    assert len(refused) == 1  # the other bot's file_id, tried once
    # an album of the other bot's photos (an initiative's) through the district's bot
    more = [world.telegram.new_file(b"one"), world.telegram.new_file(b"two")]
    await own.bot.send_media_group(dana.user_id, [InputMediaPhoto(media=p) for p in more])
    album = [r for r in own.telegram.requests if r.method == "sendMediaGroup" and r.status == 200]
    assert len(album) == 1
    assert all(m["media"].startswith("attach://") for m in album[0].params["media"])  # both uploaded
    assert {(p, B_ID) for p in [photo, *more]} == set(copies)  # the next send is a plain file_id
    assert not [(ref, bot) for ref, bot in copies if bot == world.bot.id]  # its own files stay as they were
    await own.intake.drain(0)


# --- moving a district's residents to its own bot ------------------------------------------------


async def test_the_old_bot_announces_the_new_one_and_a_resident_who_starts_it_keeps_their_data(world: World) -> None:
    from bot.cli import _announce_bot

    kainar = await second_district(world)
    aigerim = await world.resident("Aigerim")  # another district: not told
    dana = await world.resident("Dana", lang="ru", rural_district_id=kainar)  # on the deployment's bot
    before = await world.db.fetchone(
        "SELECT id, language, village_id, consent_version FROM people WHERE telegram_id = ?", (dana.user_id,)
    )
    own = await district_bot(world, kainar)
    args = argparse.Namespace(rural_district_id=kainar)
    assert "1 resident(s) still on another bot are told about @kainar_bot" in await _announce_bot(world.db, args)
    await send_all(world, own)
    told = dana.last
    assert "@kainar_bot" in told.text and "Откройте его" in told.text
    assert told.inline == [{"text": "Открыть @kainar_bot", "url": "https://t.me/kainar_bot?start=moved"}]
    assert not any("kainar_bot" in text for text in aigerim.texts())
    assert not own.telegram.sent_to(dana.user_id)  # the new bot cannot write first

    moved = own.person("Dana", language_code="ru", user_id=dana.user_id)
    await moved.send("/start moved")
    assert moved.last.text.startswith("С возвращением") and "⚙️ Настройки" in moved.last.buttons
    after = await world.db.fetchone(
        "SELECT id, language, village_id, consent_version FROM people WHERE telegram_id = ?", (dana.user_id,)
    )
    assert tuple(after) == tuple(before)  # type: ignore[arg-type]  # the same person, their data kept
    assert await dana.stored("bot_id") == B_ID
    assert "0 resident(s)" in await _announce_bot(world.db, args)  # nobody left to tell

    async with world.db.transaction() as tx:
        people = await outbox.residents(tx, kainar)
        await outbox.enqueue(tx, rural_district_id=kainar, kind="notice", texts={"ru": "Новость"}, recipients=people)
    await send_all(world, own)
    assert moved.last.text == "Новость"  # from now on through the district's bot
    assert dana.last is told
    await own.intake.drain(0)


async def test_a_pause_telegram_asks_of_one_bot_holds_only_its_senders(world: World) -> None:
    kainar = await second_district(world)
    own = await district_bot(world, kainar)
    district = Sender(own.job_context, route=B_ID)
    deployment = Sender(world.job_context, route=outbox.OWN_BOT)
    await district._paused(5)
    assert (await outbox.claim(world.db, "x", world.clock.now(), 1, route=B_ID))[1] is not None
    assert (await outbox.claim(world.db, "x", world.clock.now(), 1, route=outbox.OWN_BOT))[1] is None
    await deployment._paused(3)
    assert (await outbox.claim(world.db, "x", world.clock.now(), 1, route=outbox.OWN_BOT))[1] is not None
    await own.intake.drain(0)
