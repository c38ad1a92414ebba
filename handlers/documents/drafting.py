"""Staff write a document, or a new version of one, step by step: titles, texts or files, the
official link, the issuer of audit results; the last step keeps it as a draft."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards import documents as kb
from bot.keyboards.documents import AdmAct, AdmDoc, Kind
from bot.rules.documents import file_acceptable, file_too_big
from bot.rules.errors import NotFound
from handlers.common import NotMenu, sent_file, target
from handlers.documents.screens import admin_view, own
from handlers.documents.texts import NOT_AVAILABLE
from storage import documents as docs
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)


class DocForm(StatesGroup):
    title_kk = State()
    title_ru = State()
    content_kk = State()
    content_ru = State()
    url = State()
    issuer = State()


# The form's steps in order: the one that follows each, and its question (Skip under it).
_FOLLOWING = {
    DocForm.title_kk.state: (DocForm.title_ru, N_("Send the title in Russian, or Skip.")),
    DocForm.title_ru.state: (
        DocForm.content_kk,
        N_(
            "Send the text of the document in Kazakh, or its file (PDF or office file, up to 20 MB). "
            "Skip if there is no Kazakh version."
        ),
    ),
    DocForm.content_kk.state: (
        DocForm.content_ru,
        N_(
            "Send the text of the document in Russian, or its file (PDF or office file, up to 20 MB). "
            "Skip if there is no Russian version."
        ),
    ),
    DocForm.content_ru.state: (
        DocForm.url,
        N_(
            "Send the link to this document on the single platform of state bodies' internet resources "
            "(its official place of publication), or Skip."
        ),
    ),
}
_ISSUER = N_("Which body issued the audit results? For example: the audit commission of the region. Or Skip.")
# What a step may not end without (one of these kept), and the answer when it is missing.
_NEEDED = {
    DocForm.title_ru.state: (
        ("title_kk", "title_ru", "old_kk", "old_ru"),
        N_("A document needs a title in at least one language. Please send the title in Russian."),
    ),
    DocForm.content_ru.state: (
        ("text_kk", "text_ru", "file_kk", "file_ru"),
        N_("A document needs a text or a file. Please send the text or the file in Russian."),
    ),
}


@router.callback_query(AdmDoc.filter(F.act == AdmAct.NEW))
async def admin_new(query: CallbackQuery, state: FSMContext) -> None:
    """A new document: first its kind."""
    await query.answer()
    await state.clear()
    await target(query).answer(_("What kind of document is it?"), reply_markup=kb.admin_kinds())


@router.callback_query(AdmDoc.filter(F.act == AdmAct.KIND))
async def admin_kind(query: CallbackQuery, callback_data: AdmDoc, state: FSMContext) -> None:
    """The kind is chosen: ask for the Kazakh title."""
    if callback_data.kind is None:
        raise NotFound(NOT_AVAILABLE)
    await query.answer()
    await state.set_state(DocForm.title_kk)
    await state.set_data({"kind": str(callback_data.kind)})
    await target(query).answer(
        _("{kind}: send the title in Kazakh, or Skip if there is no Kazakh version.").format(
            kind=kb.kind_label(callback_data.kind)
        ),
        reply_markup=kb.skip_keyboard(),
    )


@router.callback_query(AdmDoc.filter(F.act == AdmAct.VERSION))
async def admin_version(
    query: CallbackQuery, callback_data: AdmDoc, person: Person, db: Database, state: FSMContext
) -> None:
    """A new version of a published document: the same steps; Skip keeps the old title."""
    doc = await own(db, person, callback_data.id)
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


async def _ask_next(message: Message, state: FSMContext, person: Person, db: Database, bot: Bot) -> None:
    """Move the form one step on, or save the draft after the last step."""
    step = await state.get_state()
    data = await state.get_data()
    if step in _NEEDED:
        keys, missing = _NEEDED[step]
        if not any(data.get(k) for k in keys):
            await message.answer(_(missing), reply_markup=kb.skip_keyboard())
            return
    if step in _FOLLOWING:
        following, question = _FOLLOWING[step]
    elif step == DocForm.url.state and data.get("kind") == Kind.AUDIT_RESULTS:
        following, question = DocForm.issuer, _ISSUER
    else:
        await _save_draft(message, state, person, db, bot)
        return
    await state.set_state(following)
    await message.answer(_(question), reply_markup=kb.skip_keyboard())


async def _save_draft(message: Message, state: FSMContext, person: Person, db: Database, bot: Bot) -> None:
    """Keep what the form gathered as a draft, and show it with the buttons to publish it."""
    assert person.rural_district_id is not None
    data = await state.get_data()
    await state.clear()
    doc_id = await docs.save_draft(
        db,
        Actor.of(person),
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
    )
    doc = await docs.get(db, doc_id)
    assert doc is not None
    await message.answer(_("The draft is saved. Check it and publish it."))
    await admin_view(message, bot, db, doc, person.language)


@router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.title_kk)
@router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.title_ru)
@router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.content_kk)
@router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.content_ru)
@router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.url)
@router.callback_query(AdmDoc.filter(F.act == AdmAct.SKIP), DocForm.issuer)
async def admin_skip(query: CallbackQuery, person: Person, db: Database, bot: Bot, state: FSMContext) -> None:
    """Skip (or finish) the current step."""
    await query.answer()
    await _ask_next(target(query), state, person, db, bot)


@router.message(DocForm.title_kk, F.text, NotMenu())
@router.message(DocForm.title_ru, F.text, NotMenu())
async def admin_title(message: Message, person: Person, db: Database, bot: Bot, state: FSMContext) -> None:
    """A title in one language (one line, at most 200 characters)."""
    assert message.text is not None
    title = " ".join(message.text.split())
    if len(title) > 200:
        await message.answer(_("The title is too long: at most 200 characters, please."))
        return
    key = "title_kk" if await state.get_state() == DocForm.title_kk.state else "title_ru"
    await state.update_data({key: title})
    await _ask_next(message, state, person, db, bot)


def _lang_of(step: str | None) -> str:
    return "kk" if step == DocForm.content_kk.state else "ru"


@router.message(DocForm.content_kk, F.text, NotMenu())
@router.message(DocForm.content_ru, F.text, NotMenu())
async def admin_text(message: Message, state: FSMContext) -> None:
    """Text of the document; several messages add up, for texts longer than one message.

    Kept as plain text, as typed (not ``html_text``): every screen escapes it once when it shows it,
    the web page shows it as text, and a long text is split at paragraphs, never inside a tag.
    """
    assert message.text is not None
    key = "text_" + _lang_of(await state.get_state())
    data = await state.get_data()
    text = "\n\n".join(part for part in (data.get(key), message.text) if part)
    await state.update_data({key: text})
    await message.answer(
        _("Text received ({count} characters). Send more text to add to it, or press Next.").format(count=len(text)),
        reply_markup=kb.next_keyboard(),
    )


@router.message(DocForm.content_kk, F.document)
@router.message(DocForm.content_ru, F.document)
async def admin_file(message: Message, person: Person, db: Database, bot: Bot, state: FSMContext) -> None:
    """The document's file: refused over 20 MB (a bot cannot get it back); the bytes are kept."""
    document = message.document
    assert document is not None and person.rural_district_id is not None
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
    data = await sent_file(message, bot, document.file_id)
    if data is None:
        return
    ref = await docs.store_file(
        db,
        Actor.of(person),
        rural_district_id=person.rural_district_id,
        file_name=document.file_name,
        mime_type=document.mime_type,
        size=document.file_size,
        bot_id=bot.id,
        file_id=document.file_id,
        file_unique_id=document.file_unique_id,
        data=data,
    )
    await state.update_data({"file_" + _lang_of(await state.get_state()): ref})
    await message.answer(
        _("File received: {name}. Press Next.").format(name=escape(document.file_name or "")),
        reply_markup=kb.next_keyboard(),
    )


@router.message(DocForm.url, F.text, NotMenu())
async def admin_url(message: Message, person: Person, db: Database, bot: Bot, state: FSMContext) -> None:
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
    await _ask_next(message, state, person, db, bot)


@router.message(DocForm.issuer, F.text, NotMenu())
async def admin_issuer(message: Message, person: Person, db: Database, bot: Bot, state: FSMContext) -> None:
    """The body that issued audit results."""
    assert message.text is not None
    await state.update_data(issuer=" ".join(message.text.split())[:200])
    await _ask_next(message, state, person, db, bot)


@router.message(DocForm.title_kk)
@router.message(DocForm.title_ru)
@router.message(DocForm.content_kk)
@router.message(DocForm.content_ru)
@router.message(DocForm.url)
@router.message(DocForm.issuer)
async def admin_form_other(message: Message) -> None:
    """A sticker or a photo where text or a file was expected."""
    await message.answer(
        _("Please send text (or a PDF or office file), or use the buttons."), reply_markup=kb.skip_keyboard()
    )
