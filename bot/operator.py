"""The operator's set-up actions, shared by ``bot.py`` subcommands and the operator's chat commands.

Each runs in one transaction and writes its audit entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import N_
from bot.rules.errors import DomainError
from storage import audit, consent, people, places
from storage.db import Database, Tx

KINDS = ("rural_district", "village", "settlement")


@dataclass(frozen=True)
class Actor:
    kind: str  # 'operator' (in the bot) or 'cli'
    telegram_id: int | None = None


CLI = Actor("cli")


async def _audit(
    tx: Tx,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int,
    *,
    rural_district_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    """The audit entry of one action, in the action's own transaction."""
    await audit.record(
        tx,
        actor_kind=actor.kind,
        actor_telegram_id=actor.telegram_id,
        action=action,
        rural_district_id=rural_district_id,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
    )


def _names(kk: str, ru: str) -> tuple[str, str]:
    kk, ru = kk.strip(), ru.strip()
    if not kk or not ru:
        raise DomainError(N_("Both names are needed: in Kazakh and in Russian."))
    return kk, ru


async def add_region(db: Database, actor: Actor, name_kk: str, name_ru: str) -> int:
    name_kk, name_ru = _names(name_kk, name_ru)
    async with db.transaction() as tx:
        region_id = await places.add_region(tx, name_kk, name_ru)
        await _audit(tx, actor, "add_region", "region", region_id, after={"name_kk": name_kk, "name_ru": name_ru})
    return region_id


async def add_district(db: Database, actor: Actor, region_id: int, name_kk: str, name_ru: str) -> int:
    name_kk, name_ru = _names(name_kk, name_ru)
    async with db.transaction() as tx:
        if await tx.fetchval("SELECT id FROM regions WHERE id = ?", (region_id,)) is None:
            raise DomainError(N_("There is no region with id {id}."), id=region_id)
        district_id = await places.add_district(tx, region_id, name_kk, name_ru)
        await _audit(
            tx,
            actor,
            "add_district",
            "district",
            district_id,
            after={"region_id": region_id, "name_kk": name_kk, "name_ru": name_ru},
        )
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
    name_kk, name_ru = _names(name_kk, name_ru)
    if kind not in KINDS:
        raise DomainError(N_("The kind must be one of: rural_district, village, settlement."))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(N_("Unknown time zone: {tz}."), tz=timezone) from None
    async with db.transaction() as tx:
        if await tx.fetchval("SELECT id FROM districts WHERE id = ?", (district_id,)) is None:
            raise DomainError(N_("There is no district with id {id}."), id=district_id)
        rd_id = await places.add_rural_district(
            tx, district_id, name_kk, name_ru, kind=kind, timezone=timezone, office_kk=office_kk, office_ru=office_ru
        )
        await _audit(
            tx,
            actor,
            "add_rural_district",
            "rural_district",
            rd_id,
            rural_district_id=rd_id,
            after={
                "district_id": district_id,
                "kind": kind,
                "name_kk": name_kk,
                "name_ru": name_ru,
                "timezone": timezone,
            },
        )
    return rd_id


async def add_village(db: Database, actor: Actor, rural_district_id: int, name_kk: str, name_ru: str) -> int:
    name_kk, name_ru = _names(name_kk, name_ru)
    async with db.transaction() as tx:
        if await places.rural_district(tx, rural_district_id) is None:
            raise DomainError(N_("There is no rural district with id {id}."), id=rural_district_id)
        village_id = await places.add_village(tx, rural_district_id, name_kk, name_ru)
        await _audit(
            tx,
            actor,
            "add_village",
            "village",
            village_id,
            rural_district_id=rural_district_id,
            after={"name_kk": name_kk, "name_ru": name_ru},
        )
    return village_id


async def add_staff(db: Database, actor: Actor, rural_district_id: int, telegram_id: int) -> int:
    async with db.transaction() as tx:
        if await places.rural_district(tx, rural_district_id) is None:
            raise DomainError(N_("There is no rural district with id {id}."), id=rural_district_id)
        person_id = await people.ensure_person(tx, telegram_id)
        # staff work in the bot as members of their district
        await tx.execute(
            "UPDATE people SET rural_district_id = ? WHERE id = ? AND rural_district_id IS NULL",
            (rural_district_id, person_id),
        )
        await people.grant_role(tx, person_id, rural_district_id, people.STAFF)
        await _audit(
            tx,
            actor,
            "add_staff",
            "person",
            person_id,
            rural_district_id=rural_district_id,
            after={"telegram_id": telegram_id, "role": "staff"},
        )
    return person_id


async def remove_staff(db: Database, actor: Actor, rural_district_id: int, telegram_id: int) -> bool:
    async with db.transaction() as tx:
        person_id = await tx.fetchval("SELECT id FROM people WHERE telegram_id = ?", (telegram_id,))
        removed = bool(person_id) and await people.revoke_role(tx, person_id, rural_district_id, people.STAFF) > 0
        if removed:
            await _audit(
                tx,
                actor,
                "remove_staff",
                "person",
                person_id,
                rural_district_id=rural_district_id,
                before={"telegram_id": telegram_id, "role": "staff"},
            )
    return removed


async def set_consent_text(db: Database, actor: Actor, text_kk: str, text_ru: str) -> int:
    text_kk, text_ru = _names(text_kk, text_ru)
    async with db.transaction() as tx:
        before = await consent.current(tx)
        version = await consent.publish(tx, text_kk, text_ru)
        await _audit(
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
