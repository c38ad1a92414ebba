"""Personal data (Law No. 94-V): what is kept about a person, deleting it, and retention.

``kept`` reads everything the bot keeps about one person (for «My data»). ``erase`` deletes it
in one transaction, as the consent text and the screen say:

- name, phone number, the Telegram link (the person's row is kept, anonymised, where supports
  and ballots still point at it: its Telegram id becomes ``-id``, everything else is cleared),
  private texts (unpublished initiatives, unpublished questions, the text of a verdict on a
  finished project), photos, voice messages, answers to invitations, who wrote a report of
  pressure or vote buying (the report stays with the chair), the conversation's state, messages
  queued to them, their roles;
- supports stay counted, without a name;
- a vote stays counted as an anonymous ballot: while its contest is open its number gives way to a
  keyed hash (HMAC) of it, so the number still cannot vote twice (in the bot or on paper); once the
  contest closes, not even that (``forget_closed_ballots``); a paper ballot recorded by the
  person's number is treated the same way;
- a published initiative stays, «by a resident», without its photos and voice message;
- the census is the office's own register and is not changed here.

The database file itself forgets the old bytes at the next maintenance step (``scrub``: the
write-ahead log checkpointed, ``VACUUM``, checkpointed again): after it the person's phone number
and name are nowhere in the file.

Retention (``idle``): people who have not written for a set time and have no open initiative are
anonymised the same way (by the scheduler, ``bot/jobs/operations.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import weakref
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.rules.clock import to_db
from storage import audit
from storage.audit import Actor
from storage.db import Database, Tx

OPEN_INITIATIVE = ("submitted", "review", "extended", "accepted", "in_progress")
KEY_NAME = "vote_hmac_key"
VACUUM_DUE = "vacuum_due"


# --- the key of the ballots' hashes -------------------------------------------------------------


# The key each open database was prepared with (``bot.app.prepare``), for the vote's hot path.
_KEYS: weakref.WeakKeyDictionary[Database, bytes] = weakref.WeakKeyDictionary()


async def vote_key(db: Database, configured: str | None = None) -> bytes:
    """VOTE_HASH_KEY when set (then the database alone cannot be searched for a number); else a key
    generated once and kept in the database. Remembered for ``key_of``."""
    if configured:
        key = configured.encode()
    else:
        row = await db.fetchone("SELECT value FROM service_state WHERE name = ?", (KEY_NAME,))
        if not (row and row[0]):
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO service_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
                    (KEY_NAME, secrets.token_hex(32)),
                )
            row = await db.fetchone("SELECT value FROM service_state WHERE name = ?", (KEY_NAME,))
        assert row is not None
        key = str(row[0]).encode()
    _KEYS[db] = key
    return key


def key_of(db: Database) -> bytes | None:
    """The key the database was prepared with (None before: then nobody was erased through it)."""
    return _KEYS.get(db)


def phone_hmac(key: bytes, contest_id: int, phone: str) -> str:
    """The keyed hash of a number in one contest (another contest's hash of it differs)."""
    return hmac.new(key, f"{contest_id}:{phone}".encode(), hashlib.sha256).hexdigest()


def hashed_phone(db: Database, contest_id: int, phone: str) -> str:
    """What a deleted voter's number became in this contest (the number itself before any key)."""
    key = key_of(db)
    return phone_hmac(key, contest_id, phone) if key is not None else phone


def erased_voter(conn: sqlite3.Connection, key: bytes | None, contest_id: int, phone: str) -> bool:
    """A deleted person voted in this open contest with this number (inside the vote's transaction)."""
    if key is None or not conn.execute("SELECT 1 FROM hashed_ballots WHERE contest_id = ?", (contest_id,)).fetchone():
        return False  # the usual case: one primary-key read
    hashed = phone_hmac(key, contest_id, phone)
    found = conn.execute(
        "SELECT 1 FROM contest_votes WHERE contest_id = ? AND phone = ?"
        " UNION ALL SELECT 1 FROM contest_paper_voters WHERE contest_id = ? AND phone = ?",
        (contest_id, hashed, contest_id, hashed),
    ).fetchone()
    return found is not None


# --- what is kept ---------------------------------------------------------------------------------


@dataclass
class Kept:
    """Everything the bot keeps about one person, as plain values (the screen and the files say it)."""

    profile: dict[str, Any]
    roles: list[dict[str, Any]] = field(default_factory=list)
    initiatives: list[dict[str, Any]] = field(default_factory=list)
    supports: list[dict[str, Any]] = field(default_factory=list)
    votes: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)  # to invitations (RSVPs)
    questions: list[dict[str, Any]] = field(default_factory=list)
    question_supports: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[str, int] = field(default_factory=dict)  # queued or sent to them, by state
    conversation: bool = False  # a step of a conversation is in progress

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "roles": self.roles,
            "initiatives": self.initiatives,
            "supports": self.supports,
            "votes": self.votes,
            "answers_to_invitations": self.answers,
            "questions": self.questions,
            "question_supports": self.question_supports,
            "messages": self.messages,
            "conversation_in_progress": self.conversation,
        }


