"""Civic initiatives: submission, the staff's queue and status changes, supports, the agenda flag.

Which status may follow which is decided in ``bot/initiatives.py``; the writes here repeat the
check in their ``WHERE`` (the status the change was allowed from, the staff member's rural
district), so a stale or forged button changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from bot.rules.clock import from_db, to_db
from storage import audit, outbox
from storage.db import Database, Tx

SETTINGS = {
    "review_days": "initiative_review_days",
    "per_day": "initiatives_per_day",
    "threshold": "initiative_support_threshold",
}
# Supports are counted, not stored twice.
_SUPPORTS = "(SELECT count(*) FROM initiative_supports s WHERE s.initiative_id = i.id)"
_COLUMNS = (
    "i.id, i.rural_district_id, i.number, i.village_id, i.author_id, i.topic, i.title, i.body, i.photos_json,"
    " i.latitude, i.longitude, i.voice_file_id, i.status, i.published, i.forwarded_to, i.merged_into,"
    " i.submitted_at, i.deadline_on, i.deadline_at, i.decided_at, i.agenda_flagged_at, "
    + _SUPPORTS
    + " AS supports, v.name_kk AS village_kk, v.name_ru AS village_ru"
)
_FROM = " FROM initiatives i LEFT JOIN villages v ON v.id = i.village_id"


@dataclass(frozen=True, slots=True)
class DistrictSettings:
    review_days: int
    per_day: int
    threshold: int
    timezone: str


@dataclass(frozen=True, slots=True)
class Initiative:
    id: int
    rural_district_id: int
    number: int
    village_id: int | None
    author_id: int | None
    topic: str
    title: str
    body: str
    photos: list[str]
    latitude: float | None
    longitude: float | None
    voice_file_id: str | None
    status: str
    published: bool
    forwarded_to: str | None
    merged_into: int | None
    submitted_at: datetime
    deadline_on: date
    deadline_at: datetime
    decided_at: datetime | None
    agenda_flagged_at: datetime | None
    supports: int
    village_kk: str | None
    village_ru: str | None

    def village(self, lang: str) -> str:
        return (self.village_ru if lang == "ru" else self.village_kk) or "—"

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Initiative:
        values = dict(row)
        values["photos"] = json.loads(values.pop("photos_json"))
        values["published"] = bool(values["published"])
        values["submitted_at"] = from_db(values["submitted_at"])
        values["deadline_on"] = date.fromisoformat(values["deadline_on"])
        values["deadline_at"] = from_db(values["deadline_at"])
        for key in ("decided_at", "agenda_flagged_at"):
            values[key] = from_db(values[key]) if values[key] else None
        return cls(**values)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    from_status: str | None
    to_status: str
    answer: str | None
    new_deadline: date | None
    forwarded_to: str | None


@dataclass(frozen=True, slots=True)
class Draft:
    """What the resident entered, ready to be stored."""

    token: str
    topic: str
    title: str
    body: str
    photos: list[str]
    latitude: float | None
    longitude: float | None
    voice_file_id: str | None
    village_id: int


class Deadlines(Protocol):
    """A review deadline as the rules compute it (``bot.rules.initiatives.Deadline``)."""

    @property
    def day(self) -> date: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def remind_at(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class Actor:
    """The staff member (or operator) acting, for the history and the audit trail."""

    person_id: int
    telegram_id: int
    kind: str  # 'staff' or 'operator'


# --- per-district settings --------------------------------------------------------------------


async def settings(db: Database | Tx, rural_district_id: int) -> DistrictSettings:
    row = await db.fetchone(
        "SELECT initiative_review_days, initiatives_per_day, initiative_support_threshold, timezone"
        " FROM rural_districts WHERE id = ?",
        (rural_district_id,),
    )
    assert row is not None, rural_district_id
    return DistrictSettings(*row)


async def set_setting(db: Database, actor: Actor, rural_district_id: int, name: str, value: int) -> None:
    """Change one setting of the district (``review_days``, ``per_day`` or ``threshold``), audited."""
    column = SETTINGS[name]
    async with db.transaction() as tx:
        before = await tx.fetchval(f"SELECT {column} FROM rural_districts WHERE id = ?", (rural_district_id,))
        await tx.execute(f"UPDATE rural_districts SET {column} = ? WHERE id = ?", (value, rural_district_id))
        await audit.record(
            tx,
            actor_kind=actor.kind,
            actor_telegram_id=actor.telegram_id,
            rural_district_id=rural_district_id,
            action="initiative_setting",
            object_type="rural_district",
            object_id=rural_district_id,
            before={name: before},
            after={name: value},
        )


# --- submitting ---------------------------------------------------------------------------------


async def recent_submissions(db: Database, author_id: int, since: datetime) -> list[datetime]:
    rows = await db.fetchall(
        "SELECT submitted_at FROM initiatives WHERE author_id = ? AND submitted_at > ? ORDER BY submitted_at",
        (author_id, to_db(since)),
    )
    return [from_db(row[0]) for row in rows]


@dataclass(frozen=True, slots=True)
class Submitted:
    id: int
    number: int
    created: bool  # False: this draft had been submitted already (a second tap on Submit)


async def submit(
    db: Database,
    *,
    draft: Draft,
    author_id: int,
    rural_district_id: int,
    now: datetime,
    deadline: Deadlines,
    per_day: int,
    since: datetime,
    staff_notice: Callable[[int], dict[str, str]],
) -> Submitted | None:
    """Store the draft as a new initiative and tell the staff who want each one; None over the day's limit."""
    async with db.transaction() as tx:
        existing = await tx.fetchone(
            "SELECT id, number FROM initiatives WHERE author_id = ? AND draft_token = ?", (author_id, draft.token)
        )
        if existing:
            return Submitted(existing[0], existing[1], created=False)
        count = await tx.fetchval(
            "SELECT count(*) FROM initiatives WHERE author_id = ? AND submitted_at > ?", (author_id, to_db(since))
        )
        if count >= per_day:
            return None
        number = await tx.fetchval(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM initiatives WHERE rural_district_id = ?", (rural_district_id,)
        )
        stamp = to_db(now)
        initiative_id = await tx.execute(
            "INSERT INTO initiatives (rural_district_id, number, village_id, author_id, draft_token, topic, title,"
            " body, photos_json, latitude, longitude, voice_file_id, submitted_at, deadline_on, deadline_at,"
            " remind_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rural_district_id,
                number,
                draft.village_id,
                author_id,
                draft.token,
                draft.topic,
                draft.title.strip(),
                draft.body.strip(),
                json.dumps(draft.photos),
                draft.latitude,
                draft.longitude,
                draft.voice_file_id,
                stamp,
                deadline.day.isoformat(),
                to_db(deadline.ends_at),
                to_db(deadline.remind_at),
                stamp,
            ),
        )
        await tx.execute(
            "INSERT INTO initiative_history (initiative_id, at, actor_id, from_status, to_status)"
            " VALUES (?, ?, ?, NULL, 'submitted')",
            (initiative_id, stamp, author_id),
        )
        staff = await tx.fetchall(
            "SELECT r.person_id FROM roles r LEFT JOIN initiative_staff_prefs p ON p.person_id = r.person_id"
            " WHERE r.rural_district_id = ? AND r.role = 'staff' AND COALESCE(p.digest, 0) = 0",
            (rural_district_id,),
        )
        if staff:
            await outbox.enqueue(
                tx,
                rural_district_id=rural_district_id,
                kind="staff",
                texts=staff_notice(number),
                recipients=[row[0] for row in staff],
                source_type="initiative",
                source_id=initiative_id,
                not_before=stamp,
            )
    return Submitted(initiative_id, number, created=True)


