"""Events: gatherings, separate gatherings and meetings; their villages, agenda, answers and reminders.

Every write is one function here that opens its transaction (or joins the caller's). Staff's
writes take an ``Actor``, refuse another district's event (``actor.require``) and write their
audit entry in that transaction. Storage knows no texts: a write that tells people about an
event is given a ``Render``, which the caller builds from its texts, and queues what it returns.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.rules import events as rules
from bot.rules.clock import from_db, to_db
from bot.rules.errors import NotAllowed, NotFound
from bot.rules.texts import N_
from storage import audit, documents, outbox, people, places
from storage.audit import Actor
from storage.db import SKIP_LOCKED, Database, Tx
from storage.people import CHAIR, REPRESENTATIVE
from storage.places import Named

log = logging.getLogger(__name__)

Db = Database | Tx

GONE = N_("This event is no longer available.")
UNCHANGEABLE = N_("This event has already begun or was cancelled: it cannot be changed.")
NO_RESIDENT = N_(
    "No resident of this rural district was found. The person needs to start the bot and choose their village first."
)


@dataclass(frozen=True, slots=True)
class Event:
    """An event as stored; one with id 0 is a draft, not yet stored (what staff preview and publish)."""

    id: int
    rural_district_id: int
    kind: str
    title_kk: str
    title_ru: str
    place: str
    starts_at: datetime
    ends_at: datetime
    report_hearing: bool = False
    status: str = "scheduled"
    sequence: int = 0
    protocol_text: str | None = None
    protocol_file_id: str | None = None
    protocol_file_name: str | None = None
    report_text: str | None = None
    report_file_id: str | None = None
    report_file_name: str | None = None
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


# A message about an event as it now stands, given the district's time zone: (texts, buttons),
# each in every language, as ``storage.outbox.enqueue`` takes them.
Render = Callable[[Event, str], tuple[dict[str, str], dict[str, Any]]]


class Record(StrEnum):
    """What is kept on an event once it has taken place."""

    PROTOCOL = "protocol"
    REPORT = "report"  # the akim's report, at a gathering planned as a report hearing


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


# --- reads --------------------------------------------------------------------------------


async def get(db: Db, event_id: int, rural_district_id: int) -> Event | None:
    """The event, only if it belongs to that rural district (ids from buttons are not trusted)."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM events WHERE id = ? AND rural_district_id = ?", (event_id, rural_district_id)
    )
    return await _event(db, row) if row else None


