"""Gates: a router skips at once the updates that none of the handlers below it could take.

aiogram offers an update to the routers one after another, depth first, and in each router
to every handler in turn, each checking its filters: a button of the budget passed 30 routers
and 82 filter checks (51 of them unpacking callback data) before it reached its handler. Yet
most filters name what they take: ``ContestCb.filter()`` a prefix of the callback data, a
``State`` or ``StateFilter`` the conversation's state, ``MenuButton`` a label of the main menu,
``Command`` a text that starts with ``/``. A handler's filters must all pass, so any one of
them that names its updates is a necessary condition of the handler.

``install(router)`` reads the handlers of every router in a tree once, at composition, and
gives each router whose handlers all name their updates a root filter (a ``Gate``) that lets
through only those: the union over its own handlers and its sub-routers. A router with one
handler that could take anything (no filter, or only filters that say nothing of the kind,
such as the fallback's) gets no gate for that kind of update, and neither do its parents.
A gate only ever refuses what every handler below it would have refused, so which handler
answers does not change (``tests/test_gates.py``); only the checks on the way are saved.

The observers, their handlers and filters are public attributes of aiogram's routers.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import FilterObject, HandlerObject
from aiogram.filters import Command, Filter, StateFilter
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import I18n

from bot.i18n import LANGUAGES
from bot.keyboards.common import MenuButton

GATED = ("message", "callback_query")


@dataclass(frozen=True)
class Keys:
    """What a router can take: ``None`` where it might take anything of that kind."""

    prefixes: frozenset[tuple[str, str]] = frozenset()  # (separator, prefix) of callback data
    states: frozenset[str | None] = frozenset()  # conversation states (None: no conversation)
    labels: frozenset[str] = frozenset()  # msgids of main-menu labels
    commands: frozenset[str] = frozenset()  # command prefixes, such as "/"

    def __or__(self, other: Keys) -> Keys:
        return Keys(
            self.prefixes | other.prefixes,
            self.states | other.states,
            self.labels | other.labels,
            self.commands | other.commands,
        )


def _states(value: Any) -> frozenset[str | None] | None:
    """The raw states a state filter's argument admits; None where it admits any ("*")."""
    if isinstance(value, State):
        return None if value.state == "*" else frozenset({value.state})
    if inspect.isclass(value) and issubclass(value, StatesGroup):
        return frozenset(value.__all_states_names__)
    if isinstance(value, str) or value is None:
        return None if value == "*" else frozenset({value})
    return None  # a StatesGroup instance or anything else: say nothing


def _filter_keys(kind: str, flt: FilterObject) -> Keys | None:
    """What one filter admits, or None when it says nothing this module understands."""
    callback = flt.callback
    if kind == "callback_query" and isinstance(callback, CallbackQueryFilter):
        data = callback.callback_data
        return Keys(prefixes=frozenset({(data.__separator__, data.__prefix__)}))
    if kind != "message":
        return None
    if isinstance(callback, StateFilter):
        admitted: frozenset[str | None] = frozenset()
        for value in callback.states:
            states = _states(value)
            if states is None:
                return None
            admitted |= states
        return Keys(states=admitted)
    if isinstance(callback, State):
        states = _states(callback)
        return None if states is None else Keys(states=states)
    if isinstance(callback, MenuButton):
        return Keys(labels=frozenset({callback.msgid}))
    if isinstance(callback, Command):
        return Keys(commands=frozenset(callback.prefix))
    return None


def _narrowness(keys: Keys) -> int:
    """Which of a handler's named filters to keep: a prefix, a conversation, a label, a command, no conversation."""
    if keys.prefixes:
        return 0
    if keys.states and None not in keys.states:
        return 1
    return 2 if keys.labels else 3 if keys.commands else 4


def handler_keys(kind: str, handler: HandlerObject) -> Keys | None:
    """The narrowest of a handler's filters that names its updates (all of them must pass)."""
    named = [keys for flt in handler.filters or () if (keys := _filter_keys(kind, flt)) is not None]
    return min(named, key=_narrowness) if named else None


def router_keys(router: Router, kind: str, known: dict[int, Keys | None] | None = None) -> Keys | None:
    """The union over a router's handlers of this kind and its sub-routers; None if any is open.
    ``known`` keeps each router's answer, so a tree is read once however deep it is."""
    known = {} if known is None else known
    if id(router) in known:
        return known[id(router)]
    keys: Keys | None = Keys()
    for handler in router.observers[kind].handlers:
        own = handler_keys(kind, handler)
        keys = None if own is None or keys is None else keys | own
    for sub in router.sub_routers:  # every sub-router is read, so each is known for its own gate
        below = router_keys(sub, kind, known)
        keys = None if below is None or keys is None else keys | below
    known[id(router)] = keys
    return keys


class Gate(Filter):
    """A router's root filter: the update passes when one of the router's keys admits it."""

    def __init__(self, keys: Keys | None) -> None:
        self.keys = keys  # None: open (a handler that may take anything was added since)
        self._texts: dict[int, frozenset[str]] = {}

    def reset(self, keys: Keys | None) -> None:
        self.keys, self._texts = keys, {}

    def texts(self, i18n: I18n) -> frozenset[str]:
        """The main-menu labels this gate admits, in every language (once per catalog set)."""
        texts = self._texts.get(id(i18n))
        if texts is None:
            labels = self.keys.labels if self.keys else ()
            texts = frozenset(i18n.gettext(msgid, locale=lang) for msgid in labels for lang in LANGUAGES)
            self._texts[id(i18n)] = texts
        return texts

    def admits(self, event: TelegramObject, raw_state: str | None, i18n: I18n | None) -> bool:
        keys = self.keys
        if keys is None:
            return True
        if isinstance(event, CallbackQuery):
            data = event.data or ""
            return any(data.split(sep, 1)[0] == prefix for sep, prefix in keys.prefixes)
        if isinstance(event, Message):
            if raw_state in keys.states:
                return True
            text = event.text or event.caption or ""
            if keys.commands and text.startswith(tuple(keys.commands)):
                return True
            return bool(keys.labels) and i18n is not None and event.text in self.texts(i18n)
        return True

    async def __call__(self, event: TelegramObject, raw_state: str | None = None, i18n: I18n | None = None) -> bool:
        return self.admits(event, raw_state, i18n)


def _walk(router: Router) -> Iterator[Router]:
    yield router
    for sub in router.sub_routers:
        yield from _walk(sub)


# the feature routers are module-level and composed again by every dispatcher: one gate each,
# whose keys are read again at every composition
_gates: weakref.WeakKeyDictionary[Router, dict[str, Gate]] = weakref.WeakKeyDictionary()


def install(routers: Iterable[Router]) -> dict[str, list[str]]:
    """Give every router of these trees its gates; returns, per kind, the routers left open."""
    open_: dict[str, list[str]] = {kind: [] for kind in GATED}
    known: dict[str, dict[int, Keys | None]] = {kind: {} for kind in GATED}
    for top in routers:
        for router in _walk(top):
            gates = _gates.setdefault(router, {})
            for kind in GATED:
                keys = router_keys(router, kind, known[kind])
                if keys is None:
                    open_[kind].append(router.name)
                if kind in gates:
                    gates[kind].reset(keys)
                elif keys is not None:
                    gates[kind] = Gate(keys)
                    router.observers[kind].filter(gates[kind])
    return open_
