"""The operator's commands of ``bot.py``: the set-up (places, staff, operators, the consent text),
a district's settings, «stop all sending», backups and restoring, the public export, health, and
the audit trail. Each has ``--help``. Heavy imports happen inside the commands, so ``--help`` is quick.

Errors of the operator's making (an unknown id, the last staff member, a folder that is not
empty…) end the command with one ``error:`` line and exit code 1; nothing is half-written.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from bot.config import Settings

Work = Callable[[Any, argparse.Namespace], Awaitable[Any]]


def settings() -> Settings:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()  # type: ignore[call-arg]  # from the environment
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).upper() or "settings"
        sys.exit(f"error: {name}: {first['msg']}")


def operator_locale() -> str | None:
    """The terminal's language when the bot speaks it (``LANG=kk_KZ.UTF-8``, ``ru_RU``…), else
    None: the command line's own words (its help, its «ok» lines) are English, and so are its
    errors then."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return value[:2] if value[:2] in ("kk", "ru") else None
    return None


def domain_error(error: Any) -> NoReturn:
    from bot.i18n import build_i18n

    locale = operator_locale()
    text = build_i18n().gettext(error.msgid, locale=locale) if locale else error.msgid
    sys.exit("error: " + text.format(**error.values))


def with_db(work: Work, *, migrate: bool = True) -> Callable[[argparse.Namespace], None]:
    """Run ``work(db, args)`` on the configured database (``args.settings`` set), printing its result."""

    def command(args: argparse.Namespace) -> None:
        from bot.rules.errors import DomainError
        from storage.db import SchemaTooNew

        args.settings = settings()

        async def main() -> Any:
            db = await args.settings.database().connect(migrate=migrate)
            try:
                return await work(db, args)
            finally:
                await db.close()

        try:
            result = asyncio.run(main())
        except DomainError as error:
            domain_error(error)
        except SchemaTooNew as error:
            sys.exit(f"error: {error}")
        except sqlite3.DatabaseError as error:  # not a database, or damaged: one line, not a traceback
            sys.exit(f"error: {args.settings.database_path}: {error}")
        if result:
            print(result)

    return command


def _now() -> Any:
    from bot.rules.clock import SystemClock

    return SystemClock().now()


def _op(name: str) -> Work:
    """A verb of ``storage/operator.py`` with the command's arguments, as the command line (``CLI``)."""

    async def work(db: Any, args: argparse.Namespace) -> str:
        from storage import audit, operator

        fields = {k: v for k, v in vars(args).items() if k not in {"func", "command", "settings"}}
        result = await getattr(operator, name)(db, audit.CLI, **fields)
        return f"ok: {result}"

    return work


async def _places(db: Any, args: argparse.Namespace) -> str:
    from storage.operator import places_tree

    return await places_tree(db)


async def _set_consent(db: Any, args: argparse.Namespace) -> str:
    from storage import audit, operator

    version = await operator.set_consent_text(
        db, audit.CLI, Path(args.kk).read_text(encoding="utf-8"), Path(args.ru).read_text(encoding="utf-8")
    )
    return f"consent text version {version} published; everyone will be asked again"


async def _staff(db: Any, args: argparse.Namespace) -> str:
    from storage import districts, operator
    from storage import events as community

    found = await districts.get(db, args.rural_district_id)
    if found is None:
        return f"no rural district {args.rural_district_id}"
    lines = [f"staff of {found.name_kk} / {found.name_ru}:"]
    lines += [
        f"  telegram {s.telegram_id} (person {s.person_id}), since {s.since[:10]}, last seen {s.seen_on or '-'}"
        for s in await operator.staff(db, args.rural_district_id)
    ] or ["  nobody"]
    lines.append("representatives (members of the meeting):")
    lines += [
        f"  telegram {m.telegram_id} (person {m.person_id}), village {m.village_id}{' (chair)' if m.chair else ''}"
        for m in await community.members(db, args.rural_district_id)
    ] or ["  nobody"]
    return "\n".join(lines)


async def _operators(db: Any, args: argparse.Namespace) -> str:
    from storage import operator

    lines = [f"  {tid} (OPERATOR_IDS)" for tid in sorted(args.settings.operator_ids)]
    lines += [f"  {tid} (add-operator)" for tid in await operator.operator_ids(db)]
    return "operators:\n" + ("\n".join(lines) or "  nobody: set OPERATOR_IDS")


