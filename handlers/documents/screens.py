"""Screens several flows of documents share: a document shown (text and file), the staff's home,
and the lookups that answer a forged or stale id with «not available»."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.keyboards import documents as kb
from bot.rules.documents import split_text
from bot.rules.errors import NotFound
from handlers.common import target
from handlers.documents.texts import NOT_AVAILABLE, QUESTION_NOT_AVAILABLE, question_body, render_header
from storage import documents as docs
from storage.db import Database
from storage.documents import Document, Question
from storage.people import Person
from storage.places import timezone

log = logging.getLogger(__name__)


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
            await docs.keep_file_id(db, file_ref, bot.id, sent.document.file_id, sent.document.file_unique_id)
        return True
    file_id = await docs.any_file_id(db, file_ref)
    if file_id:
        try:
            await message.answer_document(file_id, caption=caption, reply_markup=markup)
            await docs.keep_file_id(db, file_ref, bot.id, file_id)
            return True
        except TelegramBadRequest:
            log.warning("file %s: the file_id of another bot, and no bytes kept", file_ref)
    return False


async def show_document(
    message: Message, bot: Bot, db: Database, doc: Document, lang: str, markup: InlineKeyboardMarkup
) -> None:
    """The document in the person's language (or the other one): text split at paragraphs, then the file."""
    tz = await timezone(db, doc.rural_district_id)
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


async def show_published_answers(message: Message, db: Database, doc: Document) -> None:
    """Under an akim's report: the questions staff answered and published, with their answers."""
    answered = [q for q in await docs.questions_about(db, doc.series_id, limit=50) if q.published]
    if not answered:
        return
    lines = [_("<b>Answers to residents' questions</b>")]
    for n, q in enumerate(answered, 1):
        lines.append(
            _("{number}. {question}\n<i>Answer:</i> {answer}").format(
                number=n, question=question_body(q), answer=escape(q.answer)
            )
        )
    for chunk in split_text("\n\n".join(lines)):
        await message.answer(chunk)


async def visible(db: Database, person: Person, doc_id: int) -> Document:
    """A published document of the person's district; a draft or another district's is «not available»."""
    assert person.rural_district_id is not None
    doc = await docs.visible(db, doc_id, person.rural_district_id)
    if doc is None:
        raise NotFound(NOT_AVAILABLE)
    return doc


async def own(db: Database, person: Person, doc_id: int) -> Document:
    """A document of the staff member's own district (drafts included); another district's is not found."""
    doc = await docs.get(db, doc_id)
    if doc is None or doc.rural_district_id != person.rural_district_id:
        raise NotFound(NOT_AVAILABLE)
    return doc


async def own_question(db: Database, person: Person, question_id: int) -> Question:
    """A question of the person's district; another district's (or a forged id) is not found."""
    q = await docs.question(db, question_id)
    if q is None or q.rural_district_id != person.rural_district_id:
        raise NotFound(QUESTION_NOT_AVAILABLE)
    return q


async def admin_home(message: Message, db: Database, person: Person) -> None:
    """The staff's documents screen: what is published, the drafts, the questions waiting."""
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


async def admin_done(query: CallbackQuery, db: Database, person: Person, text: str) -> None:
    """A staff action is done: say so, then the documents screen again."""
    await query.answer()
    await target(query).answer(text)
    await admin_home(target(query), db, person)


async def admin_view(message: Message, bot: Bot, db: Database, doc: Document, lang: str) -> None:
    """A document as staff see it, with the buttons to publish it or write a new version."""
    await show_document(
        message, bot, db, doc, lang, kb.admin_document(doc.id, draft=not doc.published, current=doc.current)
    )
