"""Staff's documents screen: the drafts and the published documents, publishing (and telling the
district), deleting a draft."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from bot.keyboards import documents as kb
from bot.keyboards.admin import AdminMenu
from bot.keyboards.documents import AdmAct, AdmDoc
from bot.rules.clock import Clock, to_db
from handlers.common import target
from handlers.documents.screens import admin_done, admin_home, admin_view, own
from handlers.documents.texts import notice
from storage import documents as docs
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


@router.callback_query(AdminMenu.filter(F.section == "documents"))
async def admin_documents(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """The staff's documents screen."""
    await query.answer()
    await state.clear()
    await admin_home(target(query), db, person)


@router.callback_query(AdmDoc.filter(F.act == AdmAct.VIEW))
async def admin_document(query: CallbackQuery, callback_data: AdmDoc, person: Person, db: Database, bot: Bot) -> None:
    """A document as staff see it, with publish or new-version buttons."""
    doc = await own(db, person, callback_data.id)
    await query.answer()
    await admin_view(target(query), bot, db, doc, person.language)


@router.callback_query(AdmDoc.filter(F.act == AdmAct.DRAFTS))
async def admin_drafts(query: CallbackQuery, person: Person, db: Database) -> None:
    """The district's drafts."""
    assert person.rural_district_id is not None
    await query.answer()
    items = await docs.drafts(db, person.rural_district_id)
    await target(query).answer(
        _("Drafts:") if items else _("No drafts."),
        reply_markup=kb.admin_list([(d.id, d.title(person.language)) for d in items]),
    )


@router.callback_query(AdmDoc.filter(F.act == AdmAct.LIST))
async def admin_published(query: CallbackQuery, person: Person, db: Database) -> None:
    """The newest published documents, to open one and publish a new version."""
    assert person.rural_district_id is not None
    await query.answer()
    items, _total = await docs.current(db, person.rural_district_id, limit=15)
    await target(query).answer(
        _("Published documents, newest first:") if items else _("Nothing is published yet."),
        reply_markup=kb.admin_list([(d.id, d.title(person.language)) for d in items]),
    )


@router.callback_query(AdmDoc.filter(F.act.in_({AdmAct.PUBLISH, AdmAct.NOTIFY})))
async def admin_publish(
    query: CallbackQuery, callback_data: AdmDoc, person: Person, db: Database, clock: Clock, i18n: I18n
) -> None:
    """Publish a draft (superseding the current version); optionally tell the district."""
    doc = await own(db, person, callback_data.id)
    notify = callback_data.act is AdmAct.NOTIFY
    texts, buttons = notice(doc, i18n) if notify else (None, None)
    recipients = await docs.publish_document(
        db, Actor.of(person), doc.id, now=to_db(clock.now()), notice=texts, notice_buttons=buttons
    )
    text = _("Published. Residents see this version now.")
    if notify:
        text += "\n" + ngettext(
            "The notice goes to {count} resident.", "The notice goes to {count} residents.", recipients
        ).format(count=recipients)
    await admin_done(query, db, person, text)


@router.callback_query(AdmDoc.filter(F.act == AdmAct.DELETE))
async def admin_delete(query: CallbackQuery, callback_data: AdmDoc, person: Person, db: Database) -> None:
    """Delete a draft (a published document is never deleted: a new version replaces it)."""
    doc = await own(db, person, callback_data.id)
    await docs.delete_draft(db, Actor.of(person), doc.id)
    await admin_done(query, db, person, _("The draft is deleted."))
