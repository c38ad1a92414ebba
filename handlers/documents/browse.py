"""Residents browse documents: by kind newest first, by a word in titles, a document and its versions."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.formatting import escape, format_day, local
from bot.keyboards import documents as kb
from bot.keyboards.budget import budget_button
from bot.keyboards.common import MenuButton
from bot.keyboards.documents import Doc, DocAct, DocKind, DocNav, Kind, Nav
from bot.rules.clock import from_db
from bot.rules.documents import search_query
from handlers.common import Has, NotMenu, target
from handlers.documents.screens import show_document, show_published_answers, visible
from storage import documents as docs
from storage import places
from storage.db import Database
from storage.people import Person
from storage.places import timezone

router = Router(name=__name__)


class SearchForm(StatesGroup):
    query = State()


async def home_text(db: Database, person: Person) -> tuple[str, dict[str, int]]:
    assert person.rural_district_id is not None
    counts = await docs.kind_counts(db, person.rural_district_id)
    rd = await places.rural_district(db, person.rural_district_id)
    text = _("<b>Documents</b> of {rural_district}\nChoose a kind of document, or search by a word.").format(
        rural_district=escape(rd.name(person.language)) if rd else "—"
    )
    if not counts:
        text += "\n\n" + _("No documents have been published yet.")
    return text, counts


@router.message(MenuButton("documents"))
async def documents_menu(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The documents screen: the kinds that have documents, search and the budget."""
    await state.clear()
    text, counts = await home_text(db, person)
    await message.answer(text, reply_markup=kb.documents_home(counts, budget_button()))


@router.callback_query(DocNav.filter(F.to == Nav.HOME))
async def documents_home(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """Back to the documents screen."""
    await query.answer()
    await state.clear()
    text, counts = await home_text(db, person)
    await target(query).answer(text, reply_markup=kb.documents_home(counts, budget_button()))


@router.callback_query(DocKind.filter())
async def documents_of_kind(query: CallbackQuery, callback_data: DocKind, person: Person, db: Database) -> None:
    """A page of a kind's current documents, newest first."""
    assert person.rural_district_id is not None
    await query.answer()
    kind = callback_data.kind
    page = max(0, callback_data.page)
    items, total = await docs.current(db, person.rural_district_id, kind, offset=page * kb.PAGE, limit=kb.PAGE)
    lang = person.language
    if not items and page > 0:
        page = 0
        items, total = await docs.current(db, person.rural_district_id, kind, limit=kb.PAGE)
    text = f"<b>{kb.kind_label(kind)}</b>\n"
    text += _("Newest first. Choose a document.") if items else _("No documents of this kind yet.")
    await target(query).answer(
        text, reply_markup=kb.document_list([(d.id, d.title(lang)) for d in items], page, total, kind=kind)
    )


@router.callback_query(DocNav.filter(F.to == Nav.SEARCH))
async def search_start(query: CallbackQuery, state: FSMContext) -> None:
    """Ask for a word to search in titles."""
    await query.answer()
    await state.set_state(SearchForm.query)
    await target(query).answer(
        _("Type a word from the document's title, in Kazakh or Russian."), reply_markup=kb.search_prompt()
    )


async def _show_found(message: Message, person: Person, db: Database, text: str, page: int) -> bool:
    assert person.rural_district_id is not None
    query = search_query(text)
    if query is None:
        await message.answer(_("Please type a word to search for."), reply_markup=kb.search_prompt())
        return False
    items, total = await docs.search(db, person.rural_district_id, query, offset=page * kb.PAGE, limit=kb.PAGE)
    if not total:
        await message.answer(
            _("Nothing found for «{query}». Please try another word.").format(query=escape(text.strip())),
            reply_markup=kb.search_prompt(),
        )
        return False
    header = ngettext("Found {count} document for «{query}».", "Found {count} documents for «{query}».", total)
    await message.answer(
        header.format(count=total, query=escape(text.strip())),
        reply_markup=kb.document_list([(d.id, d.title(person.language)) for d in items], page, total),
    )
    return True


@router.message(StateFilter(SearchForm.query), Has("text"), NotMenu())
async def search_word(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The results for a word (folded, so case and ё do not matter), or a polite «nothing found»."""
    assert message.text is not None
    if await _show_found(message, person, db, message.text, 0):
        await state.set_state(None)
        await state.update_data(found=message.text)


@router.message(StateFilter(SearchForm.query))
async def search_not_text(message: Message) -> None:
    """A sticker or a photo instead of a word."""
    await message.answer(_("Please type a word to search for."), reply_markup=kb.search_prompt())


@router.callback_query(DocNav.filter(F.to == Nav.FOUND))
async def search_page(
    query: CallbackQuery, callback_data: DocNav, person: Person, db: Database, state: FSMContext
) -> None:
    """Another page of the last search."""
    await query.answer()
    text = (await state.get_data()).get("found")
    if not text:
        await search_start(query, state)
        return
    await _show_found(target(query), person, db, text, max(0, callback_data.page))


@router.callback_query(Doc.filter(F.act == DocAct.OPEN))
async def open_document(query: CallbackQuery, callback_data: Doc, person: Person, db: Database, bot: Bot) -> None:
    """A document in the person's language; a superseded version points to the current one."""
    doc = await visible(db, person, callback_data.id)
    await query.answer()
    current = None
    if doc.superseded_at:
        newest = await docs.current_of_series(db, doc.series_id)
        current = newest.id if newest else None
    report = doc.kind == Kind.AKIM_REPORT
    markup = kb.document_keyboard(
        doc_id=doc.id,
        kind=Kind(doc.kind),
        has_history=doc.version > 1 or current is not None,
        current_id=current,
        questions=await docs.count_questions(db, doc.series_id) if report else None,
    )
    await show_document(target(query), bot, db, doc, person.language, markup)
    if report:
        await show_published_answers(target(query), db, doc)


@router.callback_query(Doc.filter(F.act == DocAct.HISTORY))
async def document_history(query: CallbackQuery, callback_data: Doc, person: Person, db: Database) -> None:
    """Every published version, newest first, the current one marked."""
    doc = await visible(db, person, callback_data.id)
    await query.answer()
    tz = await timezone(db, doc.rural_district_id)
    items = []
    for version in await docs.history(db, doc.series_id):
        day = format_day(local(from_db(version.published_at or version.created_at), tz).date(), person.language)
        label = _("Version {number} · {day}").format(number=version.version, day=day)
        if version.current:
            label = "✅ " + label
        items.append((version.id, label))
    await target(query).answer(
        _("<b>{title}</b>\nAll versions; the current one is marked ✅.").format(
            title=escape(doc.title(person.language))
        ),
        reply_markup=kb.versions_keyboard(items, doc.id),
    )