async def _remove_operator(db: Any, args: argparse.Namespace) -> str:
    from storage import audit, operator

    removed = await operator.remove_operator(db, audit.CLI, args.telegram_id, args.settings.operator_ids)
    return "ok: removed" if removed else "nothing to change: not an operator added with add-operator"


async def _district(db: Any, args: argparse.Namespace) -> str:
    from storage import audit, districts

    if args.setting is not None:
        if args.value is None:
            sys.exit("error: give the new value after the setting")
        await districts.change(db, audit.CLI, args.rural_district_id, args.setting, args.value, now=_now())
    found = await districts.get(db, args.rural_district_id)
    if found is None:
        return f"no rural district {args.rural_district_id}"
    quiet = "off" if found.quiet_start == found.quiet_end else f"{found.quiet_start}-{found.quiet_end}"
    return "\n".join(
        [
            f"{found.id}: {found.name_kk} / {found.name_ru}",
            f"  timezone     {found.timezone}",
            f"  quiet        {quiet}",
            f"  review_days  {found.review_days}",
            f"  threshold    {found.threshold}",
            f"  census       {'on' if found.census else 'off'}",
            f"  approval     {found.approval}",
            f"  office       {found.office_kk or '-'} / {found.office_ru or '-'}",
        ]
    )


async def _hold(db: Any, args: argparse.Namespace) -> str:
    from storage import audit, operations

    if args.action == "release":
        return "sending resumed" if await operations.release(db, audit.CLI) else "sending was not stopped"
    held = await operations.hold(db, audit.CLI, _now(), args.reason)
    return "all sending stopped until `hold release`" if held else "sending was already stopped"


def cmd_backup(args: argparse.Namespace) -> None:
    from bot.rules.errors import DomainError
    from storage import backups

    config = settings()
    if config.database_url:
        sys.exit("error: backup copies the SQLite file; on PostgreSQL use pg_dump (and the server's replication)")
    try:
        made = backups.backup(config.database_path, Path(args.path), now=_now())
    except DomainError as error:
        domain_error(error)
    print(f"ok: {made.path} ({made.bytes} bytes, {made.files} files, schema {made.schema}); integrity check passed")


def cmd_restore(args: argparse.Namespace) -> None:
    from datetime import timedelta

    from bot.rules.errors import DomainError
    from storage import backups

    config = settings()
    if config.database_url:
        sys.exit("error: restore replaces the SQLite file; on PostgreSQL use pg_restore")
    lease = timedelta(seconds=config.sender_lease_seconds)
    try:
        done = backups.restore(Path(args.path), config.database_path, now=_now(), lease=lease)
    except DomainError as error:
        domain_error(error)
    kept = f"; the previous database is kept as {done.kept_previous}" if done.kept_previous else ""
    print(f"ok: restored {done.path} (schema {done.schema}, {done.files} files){kept}. Start the bot.")


def cmd_migrate_to(args: argparse.Namespace) -> None:
    from storage import migrate
    from storage.postgres import PostgresDatabase, is_postgres

    config = settings()
    if not is_postgres(args.url):
        sys.exit("error: the target must be a postgresql:// URL")
    if config.database_url:
        sys.exit("error: DATABASE_URL is set: the source must be the SQLite file (DATABASE_PATH)")

    async def main() -> migrate.Copied:
        source = await config.database().connect()  # brought to this code's schema, as the target
        try:
            target = await PostgresDatabase(args.url, path=config.database_path).connect()
            try:
                return await migrate.copy(source, target)
            finally:
                await target.close()
        finally:
            await source.close()

    try:
        copied = asyncio.run(main())
    except (migrate.CannotCopy, sqlite3.DatabaseError) as error:
        sys.exit(f"error: {error}")
    width = max(len(t) for t in copied.counts)
    for table, (before, after) in copied.counts.items():
        print(f"{table:<{width}}  {before:>9}  {after:>9}{'' if before == after else '  MISMATCH'}")
    if not copied.matches:
        sys.exit("error: the counts differ (above): do not switch to the copy")
    total = sum(before for before, _ in copied.counts.values())
    print(
        f"ok: {total} rows in {len(copied.counts)} tables copied, the counts match. Set DATABASE_URL to the new"
        f" database (keep DATABASE_PATH: the documents' files stay beside it) and start the bot."
    )