# --- reading --------------------------------------------------------------------------------------


async def get(db: Database | Tx, initiative_id: int, rural_district_id: int | None = None) -> Initiative | None:
    """One initiative; with ``rural_district_id`` only if it belongs to that district."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS}{_FROM} WHERE i.id = ? AND (? IS NULL OR i.rural_district_id = ?)",
        (initiative_id, rural_district_id, rural_district_id),
    )
    return Initiative.from_row(row) if row else None


async def by_number(db: Database | Tx, rural_district_id: int, number: int) -> Initiative | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS}{_FROM} WHERE i.rural_district_id = ? AND i.number = ?", (rural_district_id, number)
    )
    return Initiative.from_row(row) if row else None


async def history(db: Database, initiative_id: int) -> list[HistoryEntry]:
    rows = await db.fetchall(
        "SELECT at, from_status, to_status, answer, new_deadline, forwarded_to FROM initiative_history"
        " WHERE initiative_id = ? ORDER BY id",
        (initiative_id,),
    )
    return [
        HistoryEntry(from_db(r[0]), r[1], r[2], r[3], date.fromisoformat(r[4]) if r[4] else None, r[5]) for r in rows
    ]


async def mine(db: Database, author_id: int, *, limit: int, offset: int = 0) -> tuple[list[Initiative], int]:
    """The person's own initiatives, newest first, and how many there are."""
    async with db.read() as tx:
        rows = await tx.fetchall(
            f"SELECT {_COLUMNS}{_FROM} WHERE i.author_id = ? ORDER BY i.submitted_at DESC, i.id DESC LIMIT ? OFFSET ?",
            (author_id, limit, offset),
        )
        total = await tx.fetchval("SELECT count(*) FROM initiatives WHERE author_id = ?", (author_id,))
    return [Initiative.from_row(r) for r in rows], int(total)


