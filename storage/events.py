"""Events: gatherings, separate gatherings and meetings; their villages, agenda, answers and reminders."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.rules.clock import from_db, to_db
from storage.db import Database, Tx

Db = Database | Tx


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    rural_district_id: int
    kind: str
    title_kk: str
    title_ru: str
    place: str
    starts_at: datetime
    ends_at: datetime
    report_hearing: bool
    status: str
    sequence: int
    protocol_text: str | None
    protocol_file_id: str | None
    protocol_file_name: str | None
    report_text: str | None
    report_file_id: str | None
    report_file_name: str | None
    village_ids: tuple[int, ...] = ()
    agenda: tuple[str, ...] = ()

    def title(self, lang: str) -> str:
        """The title in the language asked for, else the other one (staff may write only one)."""
        first, second = (self.title_ru, self.title_kk) if lang == "ru" else (self.title_kk, self.title_ru)
        return first or second

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def has_protocol(self) -> bool:
        return bool(self.protocol_text or self.protocol_file_id)

    @property
    def has_report(self) -> bool:
        return bool(self.report_text or self.report_file_id)


_COLUMNS = (
    "id, rural_district_id, kind, title_kk, title_ru, place, starts_at, ends_at, report_hearing, status,"
    " sequence, protocol_text, protocol_file_id, protocol_file_name, report_text, report_file_id,"
    " report_file_name"
)


async def _event(db: Db, row: sqlite3.Row, *, details: bool = True) -> Event:
    values = dict(row)
    values["starts_at"] = from_db(values["starts_at"])
    values["ends_at"] = from_db(values["ends_at"])
    values["report_hearing"] = bool(values["report_hearing"])
    if details:
        villages = await db.fetchall(
            "SELECT village_id FROM event_villages WHERE event_id = ? ORDER BY village_id", (row["id"],)
        )
        agenda = await db.fetchall("SELECT text FROM event_agenda WHERE event_id = ? ORDER BY position", (row["id"],))
        values["village_ids"] = tuple(r[0] for r in villages)
        values["agenda"] = tuple(r[0] for r in agenda)
    return Event(**values)


async def create(
    tx: Tx,
    *,
    rural_district_id: int,
    kind: str,
    title_kk: str,
    title_ru: str,
    place: str,
    starts_at: datetime,
    ends_at: datetime,
    village_ids: Sequence[int],
    agenda: Sequence[tuple[str, int | None]],
    report_hearing: bool = False,
    created_by: int | None = None,
) -> int:
    """A new event with its villages and agenda (items: text, the initiative it came from)."""
    event_id = await tx.execute(
        "INSERT INTO events (rural_district_id, kind, title_kk, title_ru, place, starts_at, ends_at, report_hearing,"
        " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            rural_district_id,
            kind,
            title_kk,
            title_ru,
            place,
            to_db(starts_at),
            to_db(ends_at),
            int(report_hearing),
            created_by,
        ),
    )
    # villages are re-checked against the district here, whatever the buttons said
    await tx.executemany(
        "INSERT INTO event_villages (event_id, village_id)"
        " SELECT ?, id FROM villages WHERE id = ? AND rural_district_id = ?",
        [(event_id, v, rural_district_id) for v in dict.fromkeys(village_ids)],
    )
    await tx.executemany(
        "INSERT INTO event_agenda (event_id, position, text, initiative_id) VALUES (?, ?, ?, ?)",
        [(event_id, i, text, initiative) for i, (text, initiative) in enumerate(agenda, 1)],
    )
    return event_id


async def get(db: Db, event_id: int, rural_district_id: int) -> Event | None:
    """The event, only if it belongs to that rural district (ids from buttons are not trusted)."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM events WHERE id = ? AND rural_district_id = ?", (event_id, rural_district_id)
    )
    return await _event(db, row) if row else None


