"""Project contests: contests, their villages and projects, votes, offline protocols, turnout.

Every query that reads or changes a contest for a person is scoped to their rural district: an
id from a button is never trusted on its own. A staff write is ``verb(db, actor, …)``: it checks
the ``Actor`` may act in the contest's district, and writes the change with its audit entry in one
transaction. The rules (who may vote, funding) live in ``bot/rules/contests.py``; this module only
asks them and stores what they allow.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from bot.rules import anomalies
from bot.rules import contests as rules
from bot.rules.clock import from_db, local, to_db
from bot.rules.errors import DomainError, NotFound
from bot.rules.texts import N_
from storage import audit, outbox, people, personal
from storage.audit import Actor
from storage.db import SKIP_LOCKED, Database, Tx


@dataclass(frozen=True, slots=True)
class Contest:
    id: int
    rural_district_id: int
    title_kk: str
    title_ru: str
    description_kk: str
    description_ru: str
    money_budget: int
    money_fees: int
    money_sponsors: int
    money_investors: int
    opens_at: datetime
    closes_at: datetime
    status: str
    change_kind: str | None
    change_reason: str | None
    census_id: int | None = None  # the census its votes are checked against (bound until the first vote)
    max_choices: int = 1  # K: how many projects a voter may choose (1: the ordinary ballot)

    def title(self, lang: str) -> str:
        """The title in the person's language, or the other one when that is empty."""
        return _pick(self.title_kk, self.title_ru, lang)

    def description(self, lang: str) -> str:
        return _pick(self.description_kk, self.description_ru, lang)

    @property
    def money(self) -> dict[str, int]:
        return dict(
            zip(
                rules.SOURCES,
                (self.money_budget, self.money_fees, self.money_sponsors, self.money_investors),
                strict=True,
            )
        )

    @property
    def budget(self) -> int:
        return self.money_budget + self.money_fees + self.money_sponsors + self.money_investors

    def phase(self, now: datetime) -> rules.Phase:
        return rules.phase(self.status, self.opens_at, self.closes_at, now)


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    contest_id: int
    title_kk: str
    title_ru: str
    description_kk: str
    description_ru: str
    category: str
    village_id: int | None
    cost: int
    photo_file_id: str | None
    offline_votes: int

    def title(self, lang: str) -> str:
        return _pick(self.title_kk, self.title_ru, lang)

    def description(self, lang: str) -> str:
        return _pick(self.description_kk, self.description_ru, lang)


def _pick(kk: str, ru: str, lang: str) -> str:
    first, other = (ru, kk) if lang == "ru" else (kk, ru)
    return first if first.strip() else other


class PhoneAlreadyVoted(DomainError):
    """This phone number has voted in the contest from another Telegram account."""


class PhoneVotedOnPaper(DomainError):
    """This phone number was recorded at a polling table of the contest: it voted on paper."""


class VoteRefused(DomainError):
    """The rules refuse the vote (closed, not open yet, village not covered)."""

    def __init__(self, msgid: str, refusal: rules.Refusal, **values: Any) -> None:
        super().__init__(msgid, **values)
        self.refusal = refusal


_CONTEST = (
    "c.id, c.rural_district_id, c.title_kk, c.title_ru, c.description_kk, c.description_ru, c.money_budget,"
    " c.money_fees, c.money_sponsors, c.money_investors, c.opens_at, c.closes_at, c.status, c.change_kind,"
    " c.change_reason, c.census_id, c.max_choices"
)
_PROJECT = (
    "p.id, p.contest_id, p.title_kk, p.title_ru, p.description_kk, p.description_ru, p.category, p.village_id,"
    " p.cost, p.photo_file_id, p.offline_votes"
)


def _contest(row: sqlite3.Row | tuple[Any, ...]) -> Contest:
    values = list(row)
    values[10], values[11] = from_db(values[10]), from_db(values[11])
    return Contest(*values)


def _project(row: sqlite3.Row | tuple[Any, ...]) -> Project:
    return Project(*row)


# The first vote of a contest, in the bot, at a polling table or in a protocol: from then on it is frozen.
_FIRST_VOTE = (
    "SELECT min(at) FROM (SELECT min(cast_at) AS at FROM contest_votes WHERE contest_id = :c"
    " UNION ALL SELECT min(recorded_at) FROM contest_paper_voters WHERE contest_id = :c"
    " UNION ALL SELECT min(entered_at) FROM contest_protocols WHERE contest_id = :c) AS firsts"
)
# A contest of the district whose rules may still change: not closed, and no vote yet.
UNFROZEN = (
    "c.status != 'closed' AND NOT EXISTS (SELECT 1 FROM contest_votes v WHERE v.contest_id = c.id)"
    " AND NOT EXISTS (SELECT 1 FROM contest_paper_voters pv WHERE pv.contest_id = c.id)"
    " AND NOT EXISTS (SELECT 1 FROM contest_protocols pr WHERE pr.contest_id = c.id)"
)


async def frozen_at(db: Database | Tx, contest_id: int) -> datetime | None:
    """When the contest's first vote was cast (it is frozen since), or None."""
    value = await db.fetchval(_FIRST_VOTE, {"c": contest_id})
    return None if value is None else from_db(value)


