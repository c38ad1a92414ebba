"""Gates (bot/gates.py): a router skips at once what none of its handlers could take, and nothing else."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.filters import BaseFilter, Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, Update

import handlers
from bot import gates
from bot.i18n import build_i18n
from bot.keyboards.budget import Bud
from bot.keyboards.common import MenuButton
from tests.fake_telegram import TOKEN, FakeTelegram
from tests.harness import RecordingSession, World


class A(CallbackData, prefix="a"):
    n: int


class B(CallbackData, prefix="b"):
    n: int


class Form(StatesGroup):
    one = State()


class Spy(BaseFilter):
    """An opaque filter (it names nothing) that counts the updates it was asked about."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def __call__(self, event: Any) -> bool:
        self.asked.append(event.data if isinstance(event, CallbackQuery) else event.text)
        return True


def _tree(spy: Spy) -> tuple[Router, list[str]]:
    top, a, b, rest = Router(name="top"), Router(name="a"), Router(name="b"), Router(name="rest")
    answered: list[str] = []

    @a.callback_query(A.filter())
    async def on_a(query: CallbackQuery) -> None:
        answered.append("a")

    @a.message(Form.one)
    async def in_form(message: Message) -> None:
        answered.append("form")

    @b.callback_query(spy, B.filter())  # the spy first: without a gate it is asked about every button
    async def on_b(query: CallbackQuery) -> None:
        answered.append("b")

    @b.message(spy, MenuButton("contests"))
    async def on_label(message: Message) -> None:
        answered.append("label")

    @b.message(spy, Command("x"))
    async def on_command(message: Message) -> None:
        answered.append("command")

    @rest.callback_query()
    @rest.message()
    async def anything(event: Any) -> None:
        answered.append("rest")

    top.include_routers(a, b, rest)
    return top, answered


def _update(n: int, *, data: str | None = None, text: str | None = None) -> Update:
    user = {"id": 7, "is_bot": False, "first_name": "T"}
    chat = {"id": 7, "type": "private"}
    message = {"message_id": n, "date": 0, "chat": chat, "from": user, "text": text or "…"}
    if data is not None:
        query = {"id": str(n), "from": user, "chat_instance": "c", "data": data, "message": message}
        return Update.model_validate({"update_id": n, "callback_query": query})
    return Update.model_validate({"update_id": n, "message": message})


async def test_a_gate_refuses_only_what_every_handler_below_it_refuses() -> None:
    spy = Spy()
    top, answered = _tree(spy)
    left_open = gates.install([top])
    # «rest» may take anything, and so may «top» above it; «a» and «b» name what they take
    assert left_open == {"message": ["top", "rest"], "callback_query": ["top", "rest"]}
    dp = Dispatcher()
    dp.include_router(top)
    dp["i18n"] = build_i18n()
    bot = Bot(TOKEN, session=RecordingSession(FakeTelegram()))
    contests_kk = build_i18n().gettext(MenuButton("contests").msgid, locale="kk")

    for n, update in enumerate(
        [
            _update(1, data=A(n=1).pack()),
            _update(2, data="zzz:1"),
            _update(3, data=B(n=2).pack()),
            _update(4, text="hello"),
            _update(5, text=contests_kk),
            _update(6, text="/x"),
        ]
    ):
        await dp.feed_update(bot, update)
        assert len(answered) == n + 1
    assert answered == ["a", "rest", "b", "rest", "label", "command"]
    # the opaque filter of «b» was asked only about what «b» could take (a «b» button, the label,
    # the command: twice, by the label's handler and the command's), never about «a:1», «zzz:1», «hello»
    assert spy.asked == [B(n=2).pack(), contests_kk, "/x", "/x"]

    # in the form's state, text goes to the form, through the gate of «a»
    await dp.storage.set_state(key=_key(bot), state=Form.one)
    await dp.feed_update(bot, _update(7, text="hello"))
    assert answered[-1] == "form"
    await bot.session.close()


def _key(bot: Bot) -> Any:
    from aiogram.fsm.storage.base import StorageKey

    return StorageKey(bot_id=bot.id, chat_id=7, user_id=7)


async def test_a_handler_that_names_nothing_opens_its_router_and_those_above() -> None:
    spy = Spy()
    top, answered = _tree(spy)
    gates.install([top])
    a = top.sub_routers[0]

    @a.callback_query(spy)  # added later: «a» may now take any button
    async def any_button(query: CallbackQuery) -> None:
        answered.append("a-any")

    assert gates.install([top])["callback_query"] == ["top", "a", "rest"]
    dp = Dispatcher()
    dp.include_router(top)
    bot = Bot(TOKEN, session=RecordingSession(FakeTelegram()))
    await dp.feed_update(bot, _update(1, data="zzz:1"))
    assert answered == ["a-any"]
    await bot.session.close()


def test_only_the_catch_alls_are_left_open_in_the_bot() -> None:
    left_open = gates.install(handlers.routers())
    assert left_open == {kind: ["handlers.groups", "private", "handlers.fallback"] for kind in gates.GATED}


async def test_a_resident_s_budget_button_skips_the_other_features(world: World, monkeypatch: Any) -> None:
    resident = await world.resident()
    checks = [0]
    check = HandlerObject.check

    async def counted(self: HandlerObject, *args: Any, **kwargs: Any) -> Any:
        checks[0] += 1
        return await check(self, *args, **kwargs)

    monkeypatch.setattr(HandlerObject, "check", counted)
    await resident.press_data(Bud(year=0).pack())
    assert resident.last.text == "Бюджет ботта әлі жарияланған жоқ."  # the budget's own answer, in Kazakh
    # 82 filter checks before the gates (30 routers, 51 callback data unpacked); now the gates
    # of the routers on the way and the budget's own handlers
    assert checks[0] <= 20, checks[0]
