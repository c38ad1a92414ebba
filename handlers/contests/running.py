"""The staff run their district's contests: the list, one contest's card, publishing a draft, and
changing the deadline of a running one (close early, extend) with a reason residents see."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_datetime, format_day, format_money, format_time, local
from bot.i18n import N_, in_all_languages
from bot.jobs.contests import close_due
from bot.keyboards import contests as kb
from bot.keyboards.admin import AdminMenu
from bot.keyboards.contests import AdmAct, AdminContestCb, FormAct, FormCb
from bot.rules import contests as rules
from bot.rules.clock import Clock
from bot.rules.contests import Phase
from bot.rules.delivery import quiet_until
from bot.rules.errors import DomainError
from bot.texts.contests import results_text
from handlers.common import target
from handlers.contests import steps
from handlers.contests.browse import ballot_line
from handlers.contests.texts import MARKS, money_lines, when
from storage import contests, places
from storage.audit import Actor
from storage.contests import Contest
from storage.db import Database
from storage.people import Person
from storage.places import timezone

router = Router(name=__name__)


class Change(StatesGroup):
    closes = State()
    reason = State()
    confirm = State()


@router.callback_query(AdminMenu.filter(F.section == "contests"))
@router.callback_query(AdminContestCb.filter(F.act == AdmAct.LIST))
async def admin_contests(query: CallbackQuery, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The staff's list of the rural district's contests."""
    await state.clear()
    await query.answer()
    items = await contests.of_district(db, person.rural_district_id or 0)
    now = clock.now()
    text = _("<b>Project contests</b>\n📝 draft · ⏳ not open yet · 🟢 voting · 🏁 closed")
    if not items:
        text += "\n\n" + _("No contests yet.")
    await target(query).answer(
        text, reply_markup=kb.admin_list_keyboard(items, person.language, {c.id: MARKS[c.phase(now)] for c in items})
    )


