"""«My data»: everything the bot keeps about the person, as a JSON file and a readable text on
request, and deleting it after a confirmation that says what happens (``storage/personal.py``
does it; the consent text says the same, ``handlers/common.py``)."""

from __future__ import annotations

import json
from enum import StrEnum

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.formatting import escape
from bot.keyboards.common import LANGUAGE_NAMES, inline, menu_button
from bot.rules.clock import Clock
from handlers.common import data_owner, target
from handlers.settings.screens import Act, SettingsCb
from storage import personal
from storage.audit import Actor
from storage.db import Database
from storage.people import Person
from storage.personal import Kept

router = Router(name=__name__)


class MyAct(StrEnum):
    FILES = "f"
    DELETE = "d"
    DELETE_OK = "ok"


class MyDataCb(CallbackData, prefix="my1"):
    act: MyAct


def my_data_keyboard() -> list[list[InlineKeyboardButton]]:
    return [
        [InlineKeyboardButton(text=_("📦 Send my data"), callback_data=MyDataCb(act=MyAct.FILES).pack())],
        [InlineKeyboardButton(text=_("🗑 Delete my data"), callback_data=MyDataCb(act=MyAct.DELETE).pack())],
        [menu_button()],
    ]


def _pick(row: dict[str, object], what: str, lang: str) -> str:
    """A title in the person's language, or the other one when that is empty."""
    other = "ru" if lang == "kk" else "kk"
    return str(row.get(f"{what}_{lang}") or row.get(f"{what}_{other}") or "")


def _place(kept: Kept, what: str, lang: str) -> str:
    return kept.profile.get(f"{what}_{lang}") or "—"


async def my_data_text(db: Database, person: Person, kept: Kept) -> str:
    """What the bot keeps about the person, in short, and what the buttons do."""
    p, lang = kept.profile, person.language
    return _(
        "<b>What the bot keeps about you</b>\n"
        "Telegram ID: {telegram_id}\n"
        "Language: {language}\n"
        "Rural district: {rural_district}\n"
        "Village: {village}\n"
        "Consent: {consent}\n"
        "Name: {name}\n"
        "Phone number: {phone}\n"
        "Initiatives: {initiatives}; supports: {supports}; votes: {votes}; answers to invitations: {answers}; "
        "questions: {questions}\n\n"
        "The owner and operator of the personal data database: {owner}.\n\n"
        "«📦 Send my data» sends all of it as two files. «🗑 Delete my data» deletes it at once, after you "
        "confirm. Withdrawing consent in Settings deletes only your name and phone number."
    ).format(
        telegram_id=p["telegram_id"],
        language=LANGUAGE_NAMES.get(p["language"], p["language"]),
        rural_district=escape(_place(kept, "rural_district", lang)),
        village=escape(_place(kept, "village", lang)),
        consent=_("given") if person.consented() else _("not given"),
        name=escape(p["name"] or "—"),
        phone=p["phone"] or "—",
        initiatives=len(kept.initiatives),
        supports=len(kept.supports) + len(kept.question_supports),
        votes=len(kept.votes),
        answers=len(kept.answers),
        questions=len(kept.questions),
        owner=escape(await data_owner(db, person)),
    )


@router.callback_query(SettingsCb.filter(F.act == Act.MY_DATA))
async def show(query: CallbackQuery, person: Person, db: Database) -> None:
    """The «My data» screen."""
    await query.answer()
    kept = await personal.kept(db, person.id)
    assert kept is not None  # the person of this update exists and is not erased
    await target(query).answer(await my_data_text(db, person, kept), reply_markup=inline(my_data_keyboard()))


