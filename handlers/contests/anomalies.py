"""Anomalies of a contest: votes flagged per village and hour, with the figures, for the district's
staff, the meeting's chair and operators; only the chair or an operator keeps or annuls a flag's
votes, with a reason (``storage.oversight.decide`` checks it again against the roles table).

This flow sits in the residents' router: the chair is a resident, not the akim's staff."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.config import Settings
from bot.formatting import escape, format_datetime
from bot.i18n import N_
from bot.keyboards.contests import (
    Act,
    AdmAct,
    AdminContestCb,
    ContestCb,
    WatchAct,
    WatchCb,
    anomalies_keyboard,
    cancel_keyboard,
    flag_keyboard,
)
from bot.rules import contests as rules
from bot.rules.anomalies import Flag, Kind
from bot.rules.clock import Clock
from bot.rules.errors import DomainError, NotAllowed
from handlers.common import NotMenu, target
from handlers.contests import steps
from handlers.contests.browse import watcher
from storage import contests, oversight, places
from storage.contests import Contest
from storage.db import Database
from storage.people import CHAIR, Person
from storage.places import timezone

router = Router(name=__name__)
MARK = {Kind.BURST: "📈", Kind.NIGHT: "🌙", Kind.NEW: "🆕", Kind.MINUTE: "⏱"}
EXPLAIN = {
    Kind.BURST: N_("More votes in this hour than usual for the village: over {threshold}."),
    Kind.NIGHT: N_("Votes cast at night."),
    Kind.NEW: N_("Votes by people the bot first saw less than a day before they voted."),
    Kind.MINUTE: N_("Many votes of the village within a minute: {threshold} or more."),
}


class Judge(StatesGroup):
    reason = State()  # data: contest, flag, annul


def _judge(person: Person, rural_district_id: int) -> bool:
    return person.is_operator or person.has_role(CHAIR, rural_district_id)


async def _watched(db: Database, person: Person, contest_id: int) -> Contest:
    contest = await contests.get(db, contest_id, person.rural_district_id or 0)
    if not watcher(person, contest.rural_district_id):
        raise NotAllowed(N_("The anomalies are shown to the akim's staff, the meeting's chair and operators."))
    return contest


def _label(flag: Flag, names: dict[int, str], tz: str, lang: str, decided: str | None) -> str:
    mark = {"keep": "✅", "annul": "❌"}.get(decided or "", "⏳")
    village = names.get(flag.village_id or 0, "—")
    return f"{mark} {MARK[flag.kind]} {village} · {format_datetime(flag.hour, tz, lang)} · {flag.votes}"


@router.callback_query(WatchCb.filter(F.act == WatchAct.LIST))
async def show_anomalies(
    query: CallbackQuery, callback_data: WatchCb, person: Person, db: Database, settings: Settings, state: FSMContext
) -> None:
    """The flags of a contest with their figures; the judged ones marked."""
    await state.clear()
    contest = await _watched(db, person, callback_data.contest)
    await query.answer()
    lang, tz = person.language, await timezone(db, contest.rural_district_id)
    limits = settings.anomaly_thresholds()
    found = await oversight.flags(db, contest, tz, limits)
    decided = {d.flag: d.decision for d in await oversight.decisions(db, contest.id)}
    names = {v.id: v.name(lang) for v in await places.villages(db, contest.rural_district_id)}
    lines = [
        _("⚠️ <b>Anomalies: {title}</b>").format(title=escape(contest.title(lang))),
        _(
            "Flagged per village and hour: 📈 more than max({least}, {factor} × the village's median hour); "
            "🌙 votes {night_start}:00–{night_end}:00; 🆕 voters new to the bot (under {hours} h); "
            "⏱ {minute} or more votes of a village in a minute."
        ).format(
            least=limits.burst_min,
            factor=f"{limits.burst_factor:g}",
            night_start=f"{limits.night_start:02d}",
            night_end=f"{limits.night_end:02d}",
            hours=limits.new_hours,
            minute=limits.minute_votes,
        ),
        "",
    ]
    if not found:
        lines.append(_("No anomalies found."))
    else:
        lines.append(
            ngettext(
                "{count} flag; ⏳ waiting for a decision, ✅ kept, ❌ annulled.",
                "{count} flags; ⏳ waiting for a decision, ✅ kept, ❌ annulled.",
                len(found),
            ).format(count=len(found))
        )
        if not _judge(person, contest.rural_district_id):
            lines.append(_("The meeting's chair or an operator decides on them, not the akim's staff."))
    shown = found[-30:]
    back = (
        AdminContestCb(act=AdmAct.VIEW, id=contest.id).pack()
        if person.is_staff
        else ContestCb(act=Act.CONTEST, contest=contest.id).pack()
    )
    await target(query).answer(
        "\n".join(lines),
        reply_markup=anomalies_keyboard(
            contest.id, [(f.key, _label(f, names, tz, lang, decided.get(f.key))) for f in shown], back
        ),
    )


@router.callback_query(WatchCb.filter(F.act == WatchAct.FLAG))
async def show_flag(
    query: CallbackQuery, callback_data: WatchCb, person: Person, db: Database, clock: Clock, settings: Settings
) -> None:
    """One flag: what it is, its figures, and its decision, or the buttons to decide."""
    contest = await _watched(db, person, callback_data.contest)
    lang, tz = person.language, await timezone(db, contest.rural_district_id)
    found = next(
        (
            f
            for f in await oversight.flags(db, contest, tz, settings.anomaly_thresholds())
            if f.key == callback_data.flag
        ),
        None,
    )
    if found is None:
        raise DomainError(rules.FLAG_GONE)
    await query.answer()
    names = {v.id: v.name(lang) for v in await places.villages(db, contest.rural_district_id)}
    decision = next((d for d in await oversight.decisions(db, contest.id) if d.flag == found.key), None)
    lines = [
        f"{MARK[found.kind]} <b>{escape(names.get(found.village_id or 0, '—'))}</b>, "
        + _("hour from {at}").format(at=format_datetime(found.hour, tz, lang)),
        _(EXPLAIN[found.kind]).format(threshold=found.threshold),
        ngettext("{count} vote in this flag.", "{count} votes in this flag.", found.votes).format(count=found.votes),
    ]
    if decision is not None:
        who = _("the meeting's chair") if decision.decided_as == "chair" else _("the operator")
        verdict = _("kept") if decision.decision == "keep" else _("annulled")
        lines += [
            "",
            _("Decided by {who} {at}: {verdict}. Reason: {reason}").format(
                who=who,
                at=format_datetime(decision.decided_at, tz, lang),
                verdict=verdict,
                reason=escape(decision.reason),
            ),
        ]
    elif not found.judgeable(clock.now()):
        lines += ["", _(rules.FLAG_NOT_READY)]
    may_decide = decision is None and found.judgeable(clock.now()) and _judge(person, contest.rural_district_id)
    await target(query).answer(
        "\n".join(lines), reply_markup=flag_keyboard(contest.id, found.key, may_decide=may_decide)
    )


@router.callback_query(WatchCb.filter(F.act.in_({WatchAct.KEEP, WatchAct.ANNUL})))
async def start_decision(
    query: CallbackQuery, callback_data: WatchCb, person: Person, db: Database, state: FSMContext
) -> None:
    """Keep or annul: only the chair or an operator (a forged button from anyone else is refused); the reason next."""
    contest = await contests.get(db, callback_data.contest, person.rural_district_id or 0)
    oversight.judge(
        person.id,
        person.telegram_id,
        person.rural_district_id,
        is_chair=person.has_role(CHAIR, contest.rural_district_id),
        is_operator=person.is_operator,
    )
    await query.answer()
    annul = callback_data.act is WatchAct.ANNUL
    await state.set_state(Judge.reason)
    await state.set_data({"contest": contest.id, "flag": callback_data.flag, "annul": annul})
    await target(query).answer(
        _("Why are these votes annulled? The reason is shown on the results.")
        if annul
        else _("Why are these votes kept? The reason is shown on the results."),
        reply_markup=cancel_keyboard(),
    )


@router.message(StateFilter(Judge.reason), NotMenu())
async def decide(
    message: Message, person: Person, db: Database, clock: Clock, settings: Settings, state: FSMContext
) -> None:
    """The reason; the decision is stored, audited and shown on the results."""
    reason = await steps.reason(message)
    if reason is None:
        return
    data = await state.get_data()
    await state.clear()
    contest = await contests.get(db, int(data["contest"]), person.rural_district_id or 0)
    actor = oversight.judge(
        person.id,
        person.telegram_id,
        person.rural_district_id,
        is_chair=person.has_role(CHAIR, contest.rural_district_id),
        is_operator=person.is_operator,
    )
    votes = await oversight.decide(
        db,
        actor,
        contest_id=contest.id,
        flag_key=str(data["flag"]),
        annul=bool(data["annul"]),
        reason=reason,
        now=clock.now(),
        tz=await timezone(db, contest.rural_district_id),
        thresholds=settings.anomaly_thresholds(),
    )
    text = (
        ngettext("Decided: {count} vote annulled.", "Decided: {count} votes annulled.", votes)
        if data["annul"]
        else ngettext("Decided: {count} vote kept.", "Decided: {count} votes kept.", votes)
    )
    await message.answer(
        text.format(count=votes) + " " + _("The decision is shown on the results."),
        reply_markup=flag_keyboard(contest.id, str(data["flag"]), may_decide=False),
    )
