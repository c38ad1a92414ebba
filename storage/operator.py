"""The operator's set-up: places, staff, operators and the consent text, for ``bot.py`` and the
operator's chat (the district settings are in ``storage/districts.py``).

Each verb takes the ``Actor`` (only an operator or the CLI may set up), checks its arguments,
writes the change and its audit entry in one transaction, and returns the new id. Staff are named
by Telegram id (the operator knows them by it) and kept by person id in the audit trail.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.rules.errors import DomainError, NotAllowed, NotFound
from bot.rules.texts import N_
from storage import audit, consent, people, places
from storage.audit import Actor
from storage.db import Database, Tx

KINDS = ("rural_district", "village", "settlement")
PLACE_TABLES = {
    "region": "regions",
    "district": "districts",
    "rural_district": "rural_districts",
    "village": "villages",
}
TELEGRAM_ID_MAX = 2**53  # Telegram's user ids fit in 52 bits; anything else is a typo
LAST_STAFF = N_(
    "This is the last staff member of the rural district: it would have nobody to answer residents. "
    "Add another staff member first, then remove this one."
)
LAST_OPERATOR = N_("This is the last operator: nobody could set the bot up any more. Add another operator first.")
FROM_SETTINGS = N_("This operator is set in OPERATOR_IDS: remove them there and restart the bot.")
BAD_TELEGRAM_ID = N_("«{value}» is not a Telegram id: it is a whole number such as 123456789.")
NAME_TAKEN = N_("This name is already taken there. Choose another one.")
UNKNOWN_TZ = N_("Unknown time zone: {tz}.")
NO_RURAL_DISTRICT = N_("There is no rural district with id {id}.")
# the district settings' answers (storage/districts.py)
BAD_NUMBER = N_("Send a whole number from {low} to {high}.")
BAD_QUIET = N_("Quiet hours are written like 22:00-08:00 (or «off»).")
BAD_ON_OFF = N_("Write «on» or «off».")
# backups and the export (storage/backups.py, bot/exports/opendata.py)
CANNOT_WRITE = N_("Cannot write to {path}: {reason}. The bot goes on as before.")
NOT_A_BACKUP = N_("{path} is not a backup of this bot ({reason}). Nothing was changed.")
TOO_NEW = N_("{path} was made by a newer version of the bot. Run that version to restore it. Nothing was changed.")
BOT_RUNNING = N_("The bot is running (it reported {seconds} s ago). Stop it first, then restore.")
BACKUP_INTEGRITY = N_("The copy failed the integrity check ({reason}). Nothing was kept.")
NOT_EMPTY = N_("The folder {path} is not empty. Choose a new or an empty folder.")


def _names(kk: str, ru: str) -> tuple[str, str]:
    kk, ru = kk.strip(), ru.strip()
    if not kk or not ru:
        raise DomainError(N_("Both names are needed: in Kazakh and in Russian."))
    return kk, ru


def _operator(actor: Actor) -> None:
    """Set-up is the operator's: staff of a district never reach it."""
    if not actor.is_operator:
        raise NotAllowed(audit.REFUSED)


