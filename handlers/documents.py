"""Documents and akim reports: the resident's screens and the staff's admin screens.

Residents browse the current published version of each document by kind, newest first, search by
a word in titles, read a document in their language (a long text in several messages, a file sent
by its file_id), and ask and support questions about an akim's report. Staff publish documents and
new versions of them, and answer the questions; the answer reaches everyone who asked or supported.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_day, local
from bot.i18n import N_, in_all_languages
from bot.keyboards import documents as kb
from bot.keyboards.admin import AdminMenu
from bot.keyboards.budget import budget_button
from bot.keyboards.common import MenuButton, cancel_button, inline, menu_button
from bot.keyboards.documents import AdmAct, AdmDoc, AdmQ, Doc, DocAct, DocKind, DocNav, QAct, QSupport
from bot.rules.clock import Clock, from_db, to_db
from bot.rules.documents import file_acceptable, file_too_big, search_query, split_text
from bot.rules.errors import NotAllowed, NotFound
from handlers.common import NotMenu, consent_given, record_admin_action, target
from storage import documents as docs
from storage import outbox, places
from storage.db import Database
from storage.documents import Document, Question
from storage.people import Person

router = Router(name=__name__)  # resident screens (filtered Onboarded where composed)
admin_router = Router(name=__name__ + ".admin")  # staff screens (filtered IsStaff where composed)
log = logging.getLogger(__name__)

NOT_AVAILABLE = N_("This document is not available.")


class SearchForm(StatesGroup):
    query = State()


class AskForm(StatesGroup):
    question = State()


class DocForm(StatesGroup):
    title_kk = State()
    title_ru = State()
    content_kk = State()
    content_ru = State()
    url = State()
    issuer = State()


class AnswerForm(StatesGroup):
    text = State()


# -- showing a document -----------------------------------------------------------------------


async def _timezone(db: Database, rural_district_id: int) -> str:
    rd = await places.rural_district(db, rural_district_id)
    return rd.timezone if rd else "Asia/Almaty"


def render_header(doc: Document, lang: str, tz: str) -> str:
    """Title, kind and date, version, issuer and the official link: the first lines of a document."""
    day = format_day(local(from_db(doc.published_at or doc.created_at), tz).date(), lang)
    lines = [f"<b>{escape(doc.title(lang))}</b>", f"{kb.kind_label(doc.kind)} · {day}"]
    if not doc.published:
        lines.append(_("📝 Draft: residents do not see it yet."))
    if doc.version > 1:
        lines.append(_("Version {number}").format(number=doc.version))
    if doc.superseded_at:
        lines.append(_("⚠️ This version is superseded by a newer one."))
    if doc.issuer:
        lines.append(_("Issued by: {issuer}").format(issuer=escape(doc.issuer)))
    if doc.url:
        lines.append(
            _(
                'Official publication: <a href="{url}">the single platform of state bodies\' internet resources</a>'
            ).format(url=html.escape(doc.url, quote=True))
        )
    return "\n".join(lines)


async def send_file(
    message: Message, bot: Bot, db: Database, file_ref: int, caption: str, markup: InlineKeyboardMarkup | None
) -> bool:
    """Send a stored file: by this bot's file_id, else upload the kept bytes (and keep the new file_id)."""
    file_id = await docs.file_id_for(db, file_ref, bot.id)
    if file_id:
        await message.answer_document(file_id, caption=caption, reply_markup=markup)
        return True
    stored = await docs.file_info(db, file_ref)
    path = docs.file_path(db, stored) if stored else None
    if stored is not None and path is not None:
        upload = BufferedInputFile(path.read_bytes(), filename=stored.file_name or "document.pdf")
        sent = await message.answer_document(upload, caption=caption, reply_markup=markup)
        if sent.document is not None:
            async with db.transaction() as tx:
                await docs.remember_file_id(tx, file_ref, bot.id, sent.document.file_id, sent.document.file_unique_id)
        return True
    file_id = await docs.any_file_id(db, file_ref)
    if file_id:
        try:
            await message.answer_document(file_id, caption=caption, reply_markup=markup)
            async with db.transaction() as tx:
                await docs.remember_file_id(tx, file_ref, bot.id, file_id)
            return True
        except TelegramBadRequest:
            log.warning("file %s: the file_id of another bot, and no bytes kept", file_ref)
    return False