async def _export(db: Any, args: argparse.Namespace) -> str:
    from bot.exports.opendata import Source, export
    from bot.i18n import build_i18n
    from bot.rules.clock import SystemClock

    source = Source(db, args.settings, build_i18n(), SystemClock())
    written = await export(source, Path(args.folder), args.rural_district)
    return f"ok: {len(written)} files in {args.folder}"


async def _health(db: Any, args: argparse.Namespace) -> str:
    from bot import health

    pending, unknown = await db.schema_state()
    found = await health.check(db, _now(), args.settings.sender_lease_seconds)
    lines = health.as_lines(found)
    if unknown:
        lines.insert(0, f"problem: the database is newer than this code ({', '.join(unknown)})")
    if pending:
        lines.insert(0, f"problem: migrations not applied yet ({', '.join(pending)}): restart the bot")
    print("\n".join(lines))
    if not found.well or unknown or pending:
        sys.exit(1)
    return ""


async def _audit(db: Any, args: argparse.Namespace) -> str:
    import csv

    from bot.rules.clock import from_db
    from storage import audit

    wanted = audit.Filter(
        rural_district_id=args.rural_district,
        person_id=args.person,
        actions=tuple(args.action or ()),
        since=from_db(args.since + "T00:00:00.000Z") if args.since else None,
        until=from_db(args.until + "T00:00:00.000Z") if args.until else None,
    )
    entries = await audit.export(db, audit.CLI, wanted)
    writer = csv.writer(sys.stdout)
    writer.writerow(audit.CSV_FIELDS)
    for e in entries:
        writer.writerow([getattr(e, name) for name in audit.CSV_FIELDS])
    return ""


async def _get_me(settings: Settings, token: str) -> tuple[int, str]:
    """getMe for a token (against ``TELEGRAM_API_URL`` when set): (id, username), or exit politely."""
    from aiogram.exceptions import TelegramNetworkError, TelegramUnauthorizedError

    from bot.app import build_bot

    bot = build_bot(settings, token=token)
    try:
        me = await bot.get_me(request_timeout=15)
    except TelegramUnauthorizedError:
        sys.exit("error: Telegram does not know this token (getMe: Unauthorized). Copy it again from @BotFather.")
    except (TelegramNetworkError, OSError, TimeoutError) as error:
        sys.exit(f"error: Telegram could not be reached to check the token ({error}); nothing was added")
    finally:
        await bot.session.close()
    return me.id, me.username or ""


async def _add_bot(db: Any, args: argparse.Namespace) -> str:
    from bot.config import TOKEN_RE
    from storage import audit, bots, districts

    token = args.token.strip()
    if not TOKEN_RE.match(token):
        sys.exit("error: this does not look like a token from @BotFather (digits:letters); nothing was added")
    if await districts.get(db, args.rural_district_id) is None:
        sys.exit(f"error: no rural district {args.rural_district_id} (see: places)")
    taken = await bots.of_district(db, args.rural_district_id)
    if taken is not None:
        sys.exit(
            f"error: rural district {args.rural_district_id} has its bot already: @{taken.username};"
            f" remove-bot {args.rural_district_id} first"
        )
    telegram_id, username = await _get_me(args.settings, token)
    own = args.settings.bot_token
    if own is not None and own.get_secret_value().strip().split(":")[0] == str(telegram_id):
        sys.exit("error: this is the deployment's own bot (BOT_TOKEN): a district's bot has a token of its own")
    other = await bots.by_id(db, telegram_id)
    if other is not None:
        sys.exit(f"error: @{other.username} serves rural district {other.rural_district_id} already")
    await bots.add(
        db, audit.CLI, args.rural_district_id, token=token, telegram_id=telegram_id, username=username, now=_now()
    )
    return (
        f"ok: @{username} (id {telegram_id}) is the bot of rural district {args.rural_district_id};"
        " restart the bot to serve it, then announce it to the residents (Operator menu, or: announce-bot)"
    )


