"""The staff of a rural district: who they are (by Telegram id), its representatives, adding one
with Telegram's user picker (a forwarded message often hides its sender), and removing one."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import BaseFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, MessageOriginHiddenUser, MessageOriginUser, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import LANGUAGES, N_
from bot.keyboards import operator as kb
from bot.keyboards.operator import Op, OpCb
from handlers.common import target
from storage import districts, operator, places
from storage import events as community
from storage.audit import Actor
from storage.db import Database
from storage.people import Person

router = Router(name=__name__)
CANCEL = N_("✖️ Cancel")


class AddStaff(StatesGroup):
    who = State()  # data: rd


async def staff_screen(message: Message, db: Database, rural_district_id: int, lang: str) -> None:
    found = await districts.get(db, rural_district_id)
    if found is None:
        await message.answer(_("There is no rural district with id {id}.").format(id=rural_district_id))
        return
    staff = await operator.staff(db, rural_district_id)
    lines = [_("<b>Staff of {name}</b>").format(name=escape(found.name(lang)))]
    lines += [
        _("• Telegram id {telegram_id} (person {person_id}), since {since}").format(
            telegram_id=s.telegram_id, person_id=s.person_id, since=s.since[:10]
        )
        for s in staff
    ] or [_("Nobody yet.")]
    villages = {v.id: v.name(lang) for v in await places.villages(db, rural_district_id)}
    members = await community.members(db, rural_district_id)
    lines.append("")
    lines.append(_("<b>Representatives</b> (members of the meeting): {n}").format(n=len(members)))
    for member in members:
        village = villages.get(member.village_id or 0, "—")
        mark = _(" (chair)") if member.chair else ""
        lines.append(
            _("• {village}: Telegram id {telegram_id}{mark}").format(
                village=escape(village), telegram_id=member.telegram_id, mark=mark
            )
        )
    buttons = [(s.person_id, s.telegram_id) for s in staff]
    await message.answer("\n".join(lines), reply_markup=kb.staff_keyboard(rural_district_id, buttons))


@router.callback_query(OpCb.filter(F.act == Op.STAFF))
async def show_staff(
    query: CallbackQuery, callback_data: OpCb, db: Database, person: Person, state: FSMContext
) -> None:
    """The district's staff and representatives."""
    await state.clear()
    await query.answer()
    await staff_screen(target(query), db, callback_data.rd, person.language)


@router.callback_query(OpCb.filter(F.act == Op.ADD_STAFF))
async def ask_who(query: CallbackQuery, callback_data: OpCb, db: Database, state: FSMContext) -> None:
    """Telegram's user picker (or a forwarded message, or a typed id)."""
    await query.answer()
    if await districts.get(db, callback_data.rd) is None:
        await target(query).answer(_("There is no rural district with id {id}.").format(id=callback_data.rd))
        return
    await state.set_state(AddStaff.who)
    await state.update_data(rd=callback_data.rd)
    await target(query).answer(
        _(
            "Who is the new staff member? Press «👤 Choose the person» and pick them from your chats, "
            "forward a message of theirs, or send their Telegram id."
        ),
        reply_markup=kb.pick_user_keyboard(callback_data.rd),
    )


class CancelLabel(BaseFilter):
    """The reply keyboard's «✖️ Cancel», in either language."""

    async def __call__(self, message: Message, i18n: I18n) -> bool:
        return message.text in {i18n.gettext(CANCEL, locale=lang) for lang in LANGUAGES}


@router.message(AddStaff.who, CancelLabel())
async def cancel(message: Message, db: Database, person: Person, state: FSMContext) -> None:
    """Nobody added."""
    data = await state.get_data()
    await state.clear()
    await message.answer(_("Nobody was added."), reply_markup=ReplyKeyboardRemove())
    await staff_screen(message, db, int(data.get("rd", 0)), person.language)


@router.message(AddStaff.who)
async def got_who(message: Message, db: Database, person: Person, state: FSMContext) -> None:
    """The picked account, the sender of a forwarded message, or a typed id becomes staff."""
    rd = int((await state.get_data()).get("rd", 0))
    origin = message.forward_origin
    if message.users_shared is not None and message.users_shared.users:
        telegram_id = message.users_shared.users[0].user_id
    elif isinstance(origin, MessageOriginUser):
        telegram_id = origin.sender_user.id
    elif isinstance(origin, MessageOriginHiddenUser):
        await message.answer(
            _("This person's account hides who sent the message. Please press «👤 Choose the person» instead."),
            reply_markup=kb.pick_user_keyboard(rd),
        )
        return
    else:
        telegram_id = operator.parse_telegram_id(message.text or "")
    known = await operator.is_known(db, telegram_id)
    await operator.add_staff(db, Actor.operator(person), rd, telegram_id)
    await state.clear()
    text = _("Done: Telegram id {id} is staff of the rural district now.").format(id=telegram_id)
    if not known:
        text += "\n" + _("They have not written to the bot yet: they will see the Admin button after /start.")
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    await staff_screen(message, db, rd, person.language)


@router.callback_query(OpCb.filter(F.act == Op.REMOVE))
async def confirm_remove(query: CallbackQuery, callback_data: OpCb, db: Database) -> None:
    """Ask before taking the role away."""
    await query.answer()
    found = next((s for s in await operator.staff(db, callback_data.rd) if s.person_id == callback_data.person), None)
    if found is None:
        await target(query).answer(_("Nothing to change."))
        return
    await target(query).answer(
        _("Remove Telegram id {id} from the staff?").format(id=found.telegram_id),
        reply_markup=kb.confirm_remove_keyboard(callback_data.rd, found.person_id),
    )


@router.callback_query(OpCb.filter(F.act == Op.REMOVE_OK))
async def remove(query: CallbackQuery, callback_data: OpCb, db: Database, person: Person) -> None:
    """Take the staff role away (the last staff member stays, with why)."""
    await query.answer()
    found = next((s for s in await operator.staff(db, callback_data.rd) if s.person_id == callback_data.person), None)
    removed = found is not None and await operator.remove_staff(
        db, Actor.operator(person), callback_data.rd, found.telegram_id
    )
    await target(query).answer(_("Done.") if removed else _("Nothing to change."))
    await staff_screen(target(query), db, callback_data.rd, person.language)
