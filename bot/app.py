"""Building the bot, the dispatcher and everything around them, without module globals:
a process (or a test) can build as many as it needs."""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.i18n import I18n

import handlers
from bot import logs
from bot.commands import set_default_commands
from bot.config import Settings
from bot.fsm import SQLiteStorage
from bot.i18n import PersonI18nMiddleware, build_i18n
from bot.intake import Intake
from bot.jobs import JobContext
from bot.middlewares import ErrorsMiddleware, PersonMiddleware, ThrottleMiddleware
from bot.retry import Requests, own_retries
from bot.rules.clock import Clock, SystemClock
from bot.scheduler import Scheduler, build_scheduler, run_if_leading
from bot.web.links import PublicLinks
from storage.db import Database

log = logging.getLogger(__name__)
SHUTDOWN_GRACE = 10.0  # seconds in-flight updates get to finish on SIGTERM


def build_bot(settings: Settings, session: Any = None, *, db: Database | None = None, token: str | None = None) -> Bot:
    """A Bot for the official API, or for a self-hosted Bot API server (``TELEGRAM_API_URL``); every
    request it makes is retried as ``bot/retry.py`` says and never leaves inside a transaction.
    ``token``: a district's own bot (default: ``BOT_TOKEN``)."""
    if session is None:
        session = AiohttpSession(timeout=settings.telegram_timeout)
        if settings.telegram_api_url:
            session.api = TelegramAPIServer.from_base(
                settings.telegram_api_url, is_local=settings.telegram_api_is_local
            )
    bot = Bot(token or settings.token(), session=session, default=DefaultBotProperties(parse_mode="HTML"))
    return instrument(bot, db)


def instrument(bot: Bot, db: Database | None) -> Bot:
    """The request middleware of ``bot/retry.py`` on the bot's session (once)."""
    if not any(isinstance(m, Requests) for m in bot.session.middleware):
        bot.session.middleware(Requests(db))
    return bot


def events_isolation(settings: Settings) -> BaseEventIsolation:
    """One person's updates one at a time: in this process, or, with ``REDIS_URL``, across every
    worker sharing that Redis (aiogram's ``RedisEventIsolation``: a lock per chat and person).
    The conversation's state itself stays in the SQL database, where a step's state changes in the
    same transaction as its effects."""
    if not settings.redis_url:
        return SimpleEventIsolation()
    from aiogram.fsm.storage.redis import RedisEventIsolation

    class SharedIsolation(RedisEventIsolation):
        async def close(self) -> None:  # aiogram's leaves the connection pool open
            await self.redis.aclose(close_connection_pool=True)

    return SharedIsolation.from_url(settings.redis_url)


def build_dispatcher(
    *, db: Database, settings: Settings, clock: Clock, i18n: I18n, bot_districts: dict[int, int] | None = None
) -> Dispatcher:
    """The dispatcher with its middlewares and routers; dependencies reach handlers by name. One
    dispatcher serves every bot of the process (``bot_districts``: a district's own bot's id → its
    rural district; bot/middlewares.py hands it to handlers as ``bot_district``)."""
    # One update at a time per chat and person: a photo album or a double tap cannot race
    # through the same conversation state (updates of different people still run in parallel).
    dp = Dispatcher(
        storage=SQLiteStorage(db),
        events_isolation=events_isolation(settings),
        db=db,
        settings=settings,
        clock=clock,
        i18n=i18n,
        admin_summaries=handlers.admin_summaries(),
        started_at=clock.now(),
        bot_districts=dict(bot_districts or {}),
    )
    logs.install(dp)  # outermost: one line per update, whatever happens inside
    dp.update.outer_middleware(ErrorsMiddleware(db))
    dp.update.outer_middleware(PersonMiddleware(db, settings.operator_ids, clock))
    dp.update.outer_middleware(ThrottleMiddleware(settings.throttle_per_second))
    dp.update.outer_middleware(PublicLinks(settings.public_url))
    PersonI18nMiddleware(i18n, i18n_key="i18n").setup(dp)
    dp.include_routers(*handlers.routers())
    return dp


@dataclass
class DistrictSide:
    """A district's own bot served by the process beside the deployment's own: its Bot and intake
    (the inbox is keyed by the bot's id), its rural district and its webhook secret."""

    bot: Bot
    intake: Intake
    rural_district_id: int
    secret: str

    def path(self, settings: Settings) -> str:
        """Its webhook path: the deployment's path and the bot's id (the secret is its own)."""
        return f"{settings.webhook_path.rstrip('/')}/{self.bot.id}"


