"""What every update needs: the person and their role, throttling, and one place for errors.

Order (outermost first, on ``update``): errors → person → throttle; then the i18n middleware on
each event picks the person's language. The database, settings, clock and i18n reach handlers
as keyword arguments from the dispatcher's workflow data. Around all of them the intake
(bot/intake.py) holds the update's unit: its writes and its done mark in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import Chat, TelegramObject, Update, User
from aiogram.utils.i18n import I18n

from bot.i18n import N_, language_of
from bot.rules.clock import Clock
from bot.rules.errors import DomainError
from storage import people
from storage.db import Database, fault

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class PersonMiddleware(BaseMiddleware):
    """Loads (or creates, on first contact) the person behind a private update as ``person``.

    One read per update (the person, their roles and the current consent version together), and
    at most one write a day (the day they were last seen, for retention).

    Several bots (issue 18): ``bot_districts`` maps a district's own bot (its Telegram id) to its
    rural district, handed to handlers as ``bot_district`` (None: the deployment's own bot, which
    serves every district); the person's row notes the district bot they wrote to.
    """

    def __init__(self, db: Database, operator_ids: frozenset[int], clock: Clock | None = None) -> None:
        self.db, self.operator_ids, self.clock = db, operator_ids, clock

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        person = None
        bot: Bot | None = data.get("bot")
        districts: dict[int, int] = data.get("bot_districts") or {}
        bot_district = districts.get(bot.id) if bot is not None and districts else None
        data["bot_district"] = bot_district
        if user is not None and not user.is_bot and (chat is None or chat.type == "private"):
            today = self.clock.now().date().isoformat() if self.clock is not None else None
            person = await people.load_or_create(
                self.db,
                user.id,
                language_of(user),
                operator_ids=self.operator_ids,
                today=today,
                bot_id=bot.id if bot is not None and bot_district is not None else None,
            )
            # a district's bot shows only its district: a resident of another one is asked for a
            # village of this one (their row is theirs still; choosing one moves them here)
            if (
                bot_district is not None
                and person.rural_district_id not in (None, bot_district)
                and not person.is_operator
            ):
                person = replace(person, rural_district_id=None, village_id=None)
        data["person"] = person
        return await handler(event, data)


class ThrottleMiddleware(BaseMiddleware):
    """A token bucket per person: past ``rate`` updates a second they are asked, once, to slow down."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.burst = burst if burst is not None else max(rate * 2, 1.0)
        self._buckets: dict[int, tuple[float, float, bool]] = {}  # tokens, at, warned

    def allow(self, user_id: int, now: float) -> tuple[bool, bool]:
        """(let it through, warn now)."""
        tokens, at, warned = self._buckets.get(user_id, (self.burst, now, False))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[user_id] = (tokens - 1.0, now, False)
            return True, False
        self._buckets[user_id] = (tokens, now, True)
        if len(self._buckets) > 100_000:
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < 60}
        return False, not warned

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or self.rate <= 0:
            return await handler(event, data)
        allowed, warn = self.allow(user.id, time.monotonic())
        if allowed:
            return await handler(event, data)
        log.info("throttled user %s", user.id)
        if isinstance(event, Update) and event.callback_query is not None:
            # a press left unanswered keeps its spinner turning on the phone: a short word instead
            await _answer_callback(event, data, N_("One moment…"))
        elif warn:
            await _say(data, N_("You are sending messages very fast. Please wait a moment and try again."))
        return None


BUSY = N_("Sorry, the bot is very busy right now, and nothing was saved. Please try again in a minute.")
FULL = N_(
    "Sorry, the bot cannot save anything right now: its storage is full. Nothing was saved. Please try again later."
)
SORRY = N_("Sorry, something went wrong on our side. Please try again.")


class ErrorsMiddleware(BaseMiddleware):
    """A refusal (``DomainError``): its polite text. Any other exception: what the update wrote
    undone, a short apology in the person's language, a log line; a bug also clears the
    conversation state, a database that is busy (locked by another process past the bound) or
    full keeps it, so the person can simply try the step again."""

    def __init__(self, db: Database | None = None) -> None:
        self.db = db

    def _undo(self) -> None:
        if self.db is not None:  # nothing half-written: the update's unit rolls back before the apology
            self.db.rollback_unit()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except DomainError as error:
            # a refusal: the refused operation's own writes rolled back with its savepoint; what the
            # handler wrote on purpose before refusing (ending the conversation) stays
            await _say(data, error.msgid, **error.values)
            await _answer_callback(event, data)
        except Exception as error:
            self._undo()
            update_id = event.update_id if isinstance(event, Update) else None
            kind = fault(error)
            if kind == "busy":
                log.error(
                    "update %s: the database stayed locked by another process past the bound (%s); nothing was"
                    " saved and the person was asked to try again",
                    update_id,
                    error,
                )
            elif kind == "full":
                log.error(
                    "update %s: THE DATABASE IS FULL (%s): nothing was saved and the person was asked to try"
                    " again later; free disk space (or raise max_page_count) and the bot recovers by itself",
                    update_id,
                    error,
                )
            else:
                log.exception("update %s failed", update_id)
            state: FSMContext | None = data.get("state")
            try:
                if state is not None and kind is None:
                    await state.clear()
                await _say(data, BUSY if kind == "busy" else FULL if kind == "full" else SORRY)
                await _answer_callback(event, data)
            except Exception:
                log.exception("could not apologise for update %s", update_id)
        return None


async def _answer_callback(event: TelegramObject, data: dict[str, Any], msgid: str | None = None) -> None:
    """Answer a button press (stops its spinner), with a short translated text if ``msgid``."""
    if isinstance(event, Update) and event.callback_query is not None:
        bot: Bot = data["bot"]
        text = None
        if msgid is not None:
            i18n: I18n = data["i18n"]
            person = data.get("person")
            lang = person.language if person is not None else language_of(data.get("event_from_user"))
            text = i18n.gettext(msgid, locale=lang)
        try:
            await bot.answer_callback_query(event.callback_query.id, text=text)
        except Exception:  # an old query can no longer be answered; nothing to do
            log.debug("callback %s not answered", event.callback_query.id)


async def _say(data: dict[str, Any], msgid: str, **values: Any) -> None:
    """Send a translated message with the main menu to the chat of the update (private chats only)."""
    from bot.keyboards.common import main_menu  # keyboards import the i18n helpers; avoid a cycle

    chat: Chat | None = data.get("event_chat")
    i18n: I18n = data["i18n"]
    person = data.get("person")
    if chat is None or chat.type != "private":
        return
    lang = person.language if person is not None else language_of(data.get("event_from_user"))
    with i18n.context(), i18n.use_locale(lang):
        text = i18n.gettext(msgid).format(**values) if values else i18n.gettext(msgid)
        markup = main_menu(person) if person is not None and person.onboarded else None
    bot: Bot = data["bot"]
    await bot.send_message(chat.id, text, reply_markup=markup)
