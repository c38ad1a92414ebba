"""Staff: after the event, its protocol (and the akim's report), kept on the event and published under Documents."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_weekday_datetime, local
from bot.i18n import in_all_languages
from bot.keyboards import events as kb
from bot.keyboards.events import current_language as _lang
from bot.rules.clock import Clock
from handlers.common import target
from handlers.events.texts import district, event_for, not_text, show_admin_card
from storage import events as store
from storage.audit import Actor
from storage.db import Database
from storage.events import Event, Record
from storage.people import Person

router = Router(name=__name__)


class AttachForm(StatesGroup):
    collect = State()


@router.callback_query(kb.AdmEv.filter(F.act.in_({kb.AdmAct.PROTOCOL, kb.AdmAct.REPORT})))
async def attach_start(
    query: CallbackQuery, callback_data: kb.AdmEv, person: Person, db: Database, clock: Clock, state: FSMContext
) -> None:
    """Ask for the protocol (or the akim's report): a document and/or a text."""
    event = await event_for(db, callback_data.id, person)
    what = Record.PROTOCOL if callback_data.act is kb.AdmAct.PROTOCOL else Record.REPORT
    store.check_record(event, what, clock.now())
    await query.answer()
    await state.set_state(AttachForm.collect)
    await state.update_data(event_id=event.id, what=what.value, text=None, file_id=None, file_name=None)
    if what is Record.PROTOCOL:
        prompt = _("Send the protocol: a document (PDF or Word) and/or its text. Then press Publish.")
    else:
        prompt = _("Send the akim's report: a document and/or its text. Then press Publish.")
    await target(query).answer(prompt, reply_markup=kb.cancel_only())


@router.message(AttachForm.collect, F.document)
async def attach_document(message: Message, state: FSMContext) -> None:
    assert message.document is not None
    await state.update_data(file_id=message.document.file_id, file_name=message.document.file_name or "document")
    if message.caption:
        await state.update_data(text=message.caption.strip())
    await message.answer(_("Received. Send the text too if you wish, or press Publish."), reply_markup=kb.attach_done())


@router.message(AttachForm.collect, F.text)
async def attach_text(message: Message, state: FSMContext) -> None:
    await state.update_data(text=(message.text or "").strip())
    await message.answer(
        _("Received. Send the document too if you wish, or press Publish."), reply_markup=kb.attach_done()
    )


router.message.register(not_text, AttachForm.collect)


def document_title(event: Event, what: Record, tz: str) -> str:
    day = local(event.starts_at, tz).strftime("%d.%m.%Y")
    title = event.title(_lang())
    if what is Record.REPORT:
        return _("Akim's report: {title}, {date}").format(title=title, date=day)
    return _("Protocol: {kind} «{title}», {date}").format(kind=kb.kind_name(event.kind), title=title, date=day)


def published_text(event: Event, what: Record, tz: str) -> str:
    lang = _lang()
    day = format_weekday_datetime(event.starts_at, tz, lang)
    if what is Record.REPORT:
        return _("📄 The akim's report is published.\n{kind}: {title}, {when}").format(
            kind=kb.kind_name(event.kind), title=escape(event.title(lang)), when=day
        )
    return _("📄 The protocol is published.\n{kind}: {title}, {when}").format(
        kind=kb.kind_name(event.kind), title=escape(event.title(lang)), when=day
    )


@router.callback_query(AttachForm.collect, kb.AdmEv.filter(F.act == kb.AdmAct.ATTACH_DONE))
async def attach_publish(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, i18n: I18n, bot: Bot, state: FSMContext
) -> None:
    """Keep it on the event, publish it under Documents, and tell everyone invited."""
    data = await state.get_data()
    event = await event_for(db, int(data.get("event_id") or 0), person)
    what = Record(data["what"])
    text, file_id, file_name = data.get("text") or None, data.get("file_id"), data.get("file_name")
    if not text and not file_id:
        await query.answer(_("Please send a document or a text first."), show_alert=True)
        return
    rd = await district(db, event.rural_district_id)
    fresh = await store.attach(
        db,
        Actor.of(person),
        event.id,
        what,
        text=text,
        file_id=file_id,
        file_name=file_name,
        titles=in_all_languages(i18n, lambda: document_title(event, what, rd.timezone)),
        bot_id=bot.id,
        now=clock.now(),
        render=kb.notice(i18n, lambda shown, tz: published_text(shown, what, tz)),
    )
    await state.clear()
    await query.answer()
    await target(query).answer(_("Published. Everyone invited will be told."))
    await show_admin_card(target(query), db, fresh, clock.now(), person.language)