async def published(
    db: Database, rural_district_id: int, *, by_support: bool, limit: int, offset: int = 0
) -> tuple[list[Initiative], int]:
    """The district's published initiatives, newest or most supported first."""
    where = " WHERE i.rural_district_id = ? AND i.published = 1 AND i.status NOT IN ('merged', 'hidden')"
    order = " ORDER BY supports DESC, i.id DESC" if by_support else " ORDER BY i.submitted_at DESC, i.id DESC"
    async with db.read() as tx:
        rows = await tx.fetchall(
            f"SELECT {_COLUMNS}{_FROM}{where}{order} LIMIT ? OFFSET ?", (rural_district_id, limit, offset)
        )
        total = await tx.fetchval(f"SELECT count(*) FROM initiatives i{where}", (rural_district_id,))
    return [Initiative.from_row(r) for r in rows], int(total)


async def queue(
    db: Database,
    rural_district_id: int,
    *,
    statuses: Collection[str],
    village_id: int | None,
    limit: int,
    offset: int = 0,
) -> tuple[list[Initiative], int]:
    """The staff's queue: oldest first, by status and (optionally) village."""
    marks = ",".join("?" * len(statuses))
    where = f" WHERE i.rural_district_id = ? AND i.status IN ({marks}) AND (? IS NULL OR i.village_id = ?)"
    params: list[Any] = [rural_district_id, *statuses, village_id, village_id]
    async with db.read() as tx:
        rows = await tx.fetchall(
            f"SELECT {_COLUMNS}{_FROM}{where} ORDER BY i.submitted_at, i.id LIMIT ? OFFSET ?", [*params, limit, offset]
        )
        total = await tx.fetchval(f"SELECT count(*) FROM initiatives i{where}", params)
    return [Initiative.from_row(r) for r in rows], int(total)


async def status_counts(db: Database, rural_district_id: int) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT status, count(*) FROM initiatives WHERE rural_district_id = ? GROUP BY status", (rural_district_id,)
    )
    return {row[0]: row[1] for row in rows}


async def overdue_count(db: Database, rural_district_id: int, now: datetime, undecided: Iterable[str]) -> int:
    statuses = list(undecided)
    return int(
        await db.fetchval(
            "SELECT count(*) FROM initiatives WHERE rural_district_id = ?"
            f" AND status IN ({','.join('?' * len(statuses))}) AND deadline_at <= ?",
            (rural_district_id, *statuses, to_db(now)),
        )
    )


