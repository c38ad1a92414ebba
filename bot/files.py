"""Files that the bot keeps: fetched back from Telegram (or a self-hosted Bot API server).

With the cloud Bot API a bot downloads at most 20 MB through ``getFile``. A self-hosted server
started with ``--local`` answers ``getFile`` with a path on its own disk and lifts that limit;
aiogram reads such a path directly when ``TELEGRAM_API_IS_LOCAL`` is set.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import BufferedInputFile, Message

log = logging.getLogger(__name__)

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


# --- several bots: a file_id belongs to one bot ----------------------------------------------

FILE_FIELDS = ("photo", "document", "voice", "audio", "video", "animation")


def _foreign(error: TelegramBadRequest) -> bool:
    """Telegram's answer to a file_id another bot got (or none did)."""
    text = error.message.lower()
    return "file identifier" in text or "file_id" in text or "wrong remote file" in text


class FileCopies(BaseRequestMiddleware):
    """A session middleware for the bots of one process (issue 18). A file_id that Telegram gave
    to one bot does not work with another: initiative photos, project photos, protocols and outbox
    attachments are stored as the file_id of the bot they came through. When Telegram refuses one,
    its bytes are fetched through the bots that may know it (``getFile``) and uploaded with the
    request; the file_id the upload got is remembered for this bot (in memory: after a restart the
    first send uploads once more), so the next send is a plain file_id again. Documents keep their
    bytes and their file_ids per bot themselves (storage/documents.py)."""

    def __init__(self, bots: dict[int, Bot], copies: dict[tuple[str, int], str]) -> None:
        self.bots, self.copies = bots, copies  # shared by the process's bots
        self.uploads = 0

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Any:
        refs = _refs(method)
        if not refs:
            return await make_request(bot, method)
        known = {ref: self.copies[(ref, bot.id)] for ref in refs if (ref, bot.id) in self.copies}
        if known:
            method = _replaced(method, known)
        try:
            return await make_request(bot, method)
        except TelegramBadRequest as error:
            if not _foreign(error):
                raise
            uploads: dict[str, Any] = {}
            for ref in _refs(method):
                data = await self._fetch(ref, bot)
                if data is not None:
                    uploads[ref] = BufferedInputFile(data, filename=ref[-24:] or "file")
            if not uploads:
                raise
        log.info("bot %s got %d file(s) of another bot: uploading them", bot.id, len(uploads))
        self.uploads += len(uploads)
        result = await make_request(bot, _replaced(method, uploads))
        for ref, got in zip(list(uploads), _got(result, method, list(uploads)), strict=False):
            if got:
                self.copies[(ref, bot.id)] = got
        return result

    async def _fetch(self, file_id: str, asking: Bot) -> bytes | None:
        """The bytes of a file_id, through the first other bot that knows it."""
        for other in self.bots.values():
            if other.id == asking.id:
                continue
            try:
                return await download(other, file_id)
            except TelegramBadRequest:
                continue
            except Exception as error:
                log.warning("file %s not fetched through bot %s: %s", file_id[-12:], other.id, error)
        return None


def _refs(method: Any) -> list[str]:
    """The file_ids a request sends (not an upload, not a URL)."""
    found = [v for f in FILE_FIELDS if isinstance(v := getattr(method, f, None), str) and "://" not in v]
    for item in getattr(method, "media", None) or ():
        media = getattr(item, "media", None)
        if isinstance(media, str) and "://" not in media:
            found.append(media)
    return found


def _replaced(method: Any, by: dict[str, Any]) -> Any:
    update = {f: by[v] for f in FILE_FIELDS if isinstance(v := getattr(method, f, None), str) and v in by}
    media = getattr(method, "media", None)
    if isinstance(media, list):
        update["media"] = [
            item.model_copy(update={"media": by[item.media]})
            if isinstance(getattr(item, "media", None), str) and item.media in by
            else item
            for item in media
        ]
    return method.model_copy(update=update)


def _got(result: Any, method: Any, refs: list[str]) -> list[str | None]:
    """The file_ids Telegram gave the uploads, in the order of ``refs``."""
    messages = result if isinstance(result, list) else [result]
    ids: list[str | None] = []
    for message in messages:
        if isinstance(message, Message):
            if message.photo:
                ids.append(message.photo[-1].file_id)
                continue
            file = message.document or message.voice or message.audio or message.video or message.animation
            ids.append(file.file_id if file is not None else None)
    if isinstance(result, list):  # an album: only the uploaded items are in ``refs``
        media = [getattr(i, "media", None) for i in getattr(method, "media", None) or ()]
        return [ids[media.index(ref)] if ref in media and media.index(ref) < len(ids) else None for ref in refs]
    return ids[: len(refs)]


def share_files(bots: list[Bot]) -> dict[tuple[str, int], str]:
    """Install ``FileCopies`` on each bot of the process (inside the request middleware of
    bot/retry.py, so it runs after the update's commit); returns their shared copies."""
    copies: dict[tuple[str, int], str] = {}
    registry = {bot.id: bot for bot in bots}
    for bot in bots:
        if not any(isinstance(m, FileCopies) for m in bot.session.middleware):
            bot.session.middleware(FileCopies(registry, copies))
    return copies
