"""The staff keep the district's census of voters: the current list, a new file (CSV or XLSX, sent
as a document), its report (added, removed, rejected with line numbers), and a confirmation
before the list is replaced. The file is never trusted: see ``bot/spreadsheets.py`` and
``bot/rules/census.py``."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot import spreadsheets
from bot.formatting import escape, format_datetime
from bot.i18n import N_
from bot.keyboards.contests import AdmAct, AdminContestCb, census_keyboard
from bot.rules import census as rules
from bot.rules.clock import Clock
from handlers.common import NotMenu, sent_file, target
from storage import census
from storage.audit import Actor
from storage.db import Database
from storage.people import Person
from storage.places import timezone

router = Router(name=__name__)

PROBLEMS = {
    rules.Problem.NOT_A_SPREADSHEET: N_("This is not a spreadsheet. Please send the list as a CSV or XLSX file."),
    rules.Problem.OLD_EXCEL: N_("This is an old Excel file (.xls). Please save it as XLSX or CSV and send it again."),
    rules.Problem.TOO_LARGE: N_("The file is too large: at most {limit_mb} MB. Please send a smaller file."),
    rules.Problem.TOO_MANY_ROWS: N_("The file has too many rows: at most {limit}. Please check the file."),
    rules.Problem.EMPTY: N_("The file is empty: there is no voter in it."),
    rules.Problem.NO_PHONE_COLUMN: N_(
        "No column of phone numbers was found. Please name it «Телефон» in the first row, and send the file again."
    ),
    rules.Problem.FORMULA: N_(
        "The file has a formula (cell {cell}). The census must hold the numbers themselves: please save the "
        "sheet as values only and send it again."
    ),
    rules.Problem.NOT_READABLE: N_("The file cannot be read. Please save it again as CSV (UTF-8) or XLSX."),
}


class CensusFlow(StatesGroup):
    file = State()


async def _screen(message: Message, person: Person, db: Database) -> None:
    rd = person.rural_district_id or 0
    lang, tz = person.language, await timezone(db, rd)
    now_census = await census.current(db, rd)
    lines = [_("📋 <b>Census of voters</b>")]
    if now_census is None:
        lines.append(_("No census is uploaded yet."))
    else:
        lines.append(
            ngettext(
                "The current list: {count} number, since {at}.",
                "The current list: {count} numbers, since {at}.",
                now_census.entries,
            ).format(
                count=now_census.entries, at=format_datetime(now_census.applied_at or now_census.uploaded_at, tz, lang)
            )
        )
    lines.append(
        _("The census check is on: only numbers on the list vote in the district's contests.")
        if await census.required(db, rd)
        else _("The census check is off: any Kazakhstan mobile number of a resident votes.")
    )
    lines += [
        _(
            "The check is turned on or off in the district's settings. A new list applies to contests "
            "not voted in yet; a contest keeps the list it had at its first vote."
        ),
        "",
        _(
            "To replace the list, send it here as a document: a CSV or XLSX file with a column of phone numbers "
            "(«Телефон»), and optionally the village and the name. At most {mb} MB and {rows} rows. "
            "You will see a report and confirm before anything changes."
        ).format(mb=rules.MAX_BYTES // (1024 * 1024), rows=rules.MAX_ROWS),
    ]
    await message.answer("\n".join(lines), reply_markup=census_keyboard(None))


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.CENSUS))
async def show_census(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """The district's census and how to replace it; the next document is the new list."""
    await query.answer()
    await state.clear()
    await state.set_state(CensusFlow.file)
    await _screen(target(query), person, db)