async def all_of(db: Database, rural_district_id: int) -> list[Initiative]:
    """Every initiative of the district, for the export."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS}{_FROM} WHERE i.rural_district_id = ? ORDER BY i.number", (rural_district_id,)
    )
    return [Initiative.from_row(r) for r in rows]


async def has_supported(db: Database, initiative_id: int, person_id: int) -> bool:
    return bool(
        await db.fetchval(
            "SELECT 1 FROM initiative_supports WHERE initiative_id = ? AND person_id = ?", (initiative_id, person_id)
        )
    )


async def flagged_for_agenda(db: Database | Tx, rural_district_id: int) -> list[Initiative]:
    """Initiatives that reached the district's support threshold: items for the next gathering's agenda."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS}{_FROM} WHERE i.rural_district_id = ? AND i.agenda_flagged_at IS NOT NULL"
        " AND i.status NOT IN ('merged', 'hidden', 'rejected', 'forwarded') ORDER BY i.agenda_flagged_at, i.id",
        (rural_district_id,),
    )
    return [Initiative.from_row(r) for r in rows]


# --- supports ----------------------------------------------------------------------------------


async def _flag_if_reached(tx: Tx, initiative_id: int, now: datetime) -> bool:
    """Flag the initiative for the agenda once its supports reach the district's threshold."""
    return bool(
        await tx.execute(
            "UPDATE initiatives SET agenda_flagged_at = ? WHERE id = ? AND agenda_flagged_at IS NULL"
            " AND (SELECT count(*) FROM initiative_supports s WHERE s.initiative_id = initiatives.id)"
            "     >= (SELECT initiative_support_threshold FROM rural_districts rd"
            "         WHERE rd.id = initiatives.rural_district_id)",
            (to_db(now), initiative_id),
        )
    )


@dataclass(frozen=True, slots=True)
class Supported:
    added: bool
    supports: int
    flagged: bool  # reached the threshold with this support


async def support(
    db: Database,
    initiative_id: int,
    person_id: int,
    *,
    rural_district_id: int,
    supportable: Collection[str],
    now: datetime,
    flagged_notice: Callable[[Initiative], dict[str, str]] | None = None,
) -> Supported:
    """One support per person (the primary key), never one's own, only of a published one of the district."""
    async with db.transaction() as tx:
        added = await tx.execute(
            "INSERT INTO initiative_supports (initiative_id, person_id, at) SELECT i.id, ?, ? FROM initiatives i"
            f" WHERE i.id = ? AND i.rural_district_id = ? AND i.published = 1 AND i.status IN"
            f" ({','.join('?' * len(supportable))}) AND i.author_id IS NOT ?"
            " ON CONFLICT DO NOTHING",
            (person_id, to_db(now), initiative_id, rural_district_id, *supportable, person_id),
        )
        flagged = bool(added) and await _flag_if_reached(tx, initiative_id, now)
        if flagged and flagged_notice is not None:
            initiative = await get(tx, initiative_id)
            assert initiative is not None
            await _tell_staff(tx, initiative, flagged_notice(initiative), now)
        count = await tx.fetchval("SELECT count(*) FROM initiative_supports WHERE initiative_id = ?", (initiative_id,))
    return Supported(bool(added), int(count), flagged)


async def _tell_staff(tx: Tx, initiative: Initiative, texts: dict[str, str], now: datetime) -> None:
    staff = await tx.fetchall(
        "SELECT person_id FROM roles WHERE rural_district_id = ? AND role = 'staff'", (initiative.rural_district_id,)
    )
    if staff:
        await outbox.enqueue(
            tx,
            rural_district_id=initiative.rural_district_id,
            kind="staff",
            texts=texts,
            recipients=[r[0] for r in staff],
            source_type="initiative",
            source_id=initiative.id,
            not_before=to_db(now),
        )


# --- the staff's changes -----------------------------------------------------------------------


