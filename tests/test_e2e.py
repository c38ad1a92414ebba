"""End to end: the real ``bot.py`` process against the fake Bot API server on 127.0.0.1, in
long-polling and in webhook mode, standing in for Telegram and for a self-hosted Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from storage import audit, operator
from storage.db import Database
from tests.fake_telegram import TOKEN, FakeBotAPIServer, FakeTelegram, Request
from tests.steps import free_port

ROOT = Path(__file__).resolve().parent.parent
USER = {"id": 5001, "is_bot": False, "first_name": "Aigerim", "language_code": "kk"}
CHAT = {"id": 5001, "type": "private", "first_name": "Aigerim"}


def webhook_env(port: int, secret: str = "s3cret-Value") -> dict[str, str]:
    """The settings of webhook mode on a local port (the webhook's URL: ``WEBHOOK_URL`` of the result)."""
    return {
        "MODE": "webhook",
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/webhook",
        "WEBHOOK_SECRET": secret,
        "WEBHOOK_HOST": "127.0.0.1",
        "WEBHOOK_PORT": str(port),
    }


async def prepare_database(path: Path) -> None:
    db = await Database(path).connect()
    region = await operator.add_region(db, audit.CLI, "Алматы облысы", "Алматинская область")
    district = await operator.add_district(db, audit.CLI, region, "Қарасай ауданы", "Карасайский район")
    rd = await operator.add_rural_district(db, audit.CLI, district, "Ақсай ауылдық округі", "Аксайский сельский округ")
    await operator.add_village(db, audit.CLI, rd, "Ақсай", "Аксай")
    await db.close()


@asynccontextmanager
async def bot_process(
    tmp_path: Path, server: FakeBotAPIServer, *, prepare: bool = True, log: Path | None = None, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``bot.py`` on ``tmp_path/bot.sqlite3`` (set up first unless ``prepare=False``: a restart); its
    output on a pipe, or appended to ``log`` (a storm writes more than a pipe holds unread)."""
    database = tmp_path / "bot.sqlite3"
    if prepare:
        await prepare_database(database)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "MODE", "WEBHOOK", "TELEGRAM"))}
    output = log.open("ab") if log is not None else None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "bot.py",
        cwd=ROOT,
        env={
            **clean,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": server.url,
            "DATABASE_PATH": str(database),
            "TICK_SECONDS": "0.5",
            **env,
        },
        stdout=asyncio.subprocess.PIPE if output is None else output,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        if output is not None:
            output.close()


async def wait_for(telegram: FakeTelegram, what: Callable[[Request], bool], timeout: float = 120.0) -> Request:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for request in telegram.requests:
            if what(request):
                return request
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out; last requests: {[(r.method, r.text[:60]) for r in telegram.requests[-5:]]}")


def message(text: str, message_id: int) -> dict[str, Any]:
    update: dict[str, Any] = {
        "message": {"message_id": message_id, "date": int(time.time()), "chat": CHAT, "from": USER, "text": text}
    }
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return update


def callback(data: str, under: Request) -> dict[str, Any]:
    result_id = 1
    return {
        "callback_query": {
            "id": str(time.monotonic_ns()),
            "from": USER,
            "chat_instance": "c",
            "data": data,
            "message": {
                "message_id": result_id,
                "date": int(time.time()),
                "chat": CHAT,
                "text": under.text,
                "reply_markup": under.markup,
            },
        }
    }


def to_user(text: str) -> Callable[[Request], bool]:
    return lambda r: r.method == "sendMessage" and r.chat_id == USER["id"] and text in r.text


async def walk_onboarding(telegram: FakeTelegram) -> None:
    """/start → language → village → consent → the main menu, as a person would tap."""
    telegram.push_update(message("/start", 1))
    greeting = await wait_for(telegram, to_user("Сәлеметсіз бе"))
    assert greeting.buttons == ["Қазақша", "Русский"]
    telegram.push_update(callback("lang:ru", greeting))
    village = await wait_for(telegram, to_user("Выберите своё село."))
    assert village.buttons == ["Аксай"]
    telegram.push_update(callback(village.inline[0]["callback_data"], village))
    consent = await wait_for(telegram, to_user("Согласие на обработку персональных данных"))
    telegram.push_update(callback("cons:1", consent))
    menu = await wait_for(telegram, to_user("Спасибо! Главное меню"))
    assert menu.buttons == ["💡 Инициативы", "🗳 Конкурсы", "📅 Мероприятия", "📄 Документы", "⚙️ Настройки"]
    commands = [r for r in telegram.requests if r.method == "setMyCommands"]
    assert {c.params.get("language_code") for c in commands} >= {"kk", "ru"}


async def test_polling_walks_start_to_menu_and_stops_cleanly_on_sigterm(
    tmp_path: Path, server: FakeBotAPIServer
) -> None:
    async with bot_process(tmp_path, server) as process:
        await walk_onboarding(server.telegram)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, output.decode()
        assert b"Traceback" not in output
    db = await Database(tmp_path / "bot.sqlite3").connect()
    try:
        row = await db.fetchone("SELECT language, village_id, consent_version FROM people WHERE telegram_id = 5001")
        assert tuple(row) == ("ru", 1, 0)  # type: ignore[arg-type]
        # the conversation state of the person is clean: nothing half-stored
        assert await db.fetchval("SELECT count(*) FROM fsm_states WHERE state IS NOT NULL") == 0
    finally:
        await db.close()


async def test_webhook_mode_checks_the_secret_and_walks_start_to_menu(tmp_path: Path, server: FakeBotAPIServer) -> None:
    env = webhook_env(free_port())
    url = env["WEBHOOK_URL"]
    async with bot_process(tmp_path, server, **env) as process:
        hook = await wait_for(server.telegram, lambda r: r.method == "setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "s3cret-Value"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=message("/start", 99)) as forged:
                assert forged.status == 401
            async with http.post(
                url, json=message("/start", 98), headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as forged:
                assert forged.status == 401
        await asyncio.sleep(0.3)
        assert not [r for r in server.telegram.requests if r.method == "sendMessage"]
        await walk_onboarding(server.telegram)
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 120)
        assert process.returncode == 0
