"""The fake Telegram refuses what Telegram refuses; otherwise a test could pass on a request the real one rejects."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tests.fake_telegram import TOKEN, FakeTelegram, Limits
from tests.harness import RecordingSession, World
from tests.telegram_spec import html_problems, problems


def test_unknown_method_and_fields_are_refused() -> None:
    assert problems("sendMesage", {"chat_id": 1, "text": "x"}) == ["unknown method sendMesage"]
    assert problems("sendMessage", {"text": "x"}) == ["sendMessage: missing required field chat_id"]
    assert problems("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"}) == [
        "sendMessage: unknown field colour"
    ]


def test_limits_are_refused() -> None:
    assert problems("sendMessage", {"chat_id": 1, "text": "я" * 4096}) == []
    assert problems("sendMessage", {"chat_id": 1, "text": "я" * 4097}) == ["sendMessage: message is too long"]
    assert problems("sendPhoto", {"chat_id": 1, "photo": "F", "caption": "я" * 1025}) == [
        "sendPhoto: caption is too long"
    ]
    markup = {"inline_keyboard": [[{"text": "ok", "callback_data": "ә" * 33}]]}
    assert problems("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": markup}) == [
        "sendMessage: BUTTON_DATA_INVALID (66 bytes)"
    ]


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "a < b", "Tom & Jerry", "<b>open", "<i>x</b>"])
def test_html_that_telegram_cannot_parse_is_refused(text: str) -> None:
    assert html_problems(text)


@pytest.mark.parametrize(
    "text", ["<b>Жиын</b> &lt;script&gt;", "a &amp; b", '<a href="https://egov.kz">x</a>', "<blockquote>q</blockquote>"]
)
def test_html_that_telegram_parses_passes(text: str) -> None:
    assert html_problems(text) == []


async def test_the_recording_session_raises_what_aiogram_raises() -> None:
    telegram = FakeTelegram(limits=Limits(per_second=None, per_chat_per_second=1.0))
    bot = Bot(TOKEN, session=RecordingSession(telegram))
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(
            1,
            "x",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x" * 65)]]
            ),
        )
    telegram.blocked.add(2)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(2, "x")
    await bot.send_message(3, "x")
    with pytest.raises(TelegramRetryAfter) as too_fast:
        await bot.send_message(3, "y")
    assert too_fast.value.retry_after == 1
    assert telegram.count_429 == 1


def test_a_text_escaped_twice_is_flagged_unless_the_person_typed_the_entity() -> None:
    telegram = FakeTelegram()
    escaped_twice = {"chat_id": 1, "text": "<b>Освещение &amp;amp; вода</b> (&amp;lt;50%)", "parse_mode": "HTML"}
    telegram.handle("sendMessage", escaped_twice)
    button = {"inline_keyboard": [[{"text": "Tom &amp; Jerry", "callback_data": "x"}]]}
    telegram.handle("sendMessage", {"chat_id": 1, "text": "ok", "reply_markup": button})
    telegram.handle("answerCallbackQuery", {"callback_query_id": "1", "text": "a &lt; b"})
    assert telegram.violations == [
        "sendMessage: shows '&amp;': escaped twice",
        "sendMessage: shows '&lt;': escaped twice",
        "sendMessage: shows '&amp;': escaped twice",
        "answerCallbackQuery: shows '&lt;': escaped twice",
    ]
    fine = FakeTelegram()
    fine.handle("sendMessage", {"chat_id": 1, "text": "Освещение &amp; вода (&lt;50%)", "parse_mode": "HTML"})
    fine.hear({"message": {"text": "I typed &amp; myself"}, "callback_query": {"message": {"text": "&lt;"}}})
    fine.handle("sendMessage", {"chat_id": 1, "text": "You wrote: I typed &amp;amp; myself", "parse_mode": "HTML"})
    assert fine.violations == []
    fine.handle(
        "sendMessage", {"chat_id": 1, "text": "&amp;lt;", "parse_mode": "HTML"}
    )  # the bot's «&lt;» is not theirs
    assert fine.violations == ["sendMessage: shows '&lt;': escaped twice"]


async def test_a_button_press_the_bot_never_answers_is_flagged(world: World) -> None:
    from aiogram import F
    from aiogram.types import CallbackQuery

    async def silent(query: CallbackQuery) -> None:
        """Forgets query.answer(): the phone's spinner would keep turning."""

    world.dp.callback_query.register(silent, F.data == "probe:silent")
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data("probe:silent")
    assert world.telegram.violations == ["the press of 'probe:silent' was never answered"]
    world.telegram.violations.clear()


def test_a_full_stop_after_a_date_that_ends_with_one_is_flagged() -> None:
    telegram = FakeTelegram()
    telegram.handle("sendMessage", {"chat_id": 1, "text": "Срок: 23 декабря 2026\u202fг..", "parse_mode": "HTML"})
    telegram.handle("sendMessage", {"chat_id": 1, "text": "Срок: 23 декабря 2026\u202fг.", "parse_mode": "HTML"})
    telegram.handle("sendMessage", {"chat_id": 1, "text": "Мерзімі — 2026 ж. 23 желтоқсан.", "parse_mode": "HTML"})
    assert telegram.violations == ["sendMessage: «2026\u202fг..»: the date's full stop and the sentence's"]