def parse_telegram_id(value: object) -> int:
    """A Telegram user id from what the operator typed, or ``DomainError``."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError(BAD_TELEGRAM_ID, value=str(value)[:40]) from None
    if not 0 < number < TELEGRAM_ID_MAX:
        raise DomainError(BAD_TELEGRAM_ID, value=str(value)[:40])
    return number


async def _exists(tx: Tx, table: str, row_id: int) -> bool:
    assert table in PLACE_TABLES.values()  # a name of ours, never the person's
    return await tx.fetchval(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)) is not None


async def add_region(db: Database, actor: Actor, name_kk: str, name_ru: str) -> int:
    """A region (облыс); the one of that Kazakh name if it exists."""
    _operator(actor)
    name_kk, name_ru = _names(name_kk, name_ru)
    async with db.transaction() as tx:
        found = await tx.fetchval("SELECT id FROM regions WHERE name_kk = ?", (name_kk,))
        if found is not None:
            region_id = int(found)
        else:
            region_id = await tx.execute("INSERT INTO regions (name_kk, name_ru) VALUES (?, ?)", (name_kk, name_ru))
        await audit.write(tx, actor, "add_region", "region", region_id, after={"name_kk": name_kk, "name_ru": name_ru})
    return region_id


async def add_district(db: Database, actor: Actor, region_id: int, name_kk: str, name_ru: str) -> int:
    """A district (аудан) of a region; the one of that Kazakh name there if it exists."""
    _operator(actor)
    name_kk, name_ru = _names(name_kk, name_ru)
    async with db.transaction() as tx:
        if not await _exists(tx, "regions", region_id):
            raise DomainError(N_("There is no region with id {id}."), id=region_id)
        found = await tx.fetchval("SELECT id FROM districts WHERE region_id = ? AND name_kk = ?", (region_id, name_kk))
        if found is not None:
            district_id = int(found)
        else:
            district_id = await tx.execute(
                "INSERT INTO districts (region_id, name_kk, name_ru) VALUES (?, ?, ?)", (region_id, name_kk, name_ru)
            )
        after = {"region_id": region_id, "name_kk": name_kk, "name_ru": name_ru}
        await audit.write(tx, actor, "add_district", "district", district_id, after=after)
    return district_id


async def add_rural_district(
    db: Database,
    actor: Actor,
    district_id: int,
    name_kk: str,
    name_ru: str,
    *,
    kind: str = "rural_district",
    timezone: str = "Asia/Almaty",
    office_kk: str | None = None,
    office_ru: str | None = None,
) -> int:
    """A rural district (ауылдық округ, or a village or settlement of its own) of a district."""
    _operator(actor)
    name_kk, name_ru = _names(name_kk, name_ru)
    if kind not in KINDS:
        raise DomainError(N_("The kind must be one of: rural_district, village, settlement."))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(UNKNOWN_TZ, tz=timezone) from None
    async with db.transaction() as tx:
        if not await _exists(tx, "districts", district_id):
            raise DomainError(N_("There is no district with id {id}."), id=district_id)
        rd_id = await tx.execute(
            "INSERT INTO rural_districts (district_id, kind, name_kk, name_ru, timezone, office_kk, office_ru)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (district_id, kind, name_kk, name_ru, timezone, office_kk, office_ru),
        )
        after = {"district_id": district_id, "kind": kind, "name_kk": name_kk, "name_ru": name_ru, "timezone": timezone}
        await audit.write(
            tx, actor, "add_rural_district", "rural_district", rd_id, rural_district_id=rd_id, after=after
        )
    return rd_id


async def _rural_district(tx: Tx, rural_district_id: int) -> None:
    if not await _exists(tx, "rural_districts", rural_district_id):
        raise DomainError(NO_RURAL_DISTRICT, id=rural_district_id)


async def add_village(db: Database, actor: Actor, rural_district_id: int, name_kk: str, name_ru: str) -> int:
    """A village of a rural district."""
    _operator(actor)
    name_kk, name_ru = _names(name_kk, name_ru)
    async with db.transaction() as tx:
        await _rural_district(tx, rural_district_id)
        village_id = await tx.execute(
            "INSERT INTO villages (rural_district_id, name_kk, name_ru) VALUES (?, ?, ?)",
            (rural_district_id, name_kk, name_ru),
        )
        after = {"name_kk": name_kk, "name_ru": name_ru}
        await audit.write(
            tx, actor, "add_village", "village", village_id, rural_district_id=rural_district_id, after=after
        )
    return village_id


async def add_staff(db: Database, actor: Actor, rural_district_id: int, telegram_id: int) -> int:
    """Make a Telegram account staff of a rural district; the person's id."""
    _operator(actor)
    telegram_id = parse_telegram_id(telegram_id)
    async with db.transaction() as tx:
        await _rural_district(tx, rural_district_id)
        person_id = await people.ensure_person(tx, telegram_id)
        # staff work in the bot as members of their district
        await tx.execute(
            "UPDATE people SET rural_district_id = ? WHERE id = ? AND rural_district_id IS NULL",
            (rural_district_id, person_id),
        )
        await people.grant_role(tx, person_id, rural_district_id, people.STAFF)
        after = {"person_id": person_id, "role": "staff"}
        await audit.write(tx, actor, "add_staff", "person", person_id, rural_district_id=rural_district_id, after=after)
    return person_id


async def remove_staff(db: Database, actor: Actor, rural_district_id: int, telegram_id: int) -> bool:
    """Take the staff role away; False when there was none. The last staff member stays."""
    _operator(actor)
    telegram_id = parse_telegram_id(telegram_id)
    async with db.transaction() as tx:
        person_id = await tx.fetchval("SELECT id FROM people WHERE telegram_id = ?", (telegram_id,))
        if not person_id or (rural_district_id, people.STAFF) not in await _roles(tx, person_id):
            return False
        if len(await people.staff_of(tx, rural_district_id)) <= 1:
            raise DomainError(LAST_STAFF)
        await people.revoke_role(tx, person_id, rural_district_id, people.STAFF)
        before = {"person_id": person_id, "role": "staff"}
        await audit.write(
            tx, actor, "remove_staff", "person", person_id, rural_district_id=rural_district_id, before=before
        )
    return True


async def refused(db: Database, person_id: int, rural_district_id: int | None, command: str) -> None:
    """Someone who is not an operator tried an operator's command: the audit trail keeps it."""
    async with db.transaction() as tx:
        await audit.write(
            tx,
            Actor(audit.REFUSED_KIND, person_id),
            "operator_command_refused",
            rural_district_id=rural_district_id,
            after={"command": command},
        )