async def by_id(db: Db, event_id: int) -> Event | None:
    """The event whatever its district: for scheduled work and writes that check the actor, never to show."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM events WHERE id = ?", (event_id,))
    return await _event(db, row) if row else None


async def _listed(db: Database, rural_district_id: int, now: datetime, *, past: bool, limit: int) -> list[Event]:
    begun, order = ("starts_at <= ?", "starts_at DESC, id DESC") if past else ("starts_at > ?", "starts_at, id")
    async with db.read() as tx:
        rows = await tx.fetchall(
            f"SELECT {_COLUMNS} FROM events WHERE rural_district_id = ? AND status = 'scheduled' AND {begun}"
            f" ORDER BY {order} LIMIT ?",
            (rural_district_id, to_db(now), limit),
        )
        return [await _event(tx, row, details=False) for row in rows]


async def upcoming(db: Database, rural_district_id: int, now: datetime, *, limit: int = 20) -> list[Event]:
    """Scheduled events not yet begun, soonest first."""
    return await _listed(db, rural_district_id, now, past=False, limit=limit)


async def past(db: Database, rural_district_id: int, now: datetime, *, limit: int = 20) -> list[Event]:
    """Events that have begun (not cancelled), latest first."""
    return await _listed(db, rural_district_id, now, past=True, limit=limit)


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
    return await db.fetchcol(
        "SELECT p.id FROM people p WHERE p.notify_reminders = 1 AND p.unreachable_at IS NULL AND p.id IN ("
        "  SELECT person_id FROM event_invitees WHERE event_id = ?"
        "  UNION SELECT person_id FROM event_rsvps WHERE event_id = ? AND answer = 'yes')"
        " AND p.id NOT IN (SELECT person_id FROM event_rsvps WHERE event_id = ? AND answer = 'no')"
        " ORDER BY p.id",
        (event_id, event_id, event_id),
    )


async def is_invited(db: Db, event_id: int, person_id: int) -> bool:
    return bool(
        await db.fetchval("SELECT 1 FROM event_invitees WHERE event_id = ? AND person_id = ?", (event_id, person_id))
    )


async def answer_of(db: Db, event_id: int, person_id: int) -> str | None:
    value = await db.fetchval(
        "SELECT answer FROM event_rsvps WHERE event_id = ? AND person_id = ?", (event_id, person_id)
    )
    return str(value) if value else None


@dataclass(frozen=True, slots=True)
class VillageAnswers(Named):
    village_id: int | None
    name_kk: str
    name_ru: str
    yes: int
    no: int


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


async def reminders(db: Db, event_id: int) -> list[tuple[int, str, str]]:
    """(minutes before, due as stored, state), earliest first: for tests and the staff card."""
    rows = await db.fetchall(
        "SELECT minutes_before, due_at, state FROM event_reminders WHERE event_id = ? ORDER BY due_at", (event_id,)
    )
    return [(r[0], r[1], r[2]) for r in rows]


# --- a resident's answer ------------------------------------------------------------------


async def rsvp(
    db: Database, event_id: int, person_id: int, rural_district_id: int, answer: str, *, now: datetime
) -> bool:
    """Keep «I'll come» (``yes``) or «I can't come» (``no``) while the event of the person's district
    can still be answered (not begun, not cancelled); False when it cannot."""
    if answer not in ("yes", "no"):
        raise ValueError(answer)
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "INSERT INTO event_rsvps (event_id, person_id, answer, answered_at)"
            " SELECT id, ?, ?, ? FROM events WHERE id = ? AND rural_district_id = ? AND status = 'scheduled'"
            " AND starts_at > ?"
            " ON CONFLICT (event_id, person_id) DO UPDATE SET answer = excluded.answer,"
            " answered_at = excluded.answered_at RETURNING event_id",
            (person_id, answer, to_db(now), event_id, rural_district_id, to_db(now)),
        )
    return row is not None


# --- what staff do -------------------------------------------------------------------------


async def _notify(
    tx: Tx,
    event: Event,
    recipients: Sequence[int],
    render: Render | None,
    *,
    now: datetime,
    kind: str = "notice",
    created_by: int | None = None,
    was: datetime | None = None,
) -> bool:
    """Queue one message about the event for these people (``render`` gives its texts and button);
    False when there was nobody to tell. Before its start it is never held by quiet hours past the
    first moment people might come (``was``: the start before a move), and it is not sent after."""
    if render is None or not recipients:
        return False
    rd = await places.rural_district(tx, event.rural_district_id)
    if rd is None:
        return False
    texts, buttons = render(event, rd.timezone)
    due_by, expires_at = _deadlines(event, now, was)
    await outbox.enqueue(
        tx,
        rural_district_id=event.rural_district_id,
        kind=kind,
        texts=texts,
        buttons=buttons,
        recipients=recipients,
        created_by=created_by,
        source_type="event",
        source_id=event.id,
        not_before=to_db(now),
        due_by=due_by,
        expires_at=expires_at,
    )
    return True


def _deadlines(event: Event, now: datetime, was: datetime | None) -> tuple[str | None, str | None]:
    """(due by, expires at) of a message about the event, as stored; none after it (a protocol, a report)."""
    if rules.is_past(event.starts_at, now):
        return None, None
    due_by, expires_at = rules.notice_times(event.starts_at, was=was)
    return to_db(due_by), to_db(expires_at)


async def _set_reminders(tx: Tx, event_id: int, starts_at: datetime, now: datetime) -> None:
    """Replace the reminders still to send with those due before this start (after creating or moving)."""
    await tx.execute("DELETE FROM event_reminders WHERE event_id = ?", (event_id,))
    await tx.executemany(
        "INSERT INTO event_reminders (event_id, minutes_before, due_at) VALUES (?, ?, ?)",
        [(event_id, minutes, to_db(at)) for minutes, at in rules.reminder_times(starts_at, now)],
    )


async def _insert(
    tx: Tx, draft: Event, initiatives: Sequence[int | None], *, created_by: int | None, now: datetime
) -> int:
    event_id = await tx.execute(
        "INSERT INTO events (rural_district_id, kind, title_kk, title_ru, place, starts_at, ends_at, report_hearing,"
        " created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            draft.rural_district_id,
            rules.Kind(draft.kind).value,
            draft.title_kk,
            draft.title_ru,
            draft.place,
            to_db(draft.starts_at),
            to_db(draft.ends_at),
            int(draft.report_hearing),
            created_by,
        ),
    )
    # villages are re-checked against the district here, whatever the buttons said
    await tx.executemany(
        "INSERT INTO event_villages (event_id, village_id)"
        " SELECT ?, id FROM villages WHERE id = ? AND rural_district_id = ?",
        [(event_id, v, draft.rural_district_id) for v in dict.fromkeys(draft.village_ids)],
    )
    await tx.executemany(
        "INSERT INTO event_agenda (event_id, position, text, initiative_id) VALUES (?, ?, ?, ?)",
        [
            (event_id, i + 1, text, initiatives[i] if i < len(initiatives) else None)
            for i, text in enumerate(draft.agenda)
        ],
    )
    await _set_reminders(tx, event_id, draft.starts_at, now)
    return event_id


async def create(
    db: Database,
    actor: Actor,
    draft: Event,
    *,
    initiatives: Sequence[int | None] = (),
    now: datetime,
    render: Render | None = None,
) -> Event:
    """Store a draft with its villages, agenda and reminders; the invited are told with ``render``.

    ``initiatives``: the initiative each agenda item came from (None: written by staff)."""
    actor.require(draft.rural_district_id)
    async with db.transaction() as tx:
        event_id = await _insert(tx, draft, initiatives, created_by=actor.person_id, now=now)
        event = await by_id(tx, event_id)
        assert event is not None
        await _notify(tx, event, await invitees(tx, event_id), render, now=now, created_by=actor.person_id)
        await audit.write(
            tx,
            actor,
            "event_created",
            "event",
            event_id,
            rural_district_id=event.rural_district_id,
            after={
                "kind": event.kind,
                "villages": list(draft.village_ids),
                "title_kk": event.title_kk,
                "title_ru": event.title_ru,
                "place": event.place,
                "starts_at": to_db(event.starts_at),
                "minutes": int((event.ends_at - event.starts_at).total_seconds() // 60),
                "report": event.report_hearing,
            },
        )
    return event


async def add_sample(
    db: Database, draft: Event, *, created_by: int | None, now: datetime, protocol_text: str | None = None
) -> int:
    """A sample event for the demo district (a past one too), nobody told, no audit entry."""
    async with db.transaction() as tx:
        event_id = await _insert(tx, draft, (), created_by=created_by, now=now)
        if protocol_text:
            await tx.execute("UPDATE events SET protocol_text = ? WHERE id = ?", (protocol_text, event_id))
    return event_id


async def _changeable(tx: Tx, actor: Actor, event_id: int, now: datetime) -> Event:
    """The event, if the actor may change it and it has neither begun nor been cancelled."""
    event = await by_id(tx, event_id)
    if event is None:
        raise NotFound(GONE)
    actor.require(event.rural_district_id)
    if event.cancelled or rules.is_past(event.starts_at, now):
        raise NotAllowed(UNCHANGEABLE)
    return event


async def move(
    db: Database, actor: Actor, event_id: int, starts_at: datetime, *, now: datetime, render: Render | None = None
) -> Event:
    """Move the event, keeping its length: reminders follow, the invited and those who answered are told."""
    async with db.transaction() as tx:
        event = await _changeable(tx, actor, event_id, now)
        ends_at = starts_at + (event.ends_at - event.starts_at)
        await tx.execute(
            "UPDATE events SET starts_at = ?, ends_at = ?, sequence = sequence + 1 WHERE id = ?",
            (to_db(starts_at), to_db(ends_at), event.id),
        )
        await _set_reminders(tx, event.id, starts_at, now)
        moved = await by_id(tx, event.id)
        assert moved is not None
        await outbox.supersede(tx, "event", event.id, now)
        await _notify(
            tx, moved, await concerned(tx, event.id), render, now=now, created_by=actor.person_id, was=event.starts_at
        )
        await audit.write(
            tx,
            actor,
            "event_moved",
            "event",
            event.id,
            rural_district_id=event.rural_district_id,
            before={"starts_at": to_db(event.starts_at)},
            after={"starts_at": to_db(starts_at)},
        )
    return moved


async def cancel(db: Database, actor: Actor, event_id: int, *, now: datetime, render: Render | None = None) -> Event:
    """Cancel the event and every reminder not yet sent; the invited and those who answered are told."""
    async with db.transaction() as tx:
        event = await _changeable(tx, actor, event_id, now)
        await tx.execute(
            "UPDATE events SET status = 'cancelled', cancelled_at = ?, sequence = sequence + 1 WHERE id = ?",
            (to_db(now), event.id),
        )
        await tx.execute(
            "UPDATE event_reminders SET state = 'cancelled' WHERE event_id = ? AND state = 'pending'", (event.id,)
        )
        await outbox.supersede(tx, "event", event.id, now)
        await _notify(tx, event, await concerned(tx, event.id), render, now=now, created_by=actor.person_id)
        await audit.write(tx, actor, "event_cancelled", "event", event.id, rural_district_id=event.rural_district_id)
        cancelled = await by_id(tx, event.id)
    assert cancelled is not None
    return cancelled


def check_record(event: Event, what: Record, now: datetime) -> None:
    """A protocol once the event has taken place; the akim's report only where it was planned."""
    if event.cancelled or not rules.is_past(event.starts_at, now):
        raise NotAllowed(N_("A protocol can be attached once the event has taken place."))
    if what is Record.REPORT and not event.report_hearing:
        raise NotAllowed(N_("The akim's report is heard only at a gathering planned as a report hearing."))