def readable(kept: Kept, lang: str) -> str:
    """The same as the JSON file, for a person to read."""
    p = kept.profile
    lines = [_("What the bot keeps about you"), ""]
    for label, value in (
        (_("Person id in the bot"), p["person_id"]),
        ("Telegram ID", p["telegram_id"]),
        (_("Language"), LANGUAGE_NAMES.get(p["language"], p["language"])),
        (_("Rural district"), _place(kept, "rural_district", lang)),
        (_("Village"), _place(kept, "village", lang)),
        (_("Name"), p["name"] or "—"),
        (_("Phone number"), p["phone"] or "—"),
        (_("Consent given at"), p["consent_at"] or "—"),
        (_("First message"), p["created_at"]),
    ):
        lines.append(f"{label}: {value}")
    sections = (
        (
            _("Initiatives"),
            [f"№{i['number']} «{i['title']}» — {i['status']}, {i['submitted_at'][:10]}" for i in kept.initiatives],
        ),
        (_("Supports"), [f"№{s['number']} «{s['title']}», {s['at'][:10]}" for s in kept.supports]),
        (
            _("Your votes"),
            [
                f"«{_pick(v, 'contest', lang)}»: «{_pick(v, 'project', lang)}», {v['cast_at'][:10]}, {v['phone']}"
                for v in kept.votes
            ],
        ),
        (
            _("Answers to invitations"),
            [f"«{_pick(a, 'event', lang)}»: {a['answer']}" for a in kept.answers],
        ),
        (_("Questions"), [f"{q['created_at'][:10]}: {q['text'] or '🎤'}" for q in kept.questions]),
    )
    for title, items in sections:
        lines += ["", f"{title}: {len(items)}", *(f"  {item}" for item in items)]
    return "\n".join(lines) + "\n"


@router.callback_query(MyDataCb.filter(F.act == MyAct.FILES))
async def files(query: CallbackQuery, person: Person, db: Database) -> None:
    """Everything kept, as a JSON file and as a text to read."""
    await query.answer()
    kept = await personal.kept(db, person.id)
    assert kept is not None
    message = target(query)
    data = json.dumps(kept.as_dict(), ensure_ascii=False, indent=1, default=str).encode("utf-8")
    await message.answer_document(
        BufferedInputFile(data, filename="my-data.json"), caption=_("Your data, for a computer.")
    )
    text = readable(kept, person.language).encode("utf-8")
    await message.answer_document(BufferedInputFile(text, filename="my-data.txt"), caption=_("Your data, to read."))


@router.callback_query(MyDataCb.filter(F.act == MyAct.DELETE))
async def ask_to_delete(query: CallbackQuery) -> None:
    """What deleting does, before it is done."""
    await query.answer()
    await target(query).answer(
        _(
            "<b>Delete your data?</b>\n"
            "• Deleted at once: your name, phone number and the link to your Telegram account; your "
            "unpublished initiatives and questions; photos and voice messages; your answers to invitations; "
            "your name on reports of pressure or vote buying.\n"
            "• Your supports stay counted, without your name.\n"
            "• A vote you cast stays counted as an anonymous ballot. While the contest is open only a protected "
            "code of your number is kept, so that the number cannot vote twice; after it closes, not even that.\n"
            "• Your published initiatives stay, «by a resident», without photos.\n"
            "• The census is the akim's office's own register: deleting here does not change it.\n"
            "This cannot be undone. To use the bot again you start anew with /start."
        ),
        reply_markup=inline(
            [
                [
                    InlineKeyboardButton(
                        text=_("🗑 Yes, delete everything"), callback_data=MyDataCb(act=MyAct.DELETE_OK).pack()
                    )
                ],
                [InlineKeyboardButton(text=_("No, keep my data"), callback_data=SettingsCb(act=Act.MY_DATA).pack())],
            ]
        ),
    )


@router.callback_query(MyDataCb.filter(F.act == MyAct.DELETE_OK))
async def delete(
    query: CallbackQuery, person: Person, db: Database, clock: Clock, settings: Settings, state: FSMContext
) -> None:
    """Delete it now; the person is a stranger to the bot afterwards."""
    await state.clear()
    key = await personal.vote_key(db, settings.vote_hash_key.get_secret_value() if settings.vote_hash_key else None)
    erased = await personal.erase(db, Actor.resident(person), person.id, clock.now(), key)
    await query.answer()
    message: Message = target(query)
    if erased is None:
        await message.answer(_("Your data were already deleted."), reply_markup=ReplyKeyboardRemove())
        return
    await message.answer(
        _("Your data are deleted. Thank you for taking part. To use the bot again, send /start."),
        reply_markup=ReplyKeyboardRemove(),
    )
