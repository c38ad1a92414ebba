"""Group chats: the bot says once, in both languages, to write to it privately, and is silent."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Message

from handlers.common import ChatType

router = Router(name=__name__)
router.message.filter(ChatType(private=False))
router.callback_query.filter(ChatType(private=False))

PRIVATE_ONLY = (
    "Бұл бот жеке чатта ғана жұмыс істейді: маған жеке жазыңыз.\n"
    "Этот бот работает только в личном чате: напишите мне лично."
)


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=JOIN_TRANSITION), ChatType(private=False))
async def added_to_group(event: ChatMemberUpdated) -> None:
    """Added to a group: one bilingual note, nothing personal."""
    await event.answer(PRIVATE_ONLY)


@router.message()
async def ignore_group_message(message: Message) -> None:
    """Anything else in a group: silence."""


@router.callback_query()
async def ignore_group_callback(query: object) -> None:
    """A button in a group: silence."""
