"""The test harness: a real dispatcher on a real SQLite file, a Bot whose session records every
request (answered by the fake Telegram, which refuses what Telegram refuses), a fixed clock, and
people who ``send`` and ``press`` like a person would.

    world = await World.create(tmp_path)
    alice = world.person("Alice", language_code="ru")
    await alice.send("/start")
    await alice.press("Русский")
    assert "Выберите" in alice.last.text
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from aiogram.utils.i18n import I18n

from bot.app import build_dispatcher, instrument, prepare
from bot.config import Settings
from bot.i18n import build_i18n
from bot.intake import Intake
from bot.jobs import JobContext
from bot.retry import Requests, own_retries
from bot.rules.clock import FixedClock
from bot.scheduler import run_due
from storage import audit, operator
from storage.db import Database
from tests import servers
from tests.fake_telegram import BOT_ID, SEND_METHODS, TOKEN, FakeTelegram, Request

SCREEN_MESSAGES = 3  # messages one update may send to one chat (bot/retry.py paces any more)

# Wednesday 25 November 2026, 15:00 in Almaty (UTC+5)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class RecordingSession(BaseSession):
    """Answers in-process through the fake Telegram; every request is kept in ``telegram.requests``."""

    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__()
        self.telegram = telegram

    async def close(self) -> None:
        pass

    def params(self, bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
        files: dict[str, Any] = {}
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is None or prepared == "":
                continue
            params[key] = prepared
        for key, value in params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                upload = files[value[len("attach://") :]]
                params[key] = getattr(upload, "data", None) or b"(file)"
        return params

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        fault = self.telegram.fault(method.__api_method__)
        if fault is not None:  # before Telegram does anything with it, as over HTTP
            self.telegram.requests.append(Request(method.__api_method__, self.params(bot, method), status=0))
            if fault == "5xx":
                body = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
                self.check_response(bot=bot, method=method, status_code=502, content=json.dumps(body))
            raise TelegramNetworkError(method=method, message=f"injected {fault}")
        status, body = self.telegram.handle(method.__api_method__, self.params(bot, method))
        await self.telegram.held_back(method.__api_method__)
        response = self.check_response(bot=bot, method=method, status_code=status, content=json.dumps(body))
        return response.result  # type: ignore[return-value]

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncIterator[bytes]:
        file_id = Path(url).stem
        yield self.telegram.files.get(file_id, b"")


class World:
    """One bot, its database and its people, at a fixed time."""

    def __init__(
        self,
        db: Database,
        dp: Dispatcher,
        bot: Bot,
        telegram: FakeTelegram,
        clock: FixedClock,
        settings: Settings,
        i18n: I18n,
        path: Path,
    ) -> None:
        self.db, self.dp, self.bot, self.telegram = db, dp, bot, telegram
        self.clock, self.settings, self.i18n, self.path = clock, settings, i18n, path
        self._isolations: list[Any] = []  # each dispatcher's event isolation, closed with the world
        self._ids = itertools.count(1)
        self._user_ids = itertools.count(100001)
        self.rural_district_id = 0
        self.village_ids: list[int] = []

    @classmethod
    async def create(cls, tmp_path: Path, *, setup: bool = True, **settings: Any) -> World:
        db_path = tmp_path / "bot.sqlite3"
        isolation = servers.shared_isolation()  # the PostgreSQL pass of CI: Redis's, as two workers use
        config = Settings(
            _env_file=None,
            **{"bot_token": TOKEN, "database_path": db_path, "throttle_per_second": 0, **isolation, **settings},
        )
        db = await servers.database(db_path)
        telegram = FakeTelegram()
        world = cls(db, Dispatcher(), Bot(TOKEN), telegram, FixedClock(NOW), config, build_i18n(), tmp_path)
        await prepare(db, world.i18n, config, NOW)  # as the bot does at start
        world.restart_dispatcher(close_db=False)
        if setup:
            await world.add_rural_district()
        return world

    def restart_dispatcher(self, *, close_db: bool = False) -> None:
        """A new dispatcher and Bot on the same database file, as after a restart of the process."""
        self.dp = build_dispatcher(db=self.db, settings=self.settings, clock=self.clock, i18n=self.i18n)
        self._isolations.append(self.dp.fsm.events_isolation)
        self.bot = Bot(TOKEN, session=RecordingSession(self.telegram), default=DefaultBotProperties(parse_mode="HTML"))
        instrument(self.bot, self.db)
        self.requests.base_delay = 0.01  # the retries' backoff, short: a test waits for events, not seconds
        self.intake = Intake(self.db, self.dp, self.bot)

    async def restart(self) -> None:
        """Close the database and open it again, new dispatcher: what survives a process restart."""
        await self.intake.drain(0)
        await self.db.close()
        self.db = await self.db.reopened().connect()
        await prepare(self.db, self.i18n, self.settings, self.clock.now())
        self.restart_dispatcher()

    @property
    def requests(self) -> Requests:
        """The bot's request middleware (bot/retry.py): retries, pace, the unit's commit."""
        return next(m for m in self.bot.session.middleware if isinstance(m, Requests))

    async def close(self) -> None:
        await self.intake.drain(0)
        await self.db.close()
        for isolation in self._isolations:
            await isolation.close()

    @property
    def job_context(self) -> JobContext:
        return JobContext(self.db, self.bot, self.clock, self.settings, self.i18n)

    async def tick(self) -> None:
        """Run every scheduled job once, as the scheduler would now."""
        await run_due(self.job_context)

    async def deliver(self) -> None:
        """Send everything due in the outbox, as the sender would."""
        from bot import sender

        with own_retries():  # as in the process: the sender retries each row itself
            await sender.deliver_due(self.job_context)

    async def add_rural_district(
        self,
        name_kk: str = "Ақсай ауылдық округі",
        name_ru: str = "Аксайский сельский округ",
        villages: tuple[tuple[str, str], ...] = (("Ақсай", "Аксай"), ("Бесағаш", "Бесагаш")),
    ) -> int:
        """A rural district with villages; the first one added is the world's default."""
        actor = audit.CLI
        region = await operator.add_region(self.db, actor, "Алматы облысы", "Алматинская область")
        district = await operator.add_district(self.db, actor, region, "Қарасай ауданы", "Карасайский район")
        rd = await operator.add_rural_district(self.db, actor, district, name_kk, name_ru)
        ids = [await operator.add_village(self.db, actor, rd, kk, ru) for kk, ru in villages]
        if not self.rural_district_id:
            self.rural_district_id, self.village_ids = rd, ids
        return rd

    def person(
        self, first_name: str = "Aigerim", *, language_code: str | None = "kk", user_id: int | None = None
    ) -> Person:
        return Person(self, user_id or next(self._user_ids), first_name, language_code)

    async def resident(
        self,
        first_name: str = "Aigerim",
        *,
        lang: str = "kk",
        consent: bool = True,
        village: int = 0,
        rural_district_id: int | None = None,
    ) -> Person:
        """A person who went through /start → language → (district) → village → consent."""
        person = self.person(first_name, language_code=lang)
        await person.send("/start")
        await person.press("Қазақша" if lang == "kk" else "Русский")
        rd = rural_district_id or self.rural_district_id
        if person.last.inline and any(b.get("callback_data", "").startswith("pick:rd:") for b in person.last.inline):
            await person.press_data(f"pick:rd:{rd}")
        rows = await self.db.fetchall("SELECT id FROM villages WHERE rural_district_id = ? ORDER BY id", (rd,))
        await person.press_data(f"pick:v:{rows[village][0]}")
        await person.press_data(f"cons:{int(consent)}")
        assert await person.stored("rural_district_id") == rd
        return person

    async def staff(
        self, first_name: str = "Staff", *, lang: str = "kk", rural_district_id: int | None = None
    ) -> Person:
        """A staff member of a rural district (the world's default one)."""
        rd = rural_district_id or self.rural_district_id
        person = await self.resident(first_name, lang=lang, rural_district_id=rd)
        await operator.add_staff(self.db, audit.CLI, rd, person.user_id)
        await person.send("/menu")
        return person

    @asynccontextmanager
    async def restarted(self) -> AsyncIterator[None]:
        await self.restart()
        yield