def _document_kind(event: Event, what: Record) -> str:
    if what is Record.REPORT:
        return "akim_report"
    return "protocol_meeting" if event.kind == rules.Kind.MEETING else "protocol_gathering"


async def attach(
    db: Database,
    actor: Actor,
    event_id: int,
    what: Record,
    *,
    text: str | None,
    file_id: str | None,
    file_name: str | None,
    titles: dict[str, str],
    bot_id: int,
    now: datetime,
    render: Render | None = None,
) -> Event:
    """Keep the protocol (or the akim's report) on the event, publish it under Documents with these
    titles (``{"kk": …, "ru": …}``), and tell the invited and those who answered."""
    async with db.transaction() as tx:
        event = await by_id(tx, event_id)
        if event is None:
            raise NotFound(GONE)
        actor.require(event.rural_district_id)
        check_record(event, what, now)
        document_id = await documents.publish(
            tx,
            rural_district_id=event.rural_district_id,
            kind=_document_kind(event, what),
            title_kk=titles["kk"],
            title_ru=titles["ru"],
            text_kk=text,
            text_ru=None,
            file_id=file_id,
            file_name=file_name,
            event_id=event.id,
            created_by=actor.person_id,
            bot_id=bot_id,
        )
        await tx.execute(
            f"UPDATE events SET {what}_text = ?, {what}_file_id = ?, {what}_file_name = ?, {what}_document_id = ?"
            " WHERE id = ?",
            (text, file_id, file_name, document_id, event.id),
        )
        await _notify(tx, event, await concerned(tx, event.id), render, now=now, created_by=actor.person_id)
        await audit.write(
            tx,
            actor,
            f"event_{what}_published",
            "event",
            event.id,
            rural_district_id=event.rural_district_id,
            after={"document_id": document_id, "file_name": file_name, "text": bool(text)},
        )
        fresh = await by_id(tx, event.id)
    assert fresh is not None
    return fresh


