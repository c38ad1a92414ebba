#!/usr/bin/env python3
"""The rural self-government bot: run it, try it, and set up a deployment.

Usage: python bot.py [COMMAND] [OPTIONS]   (no command: run)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError

from bot.config import MissingToken, Settings, describe_settings

EPILOG = """settings (environment variables, or a .env file beside bot.py):
{settings}

first steps:
  BOT_TOKEN=123:ABC python bot.py                 run the bot (long polling)
  python bot.py add-region "Алматы облысы" "Алматинская область"
  python bot.py add-district 1 "Қарасай ауданы" "Карасайский район"
  python bot.py add-rural-district 1 "Ақсай ауылдық округі" "Аксайский сельский округ"
  python bot.py add-village 1 "Ақсай" "Аксай"
  python bot.py add-staff 1 123456789
  python bot.py try                               chat with the bot in this terminal, no Telegram needed
"""


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        sys.exit(f"error: {name}: {first['msg']}")


def _with_db(work: Callable[..., Awaitable[Any]]) -> Callable[[argparse.Namespace], None]:
    """Run ``work(db, args)`` on the configured database, printing its result."""

    def command(args: argparse.Namespace) -> None:
        from bot.i18n import build_i18n
        from bot.rules.errors import DomainError
        from storage.db import Database

        settings = _settings()

        async def main() -> Any:
            db = await Database(settings.database_path).connect()
            try:
                return await work(db, args)
            finally:
                await db.close()

        try:
            result = asyncio.run(main())
        except DomainError as error:
            i18n = build_i18n()
            sys.exit("error: " + i18n.gettext(error.msgid, locale="ru").format(**error.values))
        if result is not None:
            print(result)

    return command


def cmd_run(args: argparse.Namespace) -> None:
    from bot.app import build_app, run_polling, run_webhook

    settings = _settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings.token()
    except MissingToken:
        sys.exit("error: BOT_TOKEN is not set. Get a token from @BotFather and run: BOT_TOKEN=<token> python bot.py")
    mode = args.mode or settings.mode

    async def main() -> None:
        app = await build_app(settings)
        # What start-up built (aiogram's types, the routers, the catalogs) lives as long as the
        # process: out of the collector's way, a full collection no longer walks it mid-update.
        gc.freeze()
        await (run_webhook(app) if mode == "webhook" else run_polling(app))

    asyncio.run(main())


def cmd_try(args: argparse.Namespace) -> None:
    from bot.tryout import main

    asyncio.run(main(args.database, staff=args.staff))


async def _demo(db: Any, args: argparse.Namespace) -> str:
    from bot.demo import fill
    from bot.rules.clock import SystemClock

    rd = await fill(db, SystemClock(), staff_telegram_id=args.staff)
    return f"demo rural district: id {rd}"


async def _migrate(db: Any, args: argparse.Namespace) -> str:
    return "schema is current"  # connecting applied every pending migration


async def _places(db: Any, args: argparse.Namespace) -> str:
    from storage.operator import places_tree

    return await places_tree(db)


def _op(name: str) -> Callable[[Any, argparse.Namespace], Awaitable[str]]:
    async def work(db: Any, args: argparse.Namespace) -> str:
        from storage import audit, operator

        fields = {k: v for k, v in vars(args).items() if k not in {"func", "command"}}
        result = await getattr(operator, name)(db, audit.CLI, **fields)
        return f"ok: {result}"

    return work


async def _set_consent(db: Any, args: argparse.Namespace) -> str:
    from pathlib import Path

    from storage import audit, operator

    version = await operator.set_consent_text(
        db, audit.CLI, Path(args.kk).read_text(encoding="utf-8"), Path(args.ru).read_text(encoding="utf-8")
    )
    return f"consent text version {version} published; everyone will be asked again"


def cmd_i18n(args: argparse.Namespace) -> None:
    from bot import i18n

    if args.action == "update":
        print(i18n.update_catalogs() or "catalogs already have every msgid")
    elif args.action == "fill":
        import json
        from pathlib import Path

        print(i18n.fill_catalogs(json.loads(Path(args.file).read_text(encoding="utf-8"))), "translations set")
    elif args.action == "prune":
        unused, _missing = i18n.unused_and_missing()
        i18n.drop_unused(ids=unused)
        print(f"removed {len(unused)} msgid(s) no code uses")
    elif args.action == "compile":
        i18n.compile_catalogs(force=True)
        print("compiled")
    else:
        unused, missing = i18n.unused_and_missing()
        for lang, ids in missing.items():
            for msgid in sorted(ids):
                print(f"{lang}: missing: {msgid!r}")
        for msgid in sorted(unused):
            print(f"unused: {msgid!r}")
        if any(missing.values()):
            sys.exit(1)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bot.py",
        description="Telegram bot of local self-government for rural districts of Kazakhstan (kk/ru).",
        epilog=EPILOG.format(settings=describe_settings()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="run the bot (the default)")
    run.add_argument("--mode", choices=["polling", "webhook"], help="overrides MODE")
    run.set_defaults(func=cmd_run)

    tryout = sub.add_parser("try", help="chat with the bot in this terminal against a fake Telegram (no internet)")
    tryout.add_argument("--database", default="data/try.sqlite3", help="its own database (default: %(default)s)")
    tryout.add_argument("--staff", action="store_true", help="you are staff of the demo district (see Admin)")
    tryout.set_defaults(func=cmd_try)

    demo = sub.add_parser("demo", help="fill the database with a sample rural district")
    demo.add_argument("--staff", type=int, help="Telegram id to make staff of it")
    demo.set_defaults(func=_with_db(_demo))

    sub.add_parser("migrate", help="create or update the database schema").set_defaults(func=_with_db(_migrate))
    sub.add_parser("places", help="list regions, districts, rural districts and villages with ids").set_defaults(
        func=_with_db(_places)
    )

    a = sub.add_parser("add-region", help="add a region (облыс)")
    a.add_argument("name_kk")
    a.add_argument("name_ru")
    a.set_defaults(func=_with_db(_op("add_region")))

    a = sub.add_parser("add-district", help="add a district (аудан) to a region")
    a.add_argument("region_id", type=int)
    a.add_argument("name_kk")
    a.add_argument("name_ru")
    a.set_defaults(func=_with_db(_op("add_district")))

    a = sub.add_parser("add-rural-district", help="add a rural district (ауылдық округ) to a district")
    a.add_argument("district_id", type=int)
    a.add_argument("name_kk")
    a.add_argument("name_ru")
    a.add_argument(
        "--kind",
        default="rural_district",
        choices=["rural_district", "village", "settlement"],
        help="an ауылдық округ, or an ауыл / кент with its own akim",
    )
    a.add_argument("--timezone", default="Asia/Almaty")
    a.add_argument("--office-kk", dest="office_kk", help="the akim's office, named as the data owner (kk)")
    a.add_argument("--office-ru", dest="office_ru", help="the same in Russian")
    a.set_defaults(func=_with_db(_op("add_rural_district")))

    a = sub.add_parser("add-village", help="add a village (ауылдық елді мекен) to a rural district")
    a.add_argument("rural_district_id", type=int)
    a.add_argument("name_kk")
    a.add_argument("name_ru")
    a.set_defaults(func=_with_db(_op("add_village")))

    a = sub.add_parser("add-staff", help="make a Telegram account staff of a rural district")
    a.add_argument("rural_district_id", type=int)
    a.add_argument("telegram_id", type=int)
    a.set_defaults(func=_with_db(_op("add_staff")))

    a = sub.add_parser("remove-staff", help="take the staff role away")
    a.add_argument("rural_district_id", type=int)
    a.add_argument("telegram_id", type=int)
    a.set_defaults(func=_with_db(_op("remove_staff")))

    a = sub.add_parser("set-consent", help="publish a new consent text (files in kk and ru; {owner} = the office)")
    a.add_argument("kk", help="file with the Kazakh text")
    a.add_argument("ru", help="file with the Russian text")
    a.set_defaults(func=_with_db(_set_consent))

    a = sub.add_parser("i18n", help="translation catalogs: update from the code, fill, prune, compile, check")
    a.add_argument("action", choices=["update", "fill", "prune", "compile", "check"])
    a.add_argument("file", nargs="?", help='for fill: JSON [{"msgid": ..., "kk": ..., "ru": ...}]')
    a.set_defaults(func=cmd_i18n)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.command is None:
        args.mode = None
        cmd_run(args)
        return
    args.func(args)


if __name__ == "__main__":
    main()
