"""Telegram's command menu (``setMyCommands``): by default, per language, and per chat."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import LANGUAGES


def commands(i18n: I18n, lang: str) -> list[BotCommand]:
    with i18n.use_locale(lang):
        return [
            BotCommand(command="start", description=_("Start over")),
            BotCommand(command="menu", description=_("Main menu")),
            BotCommand(command="language", description=_("Change language")),
            BotCommand(command="cancel", description=_("Cancel the current step")),
            BotCommand(command="help", description=_("Help")),
        ]


async def set_chat_commands(bot: Bot, i18n: I18n, chat_id: int, lang: str) -> None:
    """Telegram's command menu in the language the person chose, for their chat only."""
    await bot.set_my_commands(commands(i18n, lang), scope=BotCommandScopeChat(chat_id=chat_id))


async def set_default_commands(bot: Bot, i18n: I18n) -> None:
    """Registered once at start: Kazakh by default, Russian for Russian-language clients."""
    with i18n.context():
        await bot.set_my_commands(commands(i18n, "kk"))
        for lang in LANGUAGES:
            await bot.set_my_commands(commands(i18n, lang), language_code=lang)