async def by_id(db: Db, event_id: int) -> Event | None:
    """The event whatever its district: for scheduled work, never for an id from a button."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,))
    return await _event(db, row) if row else None


async def upcoming(db: Database, rural_district_id: int, now: datetime, *, limit: int = 20) -> list[Event]:
    """Scheduled events not yet begun, soonest first."""
    async with db.read() as tx:
        rows = await tx.fetchall(
            f"SELECT {_COLUMNS} FROM events WHERE rural_district_id = ? AND status = 'scheduled' AND starts_at > ?"
            " ORDER BY starts_at, id LIMIT ?",
            (rural_district_id, to_db(now), limit),
        )
        return [await _event(tx, row, details=False) for row in rows]


async def past(db: Database, rural_district_id: int, now: datetime, *, limit: int = 20) -> list[Event]:
    """Events that have begun (not cancelled), latest first."""
    async with db.read() as tx:
        rows = await tx.fetchall(
            f"SELECT {_COLUMNS} FROM events WHERE rural_district_id = ? AND status = 'scheduled' AND starts_at <= ?"
            " ORDER BY starts_at DESC, id DESC LIMIT ?",
            (rural_district_id, to_db(now), limit),
        )
        return [await _event(tx, row, details=False) for row in rows]


async def invitees(db: Db, event_id: int) -> list[int]:
    """Person ids of the people invited to an event (not those who follow it as listeners)."""
    rows = await db.fetchall(
        "SELECT i.person_id FROM event_invitees i JOIN people p ON p.id = i.person_id"
        " WHERE i.event_id = ? AND p.unreachable_at IS NULL ORDER BY i.person_id",
        (event_id,),
    )
    return [r[0] for r in rows]


async def concerned(db: Db, event_id: int) -> list[int]:
    """The invited and everyone who answered: who is told when the event moves, is cancelled or has a protocol."""
    rows = await db.fetchall(
        "SELECT person_id FROM event_invitees WHERE event_id = ?"
        " UNION SELECT person_id FROM event_rsvps WHERE event_id = ?",
        (event_id, event_id),
    )
    ids = [r[0] for r in rows]
    if not ids:
        return []
    reachable = await db.fetchall(
        f"SELECT id FROM people WHERE unreachable_at IS NULL AND id IN ({','.join('?' * len(ids))}) ORDER BY id", ids
    )
    return [r[0] for r in reachable]


async def reminder_recipients(db: Db, event_id: int) -> list[int]:
    """The invited and those who said they would come, minus those who said they would not, and
    minus anyone who turned reminders off."""
    rows = await db.fetchall(
        "SELECT p.id FROM people p WHERE p.notify_reminders = 1 AND p.unreachable_at IS NULL AND p.id IN ("
        "  SELECT person_id FROM event_invitees WHERE event_id = ?"
        "  UNION SELECT person_id FROM event_rsvps WHERE event_id = ? AND answer = 'yes')"
        " AND p.id NOT IN (SELECT person_id FROM event_rsvps WHERE event_id = ? AND answer = 'no')"
        " ORDER BY p.id",
        (event_id, event_id, event_id),
    )
    return [r[0] for r in rows]


async def is_invited(db: Db, event_id: int, person_id: int) -> bool:
    return bool(
        await db.fetchval("SELECT 1 FROM event_invitees WHERE event_id = ? AND person_id = ?", (event_id, person_id))
    )


async def rsvp(tx: Tx, event_id: int, person_id: int, answer: str, *, now: datetime) -> None:
    await tx.execute(
        "INSERT INTO event_rsvps (event_id, person_id, answer, answered_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (event_id, person_id) DO UPDATE SET answer = excluded.answer, answered_at = excluded.answered_at",
        (event_id, person_id, answer, to_db(now)),
    )


async def answer_of(db: Db, event_id: int, person_id: int) -> str | None:
    value = await db.fetchval(
        "SELECT answer FROM event_rsvps WHERE event_id = ? AND person_id = ?", (event_id, person_id)
    )
    return str(value) if value else None


@dataclass(frozen=True, slots=True)
class VillageAnswers:
    village_id: int | None
    name_kk: str
    name_ru: str
    yes: int
    no: int

    def name(self, lang: str) -> str:
        return self.name_ru if lang == "ru" else self.name_kk


async def answers_by_village(db: Db, event_id: int) -> list[VillageAnswers]:
    """How many said they would come and would not, per village of the person who answered."""
    rows = await db.fetchall(
        "SELECT v.id, COALESCE(v.name_kk, '—'), COALESCE(v.name_ru, '—'),"
        " SUM(r.answer = 'yes'), SUM(r.answer = 'no')"
        " FROM event_rsvps r JOIN people p ON p.id = r.person_id LEFT JOIN villages v ON v.id = p.village_id"
        " WHERE r.event_id = ? GROUP BY v.id ORDER BY v.name_kk",
        (event_id,),
    )
    return [VillageAnswers(r[0], r[1], r[2], int(r[3] or 0), int(r[4] or 0)) for r in rows]


# --- reminders ---------------------------------------------------------------------------


async def set_reminders(tx: Tx, event_id: int, times: Sequence[tuple[int, datetime]]) -> None:
    """Replace the reminders still to send with these (after creating or moving the event)."""
    await tx.execute("DELETE FROM event_reminders WHERE event_id = ?", (event_id,))
    await tx.executemany(
        "INSERT INTO event_reminders (event_id, minutes_before, due_at) VALUES (?, ?, ?)",
        [(event_id, minutes, to_db(at)) for minutes, at in times],
    )


async def claim_due_reminders(tx: Tx, now: datetime) -> list[tuple[int, int, int, datetime]]:
    """Take every pending reminder due by now, once: (reminder id, event id, minutes before, due).

    Marked sent in the same statement, so two ticks (or a tick after a restart) never both take one."""
    rows = await tx.fetchall(
        "UPDATE event_reminders SET state = 'sent', claimed_at = ?"
        " WHERE state = 'pending' AND due_at <= ?"
        " AND event_id IN (SELECT id FROM events WHERE status = 'scheduled')"
        " RETURNING id, event_id, minutes_before, due_at",
        (to_db(now), to_db(now)),
    )
    return sorted((r[0], r[1], r[2], from_db(r[3])) for r in rows)


async def mark_skipped(tx: Tx, reminder_id: int) -> None:
    await tx.execute("UPDATE event_reminders SET state = 'skipped' WHERE id = ?", (reminder_id,))


async def reminders(db: Db, event_id: int) -> list[tuple[int, str, str]]:
    """(minutes before, due as stored, state), earliest first: for tests and the staff card."""
    rows = await db.fetchall(
        "SELECT minutes_before, due_at, state FROM event_reminders WHERE event_id = ? ORDER BY due_at", (event_id,)
    )
    return [(r[0], r[1], r[2]) for r in rows]


# --- changes by staff ---------------------------------------------------------------------


async def move(tx: Tx, event_id: int, rural_district_id: int, starts_at: datetime, ends_at: datetime) -> int:
    return await tx.execute(
        "UPDATE events SET starts_at = ?, ends_at = ?, sequence = sequence + 1"
        " WHERE id = ? AND rural_district_id = ? AND status = 'scheduled'",
        (to_db(starts_at), to_db(ends_at), event_id, rural_district_id),
    )


async def cancel(tx: Tx, event_id: int, rural_district_id: int, *, now: datetime) -> int:
    """Cancel the event and every reminder not yet sent."""
    changed = await tx.execute(
        "UPDATE events SET status = 'cancelled', cancelled_at = ?, sequence = sequence + 1"
        " WHERE id = ? AND rural_district_id = ? AND status = 'scheduled'",
        (to_db(now), event_id, rural_district_id),
    )
    if changed:
        await tx.execute(
            "UPDATE event_reminders SET state = 'cancelled' WHERE event_id = ? AND state = 'pending'", (event_id,)
        )
    return changed


async def attach(
    tx: Tx,
    event_id: int,
    rural_district_id: int,
    what: str,
    *,
    text: str | None,
    file_id: str | None,
    file_name: str | None,
    document_id: int | None,
) -> int:
    """Keep the protocol (``what='protocol'``) or the akim's report (``'report'``) on the event."""
    if what not in ("protocol", "report"):
        raise ValueError(what)
    return await tx.execute(
        f"UPDATE events SET {what}_text = ?, {what}_file_id = ?, {what}_file_name = ?, {what}_document_id = ?"
        " WHERE id = ? AND rural_district_id = ?",
        (text, file_id, file_name, document_id, event_id, rural_district_id),
    )


