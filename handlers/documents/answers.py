"""Staff answer residents' questions about akim reports: most supported first; the answer reaches
everyone who asked or supported, and may be published under the report."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.keyboards import documents as kb
from bot.keyboards.common import cancel_button, inline
from bot.keyboards.documents import AdmAct, AdmDoc, AdmQ, QAct
from bot.rules.clock import Clock, to_db
from bot.rules.documents import split_text
from handlers.common import NotMenu, target
from handlers.documents.screens import admin_done, own_question
from handlers.documents.texts import answer_texts, question_body, question_line
from storage import documents as docs
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class AnswerForm(StatesGroup):
    text = State()


@router.callback_query(AdmDoc.filter(F.act == AdmAct.QUESTIONS))
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
        lines.append(question_line(n, q) + "\n" + _("Report: {title}").format(title=about))
    items = [(n, q.id, q.voice_file_id is not None, q.answered) for n, q in enumerate(questions, 1)]
    chunks = split_text("\n\n".join(lines))
    for i, chunk in enumerate(chunks):
        await target(query).answer(chunk, reply_markup=kb.admin_questions(items) if i == len(chunks) - 1 else None)


@router.callback_query(AdmQ.filter(F.act == QAct.LISTEN))
async def admin_listen(query: CallbackQuery, callback_data: AdmQ, person: Person, db: Database, bot: Bot) -> None:
    """Play a voice question (a voice's file_id works only in the bot it came to)."""
    q = await own_question(db, person, callback_data.id)
    await query.answer()
    if q.voice_file_id and q.voice_bot_id == bot.id:
        await target(query).answer_voice(q.voice_file_id)
    else:
        await target(query).answer(_("This voice message came to another bot of the deployment; open it there."))


@router.callback_query(AdmQ.filter(F.act == QAct.ANSWER))
async def admin_answer_start(
    query: CallbackQuery, callback_data: AdmQ, person: Person, db: Database, state: FSMContext
) -> None:
    """Write the answer to a question."""
    q = await own_question(db, person, callback_data.id)
    await query.answer()
    await state.set_state(AnswerForm.text)
    await state.set_data({"question": q.id})
    await target(query).answer(
        _("Question: {question}\n\nWrite the answer. Everyone who asked or supported it will get it.").format(
            question=question_body(q)
        ),
        reply_markup=inline([[cancel_button()]]),
    )


@router.message(AnswerForm.text, F.text, NotMenu())
async def admin_answer(
    message: Message, person: Person, db: Database, clock: Clock, i18n: I18n, state: FSMContext
) -> None:
    """Store the answer and send it, through the outbox, to everyone who asked or supported."""
    assert message.text is not None
    q = await own_question(db, person, int((await state.get_data()).get("question") or 0))
    report = await docs.current_of_series(db, q.document_id) if q.document_id else None
    text = message.text.strip()[:3000]
    recipients = await docs.answer(
        db, Actor.of(person), q.id, text=text, now=to_db(clock.now()), texts=answer_texts(i18n, report, q, text)
    )
    await state.clear()
    await message.answer(
        ngettext(
            "The answer is sent to {count} person.", "The answer is sent to {count} people.", len(recipients)
        ).format(count=len(recipients)),
        reply_markup=kb.answered_keyboard(q.id),
    )


@router.message(AnswerForm.text)
async def admin_answer_other(message: Message) -> None:
    """Anything but text where the answer was expected."""
    await message.answer(_("Please write the answer as text, or /cancel."))


@router.callback_query(AdmQ.filter(F.act == QAct.PUBLISH))
async def admin_publish_answer(query: CallbackQuery, callback_data: AdmQ, person: Person, db: Database) -> None:
    """Show the answered question with its answer under the report."""
    q = await own_question(db, person, callback_data.id)
    await docs.publish_answer(db, Actor.of(person), q.id)
    await admin_done(query, db, person, _("Published under the report."))
