"""Civic initiatives: submission, the staff's queue and status changes, supports, the agenda flag.

Which status may follow which is decided in ``bot/rules/initiatives.py``; every write here checks
it again inside its transaction, on the row as it is then, and checks the actor's district
(``actor.require``), so a stale or forged button changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.rules import initiatives as rules
from bot.rules.clock import from_db, to_db
from bot.rules.errors import DomainError, NotFound
from bot.rules.initiatives import Deadline, Status
from bot.rules.texts import N_
from storage import audit, outbox
from storage.audit import Actor
from storage.db import SKIP_LOCKED, Database, Tx
from storage.places import timezone as timezone  # the district's, in which deadlines are counted


class Setting(StrEnum):
    """A district's setting staff may change."""

    REVIEW_DAYS = "review_days"
    PER_DAY = "per_day"
    THRESHOLD = "threshold"


_SETTING_COLUMNS = {
    Setting.REVIEW_DAYS: "initiative_review_days",
    Setting.PER_DAY: "initiatives_per_day",
    Setting.THRESHOLD: "initiative_support_threshold",
}
NOT_FOUND = N_("This initiative was not found in your rural district.")
# Supports are rows of initiative_supports; ``initiatives.supports`` counts them, kept by triggers
# (migration 012), so the district's list sorts by it through an index.
_SUPPORTS = "i.supports"
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
class Written:
    """What a resident writes in the form: the topic, the title and text, photos, a place, a voice message."""

    topic: str
    title: str
    body: str
    photos: list[str]
    latitude: float | None
    longitude: float | None
    voice_file_id: str | None


@dataclass(frozen=True, slots=True)
class Initiative(Written):
    id: int
    rural_district_id: int
    number: int
    village_id: int | None
    author_id: int | None
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
class Draft(Written):
    """What the resident entered, ready to be stored (``token``: the form's, so a double tap stores it once)."""

    token: str
    village_id: int


# --- per-district settings --------------------------------------------------------------------


async def settings(db: Database | Tx, rural_district_id: int) -> DistrictSettings:
    row = await db.fetchone(
        "SELECT initiative_review_days, initiatives_per_day, initiative_support_threshold, timezone"
        " FROM rural_districts WHERE id = ?",
        (rural_district_id,),
    )
    assert row is not None, rural_district_id
    return DistrictSettings(*row)


async def set_setting(db: Database, actor: Actor, rural_district_id: int, name: Setting, value: int) -> None:
    """Change one setting of the district, audited."""
    actor.require(rural_district_id)
    column = _SETTING_COLUMNS[name]
    async with db.transaction() as tx:
        before = await tx.fetchval(f"SELECT {column} FROM rural_districts WHERE id = ?", (rural_district_id,))
        await tx.execute(f"UPDATE rural_districts SET {column} = ? WHERE id = ?", (value, rural_district_id))
        await audit.write(
            tx,
            actor,
            "initiative_setting",
            "rural_district",
            rural_district_id,
            rural_district_id=rural_district_id,
            before={name.value: before},
            after={name.value: value},
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
    deadline_on: date  # the last day of the review
    created: bool  # False: this draft had been submitted already (a second tap on Submit)


async def submit(
    db: Database,
    *,
    draft: Draft,
    author_id: int,
    rural_district_id: int,
    now: datetime,
    staff_notice: Callable[[int, date], dict[str, str]],
) -> Submitted | None:
    """Store the draft as a new initiative, with the district's review deadline, and tell the staff
    who want each one (``staff_notice(number, last day)``); None over the day's limit."""
    async with db.transaction() as tx:
        existing = await tx.fetchone(
            "SELECT id, number, deadline_on FROM initiatives WHERE author_id = ? AND draft_token = ?",
            (author_id, draft.token),
        )
        if existing:
            return Submitted(existing[0], existing[1], date.fromisoformat(existing[2]), created=False)
        cfg = await settings(tx, rural_district_id)
        count = await tx.fetchval(
            "SELECT count(*) FROM initiatives WHERE author_id = ? AND submitted_at > ?",
            (author_id, to_db(now - rules.PER_DAY_WINDOW)),
        )
        if count >= cfg.per_day:
            return None
        deadline = rules.review_deadline(now, cfg.timezone, cfg.review_days)
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
                texts=staff_notice(number, deadline.day),
                recipients=[row[0] for row in staff],
                source_type="initiative",
                source_id=initiative_id,
                not_before=stamp,
            )
    return Submitted(initiative_id, number, deadline.day, created=True)


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
    """The district's published initiatives, newest or most supported first: a page read through the
    index of that order (migration 012, whose WHERE this one repeats word for word).

    The page's ids are found in the index alone (SQLite evaluates every column of each row an
    OFFSET skips, so the last page of 1,000 read 995 whole rows), then only its rows are read."""
    where = " WHERE i.rural_district_id = ? AND i.published = 1 AND i.status NOT IN ('merged', 'hidden')"
    order = " ORDER BY i.supports DESC, i.id DESC" if by_support else " ORDER BY i.submitted_at DESC, i.id DESC"
    page = f"SELECT i.id FROM initiatives i{where}{order} LIMIT ? OFFSET ?"
    async with db.read() as tx:
        rows = await tx.fetchall(f"SELECT {_COLUMNS}{_FROM} WHERE i.id IN ({page})", (rural_district_id, limit, offset))
        total = await tx.fetchval(f"SELECT count(*) FROM initiatives i{where}", (rural_district_id,))
    found = [Initiative.from_row(r) for r in rows]  # the page's few rows, in the index's order again
    found.sort(key=(lambda i: (i.supports, i.id)) if by_support else (lambda i: (i.submitted_at, i.id)), reverse=True)
    return found, int(total)


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