async def show_document(
    message: Message, bot: Bot, db: Database, doc: Document, lang: str, markup: InlineKeyboardMarkup
) -> None:
    """The document in the person's language (or the other one): text split at paragraphs, then the file."""
    tz = await _timezone(db, doc.rural_district_id)
    header = render_header(doc, lang, tz)
    body = doc.text(lang)
    chunks = split_text(header + ("\n\n" + escape(body) if body else ""))
    file_ref = doc.file(lang)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1 and file_ref is None
        await message.answer(chunk, reply_markup=markup if last else None)
    if file_ref is not None:
        caption = escape(kb.short(doc.title(lang), 1000))
        if not await send_file(message, bot, db, file_ref, caption, markup):
            await message.answer(
                _("The file of this document cannot be sent now. Please ask the akim's office."), reply_markup=markup
            )


# -- residents: browsing and search -----------------------------------------------------------


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


@router.callback_query(DocNav.filter(F.to == "home"))
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
    if callback_data.kind not in kb.KIND_LABELS:
        raise NotFound(NOT_AVAILABLE)
    page = max(0, callback_data.page)
    items, total = await docs.current(
        db, person.rural_district_id, callback_data.kind, offset=page * kb.PAGE, limit=kb.PAGE
    )
    lang = person.language
    if not items and page > 0:
        page = 0
        items, total = await docs.current(db, person.rural_district_id, callback_data.kind, limit=kb.PAGE)
    text = f"<b>{kb.kind_label(callback_data.kind)}</b>\n"
    text += _("Newest first. Choose a document.") if items else _("No documents of this kind yet.")
    await target(query).answer(
        text,
        reply_markup=kb.document_list([(d.id, d.title(lang)) for d in items], page, total, kind=callback_data.kind),
    )


@router.callback_query(DocNav.filter(F.to == "search"))
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