async def _announce_bot(db: Any, args: argparse.Namespace) -> str:
    from bot.i18n import N_, build_i18n
    from storage import audit, bots

    found = await bots.of_district(db, args.rural_district_id)
    if found is None:
        sys.exit(f"error: rural district {args.rural_district_id} has no bot of its own: add-bot first")
    i18n = build_i18n()
    text = N_(
        "📢 Our rural district now has a bot of its own: @{username}. Please open it and press Start: "
        "everything you did here stays with you (your village, initiatives, votes and settings). "
        "From now on news of the rural district come from @{username}."
    )
    label = N_("Open @{username}")
    link = f"https://t.me/{found.username}?start=moved"
    texts, buttons = {}, {}
    for lang in ("kk", "ru"):
        texts[lang] = i18n.gettext(text, locale=lang).format(username=found.username)
        buttons[lang] = [[{"text": i18n.gettext(label, locale=lang).format(username=found.username), "url": link}]]
    message_id, count = await bots.announce(db, audit.CLI, args.rural_district_id, texts=texts, buttons=buttons)
    return (
        f"ok: {count} resident(s) still on another bot are told about @{found.username} (outbox message {message_id})"
    )


async def _remove_bot(db: Any, args: argparse.Namespace) -> str:
    from storage import audit, bots

    removed = await bots.remove(db, audit.CLI, args.rural_district_id)
    if removed is None:
        return f"nothing to change: rural district {args.rural_district_id} has no bot of its own"
    return f"ok: @{removed.username} removed; the deployment's own bot serves the district again (restart the bot)"


async def _bots(db: Any, args: argparse.Namespace) -> str:
    from storage import bots

    lines = [
        f"  rural district {b.rural_district_id}: @{b.username} (id {b.telegram_id}),"
        f" {await bots.residents_elsewhere(db, b.rural_district_id, b.telegram_id)} resident(s) still on another bot"
        for b in await bots.every(db)
    ]
    return "districts' own bots:\n" + ("\n".join(lines) or "  none: the deployment's own bot (BOT_TOKEN) serves all")


def _add(
    sub: Any, name: str, help_: str, func: Callable[[argparse.Namespace], None], *args: tuple[str, dict[str, Any]]
) -> None:
    parser = sub.add_parser(name, help=help_, description=help_)
    for flag, options in args:
        parser.add_argument(flag, **options)
    parser.set_defaults(func=func)


RD = ("rural_district_id", {"type": int, "help": "the rural district's id (see: places)"})
TG = ("telegram_id", {"type": int, "help": "a Telegram user id, e.g. 123456789"})
KK, RU = ("name_kk", {"help": "the name in Kazakh"}), ("name_ru", {"help": "the name in Russian"})