_UNDECIDED = sorted(s.value for s in rules.UNDECIDED)
_IN_UNDECIDED = f"({','.join('?' * len(_UNDECIDED))})"


async def overdue_count(db: Database, rural_district_id: int, now: datetime) -> int:
    """Undecided initiatives of the district past their review deadline."""
    return int(
        await db.fetchval(
            f"SELECT count(*) FROM initiatives WHERE rural_district_id = ? AND status IN {_IN_UNDECIDED}"
            " AND deadline_at <= ?",
            (rural_district_id, *_UNDECIDED, to_db(now)),
        )
    )


async def export(db: Database, actor: Actor, rural_district_id: int) -> list[Initiative]:
    """Every initiative of the district, for the staff's CSV; the export itself is audited."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            f"SELECT {_COLUMNS}{_FROM} WHERE i.rural_district_id = ? ORDER BY i.number", (rural_district_id,)
        )
        await audit.write(
            tx,
            actor,
            "initiative_export",
            "rural_district",
            rural_district_id,
            rural_district_id=rural_district_id,
            after={"rows": len(rows)},
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
            " AND initiatives.supports"
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
    now: datetime,
    flagged_notice: Callable[[Initiative], dict[str, str]] | None = None,
) -> Supported:
    """One support per person (the primary key), never one's own, only of a published one of the district."""
    supportable = sorted(s.value for s in rules.SUPPORTABLE)
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

CHANGED_MEANWHILE = N_("This status cannot be set now: the initiative has changed meanwhile.")
NO_TARGET = N_("No other initiative №{number} open in your rural district. Send another number, or /cancel.")


async def for_staff(db: Database | Tx, actor: Actor, initiative_id: int) -> Initiative:
    """The initiative, when the actor may act on it (staff: one of their district); else ``NotFound``,
    which names nothing of another district."""
    initiative = await get(db, initiative_id)
    if initiative is None or not actor.may_act_in(initiative.rural_district_id):
        raise NotFound(NOT_FOUND)
    return initiative


# The outcomes everyone who supported an initiative hears of (the author hears of every change).
SUPPORTERS_TOLD = frozenset({Status.ACCEPTED, Status.REJECTED, Status.DONE})


@dataclass(frozen=True, slots=True)
class Changed:
    initiative: Initiative  # as it is now
    into: Initiative | None = None  # merged: the initiative it went into, with the supports it has now


