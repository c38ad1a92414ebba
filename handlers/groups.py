"""Group chats: the bot says once, in both languages, to write to it privately, and is silent."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated, Message

router = Router(name=__name__)
router.message.filter(F.chat.type != "private")
router.callback_query.filter(F.message.chat.type != "private")

PRIVATE_ONLY = (
    "Бұл бот жеке чатта ғана жұмыс істейді: маған жеке жазыңыз.\n"
    "Этот бот работает только в личном чате: напишите мне лично."
)


@router.my_chat_member(ChatMemberUpdatedFilter(member_status_changed=JOIN_TRANSITION), F.chat.type != "private")
async def added_to_group(event: ChatMemberUpdated) -> None:
    """Added to a group: one bilingual note, nothing personal."""
    await event.answer(PRIVATE_ONLY)


@router.message()
async def ignore_group_message(message: Message) -> None:
    """Anything else in a group: silence."""


@router.callback_query()
async def ignore_group_callback(query: object) -> None:
    """A button in a group: silence."""
