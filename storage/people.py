"""People: who they are to the bot, their language, place, consent and roles."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from storage.db import Database, Tx

STAFF, REPRESENTATIVE, CHAIR = "staff", "representative", "chair"


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    telegram_id: int
    language: str
    language_chosen: bool
    rural_district_id: int | None
    village_id: int | None
    consent_version: int | None
    consent_declined: bool
    phone: str | None
    full_name: str | None
    notify_announcements: bool
    notify_reminders: bool
    roles: frozenset[tuple[int, str]] = field(default_factory=frozenset)  # (rural_district_id, role)
    is_operator: bool = False
    consent_current: int = 0  # the deployment's current consent version, read with the person
    bot_id: int | None = None  # the district bot they last wrote to (None: the deployment's own bot)

    @property
    def onboarded(self) -> bool:
        """Has chosen a language, a rural district and a village: can use the menu."""
        return self.language_chosen and self.rural_district_id is not None and self.village_id is not None

    def has_role(self, role: str, rural_district_id: int | None = None) -> bool:
        rd = self.rural_district_id if rural_district_id is None else rural_district_id
        return (rd, role) in self.roles

    @property
    def is_staff(self) -> bool:
        """Staff of the rural district the person is in now, or an operator."""
        return self.is_operator or self.has_role(STAFF)

    def consented(self, current_version: int | None = None) -> bool:
        """Accepted the current consent text (or the version given)."""
        version = self.consent_current if current_version is None else current_version
        return self.consent_version is not None and self.consent_version >= version


_SELECT = (
    "SELECT id, telegram_id, language, language_chosen, rural_district_id, village_id, consent_version,"
    " consent_declined_at IS NOT NULL, phone, full_name, notify_announcements, notify_reminders,"
    " (SELECT group_concat(r.rural_district_id || ':' || r.role) FROM roles r WHERE r.person_id = people.id),"
    " unreachable_at IS NOT NULL, (SELECT coalesce(max(version), 0) FROM consent_texts),"
    " EXISTS (SELECT 1 FROM operators o WHERE o.person_id = people.id), last_seen_on, bot_id"
    " FROM people WHERE telegram_id = ?"
)


def _person(row: Any, operator_ids: frozenset[int]) -> Person:
    roles = frozenset((int(rd), role) for rd, role in (item.split(":") for item in (row[12] or "").split(",") if item))
    return Person(
        row[0],
        row[1],
        row[2],
        bool(row[3]),
        row[4],
        row[5],
        row[6],
        bool(row[7]),
        row[8],
        row[9],
        bool(row[10]),
        bool(row[11]),
        roles=roles,
        is_operator=row[1] in operator_ids or bool(row[15]),
        consent_current=row[14],
        bot_id=row[17],
    )


async def load(db: Database | Tx, telegram_id: int, *, operator_ids: frozenset[int] = frozenset()) -> Person | None:
    """The person with their roles, in one query."""
    row = await db.fetchone(_SELECT, (telegram_id,))
    return None if row is None else _person(row, operator_ids)


async def load_or_create(
    db: Database,
    telegram_id: int,
    language: str,
    *,
    operator_ids: frozenset[int] = frozenset(),
    today: str | None = None,
    bot_id: int | None = None,
) -> Person:
    """The person (one read), created on first contact with the language Telegram suggests.

    Writing to the bot again makes a person the sender had marked unreachable reachable, and
    notes the day (``today``, 'YYYY-MM-DD'; one write a day at most) for retention. ``bot_id``:
    the district bot this update came through (None: the deployment's own), noted when it changed
    (its sender writes to them from now on).
    """
    row = await db.fetchone(_SELECT, (telegram_id,))
    if row is not None:
        if row[13] or (today is not None and row[16] != today) or row[17] != bot_id:
            await db.execute(
                "UPDATE people SET unreachable_at = NULL, last_seen_on = COALESCE(?, last_seen_on), bot_id = ?"
                " WHERE id = ?",
                (today, bot_id, row[0]),
            )
            if row[17] != bot_id:
                return replace(_person(row, operator_ids), bot_id=bot_id)
        return _person(row, operator_ids)
    await db.execute(
        "INSERT INTO people (telegram_id, language, last_seen_on, bot_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (telegram_id) DO NOTHING",
        (telegram_id, language, today, bot_id),
    )
    person = await load(db, telegram_id, operator_ids=operator_ids)
    assert person is not None
    return person


async def get_by_id(db: Database | Tx, person_id: int) -> tuple[int, str] | None:
    """(telegram_id, language) of a person."""
    row = await db.fetchone("SELECT telegram_id, language FROM people WHERE id = ?", (person_id,))
    return (row[0], row[1]) if row else None


async def set_language(db: Database, person_id: int, language: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("UPDATE people SET language = ?, language_chosen = 1 WHERE id = ?", (language, person_id))


async def set_place(db: Database, person_id: int, rural_district_id: int, village_id: int | None) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE people SET rural_district_id = ?, village_id = ? WHERE id = ?",
            (rural_district_id, village_id, person_id),
        )


async def set_consent(db: Database, person_id: int, version: int | None, *, now: str) -> None:
    """Accept a consent version, or (``None``) decline and forget what needed consent."""
    async with db.transaction() as tx:
        if version is None:
            await tx.execute(
                "UPDATE people SET consent_version = NULL, consent_at = NULL, consent_declined_at = ?,"
                " phone = NULL, full_name = NULL WHERE id = ?",
                (now, person_id),
            )
        else:
            await tx.execute(
                "UPDATE people SET consent_version = ?, consent_at = ?, consent_declined_at = NULL WHERE id = ?",
                (version, now, person_id),
            )


async def set_notifications(db: Database, person_id: int, *, announcements: bool, reminders: bool) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE people SET notify_announcements = ?, notify_reminders = ? WHERE id = ?",
            (int(announcements), int(reminders), person_id),
        )


async def set_phone(db: Database, person_id: int, phone: str) -> None:
    async with db.transaction() as tx:
        await tx.execute("UPDATE people SET phone = ? WHERE id = ?", (phone, person_id))


async def ensure_person(tx: Tx, telegram_id: int) -> int:
    """The id of the person with this Telegram id, created if the operator names them first."""
    await tx.execute("INSERT INTO people (telegram_id) VALUES (?) ON CONFLICT (telegram_id) DO NOTHING", (telegram_id,))
    return int(await tx.fetchval("SELECT id FROM people WHERE telegram_id = ?", (telegram_id,)))


async def grant_role(tx: Tx, person_id: int, rural_district_id: int, role: str, village_id: int | None = None) -> None:
    await tx.execute(
        "INSERT INTO roles (person_id, rural_district_id, role, village_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (person_id, rural_district_id, role) DO UPDATE SET village_id = excluded.village_id",
        (person_id, rural_district_id, role, village_id),
    )


async def revoke_role(tx: Tx, person_id: int, rural_district_id: int, role: str) -> int:
    return await tx.execute(
        "DELETE FROM roles WHERE person_id = ? AND rural_district_id = ? AND role = ?",
        (person_id, rural_district_id, role),
    )


async def staff_of(db: Database | Tx, rural_district_id: int) -> list[int]:
    """Person ids of the staff of a rural district."""
    rows = await db.fetchall(
        "SELECT person_id FROM roles WHERE rural_district_id = ? AND role = 'staff'", (rural_district_id,)
    )
    return [r[0] for r in rows]


async def reload(db: Database, person: Person) -> Person:
    """The person as stored now (after a change in this update)."""
    operators = frozenset({person.telegram_id}) if person.is_operator else frozenset()
    fresh = await load(db, person.telegram_id, operator_ids=operators)
    assert fresh is not None
    return fresh