async def is_known(db: Database, telegram_id: int) -> bool:
    """The bot has heard from (or been told of) this Telegram account."""
    return bool(await db.fetchval("SELECT 1 FROM people WHERE telegram_id = ?", (telegram_id,)))


async def _roles(tx: Tx, person_id: int) -> set[tuple[int, str]]:
    rows = await tx.fetchall("SELECT rural_district_id, role FROM roles WHERE person_id = ?", (person_id,))
    return {(r[0], r[1]) for r in rows}


@dataclass(frozen=True, slots=True)
class Staffer:
    person_id: int
    telegram_id: int
    language: str
    since: str
    seen_on: str | None


async def staff(db: Database, rural_district_id: int) -> list[Staffer]:
    """The staff of a district, by Telegram id (how the operator knows them), oldest first."""
    rows = await db.fetchall(
        "SELECT p.id, p.telegram_id, p.language, r.granted_at, p.last_seen_on FROM roles r"
        " JOIN people p ON p.id = r.person_id WHERE r.rural_district_id = ? AND r.role = 'staff'"
        " ORDER BY r.granted_at, p.id",
        (rural_district_id,),
    )
    return [Staffer(*row) for row in rows]


# --- operators kept in the database (besides OPERATOR_IDS) ------------------------------------


async def operator_ids(db: Database | Tx) -> list[int]:
    """Telegram ids of the operators added with ``add-operator``."""
    rows = await db.fetchall(
        "SELECT p.telegram_id FROM operators o JOIN people p ON p.id = o.person_id WHERE p.erased_at IS NULL"
        " ORDER BY o.added_at"
    )
    return [r[0] for r in rows]


async def add_operator(db: Database, actor: Actor, telegram_id: int) -> int:
    """Make a Telegram account an operator of every district; the person's id."""
    _operator(actor)
    telegram_id = parse_telegram_id(telegram_id)
    async with db.transaction() as tx:
        person_id = await people.ensure_person(tx, telegram_id)
        await tx.execute("INSERT INTO operators (person_id) VALUES (?) ON CONFLICT DO NOTHING", (person_id,))
        await audit.write(tx, actor, "add_operator", "person", person_id, after={"person_id": person_id})
    return person_id


async def remove_operator(db: Database, actor: Actor, telegram_id: int, from_settings: frozenset[int]) -> bool:
    """Take an operator added here away; never the last operator, nor one of OPERATOR_IDS."""
    _operator(actor)
    telegram_id = parse_telegram_id(telegram_id)
    if telegram_id in from_settings:
        raise DomainError(FROM_SETTINGS)
    async with db.transaction() as tx:
        person_id = await tx.fetchval("SELECT id FROM people WHERE telegram_id = ?", (telegram_id,))
        if person_id is None or telegram_id not in await operator_ids(tx):
            return False
        if len(from_settings | set(await operator_ids(tx))) <= 1:
            raise DomainError(LAST_OPERATOR)
        await tx.execute("DELETE FROM operators WHERE person_id = ?", (person_id,))
        await audit.write(tx, actor, "remove_operator", "person", person_id, before={"person_id": person_id})
    return True


# --- renaming and moving -----------------------------------------------------------------------


async def rename(db: Database, actor: Actor, kind: str, row_id: int, name_kk: str, name_ru: str) -> None:
    """New names, in both languages, for a region, district, rural district or village."""
    _operator(actor)
    if kind not in PLACE_TABLES:
        raise DomainError(N_("The kind must be one of: region, district, rural_district, village."))
    table = PLACE_TABLES[kind]
    name_kk, name_ru = _names(name_kk, name_ru)
    async with db.transaction() as tx:
        row = await tx.fetchone(
            f"SELECT name_kk, name_ru, {_district_column(kind)} FROM {table} WHERE id = ?", (row_id,)
        )
        if row is None:
            raise NotFound(N_("There is no such place: {kind} {id}."), kind=kind, id=row_id)
        try:
            await tx.execute(f"UPDATE {table} SET name_kk = ?, name_ru = ? WHERE id = ?", (name_kk, name_ru, row_id))
        except sqlite3.IntegrityError:
            raise DomainError(NAME_TAKEN) from None
        await audit.write(
            tx,
            actor,
            f"rename_{kind}",
            kind,
            row_id,
            rural_district_id=row[2],
            before={"name_kk": row[0], "name_ru": row[1]},
            after={"name_kk": name_kk, "name_ru": name_ru},
        )


def _district_column(kind: str) -> str:
    """The rural district a place's audit entry belongs to (none above it)."""
    return {"rural_district": "id", "village": "rural_district_id"}.get(kind, "NULL")


