"""``TELEGRAM_API_URL`` points the bot at a self-hosted Bot API server; with ``is_local`` files come by path."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build_bot
from bot.config import Settings
from bot.files import download
from tests.fake_telegram import TOKEN, FakeBotAPIServer, FakeTelegram


@pytest.fixture
async def local_server(tmp_path: Path) -> AsyncIterator[FakeBotAPIServer]:
    files = tmp_path / "server-files"
    files.mkdir()
    server = await FakeBotAPIServer(FakeTelegram(files_dir=files), is_local=True).start()
    yield server
    await server.stop()


async def test_requests_go_to_the_configured_server(local_server: FakeBotAPIServer) -> None:
    bot = build_bot(Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=local_server.url))
    try:
        me = await bot.get_me()
        assert me.username == "test_bot"
        await bot.send_message(42, "<b>Сәлем</b>")
        assert [r.method for r in local_server.telegram.requests] == ["getMe", "sendMessage"]
    finally:
        await bot.session.close()


async def test_local_mode_reads_files_by_path(local_server: FakeBotAPIServer) -> None:
    file_id = local_server.telegram.new_file(b"%PDF-1.4 protocol")
    bot = build_bot(
        Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=local_server.url, telegram_api_is_local=True)
    )
    try:
        assert await download(bot, file_id) == b"%PDF-1.4 protocol"
        answered = [r for r in local_server.telegram.requests if r.method == "getFile"]
        assert len(answered) == 1
    finally:
        await bot.session.close()


async def test_http_mode_downloads_through_the_file_endpoint() -> None:
    server = await FakeBotAPIServer().start()
    file_id = server.telegram.new_file(b"budget.xlsx bytes")
    bot = build_bot(Settings(_env_file=None, bot_token=TOKEN, telegram_api_url=server.url))
    try:
        assert await download(bot, file_id) == b"budget.xlsx bytes"
    finally:
        await bot.session.close()
        await server.stop()