async def _changed(
    tx: Tx,
    initiative: Initiative,
    actor: Actor,
    *,
    action: str,
    before: dict[str, Any],
    after: dict[str, Any],
    to_status: str,
    now: datetime,
    answer: str | None,
    new_deadline: date | None = None,
    forwarded_to: str | None = None,
    author_texts: Callable[[Initiative], dict[str, str]] | None = None,
) -> Initiative:
    """History, audit and the author's notice of a change already written."""
    await tx.execute(
        "INSERT INTO initiative_history (initiative_id, at, actor_id, from_status, to_status, answer, new_deadline,"
        " forwarded_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            initiative.id,
            to_db(now),
            actor.person_id,
            initiative.status,
            to_status,
            answer,
            new_deadline.isoformat() if new_deadline else None,
            forwarded_to,
        ),
    )
    await audit.record(
        tx,
        actor_kind=actor.kind,
        actor_telegram_id=actor.telegram_id,
        rural_district_id=initiative.rural_district_id,
        action=action,
        object_type="initiative",
        object_id=initiative.id,
        before=before,
        after=after,
    )
    updated = await get(tx, initiative.id)
    assert updated is not None
    if author_texts is not None and updated.author_id is not None:
        await outbox.enqueue(
            tx,
            rural_district_id=updated.rural_district_id,
            kind="status",
            texts=author_texts(updated),
            recipients=[updated.author_id],
            source_type="initiative",
            source_id=updated.id,
            not_before=to_db(now),
        )
    return updated


async def change_status(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    initiative_id: int,
    new: str,
    allowed_from: Collection[str],
    decision: bool,
    answer: str | None,
    now: datetime,
    deadline: Deadlines | None = None,
    forwarded_to: str | None = None,
    author_texts: Callable[[Initiative], dict[str, str]] | None = None,
) -> Initiative | None:
    """Set a status the rules allowed from the current one; None when it is not (or no longer) so."""
    async with db.transaction() as tx:
        initiative = await get(tx, initiative_id, rural_district_id)
        if initiative is None or initiative.status not in allowed_from:
            return None
        stamp = to_db(now)
        await tx.execute(
            "UPDATE initiatives SET status = ?, updated_at = ?, decided_at = CASE WHEN ? THEN COALESCE(decided_at, ?)"
            " ELSE decided_at END, forwarded_to = COALESCE(?, forwarded_to) WHERE id = ?",
            (new, stamp, int(decision), stamp, forwarded_to, initiative_id),
        )
        if deadline is not None:
            await tx.execute(
                "UPDATE initiatives SET deadline_on = ?, deadline_at = ?, remind_at = ?, reminded_at = NULL"
                " WHERE id = ?",
                (deadline.day.isoformat(), to_db(deadline.ends_at), to_db(deadline.remind_at), initiative_id),
            )
        after: dict[str, Any] = {"status": new, "answer": answer}
        if deadline is not None:
            after["deadline"] = deadline.day.isoformat()
        if forwarded_to:
            after["forwarded_to"] = forwarded_to
        return await _changed(
            tx,
            initiative,
            actor,
            action="initiative_status",
            before={"status": initiative.status, "deadline": initiative.deadline_on.isoformat()},
            after=after,
            to_status=new,
            now=now,
            answer=answer,
            new_deadline=deadline.day if deadline else None,
            forwarded_to=forwarded_to,
            author_texts=author_texts,
        )


async def hide(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    initiative_id: int,
    reason: str,
    now: datetime,
    author_texts: Callable[[Initiative], dict[str, str]] | None = None,
) -> Initiative | None:
    async with db.transaction() as tx:
        initiative = await get(tx, initiative_id, rural_district_id)
        if initiative is None or initiative.status in ("hidden", "merged"):
            return None
        await tx.execute(
            "UPDATE initiatives SET status = 'hidden', published = 0, updated_at = ?,"
            " decided_at = COALESCE(decided_at, ?) WHERE id = ?",
            (to_db(now), to_db(now), initiative_id),
        )
        return await _changed(
            tx,
            initiative,
            actor,
            action="initiative_hide",
            before={"status": initiative.status, "published": initiative.published},
            after={"status": "hidden", "reason": reason},
            to_status="hidden",
            now=now,
            answer=reason,
            author_texts=author_texts,
        )


