"""The resident: the section's home, «My initiatives», the district's published ones, and supporting."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_day
from bot.i18n import N_, in_all_languages
from bot.keyboards.common import MenuButton
from bot.keyboards.initiatives import (
    Ini,
    IniAct,
    Sort,
    card_keyboard,
    home_keyboard,
    list_keyboard,
    status_label,
)
from bot.rules import initiatives as rules
from bot.rules.clock import Clock
from bot.rules.errors import NotFound
from handlers.common import consent_given, target
from handlers.initiatives.texts import PAGE, card_text, pages, send_attachments
from storage import initiatives as store
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


@router.message(MenuButton("initiatives"))
async def home(message: Message, state: FSMContext) -> None:
    """The initiatives section: propose, follow one's own, see the district's."""
    await state.clear()
    await message.answer(
        _(
            "<b>Civic initiatives</b>\nPropose something for your village, follow its review and support "
            "the initiatives of your neighbours."
        ),
        reply_markup=home_keyboard(),
    )


@router.callback_query(Ini.filter(F.act == IniAct.HOME))
async def home_again(query: CallbackQuery, state: FSMContext) -> None:
    """Back to the section's home."""
    await query.answer()
    await state.clear()
    await target(query).answer(_("<b>Civic initiatives</b>"), reply_markup=home_keyboard())


@router.callback_query(Ini.filter(F.act == IniAct.MINE))
async def my_list(query: CallbackQuery, callback_data: Ini, person: Person, db: Database) -> None:
    """The person's own initiatives, newest first: number, status, date."""
    await query.answer()
    page = max(callback_data.page, 0)
    items, total = await store.mine(db, person.id, limit=PAGE, offset=page * PAGE)
    if not total:
        await target(query).answer(_("You have not sent any initiatives yet."), reply_markup=home_keyboard())
        return
    tz = await store.timezone(db, person.rural_district_id or 0)
    lines = [_("<b>My initiatives</b>")]
    lines += [
        _("№{number} «{title}»: {status} ({date}). Supports: {count}").format(
            number=i.number,
            title=escape(i.title),
            status=status_label(i.status),
            date=format_day(rules.local_day(i.submitted_at, tz), person.language),
            count=i.supports,
        )
        for i in items
    ]
    await target(query).answer(
        "\n".join(lines), reply_markup=list_keyboard(items, act=IniAct.MINE, page=page, pages=pages(total))
    )


@router.callback_query(Ini.filter(F.act == IniAct.BROWSE))
async def district_list(query: CallbackQuery, callback_data: Ini, person: Person, db: Database) -> None:
    """The district's published initiatives, newest or most supported first, page by page."""
    await query.answer()
    assert person.rural_district_id is not None
    page, sort = max(callback_data.page, 0), callback_data.sort
    items, total = await store.published(
        db, person.rural_district_id, by_support=sort == Sort.SUPPORT, limit=PAGE, offset=page * PAGE
    )
    if not total:
        await target(query).answer(
            _("No initiatives are published in your rural district yet."), reply_markup=home_keyboard()
        )
        return
    title = (
        _("<b>Initiatives of the district</b>, most supported first")
        if sort == Sort.SUPPORT
        else _("<b>Initiatives of the district</b>, newest first")
    )
    lines = [title] + [
        _("№{number} «{title}»: {status}. Supports: {count}").format(
            number=i.number, title=escape(i.title), status=status_label(i.status), count=i.supports
        )
        for i in items
    ]
    await target(query).answer(
        "\n".join(lines),
        reply_markup=list_keyboard(items, act=IniAct.BROWSE, page=page, pages=pages(total), sort=sort),
    )


async def _visible(db: Database, person: Person, initiative_id: int) -> store.Initiative:
    """An initiative the person may see: their own, or a published one of their district."""
    initiative = await store.get(db, initiative_id)
    if initiative is None or not (
        initiative.author_id == person.id
        or (
            initiative.rural_district_id == person.rural_district_id
            and initiative.published
            and initiative.status not in rules.NOT_LISTED
        )
    ):
        raise NotFound(N_("This initiative is not available."))
    return initiative


def _support_problem(initiative: store.Initiative, person: Person, already: bool) -> str | None:
    return rules.support_problem(
        status=initiative.status,
        published=initiative.published,
        is_author=initiative.author_id == person.id,
        already=already,
    )


async def _show_card(
    message: Message, initiative: store.Initiative, person: Person, db: Database, clock: Clock, place: Ini
) -> None:
    """The card, with Support while the person may, and Back to the list it was opened from (``place``)."""
    tz = await store.timezone(db, initiative.rural_district_id)
    history = await store.history(db, initiative.id)
    already = await store.has_supported(db, initiative.id, person.id)
    text = card_text(initiative, history, person.language, tz, clock.now())
    if already:
        text += "\n\n" + _("👍 You support this initiative.")
    await message.answer(
        text,
        reply_markup=card_keyboard(
            initiative,
            src=place.src,
            page=place.page,
            sort=place.sort,
            can_support=_support_problem(initiative, person, already) is None,
        ),
    )


@router.callback_query(Ini.filter(F.act == IniAct.OPEN))
async def open_card(
    query: CallbackQuery, callback_data: Ini, person: Person, db: Database, clock: Clock, bot: Bot
) -> None:
    """One initiative: its photos and location (what residents are asked to support), then the card."""
    await query.answer()
    initiative = await _visible(db, person, callback_data.id)
    await send_attachments(bot, target(query).chat.id, initiative, voice=False)
    await _show_card(target(query), initiative, person, db, clock, callback_data)


@router.callback_query(Ini.filter(F.act == IniAct.SUPPORT))
async def support(
    query: CallbackQuery, callback_data: Ini, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """One tap, once per person, never one's own."""
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    await query.answer()
    initiative = await _visible(db, person, callback_data.id)
    already = await store.has_supported(db, initiative.id, person.id)
    problem = _support_problem(initiative, person, already)
    if problem:
        await target(query).answer(_(problem))
        return
    assert person.rural_district_id is not None

    def flagged(i: store.Initiative) -> dict[str, str]:
        return in_all_languages(
            i18n,
            lambda: _(
                "📌 Initiative №{number} «{title}» has {count} supports: it is flagged for the next gathering's agenda."
            ).format(number=i.number, title=escape(i.title), count=i.supports),
        )

    result = await store.support(
        db,
        initiative.id,
        person.id,
        rural_district_id=person.rural_district_id,
        now=clock.now(),
        flagged_notice=flagged,
    )
    if not result.added:
        await target(query).answer(_(N_("You have already supported this initiative.")))
        return
    await target(query).answer(
        _("👍 Thank you: your support is counted. Supports now: {count}.").format(count=result.supports)
    )
    refreshed = await store.get(db, initiative.id)
    assert refreshed is not None
    await _show_card(target(query), refreshed, person, db, clock, callback_data)
