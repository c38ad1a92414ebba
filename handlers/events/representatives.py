"""Staff: the representatives of the local community (members of the meeting), by village, and its chair."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape
from bot.i18n import N_
from bot.keyboards import events as kb
from bot.keyboards.admin import AdminMenu
from bot.keyboards.events import current_language as _lang
from bot.rules.clock import Clock
from bot.rules.errors import NotFound
from bot.rules.phones import normalize
from handlers.common import target
from handlers.events.texts import cut
from storage import events as store
from storage import places
from storage.audit import Actor
from storage.db import Database
from storage.events import MemberChange
from storage.people import Person

router = Router(name=__name__)

CHANGES = {
    kb.RepAct.CHAIR: MemberChange.CHAIR,
    kb.RepAct.UNCHAIR: MemberChange.UNCHAIR,
    kb.RepAct.REMOVE: MemberChange.REMOVE,
}


class RepForm(StatesGroup):
    contact = State()


def _member_label(member: store.Member) -> str:
    return member.label or _("Telegram id {id}").format(id=member.telegram_id)


@router.callback_query(AdminMenu.filter(F.section == "representatives"))
async def admin_representatives(query: CallbackQuery, person: Person, db: Database, state: FSMContext) -> None:
    """The representatives of each village and the chair; a village with none is shown as a gap."""
    await state.clear()
    await query.answer()
    await _show_representatives(target(query), person, db)


async def _show_representatives(message: Message, person: Person, db: Database) -> None:
    assert person.rural_district_id is not None
    lang = person.language
    found = await store.members(db, person.rural_district_id)
    lines = [_("<b>Representatives of the local community</b> (members of the meeting)")]
    chair = next((m for m in found if m.chair), None)
    chair_name = escape(_member_label(chair)) if chair else _("not chosen")
    lines.append(_("Chair of the meeting: {name}").format(name=chair_name))
    villages = await places.villages(db, person.rural_district_id)
    for village in villages:
        names = [escape(_member_label(m)) for m in found if m.village_id == village.id]
        lines.append(f"• {escape(village.name(lang))}: " + (", ".join(names) if names else _("⚠️ no representative")))
    village_names = {v.id: v.name(lang) for v in villages}
    items = [
        (m.person_id, f"{'⭐ ' if m.chair else ''}{_member_label(m)} · {village_names.get(m.village_id or 0, '')}")
        for m in found
    ]
    await message.answer(cut("\n".join(lines)), reply_markup=kb.representatives(items))


@router.callback_query(kb.AdmRep.filter(F.act == kb.RepAct.ADD))
async def add_representative(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(RepForm.contact)
    await target(query).answer(
        _(
            "Send the resident's contact (📎 → Contact) or type their phone number. They must have started the bot "
            "and chosen their village in this rural district; they represent that village."
        ),
        reply_markup=kb.cancel_only(),
    )


@router.message(RepForm.contact)
async def representative_found(message: Message, person: Person, db: Database, state: FSMContext) -> None:
    """Mark the resident named by a contact or a phone number as a representative of their village."""
    rd = person.rural_district_id
    assert rd is not None
    found = None
    if message.contact is not None:
        if message.contact.user_id:
            found = await store.resident_by(db, rd, telegram_id=message.contact.user_id)
        if found is None:
            found = await store.resident_by(db, rd, phone=normalize(message.contact.phone_number))
    elif message.text:
        phone = normalize(message.text)
        if phone is None:
            await message.answer(
                _("This does not look like a phone number. Send a contact or a number like +7 701 123 45 67."),
                reply_markup=kb.cancel_only(),
            )
            return
        found = await store.resident_by(db, rd, phone=phone)
    if found is None or found[1] is None:
        await message.answer(_(store.NO_RESIDENT), reply_markup=kb.cancel_only())
        return
    await store.add_representative(db, Actor.of(person), rd, found[0])
    await state.clear()
    await message.answer(_("Done: the resident is now a representative of their village."))
    await _show_representatives(message, person, db)


@router.callback_query(kb.AdmRep.filter(F.act == kb.RepAct.OPEN))
async def open_representative(query: CallbackQuery, callback_data: kb.AdmRep, person: Person, db: Database) -> None:
    assert person.rural_district_id is not None
    member = await store.member(db, person.rural_district_id, callback_data.id)
    if member is None:
        raise NotFound(N_("This person is not a representative here."))
    await query.answer()
    village = await places.village(db, member.village_id)
    text = _("{name}, representative of {village}").format(
        name=escape(_member_label(member)), village=escape(village.name(person.language)) if village else "—"
    )
    if member.chair:
        text += "\n" + _("⭐ Chair of the meeting")
    await target(query).answer(text, reply_markup=kb.representative(member.person_id, chair=member.chair))


@router.callback_query(kb.AdmRep.filter(F.act.in_(set(CHANGES))))
async def change_representative(query: CallbackQuery, callback_data: kb.AdmRep, person: Person, db: Database) -> None:
    """Make chair (the previous chair steps down: one per district), not chair, or remove."""
    assert person.rural_district_id is not None
    await store.change_member(
        db, Actor.of(person), person.rural_district_id, callback_data.id, CHANGES[callback_data.act]
    )
    await query.answer(_("Saved."))
    await _show_representatives(target(query), person, db)


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    gaps = await store.villages_without_representative(db, rural_district_id)
    if not gaps:
        return None
    lang = _lang()
    names = ", ".join(escape(kk if lang == "kk" else ru) for _id, kk, ru in gaps)
    return _("⚠️ Villages without a representative: {names}").format(names=names)