async def _rows(db: Database | Tx, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
    return [dict(row) for row in await db.fetchall(sql, params)]


# The lists of rows ``kept`` reads into a Kept, by its field: each query takes the person's id.
_KEPT_ROWS = {
    "roles": "SELECT role, rural_district_id, village_id, granted_at FROM roles WHERE person_id = ?",
    "initiatives": (
        "SELECT number, title, body, topic, status, published, submitted_at, photos_json != '[]' AS photos,"
        " voice_file_id IS NOT NULL AS voice, latitude IS NOT NULL AS location"
        " FROM initiatives WHERE author_id = ? ORDER BY submitted_at"
    ),
    "supports": (
        "SELECT i.number, i.title, s.at FROM initiative_supports s JOIN initiatives i ON i.id = s.initiative_id"
        " WHERE s.person_id = ? ORDER BY s.at"
    ),
    "votes": (
        "SELECT c.title_kk AS contest_kk, c.title_ru AS contest_ru, pr.title_kk AS project_kk,"
        " pr.title_ru AS project_ru, v.phone, v.cast_at, v.changed_at, c.status AS contest_status"
        " FROM contest_votes v JOIN contests c ON c.id = v.contest_id"
        " JOIN contest_projects pr ON pr.id = v.project_id"
        " WHERE v.person_id = ? ORDER BY v.cast_at"
    ),
    "answers": (
        "SELECT e.title_kk AS event_kk, e.title_ru AS event_ru, e.starts_at, r.answer, r.answered_at"
        " FROM event_rsvps r JOIN events e ON e.id = r.event_id WHERE r.person_id = ? ORDER BY e.starts_at"
    ),
    "questions": (
        "SELECT text, voice_file_id IS NOT NULL AS voice, created_at, answer, published FROM report_questions"
        " WHERE person_id = ? ORDER BY created_at"
    ),
    "question_supports": "SELECT question_id, created_at FROM report_question_supports WHERE person_id = ?",
}


async def kept(db: Database, person_id: int) -> Kept | None:
    """What is kept about the person (None when there is no such person or it was erased)."""
    async with db.read() as tx:
        profile = await tx.fetchone(
            "SELECT p.id AS person_id, p.telegram_id, p.language, rd.name_kk AS rural_district_kk,"
            " rd.name_ru AS rural_district_ru, v.name_kk AS village_kk, v.name_ru AS village_ru, p.full_name AS name,"
            " p.phone, p.consent_version, p.consent_at, p.consent_declined_at, p.notify_announcements,"
            " p.notify_reminders, p.unreachable_at, p.created_at, p.last_seen_on"
            " FROM people p LEFT JOIN rural_districts rd ON rd.id = p.rural_district_id"
            " LEFT JOIN villages v ON v.id = p.village_id WHERE p.id = ? AND p.erased_at IS NULL",
            (person_id,),
        )
        if profile is None:
            return None
        found = Kept(dict(profile))
        for name, sql in _KEPT_ROWS.items():
            setattr(found, name, await _rows(tx, sql, (person_id,)))
        found.messages = {
            row[0]: int(row[1])
            for row in await tx.fetchall(
                "SELECT state, count(*) FROM outbox WHERE person_id = ? GROUP BY state ORDER BY state", (person_id,)
            )
        }
        found.conversation = bool(
            await tx.fetchval(
                "SELECT 1 FROM fsm_states WHERE user_id = ? AND state IS NOT NULL", (found.profile["telegram_id"],)
            )
        )
    return found


# --- deleting it ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Erased:
    """What happened to the person's data, counted."""

    ballots_anonymised: int
    ballots_hashed: int  # in contests still open
    initiatives_deleted: int
    initiatives_kept_anonymous: int
    questions_deleted: int
    questions_kept_anonymous: int
    supports_kept: int
    answers_deleted: int


async def _exists(tx: Tx, table: str) -> bool:
    return bool(await tx.fetchval("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)))


async def erase(db: Database, actor: Actor, person_id: int, now: datetime, key: bytes) -> Erased | None:
    """Delete the person's data (see the module's docstring); None when already deleted."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT telegram_id, rural_district_id FROM people WHERE id = ? AND erased_at IS NULL", (person_id,)
        )
        if row is None:
            return None
        telegram_id, rural_district_id = int(row[0]), row[1]
        erased = await _erase(tx, person_id, telegram_id, now, key)
        await audit.write(
            tx,
            actor,
            "personal_data_erased",
            "person",
            person_id,
            rural_district_id=rural_district_id,
            after={"by": actor.kind, **{name: getattr(erased, name) for name in Erased.__slots__}},  # type: ignore[attr-defined]
        )
        await tx.execute(
            "INSERT INTO service_state (name, value, at) VALUES (?, '1', ?)"
            " ON CONFLICT (name) DO UPDATE SET value = '1', at = excluded.at",
            (VACUUM_DUE, to_db(now)),
        )
    return erased


async def _erase(tx: Tx, person_id: int, telegram_id: int, now: datetime, key: bytes) -> Erased:
    phone = await tx.fetchval("SELECT phone FROM people WHERE id = ?", (person_id,))
    votes = await tx.fetchall(
        "SELECT v.id, v.contest_id, v.phone, c.status FROM contest_votes v JOIN contests c ON c.id = v.contest_id"
        " WHERE v.person_id = ?",
        (person_id,),
    )
    papers = []
    if phone:
        papers = await tx.fetchall(
            "SELECT p.id, p.contest_id, p.phone, c.status FROM contest_paper_voters p"
            " JOIN contests c ON c.id = p.contest_id WHERE p.phone = ?",
            (phone,),
        )
    hashed = 0
    for table, rows in (("contest_votes", votes), ("contest_paper_voters", papers)):
        for row_id, contest_id, number, status in rows:
            # the ballot stays, counted; its number gives way to a keyed hash while the contest is open
            kept = phone_hmac(key, contest_id, number) if number and status != "closed" else None
            await tx.execute(f"UPDATE {table} SET phone = ? WHERE id = ?", (kept, row_id))
            if kept is not None:
                hashed += 1
                await tx.execute("INSERT OR IGNORE INTO hashed_ballots (contest_id) VALUES (?)", (contest_id,))
    await tx.execute("UPDATE contest_reports SET person_id = NULL WHERE person_id = ?", (person_id,))
    await tx.execute("UPDATE project_feedback SET body = NULL WHERE person_id = ?", (person_id,))

    private = [
        r[0]
        for r in await tx.fetchall("SELECT id FROM initiatives WHERE author_id = ? AND published = 0", (person_id,))
    ]
    if private:
        marks = ",".join("?" * len(private))
        await tx.execute(f"UPDATE initiatives SET merged_into = NULL WHERE merged_into IN ({marks})", private)
        await tx.execute(f"UPDATE event_agenda SET initiative_id = NULL WHERE initiative_id IN ({marks})", private)
        await tx.execute(
            f"DELETE FROM outbox_messages WHERE source_type = 'initiative' AND source_id IN ({marks})", private
        )
        await tx.execute(f"DELETE FROM initiatives WHERE id IN ({marks})", private)
    public = await tx.execute(
        "UPDATE initiatives SET author_id = NULL, photos_json = '[]', voice_file_id = NULL WHERE author_id = ?",
        (person_id,),
    )
    kept_questions = await tx.execute(
        "UPDATE report_questions SET person_id = NULL, voice_file_id = NULL, voice_bot_id = NULL,"
        " voice_duration = NULL WHERE person_id = ? AND published = 1 AND length(trim(COALESCE(text, ''))) > 0",
        (person_id,),
    )
    questions = await tx.execute("DELETE FROM report_questions WHERE person_id = ?", (person_id,))
    answers = await tx.execute("DELETE FROM event_rsvps WHERE person_id = ?", (person_id,))
    supports = int(
        await tx.fetchval("SELECT count(*) FROM initiative_supports WHERE person_id = ?", (person_id,)) or 0
    ) + int(await tx.fetchval("SELECT count(*) FROM report_question_supports WHERE person_id = ?", (person_id,)) or 0)
    await tx.execute("DELETE FROM fsm_states WHERE user_id = ? OR chat_id = ?", (telegram_id, telegram_id))
    await tx.execute("DELETE FROM outbox WHERE person_id = ?", (person_id,))
    if await _exists(tx, "inbox"):  # the update being handled stays until it is done (its payload cleared)
        await tx.execute("DELETE FROM inbox WHERE chat_id = ? AND state <> 'pending'", (telegram_id,))
    await tx.execute(
        "UPDATE broadcasts SET progress_chat_id = NULL, progress_message_id = NULL WHERE progress_chat_id = ?",
        (telegram_id,),
    )
    await tx.execute("DELETE FROM roles WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM operators WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM initiative_staff_prefs WHERE person_id = ?", (person_id,))
    now_db = to_db(now)
    await tx.execute(
        "UPDATE people SET telegram_id = -id, full_name = NULL, phone = NULL, rural_district_id = NULL,"
        " village_id = NULL, language_chosen = 0, consent_version = NULL, consent_at = NULL,"
        " consent_declined_at = NULL, notify_announcements = 0, notify_reminders = 0, unreachable_at = ?,"
        " last_seen_on = NULL, erased_at = ? WHERE id = ?",
        (now_db, now_db, person_id),
    )
    return Erased(
        ballots_anonymised=len(votes) + len(papers),
        ballots_hashed=hashed,
        initiatives_deleted=len(private),
        initiatives_kept_anonymous=public,
        questions_deleted=questions,
        questions_kept_anonymous=kept_questions,
        supports_kept=supports,
        answers_deleted=answers,
    )


# --- retention and the file's old bytes -----------------------------------------------------------


async def idle(db: Database, last_seen_before: date, *, limit: int = 500) -> list[int]:
    """People not seen since before that day with no open initiative and no office (staff, chair,
    operator: the operator takes those away), to be anonymised."""
    marks = ",".join("?" * len(OPEN_INITIATIVE))
    rows = await db.fetchall(
        "SELECT p.id FROM people p WHERE p.erased_at IS NULL AND p.last_seen_on < ?"
        f" AND NOT EXISTS (SELECT 1 FROM initiatives i WHERE i.author_id = p.id AND i.status IN ({marks}))"
        " AND NOT EXISTS (SELECT 1 FROM roles r WHERE r.person_id = p.id AND r.role IN ('staff', 'chair'))"
        " AND NOT EXISTS (SELECT 1 FROM operators o WHERE o.person_id = p.id) ORDER BY p.id LIMIT ?",
        (last_seen_before.isoformat(), *OPEN_INITIATIVE, limit),
    )
    return [r[0] for r in rows]


async def forget_closed_ballots(db: Database) -> int:
    """The hashes of deleted voters' numbers go once their contest has closed; how many."""
    rows = await db.fetchall(
        "SELECT h.contest_id FROM hashed_ballots h JOIN contests c ON c.id = h.contest_id WHERE c.status = 'closed'"
    )  # the usual case, every tick: one read of an empty table
    if not rows:
        return 0
    forgotten = 0
    async with db.transaction() as tx:
        for (contest_id,) in rows:
            for table in ("contest_votes", "contest_paper_voters"):
                forgotten += await tx.execute(
                    f"UPDATE {table} SET phone = NULL WHERE contest_id = ? AND phone NOT LIKE '+%'", (contest_id,)
                )
            await tx.execute("DELETE FROM hashed_ballots WHERE contest_id = ?", (contest_id,))
    return forgotten


async def scrub(db: Database, *, force: bool = False) -> bool:
    """After a deletion: checkpoint the write-ahead log, VACUUM and checkpoint again, so the old
    bytes are in neither file. True when it ran to the end (another reader may hold the log)."""
    if not force and not await db.fetchval("SELECT 1 FROM service_state WHERE name = ? AND value = '1'", (VACUUM_DUE,)):
        return False
    await db.maintenance("PRAGMA wal_checkpoint(TRUNCATE)")
    await db.maintenance("VACUUM")
    busy = await db.maintenance("PRAGMA wal_checkpoint(TRUNCATE)")
    if busy and busy[0]:
        return False  # a reader holds the log: the next maintenance tick tries again
    async with db.transaction() as tx:
        await tx.execute("UPDATE service_state SET value = '0' WHERE name = ?", (VACUUM_DUE,))
    # the flag's own write went to the log: empty it again (it holds no personal data either way)
    await db.maintenance("PRAGMA wal_checkpoint(TRUNCATE)")
    return True
