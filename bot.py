#!/usr/bin/env python3
"""The rural self-government bot: run it, try it, and set up a deployment.

Usage: python bot.py [COMMAND] [OPTIONS]   (no command: run)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cli import register
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

running it for years:
  python bot.py backup /var/backups/aul/today.tar.gz   an online copy with the documents' files
  python bot.py restore /var/backups/aul/today.tar.gz  with the bot stopped
  python bot.py health                                 exit code 0 when well, 1 when not
  python bot.py district 1 quiet 22:00-08:00           a district's settings (district 1: show them)
  python bot.py export /srv/open-data                  public lists as CSV and JSON
  python bot.py add-bot 1 123456789:AAE...             a rural district's own bot (then: announce-bot 1)
"""


def _settings() -> Settings:
    from bot.cli import settings

    return settings()


def _with_db(work: Callable[..., Awaitable[Any]]) -> Callable[[argparse.Namespace], None]:
    from bot.cli import with_db

    return with_db(work)


def cmd_run(args: argparse.Namespace) -> None:
    settings = _settings()  # a setting that is wrong is one line at once, before aiogram's types load
    try:
        settings.token()
    except MissingToken:
        sys.exit("error: BOT_TOKEN is not set. Get a token from @BotFather and run: BOT_TOKEN=<token> python bot.py")

    from bot.app import build_app, run_polling, run_webhook
    from bot.logs import setup_logging
    from storage.db import SchemaTooNew

    errors = setup_logging(settings.log_level, settings.log_format)
    mode = args.mode or settings.mode

    async def main() -> None:
        app = await build_app(settings, errors=errors)
        # What start-up built (aiogram's types, the routers, the catalogs) lives as long as the
        # process: out of the collector's way, a full collection no longer walks it mid-update.
        gc.freeze()
        await (run_webhook(app) if mode == "webhook" else run_polling(app))

    try:
        asyncio.run(main())
    except SchemaTooNew as error:
        sys.exit(f"error: {error}")


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
    register(sub)

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