# --- reminders (the scheduled job) ------------------------------------------------------------


async def send_due_reminders(db: Database, now: datetime, *, late_minutes: int, render: Render) -> int:
    """Claim every reminder due by now, once, and queue it; skip those the bot was too late for.

    Claimed and marked sent in one statement, so two ticks (or a tick after a restart) never both
    take one. Returns how many reminders were queued."""
    queued = 0
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "UPDATE event_reminders SET state = 'sent', claimed_at = ? WHERE id IN (SELECT id FROM event_reminders"
            " WHERE state = 'pending' AND due_at <= ?"
            f" AND event_id IN (SELECT id FROM events WHERE status = 'scheduled') {SKIP_LOCKED})"
            " RETURNING id, event_id, due_at",
            (to_db(now), to_db(now)),
        )
        for reminder_id, event_id, due in sorted((r[0], r[1], from_db(r[2])) for r in rows):
            if rules.too_late(due, now, late_minutes):
                await tx.execute("UPDATE event_reminders SET state = 'skipped' WHERE id = ?", (reminder_id,))
                log.info("reminder %s of event %s skipped: due %s, claimed %s", reminder_id, event_id, due, now)
                continue
            event = await by_id(tx, event_id)
            if event is None:
                continue
            if await _notify(tx, event, await reminder_recipients(tx, event_id), render, now=now, kind="reminder"):
                queued += 1
    return queued


