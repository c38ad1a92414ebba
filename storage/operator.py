"""The operator's set-up: places, staff and the consent text, for ``bot.py`` and the operator's chat.

Each verb takes the ``Actor`` (only an operator or the CLI may set up), checks its arguments,
writes the change and its audit entry in one transaction, and returns the new id.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.rules.errors import DomainError, NotAllowed
from bot.rules.texts import N_
from storage import audit, consent, people, places
from storage.audit import Actor
from storage.db import Database, Tx

KINDS = ("rural_district", "village", "settlement")


def _names(kk: str, ru: str) -> tuple[str, str]:
    kk, ru = kk.strip(), ru.strip()
    if not kk or not ru:
        raise DomainError(N_("Both names are needed: in Kazakh and in Russian."))
    return kk, ru


def _operator(actor: Actor) -> None:
    """Set-up is the operator's: staff of a district never reach it."""
    if not actor.is_operator:
        raise NotAllowed(audit.REFUSED)


async def _exists(tx: Tx, table: str, row_id: int) -> bool:
    assert table in {"regions", "districts", "rural_districts"}  # a name of ours, never the person's
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
        raise DomainError(N_("Unknown time zone: {tz}."), tz=timezone) from None
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
        raise DomainError(N_("There is no rural district with id {id}."), id=rural_district_id)


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
    async with db.transaction() as tx:
        await _rural_district(tx, rural_district_id)
        person_id = await people.ensure_person(tx, telegram_id)
        # staff work in the bot as members of their district
        await tx.execute(
            "UPDATE people SET rural_district_id = ? WHERE id = ? AND rural_district_id IS NULL",
            (rural_district_id, person_id),
        )
        await people.grant_role(tx, person_id, rural_district_id, people.STAFF)
        after = {"telegram_id": telegram_id, "role": "staff"}
        await audit.write(tx, actor, "add_staff", "person", person_id, rural_district_id=rural_district_id, after=after)
    return person_id


async def remove_staff(db: Database, actor: Actor, rural_district_id: int, telegram_id: int) -> bool:
    """Take the staff role away; False when there was none."""
    _operator(actor)
    async with db.transaction() as tx:
        person_id = await tx.fetchval("SELECT id FROM people WHERE telegram_id = ?", (telegram_id,))
        removed = bool(person_id) and await people.revoke_role(tx, person_id, rural_district_id, people.STAFF) > 0
        if removed:
            before = {"telegram_id": telegram_id, "role": "staff"}
            await audit.write(
                tx, actor, "remove_staff", "person", person_id, rural_district_id=rural_district_id, before=before
            )
    return removed


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
