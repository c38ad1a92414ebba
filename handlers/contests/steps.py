"""The texts a guided flow asks for in both languages (a contest's, a project's title and
description): each may be skipped, but not both titles; the next question follows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards.contests import cancel_keyboard, skip_keyboard

TITLE_MAX, DESCRIPTION_MAX, PROJECT_DESCRIPTION_MAX, REASON_MAX = 150, 1500, 600, 500


def text_value(message: Message, limit: int) -> str | None:
    """The message's text, if it is text of at most ``limit`` characters."""
    text = (message.text or "").strip()
    return text if text and len(text) <= limit else None


async def reason(message: Message) -> str | None:
    """The reason a staff member gives (for a decision residents will read), or None once they are
    asked again for a text of at most ``REASON_MAX`` characters."""
    value = text_value(message, REASON_MAX)
    if value is None:
        await message.answer(
            _("Please send the reason as text, at most {limit} characters.").format(limit=REASON_MAX),
            reply_markup=cancel_keyboard(),
        )
    return value


@dataclass(frozen=True)
class Step:
    """One text of the flow: the key it is kept under, its limit, and what follows."""

    key: str
    limit: int
    too_long: str  # msgid with {limit}: the answer to a text that is not acceptable
    following: State
    prompt: str | None = None  # msgid of the next question (skip or cancel under it); None: the caller asks


async def take(
    message: Message, state: FSMContext, steps: Mapping[str | None, Step], no_title: str, *, skipped: bool = False
) -> Step | None:
    """Keep the message's text for the current step (or nothing, when it is skipped) and ask the
    next question; return the step taken, or None when the text was refused and is asked again."""
    step = steps[await state.get_state()]
    value = "" if skipped else text_value(message, step.limit)
    if value is None:
        await message.answer(_(step.too_long).format(limit=step.limit), reply_markup=skip_keyboard())
        return None
    if step.key == "title_ru" and not value and not (await state.get_data()).get("title_kk"):
        await message.answer(_(no_title), reply_markup=cancel_keyboard())
        return None
    await state.update_data({step.key: value})
    await state.set_state(step.following)
    if step.prompt is not None:
        await message.answer(_(step.prompt), reply_markup=skip_keyboard())
    return step