@dataclass
class App:
    """One running process: its settings, database, dispatcher, scheduler, and the bots it serves:
    the deployment's own (``bot``, ``intake``) and the districts' own (``districts``), each with its
    sender. The scheduler's jobs run where the singleton lease is held (``leader``)."""

    settings: Settings
    db: Database
    bot: Bot
    dp: Dispatcher
    i18n: I18n
    clock: Clock
    intake: Intake
    scheduler: Scheduler | None = None
    background: list[asyncio.Task[Any]] = field(default_factory=list)
    errors: logs.LastError | None = None
    districts: list[DistrictSide] = field(default_factory=list)
    leader: Any = None  # the sender whose lease the scheduler's jobs wait for (bot/sender.py)

    @property
    def job_context(self) -> JobContext:
        return JobContext(self.db, self.bot, self.clock, self.settings, self.i18n, self.errors)

    @property
    def intakes(self) -> list[Intake]:
        return [self.intake, *(side.intake for side in self.districts)]

    def senders(self) -> list[Any]:
        """One sender per bot, each with its own budget: the deployment's own bot writes to everyone
        when it is alone, else to the people who never wrote to a district's bot (or a removed one's)."""
        from dataclasses import replace

        from bot.sender import Sender
        from storage import outbox

        if not self.districts:
            return [Sender(self.job_context)]
        own = frozenset(side.rural_district_id for side in self.districts)
        found = [Sender(self.job_context, route=outbox.OWN_BOT, shows_progress=lambda rd: rd not in own)]
        for side in self.districts:
            found.append(
                Sender(
                    replace(self.job_context, bot=side.bot),
                    route=side.bot.id,
                    shows_progress=side.rural_district_id.__eq__,
                )
            )
        return found

    async def on_startup(self) -> None:
        """Commands in both languages, catch up with what fell due (where the lease is held), then
        the scheduler and the senders."""
        for bot in [self.bot, *(side.bot for side in self.districts)]:
            try:
                await set_default_commands(bot, self.i18n)
            except Exception:
                log.exception("could not register commands of bot %s", bot.id)
        from bot.sender import start_sender

        senders = self.senders()
        self.leader = senders[0]
        await run_if_leading(self.job_context, self.leader.lead)
        self.scheduler = build_scheduler(self.job_context, lease=self.leader.lead)
        self.scheduler.start()
        with own_retries():  # the sender retries each outbox row itself (the task inherits this)
            self.background += [start_sender(sender.ctx, sender) for sender in senders]

    async def on_shutdown(self) -> None:
        """Let in-flight updates finish, stop the clock and the senders, close the database."""
        if self.scheduler is not None:
            await self.scheduler.stop(SHUTDOWN_GRACE)
        await asyncio.gather(*(intake.drain(SHUTDOWN_GRACE) for intake in self.intakes))
        for task in self.background:
            task.cancel()
        await asyncio.gather(*self.background, return_exceptions=True)
        await self.db.close()


async def prepare(db: Database, i18n: I18n, settings: Settings, now: datetime) -> None:
    """What the database needs from this version of the code before the first update: the
    built-in consent text registered with the retention it names (a change of either is a new
    version, and everyone is asked again)."""
    from storage import consent, operations, personal

    await personal.vote_key(db, settings.vote_hash_key.get_secret_value() if settings.vote_hash_key else None)
    days = settings.retention_idle_days
    await operations.set_state(db, handlers.RETENTION_DAYS, str(days), now)
    hashes = [
        hashlib.sha256(f"{i18n.gettext(handlers.BUILT_IN_CONSENT, locale=lang)}|{days}".encode()).hexdigest()
        for lang in ("kk", "ru")
    ]
    version = await consent.register_builtin(db, *hashes)
    if version is not None:
        log.info("the built-in consent text is version %s: everyone is asked to agree to it", version)


async def build_app(
    settings: Settings, *, clock: Clock | None = None, session: Any = None, errors: logs.LastError | None = None
) -> App:
    from storage import bots

    db = await settings.database().connect()
    i18n = build_i18n()
    clock = clock or SystemClock()
    await prepare(db, i18n, settings, clock.now())
    own = await bots.every(db)
    dp = build_dispatcher(
        db=db,
        settings=settings,
        clock=clock,
        i18n=i18n,
        bot_districts={b.telegram_id: b.rural_district_id for b in own},
    )
    bot = build_bot(settings, session, db=db)
    app = App(settings, db, bot, dp, i18n, clock, Intake(db, dp, bot), errors=errors)
    for found in own:
        district_bot = build_bot(settings, db=db, token=found.token)
        app.districts.append(
            DistrictSide(district_bot, Intake(db, dp, district_bot), found.rural_district_id, found.webhook_secret)
        )
    if own:
        from bot.files import share_files

        share_files(app_bots := [bot, *(side.bot for side in app.districts)])
        log.info("a file_id of one bot is uploaded again for another when needed (%d bots)", len(app_bots))
        log.info("serving %d district bot(s) beside the deployment's own: %s", len(own), ", ".join(map(repr, own)))
    dp.startup.register(app.on_startup)
    dp.shutdown.register(app.on_shutdown)
    return app