@router.message(SearchForm.query, F.text, NotMenu())
async def search_word(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The results for a word (folded, so case and ё do not matter), or a polite «nothing found»."""
    assert message.text is not None
    if await _show_found(message, person, db, message.text, 0):
        await state.set_state(None)
        await state.update_data(found=message.text)


@router.message(SearchForm.query)
async def search_not_text(message: Message) -> None:
    """A sticker or a photo instead of a word."""
    await message.answer(_("Please type a word to search for."), reply_markup=kb.search_prompt())


@router.callback_query(DocNav.filter(F.to == "found"))
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


async def _visible(db: Database, person: Person, doc_id: int) -> Document:
    """A published document of the person's district; a draft or another district's is «not available»."""
    assert person.rural_district_id is not None
    doc = await docs.visible(db, doc_id, person.rural_district_id)
    if doc is None:
        raise NotFound(NOT_AVAILABLE)
    return doc


@router.callback_query(Doc.filter(F.act == DocAct.OPEN))
async def open_document(query: CallbackQuery, callback_data: Doc, person: Person, db: Database, bot: Bot) -> None:
    """A document in the person's language; a superseded version points to the current one."""
    doc = await _visible(db, person, callback_data.id)
    await query.answer()
    current = None
    if doc.superseded_at:
        newest = await docs.current_of_series(db, doc.series_id)
        current = newest.id if newest else None
    questions = await docs.count_questions(db, doc.series_id) if doc.kind == "akim_report" else None
    markup = kb.document_keyboard(
        doc_id=doc.id,
        kind=doc.kind,
        has_history=doc.version > 1 or current is not None,
        current_id=current,
        questions=questions,
    )
    await show_document(target(query), bot, db, doc, person.language, markup)
    if doc.kind == "akim_report":
        await _show_published_answers(target(query), db, doc, person.language)


@router.callback_query(Doc.filter(F.act == DocAct.HISTORY))
async def document_history(query: CallbackQuery, callback_data: Doc, person: Person, db: Database) -> None:
    """Every published version, newest first, the current one marked."""
    doc = await _visible(db, person, callback_data.id)
    await query.answer()
    tz = await _timezone(db, doc.rural_district_id)
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


# -- residents: questions about akim reports --------------------------------------------------


def _question_line(n: int, q: Question) -> str:
    body = escape(q.text) if q.text else _("🎤 voice message")
    return _("{number}. {question} — 👍 {supports}").format(number=n, question=body, supports=q.supports)


async def _show_published_answers(message: Message, db: Database, doc: Document, lang: str) -> None:
    answered = [q for q in await docs.questions_about(db, doc.series_id, limit=50) if q.published]
    if not answered:
        return
    lines = [_("<b>Answers to residents' questions</b>")]
    for n, q in enumerate(answered, 1):
        lines.append(
            _("{number}. {question}\n<i>Answer:</i> {answer}").format(
                number=n, question=escape(q.text) if q.text else _("🎤 voice message"), answer=escape(q.answer)
            )
        )
    for chunk in split_text("\n\n".join(lines)):
        await message.answer(chunk)


async def show_questions(message: Message, db: Database, doc: Document, lang: str) -> None:
    questions = await docs.questions_about(db, doc.series_id)
    lines = [_("<b>Questions about the report</b> «{title}»").format(title=escape(doc.title(lang)))]
    if not questions:
        lines.append(_("No questions yet. Be the first to ask."))
    else:
        lines.append(_("Support a question with 👍 so the akim answers it first."))
        for n, q in enumerate(questions, 1):
            line = _question_line(n, q)
            if q.published and q.answer:
                line += "\n" + _("<i>Answer:</i> {answer}").format(answer=escape(q.answer))
            lines.append(line)
    numbered = [(n, q.id) for n, q in enumerate(questions, 1) if not q.answered]
    for i, chunk in enumerate(chunks := split_text("\n\n".join(lines))):
        last = i == len(chunks) - 1
        await message.answer(chunk, reply_markup=kb.questions_keyboard(numbered, doc.id) if last else None)


@router.callback_query(Doc.filter(F.act == DocAct.QUESTIONS))
async def report_questions(query: CallbackQuery, callback_data: Doc, person: Person, db: Database) -> None:
    """The questions about a report, most supported first, with a 👍 for each open one."""
    doc = await _visible(db, person, callback_data.id)
    if doc.kind != "akim_report":
        raise NotFound(NOT_AVAILABLE)
    await query.answer()
    await show_questions(target(query), db, doc, person.language)


@router.callback_query(Doc.filter(F.act == DocAct.ASK))
async def ask_start(query: CallbackQuery, callback_data: Doc, person: Person, db: Database, state: FSMContext) -> None:
    """Ask a question about a report: consent first (the text or voice is personal data)."""
    doc = await _visible(db, person, callback_data.id)
    if doc.kind != "akim_report":
        raise NotFound(NOT_AVAILABLE)
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    await query.answer()
    await state.set_state(AskForm.question)
    await state.update_data(report=doc.id)
    await target(query).answer(
        _("Write your question about the report «{title}», or record a voice message.").format(
            title=escape(doc.title(person.language))
        ),
        reply_markup=kb.ask_keyboard(doc.id),
    )


@router.message(AskForm.question, F.text | F.voice, NotMenu())
async def ask_receive(
    message: Message, person: Person, db: Database, bot: Bot, clock: Clock, state: FSMContext
) -> None:
    """Keep the question; the akim's office sees it, most supported first."""
    data = await state.get_data()
    doc = await _visible(db, person, int(data.get("report") or 0))
    assert person.rural_district_id is not None
    voice = message.voice
    async with db.transaction() as tx:
        qid = await docs.ask(
            tx,
            rural_district_id=person.rural_district_id,
            person_id=person.id,
            document_id=doc.series_id,
            text=message.text,
            voice_file_id=voice.file_id if voice else None,
            voice_bot_id=bot.id if voice else None,
            voice_duration=voice.duration if voice else None,
            now=to_db(clock.now()),
        )
    log.info("question %s about report %s", qid, doc.series_id)
    await state.clear()
    await message.answer(
        _("Thank you! Your question is sent to the akim's office. The answer will come here, to this chat."),
        reply_markup=inline(
            [
                [
                    InlineKeyboardButton(
                        text=_("💬 Questions"), callback_data=Doc(act=DocAct.QUESTIONS, id=doc.id).pack()
                    )
                ],
                [menu_button()],
            ]
        ),
    )


@router.message(AskForm.question)
async def ask_not_text(message: Message) -> None:
    """A photo or a sticker instead of a question."""
    await message.answer(_("Please write your question as text, or record a voice message."))


@router.callback_query(QSupport.filter())
async def support_question(
    query: CallbackQuery, callback_data: QSupport, person: Person, db: Database, state: FSMContext
) -> None:
    """One tap supports a question, once per person; the list is shown again with the new count."""
    q = await docs.question(db, callback_data.id)
    if q is None or q.rural_district_id != person.rural_district_id or q.document_id is None:
        raise NotFound(N_("This question is not available."))
    doc = await _visible(db, person, q.document_id)
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    if q.person_id == person.id:
        await query.answer(_("This is your own question."))
        return
    if q.answered:
        await query.answer(_("This question is already answered."))
        return
    async with db.transaction() as tx:
        added = await docs.support(tx, q.id, person.id)
    await query.answer(
        _("Thank you, your support is counted.") if added else _("You have already supported this question.")
    )
    current = await docs.current_of_series(db, doc.series_id) or doc
    await show_questions(target(query), db, current, person.language)


# -- staff: documents -------------------------------------------------------------------------


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    waiting = await docs.count_open_questions(db, rural_district_id)
    if not waiting:
        return None
    return ngettext(
        "❓ {count} question about the akim's reports waits for an answer",
        "❓ {count} questions about the akim's reports wait for an answer",
        waiting,
    ).format(count=waiting)


async def _admin_home(message: Message, db: Database, person: Person) -> None:
    assert person.rural_district_id is not None
    drafts = await docs.drafts(db, person.rural_district_id)
    waiting = await docs.count_open_questions(db, person.rural_district_id)
    counts = await docs.kind_counts(db, person.rural_district_id)
    await message.answer(
        _(
            "<b>Documents</b>\nPublished: {published}. Drafts: {drafts}. Questions waiting for an answer: {questions}."
        ).format(published=sum(counts.values()), drafts=len(drafts), questions=waiting),
        reply_markup=kb.admin_documents(len(drafts), waiting),
    )


@admin_router.callback_query(AdminMenu.filter(F.section == "documents"))
async def admin_documents(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """The staff's documents screen."""
    await query.answer()
    await state.clear()
    await _admin_home(target(query), db, person)


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.NEW))
async def admin_new(query: CallbackQuery, state: FSMContext) -> None:
    """A new document: first its kind."""
    await query.answer()
    await state.clear()
    await target(query).answer(_("What kind of document is it?"), reply_markup=kb.admin_kinds())


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.KIND))
async def admin_kind(query: CallbackQuery, callback_data: AdmDoc, state: FSMContext) -> None:
    """The kind is chosen: ask for the Kazakh title."""
    if callback_data.kind not in kb.KIND_LABELS:
        raise NotFound(NOT_AVAILABLE)
    await query.answer()
    await state.set_state(DocForm.title_kk)
    await state.set_data({"kind": callback_data.kind})
    await target(query).answer(
        _("{kind}: send the title in Kazakh, or Skip if there is no Kazakh version.").format(
            kind=kb.kind_label(callback_data.kind)
        ),
        reply_markup=kb.skip_keyboard(),
    )


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.VERSION))
async def admin_version(
    query: CallbackQuery, callback_data: AdmDoc, person: Person, db: Database, state: FSMContext
) -> None:
    """A new version of a published document: the same steps; Skip keeps the old title."""
    doc = await _own(db, person, callback_data.id)
    if not doc.current:
        raise NotFound(NOT_AVAILABLE)
    await query.answer()
    await state.set_state(DocForm.title_kk)
    await state.set_data({"kind": doc.kind, "replaces": doc.id, "old_kk": doc.title_kk, "old_ru": doc.title_ru})
    await target(query).answer(
        _("New version of «{title}». Send the title in Kazakh, or Skip to keep the current one.").format(
            title=escape(doc.title(person.language))
        ),
        reply_markup=kb.skip_keyboard(),
    )