async def local_stamp(db: Database | Tx, rural_district_id: int, at: datetime) -> str:
    """An instant as the district reads it, «25.11.2026 15:03», for a message storage raises."""
    tz = await db.fetchval("SELECT timezone FROM rural_districts WHERE id = ?", (rural_district_id,))
    return local(at, tz or "Asia/Almaty").strftime("%d.%m.%Y %H:%M")


async def _require_unfrozen(tx: Tx, contest: Contest) -> None:
    """Refuse a change of projects, costs, rules or census once the first vote is cast."""
    first = await frozen_at(tx, contest.id)
    if first is not None:
        raise DomainError(rules.FROZEN, at=await local_stamp(tx, contest.rural_district_id, first))


# --- staff: drafting and publishing ------------------------------------------------------
#
# Every write takes the ``Actor`` who acts, checks it may act in the contest's rural district
# (``actor.require``), and writes the change with its audit entry in one transaction (joining the
# caller's when there is one).


async def _contest_of(tx: Tx, actor: Actor, contest_id: int) -> Contest:
    """The contest a write changes: it must exist and be in a district the actor acts in."""
    row = await tx.fetchone(f"SELECT {_CONTEST} FROM contests c WHERE c.id = ?", (contest_id,))
    if row is None:
        raise NotFound(N_("This contest is not available."))
    contest = _contest(row)
    actor.require(contest.rural_district_id)
    return contest


async def create(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    titles: tuple[str, str],
    descriptions: tuple[str, str],
    village_ids: list[int],
    money: dict[str, int],
    opens_at: datetime,
    closes_at: datetime,
) -> int:
    """A draft contest; the villages must be the rural district's own."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        if village_ids:
            marks = ",".join("?" * len(village_ids))
            own = await tx.fetchval(
                f"SELECT COUNT(*) FROM villages WHERE rural_district_id = ? AND id IN ({marks})",
                (rural_district_id, *village_ids),
            )
            if own != len(set(village_ids)):
                raise NotFound(N_("This village is not in your rural district."))
        contest_id = await tx.execute(
            "INSERT INTO contests (rural_district_id, title_kk, title_ru, description_kk, description_ru,"
            " money_budget, money_fees, money_sponsors, money_investors, opens_at, closes_at, created_by)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rural_district_id,
                *titles,
                *descriptions,
                *(money.get(s, 0) for s in rules.SOURCES),
                to_db(opens_at),
                to_db(closes_at),
                actor.person_id,
            ),
        )
        await tx.executemany(
            "INSERT INTO contest_villages (contest_id, village_id) VALUES (?, ?)",
            [(contest_id, v) for v in dict.fromkeys(village_ids)],
        )
        await audit.write(
            tx,
            actor,
            "contest_created",
            "contest",
            contest_id,
            rural_district_id=rural_district_id,
            after={
                "titles": titles,
                "villages": village_ids,
                "money": money,
                "opens_at": to_db(opens_at),
                "closes_at": to_db(closes_at),
            },
        )
    return contest_id


async def add_project(
    db: Database,
    actor: Actor,
    *,
    contest_id: int,
    titles: tuple[str, str],
    descriptions: tuple[str, str],
    category: str,
    village_id: int | None,
    cost: int,
    photo_file_id: str | None,
) -> int:
    """A project of a contest not voted in yet; its village (if any) is one of the contest's district."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.status == "closed":
            raise DomainError(N_("Projects can only be added while the contest is a draft."))
        await _require_unfrozen(tx, contest)
        if (
            village_id is not None
            and await tx.fetchval(
                "SELECT 1 FROM villages WHERE id = ? AND rural_district_id = ?", (village_id, contest.rural_district_id)
            )
            is None
        ):
            raise NotFound(N_("This village is not in your rural district."))
        project_id = await tx.execute(
            "INSERT INTO contest_projects (contest_id, title_kk, title_ru, description_kk, description_ru, category,"
            " village_id, cost, photo_file_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (contest_id, *titles, *descriptions, category, village_id, cost, photo_file_id),
        )
        await audit.write(
            tx,
            actor,
            "contest_project_added",
            "contest",
            contest_id,
            rural_district_id=contest.rural_district_id,
            after={
                "project_id": project_id,
                "titles": titles,
                "category": category,
                "village_id": village_id,
                "cost": cost,
                "photo": photo_file_id,
            },
        )
    return project_id