# --- representatives and the chair -------------------------------------------------------------


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


async def member(db: Db, rural_district_id: int, person_id: int) -> Member | None:
    """One representative of the district, or None (a forged or stale id)."""
    return next((m for m in await members(db, rural_district_id) if m.person_id == person_id), None)


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


async def add_representative(db: Database, actor: Actor, rural_district_id: int, person_id: int) -> int:
    """Make a resident of the district a representative of their village; return that village's id."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        village_id = await tx.fetchval(
            "SELECT village_id FROM people WHERE id = ? AND rural_district_id = ?", (person_id, rural_district_id)
        )
        if village_id is None:
            raise NotFound(NO_RESIDENT)
        await people.grant_role(tx, person_id, rural_district_id, REPRESENTATIVE, village_id)
        await audit.write(
            tx,
            actor,
            "representative_added",
            "person",
            person_id,
            rural_district_id=rural_district_id,
            after={"village_id": village_id},
        )
    return int(village_id)


class MemberChange(StrEnum):
    """What staff do to a representative; the value is the audit entry's action."""

    CHAIR = "chair_set"  # the previous chair steps down: one per district
    UNCHAIR = "chair_removed"
    REMOVE = "representative_removed"


async def change_member(
    db: Database, actor: Actor, rural_district_id: int, person_id: int, change: MemberChange
) -> None:
    """Make a representative the chair, no longer the chair, or no longer a representative."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        found = await member(tx, rural_district_id, person_id)
        if found is None:
            raise NotFound(N_("This person is not a representative here."))
        before = await chair_of(tx, rural_district_id)
        if change is MemberChange.CHAIR:
            if before is not None:
                await people.revoke_role(tx, before, rural_district_id, CHAIR)
            await people.grant_role(tx, person_id, rural_district_id, CHAIR, found.village_id)
        else:
            await people.revoke_role(tx, person_id, rural_district_id, CHAIR)
            if change is MemberChange.REMOVE:
                await people.revoke_role(tx, person_id, rural_district_id, REPRESENTATIVE)
        await audit.write(
            tx,
            actor,
            change.value,
            "person",
            person_id,
            rural_district_id=rural_district_id,
            before={"chair": before},
        )
