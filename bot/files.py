"""Files that the bot keeps: fetched back from Telegram (or a self-hosted Bot API server).

With the cloud Bot API a bot downloads at most 20 MB through ``getFile``. A self-hosted server
started with ``--local`` answers ``getFile`` with a path on its own disk and lifts that limit;
aiogram reads such a path directly when ``TELEGRAM_API_IS_LOCAL`` is set.
"""

from __future__ import annotations

import io
from pathlib import Path

from aiogram import Bot

CLOUD_DOWNLOAD_LIMIT = 20 * 1024 * 1024


async def download(bot: Bot, file_id: str) -> bytes:
    """The bytes of a file that someone sent to this bot."""
    file = await bot.get_file(file_id)
    assert file.file_path is not None
    if bot.session.api.is_local:
        # the self-hosted server shares its disk with us: read the path it answered
        return Path(file.file_path).read_bytes()
    buffer = io.BytesIO()
    await bot.download_file(file.file_path, destination=buffer)
    return buffer.getvalue()