async def set_cost(db: Database, actor: Actor, *, contest_id: int, project_id: int, cost: int) -> None:
    """A project's new estimated cost, until the contest's first vote."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.status == "closed":
            raise DomainError(rules.FROZEN_CLOSED)
        await _require_unfrozen(tx, contest)
        before = await tx.fetchval(
            "SELECT cost FROM contest_projects WHERE id = ? AND contest_id = ?", (project_id, contest_id)
        )
        if before is None:
            raise NotFound(N_("This project is not available."))
        if not 0 < cost <= contest.budget:
            raise DomainError(rules.COST_OUT_OF_RANGE)
        await tx.execute("UPDATE contest_projects SET cost = ? WHERE id = ?", (cost, project_id))
        await audit.write(
            tx,
            actor,
            "contest_project_cost",
            "contest",
            contest_id,
            rural_district_id=contest.rural_district_id,
            before={"project_id": project_id, "cost": before},
            after={"project_id": project_id, "cost": cost},
        )


async def set_max_choices(db: Database, actor: Actor, *, contest_id: int, max_choices: int) -> None:
    """K, the projects a voter may choose (1: one project; more: an approval ballot), until the first vote."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.status == "closed":
            raise DomainError(rules.FROZEN_CLOSED)
        await _require_unfrozen(tx, contest)
        count = await tx.fetchval("SELECT COUNT(*) FROM contest_projects WHERE contest_id = ?", (contest_id,))
        if not 1 <= max_choices <= max(1, min(rules.MAX_CHOICES, count)):
            raise DomainError(rules.CHOICES_OUT_OF_RANGE, most=max(1, min(rules.MAX_CHOICES, count)))
        await tx.execute("UPDATE contests SET max_choices = ? WHERE id = ?", (max_choices, contest_id))
        await audit.write(
            tx,
            actor,
            "contest_max_choices",
            "contest",
            contest_id,
            rural_district_id=contest.rural_district_id,
            before={"max_choices": contest.max_choices},
            after={"max_choices": max_choices},
        )


async def publish(
    db: Database,
    actor: Actor,
    *,
    contest_id: int,
    now: datetime,
    texts: dict[str, str],
    buttons: dict[str, Any] | None,
) -> int:
    """Publish a draft and announce it to the residents of the villages it covers; return how many."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.status != "draft":
            raise DomainError(N_("This contest is already published."))
        if await tx.fetchval("SELECT COUNT(*) FROM contest_projects WHERE contest_id = ?", (contest_id,)) < 2:
            raise DomainError(N_("A contest needs at least two projects to choose from."))
        if contest.closes_at <= now:
            raise DomainError(N_("The voting window has already ended. Please create the contest again."))
        await tx.execute(
            "UPDATE contests SET status = 'published', published_at = ?, census_id = (SELECT s.id FROM censuses s"
            " JOIN rural_districts rd ON rd.id = s.rural_district_id"
            " WHERE s.rural_district_id = ? AND s.status = 'current' AND rd.census_required = 1) WHERE id = ?",
            (to_db(now), contest.rural_district_id, contest_id),
        )
        recipients = await _tell_covered(tx, contest, texts, buttons, now)
        await audit.write(
            tx,
            actor,
            "contest_published",
            "contest",
            contest_id,
            rural_district_id=contest.rural_district_id,
            before={"status": "draft"},
            after={"status": "published", "recipients": len(recipients)},
        )
    return len(recipients)


async def _move_deadline(
    tx: Tx, actor: Actor, contest: Contest, closes_at: datetime, reason: str, *, change_kind: str, action: str
) -> None:
    """The new deadline with the reason residents see, and its audit entry."""
    await tx.execute(
        "UPDATE contests SET closes_at = ?, change_kind = ?, change_reason = ? WHERE id = ?",
        (to_db(closes_at), change_kind, reason, contest.id),
    )
    await audit.write(
        tx,
        actor,
        action,
        "contest",
        contest.id,
        rural_district_id=contest.rural_district_id,
        before={"closes_at": to_db(contest.closes_at)},
        after={"closes_at": to_db(closes_at), "reason": reason},
    )


async def close_early(db: Database, actor: Actor, *, contest_id: int, reason: str, now: datetime) -> None:
    """Move the deadline to now, with the reason residents see; the scheduler's close follows."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.phase(now) is not rules.Phase.OPEN:
            raise DomainError(N_("Only a contest whose voting is open can be closed early."))
        await _move_deadline(tx, actor, contest, now, reason, change_kind="closed_early", action="contest_closed_early")