async def show_card(message: Message, person: Person, db: Database, clock: Clock, contest_id: int) -> None:
    """One contest as the staff see it: window, villages, money, projects, and what can be done now."""
    contest = await contests.get(db, contest_id, person.rural_district_id or 0)
    lang, now = person.language, clock.now()
    current = contest.phase(now)
    tz = await timezone(db, contest.rural_district_id)
    covered = set(await contests.covered(db, contest.id))
    villages = [v for v in await places.villages(db, contest.rural_district_id) if v.id in covered]
    projects = await contests.projects(db, contest.id)
    lines = [f"{MARKS[current]} <b>{escape(contest.title(lang))}</b>"]
    if contest.title_kk and contest.title_ru:
        lines.append(escape(contest.title("ru" if lang == "kk" else "kk")))
    lines += [
        when(contest, current, tz, lang),
        _("Villages: {villages}").format(villages=escape(", ".join(v.name(lang) for v in villages)) or "—"),
        *money_lines(contest, lang),
        "",
        ngettext("{count} project:", "{count} projects:", len(projects)).format(count=len(projects)),
    ]
    for number, project in enumerate(projects, start=1):
        lines.append(
            f"{number}. {escape(project.title(lang))} · {format_money(project.cost, lang)}"
            + (" 📷" if project.photo_file_id else "")
        )
    if current is Phase.DRAFT and len(projects) < 2:
        lines += ["", _("Add at least two projects, then publish.")]
    lines += ["", ballot_line(contest)]
    if contest.census_id is not None:
        lines.append(_("📋 Votes are checked against the census of voters."))
    first = await contests.frozen_at(db, contest.id)
    if first is not None and current is not Phase.CLOSED:
        lines.append(
            _(
                "🔒 Frozen since the first vote ({at}): projects, costs, rules and the census no longer change; "
                "voting can only be closed early or extended, with a reason."
            ).format(at=format_datetime(first, tz, lang))
        )
    elif current is not Phase.CLOSED:
        lines.append(_("Projects, costs and the ballot can change until the first vote; then they are frozen."))
    await message.answer(
        "\n".join(lines), reply_markup=kb.admin_contest_keyboard(contest, current, frozen=first is not None)
    )


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.VIEW))
async def admin_contest(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """One contest, as the staff see it."""
    await state.clear()
    await show_card(target(query), person, db, clock, callback_data.id)
    await query.answer()


# --- publishing ------------------------------------------------------------------------------


def _notice_text(contest: Contest, tz: str, lang: str) -> str:
    lines = [_("🗳 <b>New project contest: {title}</b>").format(title=escape(contest.title(lang)))]
    if contest.description(lang):
        lines.append(escape(contest.description(lang)))
    lines += [
        "",
        _("Voting: {opens} – {closes}.").format(
            opens=format_datetime(contest.opens_at, tz, lang), closes=format_datetime(contest.closes_at, tz, lang)
        ),
        _("Money: {total}").format(total=format_money(contest.budget, lang)),
        _("Choose the project you want for your village: one resident, one vote."),
    ]
    return "\n".join(lines)


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.PUBLISH))
async def ask_publish(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """Publishing tells many people: ask once more."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    await query.answer()
    await target(query).answer(
        _(
            "Publish «{title}»? The residents of the villages it covers will be told. "
            "Once the first vote is cast, projects, costs and rules cannot be changed."
        ).format(title=escape(contest.title(person.language))),
        reply_markup=kb.confirm_publish_keyboard(contest.id),
    )


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.PUBLISH_OK))
async def publish(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, i18n: I18n
) -> None:
    """Publish the draft; the announcement goes through the outbox to the residents it covers."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    now = clock.now()
    if contest.opens_at < now:
        # «Right away» (or an opening already past) means: voting opens when the contest is published
        contest = replace(contest, opens_at=now)
    tz = await timezone(db, contest.rural_district_id)
    count = await contests.publish(
        db,
        Actor.of(person),
        contest_id=contest.id,
        now=now,
        texts=in_all_languages(i18n, lambda: _notice_text(contest, tz, str(i18n.current_locale))),
        buttons=in_all_languages(i18n, lambda: kb.open_contest_buttons(contest.id)),
    )
    await query.answer()
    await target(query).answer(
        ngettext(
            "Published. {count} resident will be told.", "Published. {count} residents will be told.", count
        ).format(count=count)
    )
    await show_card(target(query), person, db, clock, contest.id)


# --- closing early and extending -------------------------------------------------------------


@router.callback_query(AdminContestCb.filter(F.act.in_({AdmAct.CLOSE, AdmAct.EXTEND})))
async def start_change(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Close early or extend: a new deadline (to extend), then the reason residents will see."""
    contest = await contests.get(db, callback_data.id, person.rural_district_id or 0)
    current = contest.phase(clock.now())
    if callback_data.act is AdmAct.CLOSE and current is not Phase.OPEN:
        raise DomainError(N_("Only a contest whose voting is open can be closed early."))
    if callback_data.act is AdmAct.EXTEND and current not in (Phase.OPEN, Phase.UPCOMING):
        raise DomainError(N_("Only a contest that has not closed yet can be extended."))
    await query.answer()
    await state.set_data({"contest": contest.id, "kind": str(callback_data.act)})
    if callback_data.act is AdmAct.EXTEND:
        await state.set_state(Change.closes)
        tz = await timezone(db, contest.rural_district_id)
        await target(query).answer(
            _("Voting now closes {closes}. Send the new closing date and time like 20.12.2026 20:00.").format(
                closes=format_datetime(contest.closes_at, tz, person.language)
            ),
            reply_markup=kb.cancel_keyboard(),
        )
        return
    await state.set_state(Change.reason)
    await target(query).answer(
        _("Why is voting closed early? Residents will see this reason."), reply_markup=kb.cancel_keyboard()
    )


@router.message(Change.closes)
async def change_closes(message: Message, person: Person, db: Database, clock: Clock, state: FSMContext) -> None:
    """The new deadline of an extension."""
    closes_at = rules.parse_local(message.text, await timezone(db, person.rural_district_id))
    if closes_at is None or closes_at <= clock.now():
        await message.answer(
            _("Please send a future date and time like 20.12.2026 20:00."), reply_markup=kb.cancel_keyboard()
        )
        return
    await state.update_data(closes_at=closes_at.isoformat())
    await state.set_state(Change.reason)
    await message.answer(
        _("Why is voting extended? Residents will see this reason."), reply_markup=kb.cancel_keyboard()
    )


@router.message(Change.reason)
async def change_reason(message: Message, state: FSMContext) -> None:
    """The reason; then one confirmation."""
    reason = await steps.reason(message)
    if reason is None:
        return
    await state.update_data(reason=reason)
    await state.set_state(Change.confirm)
    data = await state.get_data()
    label = _("⏹ Close voting now") if data["kind"] == AdmAct.CLOSE else _("⏩ Extend voting")
    await message.answer(
        _("Reason: {reason}\nConfirm?").format(reason=escape(reason)), reply_markup=kb.confirm_form_keyboard(label)
    )


async def _results_go_out(db: Database, person: Person, now: datetime) -> str:
    """When the voters get the results of a contest closed now: at once, or when quiet hours end."""
    rd = await places.rural_district(db, person.rural_district_id)
    morning = quiet_until(now, rd.timezone, rd.quiet_start, rd.quiet_end) if rd else None
    if rd is None or morning is None:
        return _("Voting is closed. The results are sent to everyone who voted.")
    return _("Voting is closed. It is quiet hours now: everyone who voted gets the results on {day} at {time}.").format(
        day=format_day(local(morning, rd.timezone).date(), person.language),
        time=format_time(morning, rd.timezone, person.language),
    )


@router.callback_query(Change.confirm, FormCb.filter(F.act == FormAct.CONFIRM))
async def change_confirm(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Apply the change; closing early sends the results to the voters at once."""
    data = await state.get_data()
    await state.clear()
    now, actor, reason = clock.now(), Actor.of(person), data["reason"]
    contest_id = int(data["contest"])
    await query.answer()
    if data["kind"] == AdmAct.CLOSE:
        await contests.close_early(db, actor, contest_id=contest_id, reason=reason, now=now)
        await close_due(db, clock, i18n)
        await target(query).answer(await _results_go_out(db, person, now))
        contest = await contests.get(db, contest_id, person.rural_district_id or 0)
        projects, results = await contests.projects(db, contest_id), await contests.results(db, contest)
        await target(query).answer(results_text(contest, projects, results, person.language))
    else:
        closes_at = datetime.fromisoformat(data["closes_at"])
        contest = await contests.get(db, contest_id, person.rural_district_id or 0)
        tz = await timezone(db, contest.rural_district_id)

        def render() -> str:
            lang = str(i18n.current_locale)
            return _("🗳 Voting in «{title}» is extended until {closes}.\nReason: {reason}").format(
                title=escape(contest.title(lang)), closes=format_datetime(closes_at, tz, lang), reason=escape(reason)
            )

        await contests.extend(
            db,
            actor,
            contest_id=contest_id,
            closes_at=closes_at,
            reason=reason,
            now=now,
            texts=in_all_languages(i18n, render),
            buttons=in_all_languages(i18n, lambda: kb.open_contest_buttons(contest_id)),
        )
        await target(query).answer(_("Voting is extended. The residents are told."))
    await show_card(target(query), person, db, clock, contest_id)
