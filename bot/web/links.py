"""Addresses of the public pages, and the «🌐 On the web» button under what the bot shows.

The bot knows its public address (``PUBLIC_URL``) and the person's rural district only while it
handles an update: ``PublicLinks`` (an outer middleware) puts both in a context variable, so a
keyboard function can add the button without every handler passing them down. Outside an update
(scheduled notices) and without ``PUBLIC_URL`` there is no button.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiogram import BaseMiddleware
from aiogram.types import InlineKeyboardButton, TelegramObject
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

LANGUAGES = ("kk", "ru")


@dataclass(frozen=True, slots=True)
class Links:
    public_url: str  # e.g. https://aksai.kz/bot, without the trailing slash
    rural_district_id: int | None


_current: ContextVar[Links | None] = ContextVar("public_links", default=None)


def base_path(public_url: str | None) -> str:
    """The path the pages live under behind a reverse proxy: ``/bot`` for https://aksai.kz/bot."""
    return urlsplit(public_url).path.rstrip("/") if public_url else ""


def page_path(lang: str, rural_district_id: int, *parts: str | int) -> str:
    """``/kk/1/documents/12`` (no base): the same shape the web app's routes read."""
    tail = "/".join(str(part) for part in parts)
    return f"/{lang}/{rural_district_id}/" + tail


def page_url(public_url: str, lang: str, rural_district_id: int, *parts: str | int) -> str:
    return public_url.rstrip("/") + page_path(lang, rural_district_id, *parts)


class PublicLinks(BaseMiddleware):
    """Makes ``web_button`` work inside handlers when ``PUBLIC_URL`` is set."""

    def __init__(self, public_url: str | None) -> None:
        self.public_url = public_url

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not self.public_url:
            return await handler(event, data)
        person = data.get("person")
        token = _current.set(Links(self.public_url, getattr(person, "rural_district_id", None)))
        try:
            return await handler(event, data)
        finally:
            _current.reset(token)


def web_url(*parts: str | int) -> str | None:
    """The page of the person's rural district, in their language; None without ``PUBLIC_URL``."""
    links = _current.get()
    if links is None or links.rural_district_id is None:
        return None
    lang = str(get_i18n().current_locale)
    return page_url(links.public_url, lang if lang in LANGUAGES else LANGUAGES[0], links.rural_district_id, *parts)


def web_button(*parts: str | int) -> InlineKeyboardButton | None:
    url = web_url(*parts)
    return None if url is None else InlineKeyboardButton(text=_("🌐 On the web"), url=url)


def web_row(*parts: str | int) -> list[list[InlineKeyboardButton]]:
    """``[[button]]`` to add to a keyboard's rows, or ``[]``."""
    button = web_button(*parts)
    return [[button]] if button is not None else []