async def merge(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    initiative_id: int,
    into_number: int,
    allowed_from: Collection[str],
    now: datetime,
    answer: str | None,
    author_texts: Callable[[Initiative], dict[str, str]] | None = None,
) -> tuple[Initiative, Initiative] | None:
    """Merge a duplicate into another initiative of the district: its supporters (and author) follow."""
    async with db.transaction() as tx:
        initiative = await get(tx, initiative_id, rural_district_id)
        target = await by_number(tx, rural_district_id, into_number)
        if (
            initiative is None
            or target is None
            or target.id == initiative.id
            or initiative.status not in allowed_from
            or target.status in ("merged", "hidden")
        ):
            return None
        # The duplicate's author and supporters now support the one it merges into (never its own author).
        await tx.execute(
            "INSERT INTO initiative_supports (initiative_id, person_id, at)"
            " SELECT ?, person_id, at FROM initiative_supports WHERE initiative_id = ?"
            " UNION SELECT ?, author_id, ? FROM initiatives WHERE id = ? AND author_id IS NOT NULL"
            " ON CONFLICT DO NOTHING",
            (target.id, initiative.id, target.id, to_db(now), initiative.id),
        )
        if target.author_id is not None:
            await tx.execute(
                "DELETE FROM initiative_supports WHERE initiative_id = ? AND person_id = ?",
                (target.id, target.author_id),
            )
        await tx.execute(
            "UPDATE initiatives SET status = 'merged', merged_into = ?, published = 0, updated_at = ?,"
            " decided_at = COALESCE(decided_at, ?) WHERE id = ?",
            (target.id, to_db(now), to_db(now), initiative.id),
        )
        await _flag_if_reached(tx, target.id, now)
        merged = await _changed(
            tx,
            initiative,
            actor,
            action="initiative_merge",
            before={"status": initiative.status},
            after={"status": "merged", "merged_into": target.id, "into_number": target.number},
            to_status="merged",
            now=now,
            answer=answer,
            author_texts=author_texts,
        )
        target = await get(tx, target.id)
        assert target is not None
    return merged, target


async def set_published(
    db: Database, actor: Actor, *, rural_district_id: int, initiative_id: int, published: bool, now: datetime
) -> Initiative | None:
    async with db.transaction() as tx:
        initiative = await get(tx, initiative_id, rural_district_id)
        if initiative is None or initiative.status in ("hidden", "merged"):
            return None
        await tx.execute(
            "UPDATE initiatives SET published = ?, updated_at = ? WHERE id = ?",
            (int(published), to_db(now), initiative_id),
        )
        await audit.record(
            tx,
            actor_kind=actor.kind,
            actor_telegram_id=actor.telegram_id,
            rural_district_id=rural_district_id,
            action="initiative_publish",
            object_type="initiative",
            object_id=initiative_id,
            before={"published": initiative.published},
            after={"published": published},
        )
        return await get(tx, initiative_id)


# --- staff notices: each new one, or a daily digest ------------------------------------------------


async def digest_on(db: Database, person_id: int) -> bool:
    return bool(await db.fetchval("SELECT digest FROM initiative_staff_prefs WHERE person_id = ?", (person_id,)))


async def set_digest(db: Database, person_id: int, digest: bool, now: datetime) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO initiative_staff_prefs (person_id, digest, digest_since) VALUES (?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET digest = excluded.digest,"
            " digest_since = CASE WHEN excluded.digest = 1 AND initiative_staff_prefs.digest = 0"
            "                     THEN excluded.digest_since ELSE initiative_staff_prefs.digest_since END",
            (person_id, int(digest), to_db(now)),
        )


