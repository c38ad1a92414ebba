"""The baseline of ``python -m bench size``: a bare aiogram bot, started as ``bot.py`` is, that echoes.

``BOT_TOKEN`` and ``TELEGRAM_API_URL`` as for ``bot.py``; long polling; a message is answered with
its text, a button with its data.
"""

from __future__ import annotations

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import CallbackQuery, Message


def echo_dispatcher() -> Dispatcher:
    """aiogram alone: a message is answered with its text, a button with its data (also ``bench screens``' baseline)."""
    dp = Dispatcher()

    @dp.message()
    async def echo_message(message: Message) -> None:
        await message.answer(message.text or "…")

    @dp.callback_query()
    async def echo_callback(query: CallbackQuery) -> None:
        await query.answer()
        assert isinstance(query.message, Message)
        await query.message.answer(query.data or "…")

    return dp


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session, default=DefaultBotProperties(parse_mode="HTML"))
    dp = echo_dispatcher()
    await bot.delete_webhook(drop_pending_updates=False)
    await dp.start_polling(bot, handle_signals=True, close_bot_session=True)


if __name__ == "__main__":
    asyncio.run(main())