async def change_status(
    db: Database,
    actor: Actor,
    *,
    initiative_id: int,
    new: Status,
    answer: str | None,
    now: datetime,
    extend_to: date | None = None,
    forwarded_to: str | None = None,
    into_number: int | None = None,
    author_texts: Callable[[Initiative], dict[str, str]] | None = None,
    supporter_texts: Callable[[Initiative], dict[str, str]] | None = None,
) -> Changed:
    """Set the status staff chose, if the rules allow it from the current one.

    One path for every change: a decision, an extension to ``extend_to`` (a new last day), a
    forward to the body named, hiding (``answer`` is the reason) and merging into initiative
    №``into_number`` of the district (its supporters and author follow; never its own author).
    Hidden and merged ones leave the district's list. The history, the audit entry and the
    author's notice are written in the same transaction; so is the supporters' notice of an
    outcome (accepted, rejected with the reason, done), rendered by ``supporter_texts``.

    Raises ``DomainError`` when the rules do not allow the change now (a stale or forged button,
    a missing reason, a date out of range), ``NotFound`` for an initiative the actor may not act
    on, or for an initiative to merge into that is not another open one of the district.
    """
    async with db.transaction() as tx:
        initiative = await for_staff(tx, actor, initiative_id)
        rules.check_transition(initiative.status, new, answer)
        deadline = None
        if new == Status.EXTENDED:
            if extend_to is None:
                raise ValueError("an extension needs its new last day")
            tz = await timezone(tx, initiative.rural_district_id)
            rules.check_extension(extend_to, initiative.deadline_on, initiative.submitted_at, tz)
            deadline = rules.deadline_from_day(extend_to, tz)
        into = await _merge_target(tx, initiative, into_number) if new == Status.MERGED else None
        stamp = to_db(now)
        await tx.execute(
            "UPDATE initiatives SET status = ?, updated_at = ?,"
            " decided_at = CASE WHEN ? THEN COALESCE(decided_at, ?) ELSE decided_at END,"
            " forwarded_to = COALESCE(?, forwarded_to), merged_into = COALESCE(?, merged_into),"
            " published = CASE WHEN ? THEN 0 ELSE published END WHERE id = ?",
            (
                new.value,
                stamp,
                int(rules.is_decision(new)),
                stamp,
                forwarded_to,
                into.id if into else None,
                int(new in rules.NOT_LISTED),
                initiative.id,
            ),
        )
        if deadline is not None:
            await tx.execute(
                "UPDATE initiatives SET deadline_on = ?, deadline_at = ?, remind_at = ?, reminded_at = NULL"
                " WHERE id = ?",
                (deadline.day.isoformat(), to_db(deadline.ends_at), to_db(deadline.remind_at), initiative.id),
            )
        if into is not None:
            await _move_supports(tx, initiative, into, now)
        updated = await _changed(
            tx,
            initiative,
            actor,
            new,
            now=now,
            answer=answer,
            deadline=deadline,
            forwarded_to=forwarded_to,
            into=into,
            author_texts=author_texts,
        )
        if supporter_texts is not None and new in SUPPORTERS_TOLD:
            await outbox.enqueue(
                tx,
                rural_district_id=updated.rural_district_id,
                kind="status",
                texts=supporter_texts(updated),
                recipients=[
                    r[0]
                    for r in await tx.fetchall(
                        "SELECT person_id FROM initiative_supports WHERE initiative_id = ? ORDER BY person_id",
                        (updated.id,),
                    )
                    if r[0] != updated.author_id
                ],
                source_type="initiative",
                source_id=updated.id,
                not_before=to_db(now),
            )
        if into is not None:
            into = await get(tx, into.id)
    return Changed(updated, into)


async def _merge_target(tx: Tx, initiative: Initiative, into_number: int | None) -> Initiative:
    """Another initiative of the same district, still listed, to merge a duplicate into."""
    if into_number is None:
        raise ValueError("a merge needs the number of the initiative to merge into")
    target = await by_number(tx, initiative.rural_district_id, into_number)
    if target is None or target.id == initiative.id or target.status in rules.NOT_LISTED:
        raise NotFound(NO_TARGET, number=into_number)
    return target


async def _move_supports(tx: Tx, duplicate: Initiative, into: Initiative, now: datetime) -> None:
    """The duplicate's author and supporters now support the one it merges into (never its own author)."""
    await tx.execute(
        "INSERT INTO initiative_supports (initiative_id, person_id, at)"
        " SELECT CAST(? AS INTEGER), person_id, at FROM initiative_supports WHERE initiative_id = ?"
        " UNION SELECT ?, author_id, ? FROM initiatives WHERE id = ? AND author_id IS NOT NULL"
        " ON CONFLICT DO NOTHING",
        (into.id, duplicate.id, into.id, to_db(now), duplicate.id),
    )
    if into.author_id is not None:
        await tx.execute(
            "DELETE FROM initiative_supports WHERE initiative_id = ? AND person_id = ?", (into.id, into.author_id)
        )
    await _flag_if_reached(tx, into.id, now)


