"""Watching a contest: flagged votes and the chair's decisions on them, and pressure reports.

The anomaly rules (``bot/rules/anomalies.py``) flag groups of votes; only the meeting's chair of
the district, or an operator, keeps or annuls a flag's votes (``decide``): the akim's staff, who run
the contest, see the figures but do not judge them. The check is here, against the roles table,
whatever button arrived. An annulled vote stays recorded (status 'annulled') and leaves the tally.

A pressure report goes to the chair and the operators through the outbox, never to the staff;
the chair reads it without the author's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.rules import anomalies
from bot.rules import contests as rules
from bot.rules.clock import from_db, to_db
from bot.rules.errors import DomainError, NotAllowed, NotFound
from bot.rules.texts import N_
from storage import audit, outbox
from storage import contests as store
from storage.audit import OPERATOR_KIND, Actor
from storage.db import Database, Tx

CHAIR_KIND = "chair"


def judge(
    person_id: int, telegram_id: int, rural_district_id: int | None, *, is_chair: bool, is_operator: bool
) -> Actor:
    """The actor who decides on flagged votes: an operator, or the chair of the district (checked again
    against the roles table when deciding). Anyone else is refused."""
    if is_operator:
        return Actor(OPERATOR_KIND, person_id, telegram_id)
    if is_chair:
        return Actor(CHAIR_KIND, person_id, telegram_id, rural_district_id)
    raise NotAllowed(rules.NOT_A_JUDGE)


async def _require_judge(tx: Tx, actor: Actor, rural_district_id: int) -> str:
    if actor.is_operator:
        return "operator"
    if actor.kind == CHAIR_KIND and actor.rural_district_id == rural_district_id:
        chair = await tx.fetchval(
            "SELECT 1 FROM roles WHERE person_id = ? AND rural_district_id = ? AND role = 'chair'",
            (actor.person_id, rural_district_id),
        )
        if chair:
            return "chair"
    raise NotAllowed(rules.NOT_A_JUDGE)


@dataclass(frozen=True, slots=True)
class Decision:
    flag: str
    decision: str  # keep | annul
    reason: str
    votes: int
    decided_as: str  # chair | operator
    decided_at: datetime


async def decisions(db: Database | Tx, contest_id: int) -> list[Decision]:
    rows = await db.fetchall(
        "SELECT flag, decision, reason, votes, decided_as, decided_at FROM contest_decisions"
        " WHERE contest_id = ? ORDER BY id",
        (contest_id,),
    )
    return [Decision(r[0], r[1], r[2], r[3], r[4], from_db(r[5])) for r in rows]


async def flags(
    db: Database | Tx, contest: store.Contest, tz: str, thresholds: anomalies.Thresholds
) -> list[anomalies.Flag]:
    return anomalies.flags(await store.stamps(db, contest.id), tz, thresholds)


async def decide(
    db: Database,
    actor: Actor,
    *,
    contest_id: int,
    flag_key: str,
    annul: bool,
    reason: str,
    now: datetime,
    tz: str,
    thresholds: anomalies.Thresholds,
) -> int:
    """Keep or annul the votes of one flag, with the reason; return how many votes it covered."""
    async with db.transaction() as tx:
        row = await tx.fetchone("SELECT rural_district_id FROM contests WHERE id = ?", (contest_id,))
        if row is None:
            raise NotFound(N_("This contest is not available."))
        decided_as = await _require_judge(tx, actor, row[0])
        contest = await store.get(db, contest_id, row[0])
        found = next((f for f in await flags(tx, contest, tz, thresholds) if f.key == flag_key), None)
        if found is None:
            raise DomainError(rules.FLAG_GONE)
        if not found.judgeable(now):
            raise DomainError(rules.FLAG_NOT_READY)
        if await tx.fetchval(
            "SELECT 1 FROM contest_decisions WHERE contest_id = ? AND flag = ?", (contest_id, flag_key)
        ):
            raise DomainError(rules.ALREADY_DECIDED)
        decision_id = await tx.execute(
            "INSERT INTO contest_decisions (contest_id, flag, decision, reason, votes, decided_by, decided_as,"
            " decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                contest_id,
                flag_key,
                "annul" if annul else "keep",
                reason,
                found.votes,
                actor.person_id,
                decided_as,
                to_db(now),
            ),
        )
        changed = 0
        if annul:
            marks = ",".join("?" * len(found.vote_ids))
            changed = await tx.execute(
                f"UPDATE contest_votes SET status = 'annulled', decision_id = ? WHERE contest_id = ?"
                f" AND status = 'counted' AND id IN ({marks})",
                (decision_id, contest_id, *found.vote_ids),
            )
        await audit.write(
            tx,
            actor,
            "contest_votes_annulled" if annul else "contest_votes_kept",
            "contest",
            contest_id,
            rural_district_id=contest.rural_district_id,
            after={"flag": flag_key, "votes": found.votes, "annulled": changed, "reason": reason, "as": decided_as},
        )
    return found.votes


# --- pressure and vote buying ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    rural_district_id: int
    contest_id: int
    number: int
    body: str | None
    voice_file_id: str | None
    created_at: datetime


async def report(
    db: Database,
    *,
    person_id: int,
    rural_district_id: int,
    contest_id: int,
    body: str | None,
    voice_file_id: str | None,
    now: datetime,
    operator_telegram_ids: frozenset[int],
    texts: Callable[[Report], dict[str, str]],
    buttons: Callable[[Report], dict[str, Any] | None],
) -> Report:
    """Keep a resident's report and queue it for the district's chair and the operators (not the staff);
    return it with the number the resident is told."""
    if not (body or "").strip() and not voice_file_id:
        raise DomainError(rules.REPORT_EMPTY)
    async with db.transaction() as tx:
        contest = await store.for_resident(db, contest_id, rural_district_id)
        number = await tx.fetchval(
            "SELECT coalesce(max(number), 0) + 1 FROM contest_reports WHERE rural_district_id = ?",
            (rural_district_id,),
        )
        report_id = await tx.execute(
            "INSERT INTO contest_reports (rural_district_id, contest_id, number, person_id, body, voice_file_id,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (rural_district_id, contest.id, number, person_id, (body or "").strip() or None, voice_file_id, to_db(now)),
        )
        kept = Report(report_id, rural_district_id, contest.id, int(number), body, voice_file_id, now)
        recipients = [
            r[0]
            for r in await tx.fetchall(
                "SELECT person_id FROM roles WHERE rural_district_id = ? AND role = 'chair'", (rural_district_id,)
            )
        ]
        if operator_telegram_ids:
            marks = ",".join("?" * len(operator_telegram_ids))
            recipients += [
                r[0]
                for r in await tx.fetchall(
                    f"SELECT id FROM people WHERE telegram_id IN ({marks}) ORDER BY id", tuple(operator_telegram_ids)
                )
            ]
        await outbox.enqueue(
            tx,
            rural_district_id=rural_district_id,
            kind="status",  # to the few who must act on it, at once, even in quiet hours
            texts=texts(kept),
            buttons=buttons(kept),
            recipients=recipients,
            source_type="contest_report",
            source_id=report_id,
            not_before=to_db(now),
        )
    return kept


async def report_for(db: Database, report_id: int, *, person_id: int, is_operator: bool) -> Report:
    """A report, for its district's chair or an operator only."""
    row = await db.fetchone(
        "SELECT id, rural_district_id, contest_id, number, body, voice_file_id, created_at FROM contest_reports"
        " WHERE id = ?",
        (report_id,),
    )
    if row is None:
        raise NotFound(rules.REPORT_GONE)
    allowed = is_operator or await db.fetchval(
        "SELECT 1 FROM roles WHERE person_id = ? AND rural_district_id = ? AND role = 'chair'", (person_id, row[1])
    )
    if not allowed:
        raise NotFound(rules.REPORT_GONE)
    return Report(row[0], row[1], row[2], row[3], row[4], row[5], from_db(row[6]))


async def report_count(db: Database | Tx, contest_id: int) -> int:
    """How many reports a contest has (a figure the results show; never who or what)."""
    return int(await db.fetchval("SELECT COUNT(*) FROM contest_reports WHERE contest_id = ?", (contest_id,)))