class Person:
    """Someone in a private chat with the bot."""

    def __init__(self, world: World, user_id: int, first_name: str, language_code: str | None) -> None:
        self.world, self.user_id, self.first_name, self.language_code = world, user_id, first_name, language_code

    # --- what the bot sent -------------------------------------------------------------

    @property
    def inbox(self) -> list[Request]:
        """Every message the bot sent or edited in this chat, oldest first."""
        return self.world.telegram.sent_to(self.user_id)

    @property
    def last(self) -> Request:
        inbox = self.inbox
        assert inbox, f"the bot sent nothing to {self.first_name}"
        return inbox[-1]

    def texts(self, since: int = 0) -> list[str]:
        return [r.text for r in self.inbox[since:]]

    # --- building updates --------------------------------------------------------------

    def _user(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self.world._ids),
            "date": int(self.world.clock.now().timestamp()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": self._user(),
            **content,
        }

    async def feed(self, update: dict[str, Any]) -> list[Request]:
        """Feed one update to the real dispatcher through the inbox, as the process does; return
        what the bot sent because of it."""
        before = len(self.world.telegram.requests)
        self.world.telegram.hear(update)
        update = {"update_id": next(self.world._ids), **update}
        await self.world.intake.take(Update.model_validate(update, context={"bot": self.world.bot}))
        caused = self.world.telegram.requests[before:]
        self._check_pace(caused)
        return caused

    def _check_pace(self, caused: list[Request]) -> None:
        """Telegram allows about one message a second to a chat, with a short burst: one screen sends
        at most SCREEN_MESSAGES in any second to one chat (bot/retry.py spaces any more)."""
        times: dict[int | None, list[float]] = defaultdict(list)
        for r in caused:
            if r.status == 200 and r.method.lower() in SEND_METHODS:
                times[r.chat_id].append(r.at)
        for chat, at in times.items():
            for first, last in zip(at, at[SCREEN_MESSAGES:], strict=False):
                if last - first < 1.0:
                    self.world.telegram.violations.append(
                        f"one screen sent more than {SCREEN_MESSAGES} messages to chat {chat} in a second"
                    )
                    return

    async def send(self, text: str, **extra: Any) -> list[Request]:
        entities = (
            [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else None
        )
        content: dict[str, Any] = {"text": text, **extra}
        if entities:
            content["entities"] = entities
        return await self.feed({"message": self._message(**content)})

    async def send_content(self, **content: Any) -> list[Request]:
        """A message with anything: ``sticker=…``, ``photo=[…]``, ``voice=…``, ``location=…``."""
        return await self.feed({"message": self._message(**content)})

    async def send_sticker(self) -> list[Request]:
        return await self.send_content(
            sticker={
                "file_id": "STK1",
                "file_unique_id": "stk1",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        )

    async def send_photo(
        self, file_id: str = "PHOTO1", caption: str | None = None, media_group_id: str | None = None
    ) -> list[Request]:
        content: dict[str, Any] = {
            "photo": [{"file_id": file_id, "file_unique_id": "u" + file_id, "width": 800, "height": 600}]
        }
        if caption:
            content["caption"] = caption
        if media_group_id:
            content["media_group_id"] = media_group_id
        return await self.send_content(**content)

    async def send_voice(self, file_id: str = "VOICE1", duration: int = 5) -> list[Request]:
        return await self.send_content(
            voice={"file_id": file_id, "file_unique_id": "u" + file_id, "duration": duration}
        )

    async def send_location(self, latitude: float = 43.2, longitude: float = 76.9) -> list[Request]:
        return await self.send_content(location={"latitude": latitude, "longitude": longitude})

    async def send_document(
        self,
        file_id: str = "DOC1",
        file_name: str = "file.pdf",
        file_size: int = 1000,
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> list[Request]:
        content: dict[str, Any] = {
            "document": {
                "file_id": file_id,
                "file_unique_id": "u" + file_id,
                "file_name": file_name,
                "file_size": file_size,
                "mime_type": mime_type,
            }
        }
        if caption:
            content["caption"] = caption
        return await self.send_content(**content)

    async def share_contact(self, phone: str, *, own: bool = True) -> list[Request]:
        """Telegram's contact button: the contact carries the sender's user id when it is their own."""
        contact = {"phone_number": phone, "first_name": self.first_name}
        if own:
            contact["user_id"] = self.user_id
        else:
            contact["user_id"] = self.user_id + 1
        return await self.send_content(contact=contact)

    # --- pressing buttons --------------------------------------------------------------

    def find_button(self, label: str) -> tuple[Request, dict[str, Any] | str]:
        """The newest message with a button whose text is (or contains) ``label``."""
        for request in reversed(self.inbox):
            for exact in (True, False):
                for row in request.markup.get("inline_keyboard") or request.markup.get("keyboard") or []:
                    for button in row:
                        text = button["text"] if isinstance(button, dict) else str(button)
                        if (text == label) if exact else (label in text):
                            return request, button
        raise AssertionError(
            f"no button {label!r} for {self.first_name}; last: {self.inbox[-1].buttons if self.inbox else []}"
        )

    async def press(self, label: str) -> list[Request]:
        """Press a button by its label: an inline button sends its callback, a reply button its text."""
        request, button = self.find_button(label)
        if isinstance(button, dict) and "callback_data" in button:
            return await self.press_data(button["callback_data"], message=request)
        text = button["text"] if isinstance(button, dict) else str(button)
        return await self.send(text)

    async def press_data(self, data: str, message: Request | None = None) -> list[Request]:
        """Send a callback with any data, as a forged or stale button would."""
        message = message or (self.inbox[-1] if self.inbox else None)
        msg: dict[str, Any] = {
            "message_id": 1,
            "date": int(self.world.clock.now().timestamp()),
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Test Bot"},
            "text": "…",
        }
        if message is not None:
            msg["message_id"] = int(message.params.get("message_id") or 1)
            if message.text:
                msg["text"] = message.text
            if message.markup.get("inline_keyboard"):
                msg["reply_markup"] = message.markup
        query = {
            "id": str(next(self.world._ids)),
            "from": self._user(),
            "chat_instance": "ci",
            "message": msg,
            "data": data,
        }
        sent = await self.feed({"callback_query": query})
        answered = [r for r in sent if r.method.lower() == "answercallbackquery"]
        if not any(str(r.params.get("callback_query_id")) == query["id"] for r in answered):
            # Telegram shows a spinner on the button until the bot answers, for up to a minute
            self.world.telegram.violations.append(f"the press of {data!r} was never answered")
        return sent

    # --- what was stored ---------------------------------------------------------------

    async def stored(self, column: str) -> Any:
        return await self.world.db.fetchval(f"SELECT {column} FROM people WHERE telegram_id = ?", (self.user_id,))

    async def person_id(self) -> int:
        return int(await self.stored("id"))


# --- scenario builders ----------------------------------------------------------------------


async def published_contest(
    world: World,
    projects: list[tuple[str, int]] | None = None,
    *,
    budget: int = 5_000_000,
    village_ids: list[int] | None = None,
    opens: datetime | None = None,
    closes: datetime | None = None,
    rural_district_id: int | None = None,
    publish: bool = True,
    titles: tuple[str, str] = ("Саябақ жобалары", "Проекты парков"),
    descriptions: tuple[str, str] = ("Ауылға не керек?", "Что нужно селу?"),
    project_descriptions: tuple[str, str] = ("Сипаттама", "Описание"),
) -> tuple[int, list[int]]:
    """A contest with projects (title, cost), open now for a week unless told otherwise, stored the way
    the staff's admin flow stores it. A project's Russian title is its Kazakh one with « (ru)»."""
    from storage import contests
    from storage.audit import CLI

    rd = rural_district_id or world.rural_district_id
    if village_ids is None:
        rows = await world.db.fetchall("SELECT id FROM villages WHERE rural_district_id = ? ORDER BY id", (rd,))
        village_ids = [r[0] for r in rows]
    contest_id = await contests.create(
        world.db,
        CLI,
        rural_district_id=rd,
        titles=titles,
        descriptions=descriptions,
        village_ids=village_ids,
        money={"budget": budget, "fees": 0, "sponsors": 0, "investors": 0},
        opens_at=opens or NOW - timedelta(hours=1),
        closes_at=closes or NOW + timedelta(days=7),
    )
    ids = []
    for title, cost in projects or [("Балалар ойын алаңы", 2_000_000), ("Спорт алаңы", 3_000_000)]:
        ids.append(
            await contests.add_project(
                world.db,
                CLI,
                contest_id=contest_id,
                titles=(title, title + " (ru)"),
                descriptions=project_descriptions,
                category="playground",
                village_id=village_ids[0],
                cost=cost,
                photo_file_id=None,
            )
        )
    if publish:
        await contests.publish(
            world.db,
            CLI,
            contest_id=contest_id,
            now=world.clock.now(),
            texts={"kk": "Конкурс", "ru": "Конкурс"},
            buttons=None,
        )
    return contest_id, ids
