"""Following the money: the progress of a funded project, and the residents' verdict when it is done.

Staff post a stage (started, half done, finished) with photos and a location; the project's
voters and the residents of its village (of the contest's villages, for a project of the whole
district) are told through the outbox. After «finished», each resident of those villages may
answer once, changeably: «done as promised» or «there is a problem» (with what, if they write it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.rules import contests as rules
from bot.rules.clock import from_db, to_db
from bot.rules.errors import DomainError, NotFound
from bot.rules.texts import N_
from storage import audit, outbox
from storage import contests as store
from storage.audit import Actor
from storage.db import Database, Tx

STAGES = ("started", "half", "finished")


@dataclass(frozen=True, slots=True)
class Stage:
    id: int
    project_id: int
    stage: str
    note: str | None
    photos: list[str]
    latitude: float | None
    longitude: float | None
    posted_at: datetime


async def _funded(tx: Database | Tx, contest: store.Contest, project_id: int, now: datetime) -> store.Project:
    if contest.phase(now) is not rules.Phase.CLOSED:
        raise DomainError(rules.NOT_FUNDED)
    results = await store.results(tx, contest)
    ranked = results.of(project_id)
    if ranked is None:
        raise NotFound(N_("This project is not available."))
    if not ranked.funded:
        raise DomainError(rules.NOT_FUNDED)
    return next(p for p in await store.projects(tx, contest.id) if p.id == project_id)


async def _audience(tx: Tx, contest: store.Contest, project: store.Project) -> list[int]:
    """The project's voters and the residents of its village (of the contest's villages for the whole district)."""
    voters = [
        r[0]
        for r in await tx.fetchall(
            "SELECT v.person_id FROM contest_votes v WHERE v.contest_id = ? AND (v.project_id = ?"
            " OR EXISTS (SELECT 1 FROM contest_vote_choices ch WHERE ch.vote_id = v.id AND ch.project_id = ?))",
            (contest.id, project.id, project.id),
        )
    ]
    villages = [project.village_id] if project.village_id else await store.covered(tx, contest.id)
    residents = await outbox.residents(tx, contest.rural_district_id, village_ids=villages, announcements_only=True)
    return list(dict.fromkeys(voters + residents))


async def post(
    db: Database,
    actor: Actor,
    *,
    contest_id: int,
    project_id: int,
    stage: str,
    note: str | None,
    photos: list[str],
    location: tuple[float, float] | None,
    now: datetime,
    texts: Callable[[store.Project], dict[str, str]],
    buttons: dict[str, Any] | None,
) -> int:
    """A stage of a funded project, told to its voters and its village; return how many are told."""
    if stage not in STAGES:
        raise NotFound(N_("This choice is no longer available."))
    async with db.transaction() as tx:
        row = await tx.fetchone("SELECT rural_district_id FROM contests WHERE id = ?", (contest_id,))
        if row is None:
            raise NotFound(N_("This contest is not available."))
        actor.require(row[0])
        contest = await store.get(db, contest_id, row[0])
        project = await _funded(tx, contest, project_id, now)
        stage_id = await tx.execute(
            "INSERT INTO project_progress (project_id, stage, note, photos_json, latitude, longitude, posted_by,"
            " posted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                project.id,
                stage,
                note,
                json.dumps(photos),
                location[0] if location else None,
                location[1] if location else None,
                actor.person_id,
                to_db(now),
            ),
        )
        recipients = await _audience(tx, contest, project)
        await outbox.enqueue(
            tx,
            rural_district_id=contest.rural_district_id,
            kind="notice",
            texts=texts(project),
            buttons=buttons,
            media_type="photo" if photos else None,
            media_ref=photos[0] if photos else None,
            recipients=recipients,
            source_type="project_progress",
            source_id=stage_id,
            not_before=to_db(now),
        )
        await audit.write(
            tx,
            actor,
            "project_progress",
            "contest",
            contest.id,
            rural_district_id=contest.rural_district_id,
            after={"project_id": project.id, "stage": stage, "photos": len(photos), "told": len(recipients)},
        )
    return len(recipients)


async def stages(db: Database | Tx, project_id: int) -> list[Stage]:
    rows = await db.fetchall(
        "SELECT id, project_id, stage, note, photos_json, latitude, longitude, posted_at FROM project_progress"
        " WHERE project_id = ? ORDER BY id",
        (project_id,),
    )
    return [Stage(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], from_db(r[7])) for r in rows]


async def _finished_for(tx: Database | Tx, contest: store.Contest, project_id: int, village_id: int | None) -> None:
    project = await store.project(tx, contest.id, project_id)
    if not any(s.stage == "finished" for s in await stages(tx, project.id)):
        raise DomainError(rules.NOT_FINISHED)
    villages = [project.village_id] if project.village_id else await store.covered(tx, contest.id)
    if village_id not in villages:
        raise DomainError(rules.NOT_YOUR_VILLAGE)


async def answer(
    db: Database,
    *,
    person_id: int,
    rural_district_id: int,
    village_id: int | None,
    contest_id: int,
    project_id: int,
    done: bool,
    now: datetime,
) -> None:
    """A resident's verdict on a finished project of their village; a second tap changes it."""
    async with db.transaction() as tx:
        contest = await store.for_resident(db, contest_id, rural_district_id)
        await _finished_for(tx, contest, project_id, village_id)
        await tx.execute(
            "INSERT INTO project_feedback (project_id, person_id, answer, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (project_id, person_id) DO UPDATE SET answer = excluded.answer, at = excluded.at,"
            " body = CASE WHEN excluded.answer = 'done' THEN NULL ELSE body END",
            (project_id, person_id, "done" if done else "problem", to_db(now)),
        )


async def describe_problem(db: Database, *, person_id: int, project_id: int, body: str, now: datetime) -> bool:
    """What is wrong, written after «there is a problem»; False when there is no such answer to describe."""
    async with db.transaction() as tx:
        changed = await tx.execute(
            "UPDATE project_feedback SET body = ?, at = ?"
            " WHERE project_id = ? AND person_id = ? AND answer = 'problem'",
            (body, to_db(now), project_id, person_id),
        )
    return changed > 0


@dataclass(frozen=True, slots=True)
class Verdict:
    done: int
    problems: int
    described: list[tuple[datetime, str]]  # what residents wrote, newest first, without who


async def verdict(db: Database | Tx, project_id: int) -> Verdict:
    rows = await db.fetchall(
        "SELECT answer, COUNT(*) FROM project_feedback WHERE project_id = ? GROUP BY answer", (project_id,)
    )
    counts: dict[str, int] = {row[0]: row[1] for row in rows}
    described = [
        (from_db(r[0]), r[1])
        for r in await db.fetchall(
            "SELECT at, body FROM project_feedback WHERE project_id = ? AND answer = 'problem' AND body IS NOT NULL"
            " ORDER BY at DESC LIMIT 20",
            (project_id,),
        )
    ]
    return Verdict(int(counts.get("done", 0)), int(counts.get("problem", 0)), described)


async def my_answer(db: Database, project_id: int, person_id: int) -> str | None:
    value = await db.fetchval(
        "SELECT answer FROM project_feedback WHERE project_id = ? AND person_id = ?", (project_id, person_id)
    )
    return None if value is None else str(value)