async def extend(
    db: Database,
    actor: Actor,
    *,
    contest_id: int,
    closes_at: datetime,
    reason: str,
    now: datetime,
    texts: dict[str, str],
    buttons: dict[str, Any] | None,
) -> None:
    """A later deadline, with the reason; the residents it covers are told."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.phase(now) not in (rules.Phase.OPEN, rules.Phase.UPCOMING):
            raise DomainError(N_("Only a contest that has not closed yet can be extended."))
        if closes_at <= contest.closes_at:
            raise DomainError(N_("The new deadline must be later than the current one."))
        await _move_deadline(tx, actor, contest, closes_at, reason, change_kind="extended", action="contest_extended")
        await _tell_covered(tx, contest, texts, buttons, now)


async def record_offline(
    db: Database, actor: Actor, *, contest_id: int, tally: dict[int, int], photo_file_id: str, now: datetime
) -> int:
    """Add the votes of one signed protocol (paper ballots, show of hands) to the contest's projects."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.status != "published" or contest.phase(now) is rules.Phase.CLOSED:
            raise DomainError(N_("Offline votes can be entered only before the contest closes."))
        before = {
            row[0]: row[1]
            for row in await tx.fetchall(
                "SELECT id, offline_votes FROM contest_projects WHERE contest_id = ?", (contest_id,)
            )
        }
        if not set(tally) <= set(before) or any(v < 0 for v in tally.values()):
            raise NotFound(N_("This project is not available."))
        # the protocol's ballots against the paper voters recorded at the polling table
        recorded = await tx.fetchval("SELECT COUNT(*) FROM contest_paper_voters WHERE contest_id = ?", (contest_id,))
        ballots = sum(before.values()) + sum(tally.values())
        if (recorded or contest.census_id is not None) and ballots > recorded:
            raise DomainError(rules.PROTOCOL_OVER_REGISTER, ballots=ballots, voters=recorded)
        await tx.executemany(
            "UPDATE contest_projects SET offline_votes = offline_votes + ? WHERE id = ? AND contest_id = ?",
            [(votes, project_id, contest_id) for project_id, votes in tally.items()],
        )
        protocol_id = await tx.execute(
            "INSERT INTO contest_protocols (contest_id, photo_file_id, tally_json, entered_by, entered_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (contest_id, photo_file_id, json.dumps({str(k): v for k, v in tally.items()}), actor.person_id, to_db(now)),
        )
        await audit.write(
            tx,
            actor,
            "contest_offline_tally",
            "contest",
            contest_id,
            rural_district_id=contest.rural_district_id,
            before={"offline_votes": before},
            after={"protocol_id": protocol_id, "added": tally, "photo": photo_file_id},
        )
    return protocol_id


# --- reading ----------------------------------------------------------------------------


async def _get(tx: Tx | Database, contest_id: int, rural_district_id: int) -> Contest:
    row = await tx.fetchone(
        f"SELECT {_CONTEST} FROM contests c WHERE c.id = ? AND c.rural_district_id = ?",
        (contest_id, rural_district_id),
    )
    if row is None:
        raise NotFound(N_("This contest is not available."))
    return _contest(row)


async def get(db: Database, contest_id: int, rural_district_id: int) -> Contest:
    """The contest, only if it belongs to that rural district; else ``NotFound``."""
    return await _get(db, contest_id, rural_district_id)


async def for_resident(db: Database, contest_id: int, rural_district_id: int) -> Contest:
    """A published contest of the resident's rural district (drafts are staff-only)."""
    contest = await _get(db, contest_id, rural_district_id)
    if contest.status == "draft":
        raise NotFound(N_("This contest is not available."))
    return contest


async def _covered(tx: Tx | Database, contest_id: int) -> list[int]:
    rows = await tx.fetchall(
        "SELECT village_id FROM contest_villages WHERE contest_id = ? ORDER BY village_id", (contest_id,)
    )
    return [row[0] for row in rows]


async def _tell_covered(
    tx: Tx, contest: Contest, texts: dict[str, str], buttons: dict[str, Any] | None, now: datetime
) -> list[int]:
    """Queue a notice about the contest for the residents of the villages it covers; they are returned."""
    recipients = await outbox.residents(
        tx, contest.rural_district_id, village_ids=await _covered(tx, contest.id), announcements_only=True
    )
    await outbox.enqueue(
        tx,
        rural_district_id=contest.rural_district_id,
        kind="notice",
        texts=texts,
        buttons=buttons,
        recipients=recipients,
        source_type="contest",
        source_id=contest.id,
        not_before=to_db(now),
    )
    return recipients


async def covered(db: Database | Tx, contest_id: int) -> list[int]:
    return await _covered(db, contest_id)


async def visible(
    db: Database, rural_district_id: int, village_id: int | None, now: datetime, *, closed_days: int = 60
) -> list[Contest]:
    """Published contests that cover the village (or the whole district when none is listed), newest first:
    open and upcoming ones, and the closed ones of the last ``closed_days``."""
    since = to_db(now - timedelta(days=closed_days))
    rows = await db.fetchall(
        f"SELECT {_CONTEST} FROM contests c WHERE c.rural_district_id = ? AND c.status != 'draft'"
        " AND (c.status = 'published' OR c.closes_at >= ?)"
        " AND EXISTS (SELECT 1 FROM contest_villages cv WHERE cv.contest_id = c.id AND cv.village_id = ?)"
        " ORDER BY c.closes_at DESC, c.id DESC",
        (rural_district_id, since, village_id),
    )
    return [_contest(row) for row in rows]


async def of_district(db: Database, rural_district_id: int) -> list[Contest]:
    """Every contest of the rural district, for the staff: drafts and open first."""
    rows = await db.fetchall(
        f"SELECT {_CONTEST} FROM contests c WHERE c.rural_district_id = ?"
        " ORDER BY c.status = 'closed', c.closes_at DESC, c.id DESC LIMIT 30",
        (rural_district_id,),
    )
    return [_contest(row) for row in rows]


async def open_counts(db: Database, rural_district_id: int) -> dict[str, int]:
    """How many contests of the district are drafts and how many are published (not closed), by status."""
    rows = await db.fetchall(
        "SELECT status, COUNT(*) FROM contests WHERE rural_district_id = ? AND status != 'closed' GROUP BY status",
        (rural_district_id,),
    )
    return {status: count for status, count in rows}