def register(sub: Any) -> None:
    """Every operator's subcommand on the parser of ``bot.py``."""
    _add(sub, "places", "list regions, districts, rural districts and villages with ids", with_db(_places))
    _add(sub, "add-region", "add a region (облыс)", with_db(_op("add_region")), KK, RU)
    _add(
        sub,
        "add-district",
        "add a district (аудан) to a region",
        with_db(_op("add_district")),
        ("region_id", {"type": int}),
        KK,
        RU,
    )
    _add(
        sub,
        "add-rural-district",
        "add a rural district (ауылдық округ) to a district",
        with_db(_op("add_rural_district")),
        ("district_id", {"type": int}),
        KK,
        RU,
        (
            "--kind",
            {
                "default": "rural_district",
                "choices": ["rural_district", "village", "settlement"],
                "help": "an ауылдық округ, or an ауыл / кент with its own akim",
            },
        ),
        ("--timezone", {"default": "Asia/Almaty"}),
        (
            "--office-kk",
            {"dest": "office_kk", "help": "the akim's office, named as the owner and operator of the database (kk)"},
        ),
        ("--office-ru", {"dest": "office_ru", "help": "the same in Russian"}),
    )
    _add(sub, "add-village", "add a village to a rural district", with_db(_op("add_village")), RD, KK, RU)
    _add(
        sub,
        "rename",
        "new names, in both languages, of a region, district, rural district or village",
        with_db(_op("rename")),
        ("kind", {"choices": ["region", "district", "rural_district", "village"]}),
        ("row_id", {"type": int, "help": "its id (see: places)"}),
        KK,
        RU,
    )
    _add(
        sub,
        "move-village",
        "move a village, with its residents and representatives, to another rural district",
        with_db(_op("move_village")),
        ("village_id", {"type": int}),
        RD,
    )
    _add(
        sub,
        "set-office",
        "the akim's office named in the consent text as the owner and operator of the database",
        with_db(_op("set_office")),
        RD,
        ("office_kk", {"help": "in Kazakh"}),
        ("office_ru", {"help": "in Russian"}),
    )
    _add(sub, "add-staff", "make a Telegram account staff of a rural district", with_db(_op("add_staff")), RD, TG)
    _add(
        sub,
        "remove-staff",
        "take the staff role away (never from the last staff member)",
        with_db(_op("remove_staff")),
        RD,
        TG,
    )
    _add(sub, "staff", "list the staff and the representatives of a rural district", with_db(_staff), RD)
    _add(
        sub,
        "add-operator",
        "make a Telegram account an operator (besides OPERATOR_IDS)",
        with_db(_op("add_operator")),
        TG,
    )
    _add(sub, "remove-operator", "take an operator away (never the last one)", with_db(_remove_operator), TG)
    _add(sub, "operators", "list the operators", with_db(_operators))
    _add(
        sub,
        "district",
        "show a rural district's settings, or set one: timezone (Asia/Almaty), quiet (22:00-08:00 or off),"
        " review_days (working days), threshold (supports for the agenda), census (on/off),"
        " approval (recipients above which a second person approves an announcement)",
        with_db(_district),
        RD,
        ("setting", {"nargs": "?", "choices": ["timezone", "quiet", "review_days", "threshold", "census", "approval"]}),
        ("value", {"nargs": "?"}),
    )
    _add(
        sub,
        "add-bot",
        "give a rural district a bot of its own (its name and picture in Telegram): TOKEN from @BotFather,"
        " checked with getMe; the process serves it from its next start",
        with_db(_add_bot),
        RD,
        ("token", {"help": "the new bot's token, e.g. 123456789:AAE..."}),
    )
    _add(
        sub,
        "remove-bot",
        "the rural district goes back to the deployment's own bot (BOT_TOKEN)",
        with_db(_remove_bot),
        RD,
    )
    _add(
        sub,
        "announce-bot",
        "move a district's residents to its own bot: the bot they use now tells them about it, with a link"
        " (those who start it keep their data)",
        with_db(_announce_bot),
        RD,
    )
    _add(sub, "bots", "list the districts' own bots and how many residents have not moved to them", with_db(_bots))
    _add(
        sub,
        "hold",
        "stop all sending (every outbox message waits), or `hold release` to send again",
        with_db(_hold),
        ("action", {"nargs": "?", "choices": ["stop", "release"], "default": "stop"}),
        ("--reason", {"help": "why, for the audit trail"}),
    )
    _add(
        sub,
        "set-consent",
        "publish a new consent text (files in kk and ru; {owner} = the office)",
        with_db(_set_consent),
        ("kk", {"help": "file with the Kazakh text"}),
        ("ru", {"help": "file with the Russian text"}),
    )
    _add(
        sub,
        "backup",
        "an online backup (database and documents' files) into PATH (.tar.gz), checked",
        cmd_backup,
        ("path", {}),
    )
    _add(
        sub,
        "restore",
        "restore a backup (or a copy of the database) from PATH; the bot must be stopped",
        cmd_restore,
        ("path", {}),
    )
    _add(
        sub,
        "migrate-to",
        "copy this SQLite deployment into an empty PostgreSQL database (URL) and check the counts;"
        " the bot must be stopped",
        cmd_migrate_to,
        ("url", {"help": "postgresql://user:password@host/db"}),
    )
    _add(
        sub,
        "export",
        "public data (initiatives, contests with results, events, documents, budget) as CSV and JSON"
        " into an empty FOLDER",
        with_db(_export),
        ("folder", {}),
        ("--rural-district", {"type": int, "dest": "rural_district", "help": "only this one (default: each)"}),
    )
    _add(
        sub,
        "health",
        "is the bot well? exit code 0 when it is, 1 when not (for cron and monitoring)",
        with_db(_health, migrate=False),
    )
    _add(
        sub,
        "audit",
        "the audit trail as CSV on standard output",
        with_db(_audit),
        ("--rural-district", {"type": int, "dest": "rural_district"}),
        ("--person", {"type": int, "help": "the actor's person id"}),
        ("--action", {"action": "append", "help": "a kind of action (repeatable)"}),
        ("--since", {"help": "YYYY-MM-DD (UTC)"}),
        ("--until", {"help": "YYYY-MM-DD (UTC), not included"}),
    )
