"""Residents ask about an akim's report (text or voice) and support each other's questions with 👍."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.keyboards import documents as kb
from bot.keyboards.common import inline, menu_button
from bot.keyboards.documents import Doc, DocAct, Kind, QSupport
from bot.rules.clock import Clock, to_db
from bot.rules.documents import split_text
from bot.rules.errors import NotFound
from handlers.common import Has, NotMenu, consent_given, target
from handlers.documents.screens import own_question, visible
from handlers.documents.texts import NOT_AVAILABLE, QUESTION_NOT_AVAILABLE, question_line
from storage import documents as docs
from storage.db import Database
from storage.documents import Document
from storage.people import Person

router = Router(name=__name__)
log = logging.getLogger(__name__)


class AskForm(StatesGroup):
    question = State()


async def _report(db: Database, person: Person, doc_id: int) -> Document:
    """A published akim's report of the person's district; anything else is «not available»."""
    doc = await visible(db, person, doc_id)
    if doc.kind != Kind.AKIM_REPORT:
        raise NotFound(NOT_AVAILABLE)
    return doc


async def show_questions(message: Message, db: Database, doc: Document, lang: str) -> None:
    """The questions about a report, most supported first, with a 👍 for each open one."""
    questions = await docs.questions_about(db, doc.series_id)
    lines = [_("<b>Questions about the report</b> «{title}»").format(title=escape(doc.title(lang)))]
    if not questions:
        lines.append(_("No questions yet. Be the first to ask."))
    else:
        lines.append(_("Support a question with 👍 so the akim answers it first."))
        for n, q in enumerate(questions, 1):
            line = question_line(n, q)
            if q.published and q.answer:
                line += "\n" + _("<i>Answer:</i> {answer}").format(answer=escape(q.answer))
            lines.append(line)
    numbered = [(n, q.id) for n, q in enumerate(questions, 1) if not q.answered]
    for i, chunk in enumerate(chunks := split_text("\n\n".join(lines))):
        last = i == len(chunks) - 1
        await message.answer(chunk, reply_markup=kb.questions_keyboard(numbered, doc.id) if last else None)


@router.callback_query(Doc.filter(F.act == DocAct.QUESTIONS))
async def report_questions(query: CallbackQuery, callback_data: Doc, person: Person, db: Database) -> None:
    """The questions about a report."""
    doc = await _report(db, person, callback_data.id)
    await query.answer()
    await show_questions(target(query), db, doc, person.language)


@router.callback_query(Doc.filter(F.act == DocAct.ASK))
async def ask_start(query: CallbackQuery, callback_data: Doc, person: Person, db: Database, state: FSMContext) -> None:
    """Ask a question about a report: consent first (the text or voice is personal data)."""
    doc = await _report(db, person, callback_data.id)
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


@router.message(StateFilter(AskForm.question), Has("text", "voice"), NotMenu())
async def ask_receive(
    message: Message, person: Person, db: Database, bot: Bot, clock: Clock, state: FSMContext
) -> None:
    """Keep the question; the akim's office sees it, most supported first."""
    data = await state.get_data()
    doc = await visible(db, person, int(data.get("report") or 0))
    assert person.rural_district_id is not None
    voice = message.voice
    qid = await docs.ask(
        db,
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


@router.message(StateFilter(AskForm.question))
async def ask_not_text(message: Message) -> None:
    """A photo or a sticker instead of a question."""
    await message.answer(_("Please write your question as text, or record a voice message."))


@router.callback_query(QSupport.filter())
async def support_question(
    query: CallbackQuery, callback_data: QSupport, person: Person, db: Database, state: FSMContext
) -> None:
    """One tap supports a question, once per person; the list is shown again with the new count."""
    q = await own_question(db, person, callback_data.id)
    if q.document_id is None:
        raise NotFound(QUESTION_NOT_AVAILABLE)
    doc = await visible(db, person, q.document_id)
    if not await consent_given(query, person, db, state, resume=callback_data.pack()):
        return
    if q.person_id == person.id:
        await query.answer(_("This is your own question."))
        return
    if q.answered:
        await query.answer(_("This question is already answered."))
        return
    added = await docs.support(db, q.id, person.id)
    await query.answer(
        _("Thank you, your support is counted.") if added else _("You have already supported this question.")
    )
    current = await docs.current_of_series(db, doc.series_id) or doc
    await show_questions(target(query), db, current, person.language)