async def _changed(
    tx: Tx,
    initiative: Initiative,
    actor: Actor,
    new: Status,
    *,
    now: datetime,
    answer: str | None,
    deadline: Deadline | None,
    forwarded_to: str | None,
    into: Initiative | None,
    author_texts: Callable[[Initiative], dict[str, str]] | None,
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
            new.value,
            answer,
            deadline.day.isoformat() if deadline else None,
            forwarded_to,
        ),
    )
    before: dict[str, Any] = {"status": initiative.status}
    after: dict[str, Any]
    if new == Status.HIDDEN:
        action, after = "initiative_hide", {"status": new.value, "reason": answer}
        before["published"] = initiative.published
    elif new == Status.MERGED:
        assert into is not None
        action, after = "initiative_merge", {"status": new.value, "merged_into": into.id, "into_number": into.number}
    else:
        action, after = "initiative_status", {"status": new.value, "answer": answer}
        before["deadline"] = initiative.deadline_on.isoformat()
        if deadline is not None:
            after["deadline"] = deadline.day.isoformat()
        if forwarded_to:
            after["forwarded_to"] = forwarded_to
    await audit.write(
        tx,
        actor,
        action,
        "initiative",
        initiative.id,
        rural_district_id=initiative.rural_district_id,
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


async def set_published(
    db: Database, actor: Actor, *, initiative_id: int, published: bool, now: datetime
) -> Initiative:
    """Publish for the district's support, or keep private; not a hidden or merged one."""
    async with db.transaction() as tx:
        initiative = await for_staff(tx, actor, initiative_id)
        if initiative.status in rules.NOT_LISTED:
            raise DomainError(CHANGED_MEANWHILE)
        await tx.execute(
            "UPDATE initiatives SET published = ?, updated_at = ? WHERE id = ?",
            (int(published), to_db(now), initiative_id),
        )
        await audit.write(
            tx,
            actor,
            "initiative_publish",
            "initiative",
            initiative_id,
            rural_district_id=initiative.rural_district_id,
            before={"published": initiative.published},
            after={"published": published},
        )
        updated = await get(tx, initiative_id)
    assert updated is not None
    return updated


# --- staff notices: each new one, or a daily digest ------------------------------------------------


async def digest_on(db: Database, person_id: int) -> bool:
    return bool(await db.fetchval("SELECT digest FROM initiative_staff_prefs WHERE person_id = ?", (person_id,)))


async def toggle_digest(db: Database, actor: Actor, now: datetime) -> bool:
    """The staff member's own choice: each new initiative as it arrives, or one digest a day. Returns
    whether the digest is on now."""
    if actor.person_id is None:
        raise ValueError("only a person chooses how they are told")
    async with db.transaction() as tx:
        digest = not await tx.fetchval(
            "SELECT digest FROM initiative_staff_prefs WHERE person_id = ?", (actor.person_id,)
        )
        await tx.execute(
            "INSERT INTO initiative_staff_prefs (person_id, digest, digest_since) VALUES (?, ?, ?)"
            " ON CONFLICT (person_id) DO UPDATE SET digest = excluded.digest,"
            " digest_since = CASE WHEN excluded.digest = 1 AND initiative_staff_prefs.digest = 0"
            "                     THEN excluded.digest_since ELSE initiative_staff_prefs.digest_since END",
            (actor.person_id, int(digest), to_db(now)),
        )
    return digest


async def claim_reminders(db: Database, now: datetime) -> list[Initiative]:
    """Undecided initiatives whose deadline is near and whose staff were not reminded yet; claimed once."""
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "UPDATE initiatives SET reminded_at = ? WHERE id IN (SELECT id FROM initiatives"
            f" WHERE reminded_at IS NULL AND remind_at <= ? AND status IN {_IN_UNDECIDED} {SKIP_LOCKED}) RETURNING id",
            (to_db(now), to_db(now), *_UNDECIDED),
        )
        found = [await get(tx, row[0]) for row in rows]
    return [i for i in found if i is not None]


async def claim_digests(db: Database, rural_district_id: int, today: date) -> list[tuple[int, datetime | None]]:
    """Staff of the district who want a digest and had none today: (person id, since when); claimed once."""
    async with db.transaction() as tx:
        rows = await tx.fetchall(
            "UPDATE initiative_staff_prefs SET digest_sent_on = ? WHERE person_id IN"
            " (SELECT person_id FROM initiative_staff_prefs WHERE digest = 1"
            " AND (digest_sent_on IS NULL OR digest_sent_on < ?) AND person_id IN"
            f" (SELECT person_id FROM roles WHERE rural_district_id = ? AND role = 'staff') {SKIP_LOCKED})"
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
    deadline: Deadline,
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