def _stop_on_signals(stop: asyncio.Event) -> None:
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


async def run_polling(app: App, *, stop: asyncio.Event | None = None, handle_signals: bool = True) -> None:
    """Long polling through the inbox (bot/intake.py) until SIGTERM/SIGINT or ``stop``; the public
    pages on ``WEB_PORT`` beside it when that is set (only then are they, and jinja2, imported)."""
    public: ModuleType | None = None
    if app.settings.web_port is not None:
        public = importlib.import_module("bot.web.app")

    stop = stop or asyncio.Event()
    if handle_signals:
        _stop_on_signals(stop)
    dp, bot = app.dp, app.bot
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    pages = None
    try:
        for intake in app.intakes:
            try:
                await intake.bot.delete_webhook(drop_pending_updates=False)
            except Exception as error:  # polling itself reports (and outlasts) a Telegram that is away
                log.error("deleteWebhook of bot %s failed: %s", intake.bot.id, error)
        if public is not None:
            pages = await public.start(app.settings, app.i18n, app.clock)
        for intake in app.intakes:
            await intake.recover()
        log.info("polling for updates (bot id %s)", ", ".join(str(i.bot.id) for i in app.intakes))
        used = dp.resolve_used_update_types()
        await asyncio.gather(*(intake.poll(stop, allowed_updates=used) for intake in app.intakes))
        log.info("polling stopped")
    finally:
        try:
            if public is not None:
                await public.stop(pages)
            await dp.emit_shutdown(bot=bot, **dp.workflow_data)
        finally:
            await asyncio.gather(*(intake.bot.session.close() for intake in app.intakes))


async def run_webhook(app: App) -> None:
    """aiohttp server; Telegram's secret header is checked on every request, and each update is
    handled or kept in the inbox before the 200 (bot/intake.py). The public pages, when published
    (``WEB_PORT``), are served by the same server; their guard leaves the webhook's path alone (it
    has its own secret)."""
    from aiohttp import web

    from bot.web.app import open_app

    settings, dp, bot = app.settings, app.dp, app.bot
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    publishing = settings.web_port is not None
    exempt = frozenset({settings.webhook_path, *(side.path(settings) for side in app.districts)})
    web_app = await open_app(settings, app.i18n, app.clock, exempt=exempt) if publishing else web.Application()
    web_app.router.add_post(settings.webhook_path, app.intake.webhook_handler(secret))
    for side in app.districts:  # a path per bot, each with its own secret
        web_app.router.add_post(side.path(settings), side.intake.webhook_handler(side.secret))
    web_app.router.add_get("/health", health_handler(app))
    stop = asyncio.Event()
    _stop_on_signals(stop)
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    runner = web.AppRunner(web_app)
    try:
        for intake in app.intakes:
            await intake.recover()
        await runner.setup()
        site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
        await site.start()
        if publishing and settings.web_port != settings.webhook_port:
            await web.TCPSite(runner, settings.webhook_host, settings.web_port).start()
        assert settings.webhook_url is not None
        await bot.set_webhook(settings.webhook_url, secret_token=secret, drop_pending_updates=False)
        for side in app.districts:
            url = f"{settings.webhook_url.rstrip('/')}/{side.bot.id}"
            await side.bot.set_webhook(url, secret_token=side.secret, drop_pending_updates=False)
        log.info("webhook listening on %s:%s%s", settings.webhook_host, settings.webhook_port, settings.webhook_path)
        await stop.wait()
        log.info("stopping webhook server")
    finally:
        await runner.cleanup()
        try:
            await dp.emit_shutdown(bot=bot, **dp.workflow_data)
        finally:
            await asyncio.gather(*(intake.bot.session.close() for intake in app.intakes))


def health_handler(app: App) -> Any:
    """``GET /health``: 200 and ``{"status": "ok", …}`` when well, 503 with the problems when not."""
    from aiohttp import web

    from bot import health

    async def handle(request: web.Request) -> web.Response:
        now = app.clock.now()
        found = await health.check(app.db, now, app.settings.sender_lease_seconds)
        started = app.dp.workflow_data.get("started_at")
        return web.json_response(health.as_json(found, started_at=started, now=now), status=200 if found.well else 503)

    return handle