async def claim_reminders(db: Database, now: datetime, undecided: Collection[str]) -> list[Initiative]:
    """Initiatives whose deadline is near and whose staff were not reminded yet; claimed once."""
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "UPDATE initiatives SET reminded_at = ? WHERE reminded_at IS NULL AND remind_at <= ?"
            f" AND status IN ({','.join('?' * len(undecided))}) RETURNING id",
            (to_db(now), to_db(now), *undecided),
        )
        found = [await get(tx, row[0]) for row in rows]
    return [i for i in found if i is not None]


async def claim_digests(db: Database, rural_district_id: int, today: date) -> list[tuple[int, datetime | None]]:
    """Staff of the district who want a digest and had none today: (person id, since when); claimed once."""
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "UPDATE initiative_staff_prefs SET digest_sent_on = ? WHERE digest = 1"
            " AND (digest_sent_on IS NULL OR digest_sent_on < ?) AND person_id IN"
            " (SELECT person_id FROM roles WHERE rural_district_id = ? AND role = 'staff')"
            " RETURNING person_id, digest_since",
            (today.isoformat(), today.isoformat(), rural_district_id),
        )
    return [(row[0], from_db(row[1]) if row[1] else None) for row in rows]


async def submitted_between(
    db: Database, rural_district_id: int, since: datetime | None, until: datetime
) -> list[Initiative]:
    """Submitted in [since, until): each initiative goes into exactly one digest."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS}{_FROM} WHERE i.rural_district_id = ? AND (? IS NULL OR i.submitted_at >= ?)"
        " AND i.submitted_at < ? ORDER BY i.number",
        (rural_district_id, to_db(since) if since else None, to_db(since) if since else None, to_db(until)),
    )
    return [Initiative.from_row(r) for r in rows]


async def digest_sent(db: Database, person_id: int, until: datetime) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE initiative_staff_prefs SET digest_since = ? WHERE person_id = ?", (to_db(until), person_id)
        )


async def enqueue_staff(
    db: Database,
    rural_district_id: int,
    person_ids: list[int],
    texts: dict[str, str],
    *,
    now: datetime,
    source_id: int | None = None,
) -> None:
    async with db.transaction() as tx:
        await outbox.enqueue(
            tx,
            rural_district_id=rural_district_id,
            kind="staff",
            texts=texts,
            recipients=person_ids,
            source_type="initiative",
            source_id=source_id,
            not_before=to_db(now),
        )


async def districts_with_initiatives(db: Database) -> list[tuple[int, str]]:
    rows = await db.fetchall(
        "SELECT id, timezone FROM rural_districts rd WHERE EXISTS"
        " (SELECT 1 FROM initiative_staff_prefs p JOIN roles r ON r.person_id = p.person_id"
        "  WHERE r.rural_district_id = rd.id AND r.role = 'staff' AND p.digest = 1)"
    )
    return [(row[0], row[1]) for row in rows]


async def add_sample(
    tx: Tx,
    *,
    rural_district_id: int,
    number: int,
    village_id: int | None,
    topic: str,
    title: str,
    body: str,
    status: str,
    published: bool,
    submitted_at: datetime,
    deadline: Deadlines,
) -> int:
    """A sample initiative for the demo (no author), with its history."""
    initiative_id = await tx.execute(
        "INSERT INTO initiatives (rural_district_id, number, village_id, topic, title, body, status, published,"
        " submitted_at, deadline_on, deadline_at, remind_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            rural_district_id,
            number,
            village_id,
            topic,
            title,
            body,
            status,
            int(published),
            to_db(submitted_at),
            deadline.day.isoformat(),
            to_db(deadline.ends_at),
            to_db(deadline.remind_at),
            to_db(submitted_at),
        ),
    )
    await tx.execute(
        "INSERT INTO initiative_history (initiative_id, at, from_status, to_status) VALUES (?, ?, NULL, 'submitted')",
        (initiative_id, to_db(submitted_at)),
    )
    if status != "submitted":
        await tx.execute(
            "INSERT INTO initiative_history (initiative_id, at, from_status, to_status) VALUES (?, ?, 'submitted', ?)",
            (initiative_id, to_db(submitted_at), status),
        )
    return initiative_id