async def _ask_next(message: Message, state: FSMContext, person: Person, db: Database) -> None:
    """Move the form one step on, or save the draft after the last step."""
    step = await state.get_state()
    data = await state.get_data()
    if step == DocForm.title_kk.state:
        await state.set_state(DocForm.title_ru)
        await message.answer(_("Send the title in Russian, or Skip."), reply_markup=kb.skip_keyboard())
    elif step == DocForm.title_ru.state:
        if not any(data.get(k) for k in ("title_kk", "title_ru", "old_kk", "old_ru")):
            await message.answer(
                _("A document needs a title in at least one language. Please send the title in Russian."),
                reply_markup=kb.skip_keyboard(),
            )
            return
        await state.set_state(DocForm.content_kk)
        await message.answer(
            _(
                "Send the text of the document in Kazakh, or its file (PDF or office file, up to 20 MB). "
                "Skip if there is no Kazakh version."
            ),
            reply_markup=kb.skip_keyboard(),
        )
    elif step == DocForm.content_kk.state:
        await state.set_state(DocForm.content_ru)
        await message.answer(
            _(
                "Send the text of the document in Russian, or its file (PDF or office file, up to 20 MB). "
                "Skip if there is no Russian version."
            ),
            reply_markup=kb.skip_keyboard(),
        )
    elif step == DocForm.content_ru.state:
        if not any(data.get(k) for k in ("text_kk", "text_ru", "file_kk", "file_ru")):
            await message.answer(
                _("A document needs a text or a file. Please send the text or the file in Russian."),
                reply_markup=kb.skip_keyboard(),
            )
            return
        await state.set_state(DocForm.url)
        await message.answer(
            _(
                "Send the link to this document on the single platform of state bodies' internet resources "
                "(its official place of publication), or Skip."
            ),
            reply_markup=kb.skip_keyboard(),
        )
    elif step == DocForm.url.state and data.get("kind") == "audit_results":
        await state.set_state(DocForm.issuer)
        await message.answer(
            _("Which body issued the audit results? For example: the audit commission of the region. Or Skip."),
            reply_markup=kb.skip_keyboard(),
        )
    else:
        await _save_draft(message, state, person, db)