async def projects(db: Database | Tx, contest_id: int) -> list[Project]:
    rows = await db.fetchall(
        f"SELECT {_PROJECT} FROM contest_projects p WHERE p.contest_id = ? ORDER BY p.id", (contest_id,)
    )
    return [_project(row) for row in rows]


async def project(db: Database | Tx, contest_id: int, project_id: int) -> Project:
    """A project, only as part of that contest (the pair comes from a button and is not trusted)."""
    row = await db.fetchone(
        f"SELECT {_PROJECT} FROM contest_projects p WHERE p.id = ? AND p.contest_id = ?", (project_id, contest_id)
    )
    if row is None:
        raise NotFound(N_("This project is not available."))
    return _project(row)


async def my_vote(db: Database, contest_id: int, person_id: int) -> int | None:
    """The project the person voted for (only they see it)."""
    value = await db.fetchval(
        "SELECT project_id FROM contest_votes WHERE contest_id = ? AND person_id = ?", (contest_id, person_id)
    )
    return None if value is None else int(value)


# Tallies as last computed, per database and contest, with the tally_version they were computed at
# (migration 012 bumps it on every write they depend on): a closed contest's results are counted
# once, not once per resident who opens them.
_kept_tallies: WeakKeyDictionary[Database, OrderedDict[int, tuple[int, list[rules.Tally]]]] = WeakKeyDictionary()
KEPT_TALLIES = 64


async def tallies(db: Database | Tx, contest_id: int) -> list[rules.Tally]:
    """Each project's counted votes: an ordinary ballot by its project, an approval ballot by its choices;
    annulled votes are left out (they stay recorded)."""
    if not isinstance(db, Database) or db.in_transaction:
        return await _count_tallies(db, contest_id)
    async with db.read() as tx:  # the version and the count it belongs to, from one state
        version = await tx.fetchval("SELECT tally_version FROM contests WHERE id = ?", (contest_id,))
        kept = _kept_tallies.setdefault(db, OrderedDict())
        known = kept.get(contest_id)
        if known is not None and known[0] == version:
            kept.move_to_end(contest_id)
            return list(known[1])
        counted = await _count_tallies(tx, contest_id)
    kept[contest_id] = (version, counted)
    kept.move_to_end(contest_id)
    while len(kept) > KEPT_TALLIES:
        kept.popitem(last=False)
    return list(counted)


async def _count_tallies(db: Database | Tx, contest_id: int) -> list[rules.Tally]:
    rows = await db.fetchall(
        "SELECT p.id, p.cost,"
        " (SELECT COUNT(*) FROM contest_votes v WHERE v.contest_id = p.contest_id AND v.project_id = p.id"
        "   AND v.status = 'counted' AND NOT EXISTS (SELECT 1 FROM contest_vote_choices ch WHERE ch.vote_id = v.id))"
        " + (SELECT COUNT(*) FROM contest_vote_choices ch JOIN contest_votes v ON v.id = ch.vote_id"
        "   WHERE ch.project_id = p.id AND v.status = 'counted'),"
        " p.offline_votes"
        " FROM contest_projects p WHERE p.contest_id = ? ORDER BY p.id",
        (contest_id,),
    )
    return [rules.Tally(*row) for row in rows]


async def my_choices(db: Database, contest_id: int, person_id: int) -> tuple[list[int], bool]:
    """The projects the person's ballot chose (only they see it), and whether it was annulled: one
    read (the contest's screen and every project card ask)."""
    row = await db.fetchone(
        "SELECT project_id, status,"
        " (SELECT group_concat(CAST(ch.project_id AS TEXT)) FROM contest_vote_choices ch WHERE ch.vote_id = v.id)"
        " FROM contest_votes v WHERE contest_id = ? AND person_id = ?",
        (contest_id, person_id),
    )
    if row is None:
        return [], False
    chosen = sorted(int(p) for p in row[2].split(",")) if row[2] else []
    return (chosen or [int(row[0])]), row[1] == "annulled"


async def annulled(db: Database | Tx, contest_id: int) -> int:
    """How many votes of the contest were annulled (they stay in the record, not in the tally)."""
    return int(
        await db.fetchval(
            "SELECT COUNT(*) FROM contest_votes WHERE contest_id = ? AND status = 'annulled'", (contest_id,)
        )
    )


async def curve(db: Database, contest_id: int, tz: str) -> anomalies.Curve:
    """The public turnout curve (``anomalies.curve`` of every vote cast in the bot), read from the
    counts the database keeps by village and quarter hour (migration 012) instead of every vote."""
    async with db.read() as tx:
        days, villages = await _counts(tx, contest_id, tz)
    return anomalies.Curve(sorted(days.items()), sorted(villages.items(), key=lambda item: (-item[1], item[0] or 0)))


# the offset tried first for a district's local days: a zone's winter one (all of Kazakhstan's since 2024)
_PLAIN_DAY = datetime(2026, 1, 15, tzinfo=UTC)