async def set_office(db: Database, actor: Actor, rural_district_id: int, office_kk: str, office_ru: str) -> None:
    """The akim's office as the owner and operator of the database, named in the consent text."""
    _operator(actor)
    office_kk, office_ru = _names(office_kk, office_ru)
    async with db.transaction() as tx:
        row = await tx.fetchone("SELECT office_kk, office_ru FROM rural_districts WHERE id = ?", (rural_district_id,))
        if row is None:
            raise DomainError(NO_RURAL_DISTRICT, id=rural_district_id)
        await tx.execute(
            "UPDATE rural_districts SET office_kk = ?, office_ru = ? WHERE id = ?",
            (office_kk, office_ru, rural_district_id),
        )
        await audit.write(
            tx,
            actor,
            "set_office",
            "rural_district",
            rural_district_id,
            rural_district_id=rural_district_id,
            before={"office_kk": row[0], "office_ru": row[1]},
            after={"office_kk": office_kk, "office_ru": office_ru},
        )


async def move_village(db: Database, actor: Actor, village_id: int, rural_district_id: int) -> int:
    """Move a village to another rural district with its residents and its representatives; how
    many residents moved. Staff and the chair of the old district stay where they work."""
    _operator(actor)
    async with db.transaction() as tx:
        row = await tx.fetchone("SELECT rural_district_id, name_kk FROM villages WHERE id = ?", (village_id,))
        if row is None:
            raise NotFound(N_("There is no such place: {kind} {id}."), kind="village", id=village_id)
        old, name_kk = row
        await _rural_district(tx, rural_district_id)
        if old == rural_district_id:
            raise DomainError(N_("The village is already in that rural district."))
        if len(await places.villages(tx, old)) <= 1:
            raise DomainError(
                N_("This is the only village of its rural district: residents would have none to choose.")
            )
        if await tx.fetchval(
            "SELECT 1 FROM villages WHERE rural_district_id = ? AND name_kk = ?", (rural_district_id, name_kk)
        ):
            raise DomainError(NAME_TAKEN)
        await tx.execute("UPDATE villages SET rural_district_id = ? WHERE id = ?", (rural_district_id, village_id))
        working = "SELECT person_id FROM roles WHERE rural_district_id = ? AND role IN ('staff', 'chair')"
        moved = await tx.execute(
            f"UPDATE people SET rural_district_id = ? WHERE village_id = ? AND id NOT IN ({working})",
            (rural_district_id, village_id, old),
        )
        await tx.execute(
            "UPDATE OR IGNORE roles SET rural_district_id = ? WHERE rural_district_id = ? AND role = 'representative'"
            " AND village_id = ?",
            (rural_district_id, old, village_id),
        )
        await tx.execute(
            "DELETE FROM roles WHERE rural_district_id = ? AND role = 'representative' AND village_id = ?",
            (old, village_id),
        )
        after = {"from": old, "to": rural_district_id, "residents": moved}
        await audit.write(tx, actor, "move_village", "village", village_id, rural_district_id=old, after=after)
        await audit.write(
            tx, actor, "move_village", "village", village_id, rural_district_id=rural_district_id, after=after
        )
    return moved


async def set_consent_text(db: Database, actor: Actor, text_kk: str, text_ru: str) -> int:
    """Publish a new consent text (everyone is asked again); its version."""
    _operator(actor)
    text_kk, text_ru = _names(text_kk, text_ru)
    async with db.transaction() as tx:
        before = await consent.current(tx)
        version = await consent.publish(tx, text_kk, text_ru)
        await audit.write(
            tx,
            actor,
            "set_consent_text",
            "consent_text",
            version,
            before={"version": before.version},
            after={"version": version, "text_kk": text_kk, "text_ru": text_ru},
        )
    return version


async def places_tree(db: Database) -> str:
    """Every region, district, rural district and village with its id, for the operator."""
    lines = []
    for region in await db.fetchall("SELECT id, name_kk, name_ru FROM regions ORDER BY id"):
        lines.append(f"region {region[0]}: {region[1]} / {region[2]}")
        for district in await db.fetchall(
            "SELECT id, name_kk, name_ru FROM districts WHERE region_id = ? ORDER BY id", (region[0],)
        ):
            lines.append(f"  district {district[0]}: {district[1]} / {district[2]}")
            for rd in await db.fetchall(
                "SELECT id, kind, name_kk, name_ru, timezone FROM rural_districts WHERE district_id = ? ORDER BY id",
                (district[0],),
            ):
                staff = await people.staff_of(db, rd[0])
                lines.append(f"    rural_district {rd[0]} ({rd[1]}, {rd[4]}): {rd[2]} / {rd[3]}; staff: {len(staff)}")
                for v in await places.villages(db, rd[0]):
                    lines.append(f"      village {v.id}: {v.name_kk} / {v.name_ru}")
    return "\n".join(lines) or "(nothing yet)"
