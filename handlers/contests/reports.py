"""«Report pressure or vote buying»: a resident writes (or says) what happened; it goes to the
meeting's chair and the operator through the outbox, never to the akim's staff, and the resident
gets the report's number. The chair hears a voice report with a button (checked again here)."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.formatting import escape, format_datetime
from bot.i18n import in_all_languages
from bot.keyboards.contests import (
    Act,
    ContestCb,
    WatchAct,
    WatchCb,
    after_vote_keyboard,
    cancel_keyboard,
    report_voice_buttons,
)
from bot.rules.clock import Clock
from handlers.common import NotMenu, target
from storage import contests, oversight, places
from storage.db import Database
from storage.oversight import Report
from storage.people import Person
from storage.places import timezone

router = Router(name=__name__)
REPORT_MAX = 2000


class ReportFlow(StatesGroup):
    text = State()  # data: contest


@router.callback_query(ContestCb.filter(F.act == Act.REPORT))
async def start_report(
    query: CallbackQuery, callback_data: ContestCb, person: Person, db: Database, state: FSMContext
) -> None:
    """Ask what happened: text or a voice message; who reads it."""
    contest = await contests.for_resident(db, callback_data.contest, person.rural_district_id or 0)
    await query.answer()
    await state.set_state(ReportFlow.text)
    await state.set_data({"contest": contest.id})
    await target(query).answer(
        _(
            "🆘 <b>Report pressure or vote buying</b>\n"
            "Write what happened (who asked you to vote, for what, where), or send a voice message. "
            "It goes to the chair of the meeting of the local community and to the bot's operator, "
            "not to the akim's staff. Your name is not shown to them."
        ),
        reply_markup=cancel_keyboard(),
    )


def _texts(
    i18n: I18n, contest_title: dict[str, str], village: dict[str, str], tz: str
) -> Callable[[Report], dict[str, str]]:
    """How the chair and the operator read a report, in every language (no author's name)."""

    def render(report: Report) -> dict[str, str]:
        def one() -> str:
            lang = str(i18n.current_locale)
            lines = [
                _("🆘 <b>Report №{number}: pressure or vote buying</b>").format(number=report.number),
                _("Contest: {title}").format(title=escape(contest_title[lang])),
                _("From a resident of {village}, {at}.").format(
                    village=escape(village[lang]), at=format_datetime(report.created_at, tz, lang)
                ),
            ]
            if report.body:
                lines += ["", escape(report.body)]
            if report.voice_file_id:
                lines += ["", _("🎙 A voice message: press «Listen».")]
            return "\n".join(lines)

        return in_all_languages(i18n, one)

    return render


@router.message(StateFilter(ReportFlow.text), NotMenu())
async def take_report(
    message: Message,
    person: Person,
    db: Database,
    clock: Clock,
    i18n: I18n,
    settings: Settings,
    state: FSMContext,
) -> None:
    """The report: a voice message (with its caption), or a text that is not empty and not too long."""
    if message.voice is not None:
        body, voice = message.caption, message.voice.file_id
    else:
        body, voice = (message.text or "").strip(), None
        if not body:
            await message.answer(
                _("The report is empty. Please write what happened, or send a voice message."),
                reply_markup=cancel_keyboard(),
            )
            return
        if len(body) > REPORT_MAX:
            await message.answer(
                _("Please send the report as text, at most {limit} characters.").format(limit=REPORT_MAX),
                reply_markup=cancel_keyboard(),
            )
            return
    data = await state.get_data()
    contest = await contests.for_resident(db, int(data["contest"]), person.rural_district_id or 0)
    village = await places.village(db, person.village_id)
    tz = await timezone(db, contest.rural_district_id)
    titles = {lang: contest.title(lang) for lang in ("kk", "ru")}
    villages = {lang: village.name(lang) if village else "—" for lang in ("kk", "ru")}
    render = _texts(i18n, titles, villages, tz)
    kept = await oversight.report(
        db,
        person_id=person.id,
        rural_district_id=contest.rural_district_id,
        contest_id=contest.id,
        body=body,
        voice_file_id=voice,
        now=clock.now(),
        operator_telegram_ids=settings.operator_ids,
        texts=render,
        buttons=lambda r: in_all_languages(i18n, lambda: report_voice_buttons(r.id)) if r.voice_file_id else None,
    )
    await state.clear()
    await message.answer(
        _(
            "Thank you. Your report №{number} is sent to the chair of the meeting and to the operator. "
            "Remember: only your last vote counts, and you can change it in private until voting closes."
        ).format(number=kept.number),
        reply_markup=after_vote_keyboard(contest.id),
    )


@router.callback_query(WatchCb.filter(F.act == WatchAct.VOICE))
async def listen(query: CallbackQuery, callback_data: WatchCb, person: Person, db: Database) -> None:
    """The voice of a report, for the district's chair or an operator only."""
    report = await oversight.report_for(db, callback_data.report, person_id=person.id, is_operator=person.is_operator)
    await query.answer()
    if report.voice_file_id:
        await target(query).answer_voice(
            report.voice_file_id, caption=_("Report №{number}").format(number=report.number)
        )