async def _save_draft(message: Message, state: FSMContext, person: Person, db: Database) -> None:
    assert person.rural_district_id is not None
    data = await state.get_data()
    await state.clear()
    async with db.transaction() as tx:
        doc_id = await docs.publish(
            tx,
            rural_district_id=person.rural_district_id,
            kind=data["kind"],
            title_kk=data.get("title_kk") or ("" if data.get("title_ru") else data.get("old_kk", "")),
            title_ru=data.get("title_ru") or ("" if data.get("title_kk") else data.get("old_ru", "")),
            text_kk=data.get("text_kk"),
            text_ru=data.get("text_ru"),
            file_ref_kk=data.get("file_kk"),
            file_ref_ru=data.get("file_ru"),
            url=data.get("url"),
            issuer=data.get("issuer"),
            replaces=data.get("replaces"),
            created_by=person.id,
            draft=True,
        )
        await record_admin_action(
            tx,
            person,
            "document_draft",
            "document",
            doc_id,
            rural_district_id=person.rural_district_id,
            after={"kind": data["kind"], "replaces": data.get("replaces")},
        )
    doc = await docs.get(db, doc_id)
    assert doc is not None
    await message.answer(_("The draft is saved. Check it and publish it."))
    await _admin_view(message, message.bot, db, doc, person.language)  # type: ignore[arg-type]


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.title_kk)
@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.title_ru)
@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.content_kk)
@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.content_ru)
@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.url)
@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.issuer)
async def admin_skip(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """Skip (or finish) the current step."""
    await query.answer()
    await _ask_next(target(query), state, person, db)


@admin_router.message(DocForm.title_kk, F.text, NotMenu())
@admin_router.message(DocForm.title_ru, F.text, NotMenu())
async def admin_title(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """A title in one language (one line, at most 200 characters)."""
    assert message.text is not None
    title = " ".join(message.text.split())
    if len(title) > 200:
        await message.answer(_("The title is too long: at most 200 characters, please."))
        return
    key = "title_kk" if await state.get_state() == DocForm.title_kk.state else "title_ru"
    await state.update_data({key: title})
    await _ask_next(message, state, person, db)


def _lang_of(step: str | None) -> str:
    return "kk" if step == DocForm.content_kk.state else "ru"


@admin_router.message(DocForm.content_kk, F.text, NotMenu())
@admin_router.message(DocForm.content_ru, F.text, NotMenu())
async def admin_text(message: Message, state: FSMContext) -> None:
    """Text of the document; several messages add up, for texts longer than one message."""
    assert message.text is not None
    key = "text_" + _lang_of(await state.get_state())
    data = await state.get_data()
    text = "\n\n".join(part for part in (data.get(key), message.html_text) if part)
    await state.update_data({key: text})
    await message.answer(
        _("Text received ({count} characters). Send more text to add to it, or press Next.").format(count=len(text)),
        reply_markup=inline(
            [[InlineKeyboardButton(text=_("➡️ Next"), callback_data=AdmDoc(act=AdmAct.SKIP).pack())], [cancel_button()]]
        ),
    )


@admin_router.message(DocForm.content_kk, F.document)
@admin_router.message(DocForm.content_ru, F.document)
async def admin_file(message: Message, person: Person, db: Database, bot: Bot, state: FSMContext) -> None:
    """The document's file: refused over 20 MB (a bot cannot get it back); the bytes are kept."""
    document = message.document
    assert document is not None
    if file_too_big(document.file_size):
        await message.answer(
            _(
                "The file is larger than 20 MB: a bot cannot take such a file back from Telegram. "
                "Please send a smaller file, or its text."
            ),
            reply_markup=kb.skip_keyboard(),
        )
        return
    if not file_acceptable(document.file_name, document.mime_type):
        await message.answer(
            _("Please send a PDF or an office file (doc, docx, xls, xlsx, odt)."), reply_markup=kb.skip_keyboard()
        )
        return
    try:
        content = await bot.download(document.file_id)
    except TelegramBadRequest:
        log.warning("could not download file %s", document.file_id)
        await message.answer(_("Telegram did not give the file back. Please send it again."))
        return
    data = content.read() if content is not None else b""
    async with db.transaction() as tx:
        ref = await docs.add_file(
            tx,
            file_name=document.file_name,
            mime_type=document.mime_type,
            size=document.file_size,
            bot_id=bot.id,
            file_id=document.file_id,
            file_unique_id=document.file_unique_id,
        )
    if data:
        await docs.save_bytes(db, ref, data)
    await state.update_data({"file_" + _lang_of(await state.get_state()): ref})
    await message.answer(
        _("File received: {name}. Press Next.").format(name=escape(document.file_name or "")),
        reply_markup=inline(
            [[InlineKeyboardButton(text=_("➡️ Next"), callback_data=AdmDoc(act=AdmAct.SKIP).pack())], [cancel_button()]]
        ),
    )


@admin_router.message(DocForm.url, F.text, NotMenu())
async def admin_url(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The link on the single platform."""
    assert message.text is not None
    url = message.text.strip()
    if not url.startswith(("https://", "http://")) or " " in url or len(url) > 500:
        await message.answer(
            _("This does not look like a link. Please send a link starting with https://, or Skip."),
            reply_markup=kb.skip_keyboard(),
        )
        return
    await state.update_data(url=url)
    await _ask_next(message, state, person, db)


@admin_router.message(DocForm.issuer, F.text, NotMenu())
async def admin_issuer(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """The body that issued audit results."""
    assert message.text is not None
    await state.update_data(issuer=" ".join(message.text.split())[:200])
    await _ask_next(message, state, person, db)


@admin_router.message(DocForm.title_kk)
@admin_router.message(DocForm.title_ru)
@admin_router.message(DocForm.content_kk)
@admin_router.message(DocForm.content_ru)
@admin_router.message(DocForm.url)
@admin_router.message(DocForm.issuer)
async def admin_form_other(message: Message) -> None:
    """A sticker or a photo where text or a file was expected."""
    await message.answer(
        _("Please send text (or a PDF or office file), or use the buttons."), reply_markup=kb.skip_keyboard()
    )


async def _own(db: Database, person: Person, doc_id: int) -> Document:
    """A document of the staff member's own district (drafts included); another district's is not found."""
    doc = await docs.get(db, doc_id)
    if doc is None or doc.rural_district_id != person.rural_district_id:
        raise NotFound(NOT_AVAILABLE)
    return doc


async def _admin_view(message: Message, bot: Bot, db: Database, doc: Document, lang: str) -> None:
    await show_document(
        message, bot, db, doc, lang, kb.admin_document(doc.id, draft=not doc.published, current=doc.current)
    )


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.VIEW))
async def admin_view(query: CallbackQuery, callback_data: AdmDoc, person: Person, db: Database, bot: Bot) -> None:
    """A document as staff see it, with publish or new-version buttons."""
    doc = await _own(db, person, callback_data.id)
    await query.answer()
    await _admin_view(target(query), bot, db, doc, person.language)


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.DRAFTS))
async def admin_drafts(query: CallbackQuery, person: Person, db: Database) -> None:
    """The district's drafts."""
    assert person.rural_district_id is not None
    await query.answer()
    items = await docs.drafts(db, person.rural_district_id)
    await target(query).answer(
        _("Drafts:") if items else _("No drafts."),
        reply_markup=kb.admin_list([(d.id, d.title(person.language)) for d in items]),
    )


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.LIST))
async def admin_published(query: CallbackQuery, person: Person, db: Database) -> None:
    """The newest published documents, to open one and publish a new version."""
    assert person.rural_district_id is not None
    await query.answer()
    items, _total = await docs.current(db, person.rural_district_id, limit=15)
    await target(query).answer(
        _("Published documents, newest first:") if items else _("Nothing is published yet."),
        reply_markup=kb.admin_list([(d.id, d.title(person.language)) for d in items]),
    )


def _notice(doc: Document, i18n: I18n) -> tuple[dict[str, Any], dict[str, Any]]:
    def text() -> str:
        lang = i18n.current_locale
        return _("📄 New document: <b>{title}</b>\n{kind}").format(
            title=escape(doc.title(lang)), kind=kb.kind_label(doc.kind)
        )

    def buttons() -> list[list[dict[str, str]]]:
        return [[{"text": _("📄 Open"), "callback_data": Doc(act=DocAct.OPEN, id=doc.id).pack()}]]

    return in_all_languages(i18n, text), in_all_languages(i18n, buttons)


@admin_router.callback_query(AdmDoc.filter(F.act.in_({AdmAct.PUBLISH, AdmAct.NOTIFY})))
async def admin_publish(
    query: CallbackQuery,
    callback_data: AdmDoc,
    person: Person,
    db: Database,
    clock: Clock,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Publish a draft (superseding the current version); optionally tell the district."""
    assert person.rural_district_id is not None
    doc = await _own(db, person, callback_data.id)
    notify = callback_data.act is AdmAct.NOTIFY
    async with db.transaction() as tx:
        if not await docs.publish_draft(tx, doc.id, rural_district_id=person.rural_district_id, now=to_db(clock.now())):
            raise NotFound(N_("This draft is already published or deleted."))
        await record_admin_action(
            tx,
            person,
            "document_publish",
            "document",
            doc.id,
            rural_district_id=person.rural_district_id,
            after={"notify": notify, "series": doc.series_id},
        )
        recipients = 0
        if notify:
            people = await outbox.residents(tx, person.rural_district_id, announcements_only=True)
            texts, buttons = _notice(doc, i18n)
            await outbox.enqueue(
                tx,
                rural_district_id=person.rural_district_id,
                kind="notice",
                texts=texts,
                buttons=buttons,
                recipients=people,
                created_by=person.id,
                not_before=to_db(clock.now()),
                source_type="document",
                source_id=doc.id,
            )
            recipients = len(people)
    await query.answer()
    text = _("Published. Residents see this version now.")
    if notify:
        text += "\n" + ngettext(
            "The notice goes to {count} resident.", "The notice goes to {count} residents.", recipients
        ).format(count=recipients)
    await target(query).answer(text)
    await _admin_home(target(query), db, person)


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.DELETE))
async def admin_delete(query: CallbackQuery, callback_data: AdmDoc, person: Person, db: Database) -> None:
    """Delete a draft (a published document is never deleted: a new version replaces it)."""
    assert person.rural_district_id is not None
    doc = await _own(db, person, callback_data.id)
    async with db.transaction() as tx:
        if not await docs.delete_draft(tx, doc.id, rural_district_id=person.rural_district_id):
            raise NotAllowed(N_("A published document is not deleted; publish a new version instead."))
        await record_admin_action(
            tx,
            person,
            "document_delete_draft",
            "document",
            doc.id,
            rural_district_id=person.rural_district_id,
            before={"title": doc.title_kk or doc.title_ru},
        )
    await query.answer()
    await target(query).answer(_("The draft is deleted."))
    await _admin_home(target(query), db, person)


# -- staff: questions -------------------------------------------------------------------------


@admin_router.callback_query(AdmDoc.filter(F.act == AdmAct.QUESTIONS))
async def admin_questions(query: CallbackQuery, person: Person, db: Database) -> None:
    """Questions waiting for an answer, most supported first."""
    assert person.rural_district_id is not None
    await query.answer()
    questions = await docs.open_questions(db, person.rural_district_id)
    if not questions:
        await target(query).answer(_("No questions wait for an answer."), reply_markup=kb.admin_questions([]))
        return
    lines = [_("<b>Questions waiting for an answer</b>, most supported first:")]
    titles: dict[int, str] = {}
    for n, q in enumerate(questions, 1):
        if q.document_id is not None and q.document_id not in titles:
            report = await docs.current_of_series(db, q.document_id) or await docs.get(db, q.document_id)
            titles[q.document_id] = report.title(person.language) if report else "—"
        about = escape(titles.get(q.document_id or 0, "—"))
        lines.append(_question_line(n, q) + "\n" + _("Report: {title}").format(title=about))
    items = [(n, q.id, q.voice_file_id is not None, q.answered) for n, q in enumerate(questions, 1)]
    chunks = split_text("\n\n".join(lines))
    for i, chunk in enumerate(chunks):
        await target(query).answer(chunk, reply_markup=kb.admin_questions(items) if i == len(chunks) - 1 else None)


async def _own_question(db: Database, person: Person, question_id: int) -> Question:
    q = await docs.question(db, question_id)
    if q is None or q.rural_district_id != person.rural_district_id:
        raise NotFound(N_("This question is not available."))
    return q


@admin_router.callback_query(AdmQ.filter(F.act == QAct.LISTEN))
async def admin_listen(query: CallbackQuery, callback_data: AdmQ, person: Person, db: Database, bot: Bot) -> None:
    """Play a voice question (a voice's file_id works only in the bot it came to)."""
    q = await _own_question(db, person, callback_data.id)
    await query.answer()
    if q.voice_file_id and q.voice_bot_id == bot.id:
        await target(query).answer_voice(q.voice_file_id)
    else:
        await target(query).answer(_("This voice message came to another bot of the deployment; open it there."))


@admin_router.callback_query(AdmQ.filter(F.act == QAct.ANSWER))
async def admin_answer_start(
    query: CallbackQuery, callback_data: AdmQ, person: Person, db: Database, state: FSMContext
) -> None:
    """Write the answer to a question."""
    q = await _own_question(db, person, callback_data.id)
    await query.answer()
    await state.set_state(AnswerForm.text)
    await state.set_data({"question": q.id})
    body = escape(q.text) if q.text else _("🎤 voice message")
    await target(query).answer(
        _("Question: {question}\n\nWrite the answer. Everyone who asked or supported it will get it.").format(
            question=body
        ),
        reply_markup=inline([[cancel_button()]]),
    )


def _answer_texts(i18n: I18n, report: Document | None, q: Question, answer: str) -> dict[str, Any]:
    def render() -> str:
        lang = i18n.current_locale
        return _(
            "💬 <b>Answer to a question about the akim's report</b> «{title}»\n\nQuestion: {question}\n\n"
            "Answer: {answer}"
        ).format(
            title=escape(report.title(lang)) if report else "—",
            question=escape(q.text) if q.text else _("🎤 voice message"),
            answer=escape(answer),
        )

    return in_all_languages(i18n, render)


@admin_router.message(AnswerForm.text, F.text, NotMenu())
async def admin_answer(
    message: Message, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Store the answer and send it, through the outbox, to everyone who asked or supported."""
    assert message.text is not None and person.rural_district_id is not None
    q = await _own_question(db, person, int((await state.get_data()).get("question") or 0))
    report = await docs.current_of_series(db, q.document_id) if q.document_id else None
    text = message.text.strip()[:3000]
    async with db.transaction() as tx:
        recipients = await docs.answer(
            tx, q.id, rural_district_id=person.rural_district_id, text=text, by=person.id, now=to_db(clock.now())
        )
        await outbox.enqueue(
            tx,
            rural_district_id=person.rural_district_id,
            kind="answer",
            texts=_answer_texts(i18n, report, q, text),
            recipients=recipients,
            created_by=person.id,
            not_before=to_db(clock.now()),
            source_type="report_question",
            source_id=q.id,
        )
        await record_admin_action(
            tx,
            person,
            "report_question_answer",
            "report_question",
            q.id,
            rural_district_id=person.rural_district_id,
            after={"recipients": len(recipients)},
        )
    await state.clear()
    await message.answer(
        ngettext(
            "The answer is sent to {count} person.", "The answer is sent to {count} people.", len(recipients)
        ).format(count=len(recipients)),
        reply_markup=kb.answered_keyboard(q.id),
    )


@admin_router.message(AnswerForm.text)
async def admin_answer_other(message: Message) -> None:
    await message.answer(_("Please write the answer as text, or /cancel."))


@admin_router.callback_query(AdmQ.filter(F.act == QAct.PUBLISH))
async def admin_publish_answer(query: CallbackQuery, callback_data: AdmQ, person: Person, db: Database) -> None:
    """Show the answered question with its answer under the report."""
    assert person.rural_district_id is not None
    q = await _own_question(db, person, callback_data.id)
    async with db.transaction() as tx:
        if not await docs.publish_answer(tx, q.id, rural_district_id=person.rural_district_id):
            raise NotAllowed(N_("Only an answered question can be published."))
        await record_admin_action(
            tx, person, "report_question_publish", "report_question", q.id, rural_district_id=person.rural_district_id
        )
    await query.answer()
    await target(query).answer(_("Published under the report."))
    await _admin_home(target(query), db, person)