async def _counts(tx: Tx, contest_id: int, tz: str) -> tuple[Counter[str], Counter[int | None]]:
    """Votes per local day of ``tz`` and per village, from the quarter-hour counts, in one pass: SQLite
    counts the local days with the zone's offset, and where that offset did not hold over the whole
    span of the votes (a clock change), the days are counted again quarter by quarter."""
    zone = ZoneInfo(tz)
    minutes = int((_PLAIN_DAY.astimezone(zone).utcoffset() or timedelta(0)).total_seconds() // 60)
    rows = await tx.fetchall(
        "SELECT village, date(quarter || ':00', ?), SUM(votes), MIN(quarter), MAX(quarter)"
        " FROM contest_vote_counts WHERE contest_id = ? AND votes > 0 GROUP BY 1, 2",
        (f"{minutes:+d} minutes", contest_id),
    )
    days: Counter[str] = Counter()
    villages: Counter[int | None] = Counter()
    if not rows:
        return days, villages
    for village, day, count, _first, _last in rows:
        days[day] += int(count)
        villages[village or None] += int(count)
    first, last = (datetime.fromisoformat(q + ":00+00:00") for q in (min(r[3] for r in rows), max(r[4] for r in rows)))
    moments = [first + timedelta(days=n) for n in range((last - first).days + 1)] + [last]
    if {moment.astimezone(zone).utcoffset() for moment in moments} == {timedelta(minutes=minutes)}:
        return days, villages
    days = Counter()
    for quarter, count in await tx.fetchall(
        "SELECT quarter, SUM(votes) FROM contest_vote_counts WHERE contest_id = ? GROUP BY quarter", (contest_id,)
    ):
        if count:
            days[datetime.fromisoformat(quarter + ":00+00:00").astimezone(zone).date().isoformat()] += int(count)
    return days, villages


async def stamps(db: Database | Tx, contest_id: int) -> list[anomalies.Stamp]:
    """Every vote cast in the bot as the anomaly rules and the turnout curve read it: no voter, no choice."""
    rows = await db.fetchall(
        "SELECT v.id, v.village_id, v.cast_at, p.created_at FROM contest_votes v"
        " LEFT JOIN people p ON p.id = v.person_id WHERE v.contest_id = ? ORDER BY v.cast_at",
        (contest_id,),
    )
    return [anomalies.Stamp(r[0], r[1], from_db(r[2]), from_db(r[3]) if r[3] else None) for r in rows]


# --- the polling table: paper voters in the same register ----------------------------------


@dataclass(frozen=True, slots=True)
class PaperVoter:
    count: int  # paper voters recorded in the contest so far
    village_id: int | None


async def record_paper_voter(db: Database, actor: Actor, *, contest_id: int, phone: str, now: datetime) -> PaperVoter:
    """A voter who takes a paper ballot at the polling table, by their number: refused when the number
    voted in the bot (with when), was recorded already, or is not on the contest's census."""
    async with db.transaction() as tx:
        contest = await _contest_of(tx, actor, contest_id)
        if contest.phase(now) is not rules.Phase.OPEN:
            raise DomainError(N_("Offline votes can be entered only before the contest closes."))
        village_id = None
        if contest.census_id is not None:
            entry = await tx.fetchone(
                "SELECT village_id FROM census_entries WHERE census_id = ? AND phone = ?", (contest.census_id, phone)
            )
            if entry is None:
                raise DomainError(rules.PAPER_NOT_ON_CENSUS)
            village_id = entry[0]
        hashed = personal.hashed_phone(db, contest_id, phone)  # a deleted voter's number, if any
        online = await tx.fetchval(
            "SELECT cast_at FROM contest_votes WHERE contest_id = ? AND phone IN (?, ?)", (contest_id, phone, hashed)
        )
        if online is not None:
            raise DomainError(
                rules.PAPER_VOTED_ONLINE, at=await local_stamp(tx, contest.rural_district_id, from_db(online))
            )
        paper = await tx.fetchval(
            "SELECT recorded_at FROM contest_paper_voters WHERE contest_id = ? AND phone IN (?, ?)",
            (contest_id, phone, hashed),
        )
        if paper is not None:
            raise DomainError(rules.PAPER_TWICE, at=await local_stamp(tx, contest.rural_district_id, from_db(paper)))
        voter_id = await tx.execute(
            "INSERT INTO contest_paper_voters (contest_id, phone, village_id, recorded_by, recorded_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (contest_id, phone, village_id, actor.person_id, to_db(now)),
        )
        count = await tx.fetchval("SELECT COUNT(*) FROM contest_paper_voters WHERE contest_id = ?", (contest_id,))
        await audit.write(
            tx,
            actor,
            "contest_paper_voter",
            "contest",
            contest_id,
            rural_district_id=contest.rural_district_id,
            after={"paper_voter_id": voter_id, "paper_voters": count},
        )
    return PaperVoter(int(count), village_id)


async def paper_voters(db: Database | Tx, contest_id: int) -> int:
    return int(await db.fetchval("SELECT COUNT(*) FROM contest_paper_voters WHERE contest_id = ?", (contest_id,)))


async def results(db: Database | Tx, contest: Contest) -> rules.Results:
    return rules.results(await tallies(db, contest.id), contest.budget)


# --- voting -----------------------------------------------------------------------------


async def cast_vote(
    db: Database,
    *,
    contest_id: int,
    project_id: int,
    person_id: int,
    rural_district_id: int,
    village_id: int | None,
    phone: str,
    now: datetime,
    choices: list[int] | None = None,
    new_phone: bool = False,
    then: Callable[[], Awaitable[object]] | None = None,
) -> tuple[str, Project]:
    """Store or change the person's vote; return ('new' | 'changed' | 'same', the (first) project).

    The rules are checked inside the write transaction, so a vote that arrives after the deadline
    is refused even before the scheduler has closed the contest; the unique indexes keep one vote
    per person and per phone number whatever the handler does, and the triggers of the register
    keep a number that voted on paper out (and the reverse). With a census bound to the contest,
    only its numbers vote. An annulled vote stays as it is: it cannot be changed back into the tally.

    ``choices``: an approval ballot's projects (the contest's K allows more than one); without it
    the ballot is ``project_id`` alone. ``new_phone``: the number was just shared, and is kept as
    the person's in the same transaction. ``then`` runs inside it too, after the vote (the
    conversation's state, cleared): all of it is kept, or none when the vote is refused.
    """
    chosen = list(dict.fromkeys(choices or [project_id]))

    def work(conn: sqlite3.Connection) -> tuple[str, Project]:
        # one thread hop for the whole transaction: a district voting in its last minute is the hot path
        row = conn.execute(
            f"SELECT {_PROJECT}, c.status, c.opens_at, c.closes_at, c.rural_district_id,"
            " EXISTS (SELECT 1 FROM contest_villages cv WHERE cv.contest_id = c.id AND cv.village_id = ?),"
            " v.id, v.project_id, v.status, c.max_choices,"
            " c.census_id IS NULL OR EXISTS (SELECT 1 FROM census_entries e WHERE e.census_id = c.census_id"
            " AND e.phone = ?)"
            " FROM contest_projects p JOIN contests c ON c.id = p.contest_id"
            " LEFT JOIN contest_votes v ON v.contest_id = c.id AND v.person_id = ?"
            " WHERE p.id = ? AND p.contest_id = ?",
            (village_id, phone, person_id, chosen[0], contest_id),
        ).fetchone()
        if row is None or row[14] != rural_district_id:
            raise NotFound(N_("This project is not available."))
        first = _project(row[:11])
        status, opens_at, closes_at, is_covered = row[11], row[12], row[13], row[15]
        vote_id, previous, vote_status, max_choices, on_census = row[16], row[17], row[18], row[19], row[20]
        current = rules.phase(status, from_db(opens_at), from_db(closes_at), now)
        refusal = rules.may_vote(current, {village_id} if is_covered and village_id else set(), village_id)
        if refusal is None and not on_census:
            refusal = rules.Refusal.NOT_ON_CENSUS
        if refusal is not None:
            raise VoteRefused(REFUSALS[refusal], refusal)
        if vote_status == "annulled":
            raise DomainError(rules.VOTE_ANNULLED)
        if max_choices > 1 or len(chosen) > 1:
            ids = {r[0] for r in conn.execute("SELECT id FROM contest_projects WHERE contest_id = ?", (contest_id,))}
            if rules.choices_problem(chosen, ids, max_choices) is not None:
                raise NotFound(N_("This project is not available."))
        before = (
            [r[0] for r in conn.execute("SELECT project_id FROM contest_vote_choices WHERE vote_id = ?", (vote_id,))]
            if vote_id is not None and max_choices > 1
            else ([previous] if previous is not None else [])
        )
        if previous is not None and set(before) == set(chosen):
            return "same", first
        if previous is None and personal.erased_voter(conn, personal.key_of(db), contest_id, phone):
            # a deleted person's ballot keeps only a keyed hash of its number, and it still counts
            raise PhoneAlreadyVoted(PHONE_VOTED)
        try:
            conn.execute(
                "INSERT INTO contest_votes (contest_id, project_id, person_id, phone, village_id, cast_at)"
                " VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (contest_id, person_id) DO UPDATE SET project_id = excluded.project_id,"
                " changed_at = excluded.cast_at, changes = changes + 1",
                (contest_id, chosen[0], person_id, phone, village_id, to_db(now)),
            )
        except sqlite3.IntegrityError as error:
            if "register" in str(error):
                raise PhoneVotedOnPaper(rules.PHONE_VOTED_ON_PAPER) from error
            if "phone" in str(error):
                raise PhoneAlreadyVoted(PHONE_VOTED) from error
            raise
        if max_choices > 1:
            if vote_id is None:
                vote_id = conn.execute(
                    "SELECT id FROM contest_votes WHERE contest_id = ? AND person_id = ?", (contest_id, person_id)
                ).fetchone()[0]
            conn.execute("DELETE FROM contest_vote_choices WHERE vote_id = ?", (vote_id,))
            conn.executemany(
                "INSERT INTO contest_vote_choices (vote_id, project_id) VALUES (?, ?)", [(vote_id, p) for p in chosen]
            )
        return ("new" if previous is None else "changed"), first

    if not new_phone and then is None:
        return await db.run(work)  # the hot path: one transaction, no thread hop
    async with db.transaction():
        if new_phone:
            await people.set_phone(db, person_id, phone)
        outcome = await db.run(work)  # joins the transaction
        if then is not None:
            await then()
    return outcome


async def on_census(db: Database, contest: Contest, phone: str | None) -> bool:
    """The number may vote in this contest as far as the census goes (no census: any number)."""
    if contest.census_id is None:
        return True
    if phone is None:
        return True  # asked again when the number is shared
    found = await db.fetchval(
        "SELECT 1 FROM census_entries WHERE census_id = ? AND phone = ?", (contest.census_id, phone)
    )
    return found is not None


PHONE_VOTED = N_("This phone number has already voted in this contest from another Telegram account.")
REFUSALS = {
    rules.Refusal.NOT_PUBLISHED: N_("This contest is not available."),
    rules.Refusal.NOT_OPEN_YET: N_("Voting in this contest has not started yet."),
    rules.Refusal.CLOSED: N_("Voting in this contest is closed. This vote was not counted."),
    rules.Refusal.NOT_COVERED: N_("This contest is for other villages: residents of your village do not vote in it."),
    rules.Refusal.NOT_ON_CENSUS: N_(
        "Your phone number is not on the census of voters of your rural district, so it cannot vote in this "
        "contest. To be added, please contact the akim's office of your rural district with your ID card."
    ),
}


# --- closing ----------------------------------------------------------------------------


async def _claim_due(tx: Tx, now: datetime, only: int | None = None) -> list[Contest]:
    """Close every published contest (or only the one given) whose deadline has passed (however
    long ago); return them."""
    rows = await tx.fetchall(
        "UPDATE contests SET status = 'closed', closed_at = ? WHERE id IN (SELECT id FROM contests"
        f" WHERE status = 'published' AND closes_at <= ? AND (? IS NULL OR id = ?) {SKIP_LOCKED}) RETURNING id",
        (to_db(now), to_db(now), only, only),
    )
    closed = []
    for (contest_id,) in rows:
        row = await tx.fetchone(f"SELECT {_CONTEST} FROM contests c WHERE c.id = ?", (contest_id,))
        assert row is not None
        closed.append(_contest(row))
    return closed


# what a closed contest tells its voters: (texts per language, buttons per language)
ResultsNotice = Callable[[Contest, list[Project], rules.Results], tuple[dict[str, str], dict[str, Any] | None]]


async def close_due(db: Database, now: datetime, notice: ResultsNotice, *, only: int | None = None) -> list[Contest]:
    """Close every contest past its deadline (or only the one given), in one transaction with the
    results to its voters (``notice`` renders them) and an audit entry per contest; return them."""
    async with db.transaction() as tx:
        closed = await _claim_due(tx, now, only)
        for contest in closed:
            projects_ = await projects(tx, contest.id)
            results_ = await results(tx, contest)
            voters_ = await voters(tx, contest.id)
            texts, buttons = notice(contest, projects_, results_)
            await outbox.enqueue(
                tx,
                rural_district_id=contest.rural_district_id,
                kind="vote_result",
                texts=texts,
                buttons=buttons,
                recipients=voters_,
                source_type="contest",
                source_id=contest.id,
                not_before=to_db(now),
            )
            await audit.write(
                tx,
                audit.SYSTEM,
                "contest_closed",
                "contest",
                contest.id,
                rural_district_id=contest.rural_district_id,
                after={
                    "votes": results_.total,
                    "online": results_.online,
                    "offline": results_.offline,
                    "funded": [r.project_id for r in results_.ranked if r.funded],
                    "left": results_.left,
                    "voters_told": len(voters_),
                },
            )
    return closed


async def voters(tx: Tx | Database, contest_id: int) -> list[int]:
    rows = await tx.fetchall(
        "SELECT person_id FROM contest_votes WHERE contest_id = ? ORDER BY person_id", (contest_id,)
    )
    return [row[0] for row in rows]


# --- turnout ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Turnout:
    registered: int
    votes: int
    by_village: list[tuple[int, int, int]]  # village id, votes, registered residents
    by_day: list[tuple[str, int]]  # local date (ISO), votes first cast that day
    paper: int = 0  # voters recorded at the polling table


async def turnout(db: Database, contest: Contest, tz: str) -> Turnout:
    """Votes in all, per covered village and per local day, against the residents registered in the bot."""
    async with db.read() as tx:
        village_ids = await _covered(tx, contest.id)
        marks = ",".join("?" * len(village_ids)) or "NULL"
        # the residents of each village as the database counts them (migration 014), not every resident
        registered: dict[int, int] = {
            village_id: count
            for village_id, count in await tx.fetchall(
                f"SELECT village_id, residents FROM village_residents WHERE rural_district_id = ?"
                f" AND village_id IN ({marks})",
                (contest.rural_district_id, *village_ids),
            )
        }
        # by village and by day from the counts kept by quarter hour (migration 012), not every vote
        days, votes = await _counts(tx, contest.id, tz)
        paper = await paper_voters(tx, contest.id)
    return Turnout(
        registered=sum(registered.values()),
        votes=sum(days.values()),
        by_village=[(v, votes.get(v, 0), registered.get(v, 0)) for v in village_ids],
        by_day=sorted(days.items()),
        paper=paper,
    )