def _report(staged: census.Staged, lang: str) -> str:
    report = staged.census.report
    malformed: list[int] = report.get("malformed", [])  # type: ignore[assignment]
    duplicate: list[int] = report.get("duplicate", [])  # type: ignore[assignment]
    unknown: list[int] = report.get("unknown_villages", [])  # type: ignore[assignment]
    lines = [
        _("📋 <b>The new list: {file}</b>").format(file=escape(staged.census.file_name or "—")),
        _("Rows read: {rows}. Numbers on the new list: {count}.").format(
            rows=report.get("rows", 0), count=staged.census.entries
        ),
        _("Against the current list: added {added}, removed {removed}, unchanged {kept}.").format(
            added=staged.diff.added, removed=staged.diff.removed, kept=staged.diff.kept
        ),
    ]
    if malformed:
        lines.append(
            _("Rejected as not a Kazakhstan mobile number: {count} (lines {lines}).").format(
                count=len(malformed), lines=rules.short_lines(malformed)
            )
        )
    if duplicate:
        lines.append(
            _("Rejected as a number already on the list: {count} (lines {lines}).").format(
                count=len(duplicate), lines=rules.short_lines(duplicate)
            )
        )
    if unknown:
        lines.append(
            _("Kept without a village (the village is not one of the district's): {count} (lines {lines}).").format(
                count=len(unknown), lines=rules.short_lines(unknown)
            )
        )
    lines += ["", _("Replace the current list with this one?")]
    return "\n".join(lines)


@router.message(CensusFlow.file, F.document)
async def census_file(
    message: Message, person: Person, db: Database, clock: Clock, bot: Bot, state: FSMContext
) -> None:
    """The new list as a document: read, checked, staged with its report; nothing replaced yet."""
    document = message.document
    assert document is not None
    rd = person.rural_district_id or 0
    if document.file_size is not None and document.file_size > rules.MAX_BYTES:
        await message.answer(_(PROBLEMS[rules.Problem.TOO_LARGE]).format(limit_mb=rules.MAX_BYTES // (1024 * 1024)))
        return
    data = await sent_file(message, bot, document.file_id, rules.MAX_BYTES + 1)
    if data is None:
        return
    try:
        rows = spreadsheets.read(data, document.file_name)
        parsed = rules.build(rows, await census.villages_of(db, rd))
    except rules.CensusFileError as error:
        await message.answer(_(PROBLEMS[error.problem]).format(**error.values))
        return
    staged = await census.stage(
        db, Actor.of(person), rural_district_id=rd, parsed=parsed, file_name=document.file_name, now=clock.now()
    )
    await state.clear()
    await message.answer(_report(staged, person.language), reply_markup=census_keyboard(staged.census.id))


@router.message(CensusFlow.file, NotMenu())
async def census_not_file(message: Message) -> None:
    """Anything but a document while the census waits for its file."""
    await message.answer(
        _("Please send the list as a document: a CSV or XLSX file."), reply_markup=census_keyboard(None)
    )


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.CENSUS_OK))
async def census_apply(
    query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database, clock: Clock
) -> None:
    """Replace the list; contests not voted in yet follow it, the others keep theirs."""
    applied = await census.apply(db, Actor.of(person), census_id=callback_data.id, now=clock.now())
    await query.answer()
    text = ngettext(
        "The census is replaced: {count} number.", "The census is replaced: {count} numbers.", applied.entries
    ).format(count=applied.entries)
    if applied.contests_keeping:
        text += " " + ngettext(
            "{count} contest already voting keeps the list it started with.",
            "{count} contests already voting keep the list they started with.",
            applied.contests_keeping,
        ).format(count=applied.contests_keeping)
    await target(query).answer(text, reply_markup=census_keyboard(None))


@router.callback_query(AdminContestCb.filter(F.act == AdmAct.CENSUS_NO))
async def census_discard(query: CallbackQuery, callback_data: AdminContestCb, person: Person, db: Database) -> None:
    """Keep the old list; the upload is forgotten."""
    await census.discard(db, Actor.of(person), census_id=callback_data.id)
    await query.answer()
    await target(query).answer(
        _("The new list is discarded. The current census stays."), reply_markup=census_keyboard(None)
    )