# --- representatives ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Member:
    person_id: int
    telegram_id: int
    label: str | None  # full name or phone, when the person gave them
    village_id: int | None
    chair: bool


async def members(db: Db, rural_district_id: int) -> list[Member]:
    """The representatives of a district and the chair, by village."""
    rows = await db.fetchall(
        "SELECT p.id, p.telegram_id, COALESCE(p.full_name, p.phone), r.village_id,"
        " EXISTS (SELECT 1 FROM roles c WHERE c.person_id = p.id AND c.rural_district_id = r.rural_district_id"
        "         AND c.role = 'chair')"
        " FROM roles r JOIN people p ON p.id = r.person_id"
        " WHERE r.rural_district_id = ? AND r.role = 'representative' ORDER BY r.village_id, p.id",
        (rural_district_id,),
    )
    return [Member(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]


async def villages_without_representative(db: Db, rural_district_id: int) -> list[tuple[int, str, str]]:
    rows = await db.fetchall(
        "SELECT v.id, v.name_kk, v.name_ru FROM villages v WHERE v.rural_district_id = ?"
        " AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.rural_district_id = v.rural_district_id"
        "                 AND r.role = 'representative' AND r.village_id = v.id)"
        " ORDER BY v.name_kk",
        (rural_district_id,),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def resident_by(
    db: Db, rural_district_id: int, *, telegram_id: int | None = None, phone: str | None = None
) -> tuple[int, int | None] | None:
    """(person id, village id) of a resident of the district, found by Telegram id or phone."""
    if telegram_id is not None:
        row = await db.fetchone(
            "SELECT id, village_id FROM people WHERE telegram_id = ? AND rural_district_id = ?",
            (telegram_id, rural_district_id),
        )
    elif phone is not None:
        row = await db.fetchone(
            "SELECT id, village_id FROM people WHERE phone = ? AND rural_district_id = ?", (phone, rural_district_id)
        )
    else:
        row = None
    return (row[0], row[1]) if row else None


async def is_representative(db: Db, rural_district_id: int, person_id: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM roles WHERE person_id = ? AND rural_district_id = ? AND role = 'representative'",
            (person_id, rural_district_id),
        )
    )


async def representative_village(db: Db, rural_district_id: int, person_id: int) -> int | None:
    value = await db.fetchval(
        "SELECT village_id FROM roles WHERE person_id = ? AND rural_district_id = ? AND role = 'representative'",
        (person_id, rural_district_id),
    )
    return int(value) if value is not None else None


async def chair_of(db: Db, rural_district_id: int) -> int | None:
    value = await db.fetchval(
        "SELECT person_id FROM roles WHERE rural_district_id = ? AND role = 'chair'", (rural_district_id,)
    )
    return int(value) if value is not None else None
