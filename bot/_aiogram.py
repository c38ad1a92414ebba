"""The one private part of aiogram this project relies on, in one place, and why.

A router is included in one parent only (``Router.include_router`` refuses a second), and the
feature routers are module-level objects with their handlers registered by decorators at
import. Every new dispatcher (each test, several bot tokens in one process) must take them
over, so composing them first detaches them from the dispatcher that had them. aiogram has no
public way to do that; ``tests/test_layers.py::test_a_router_can_be_composed_twice`` pins it.
Their handlers hold no state, so sharing them between dispatchers is safe.
"""

from __future__ import annotations

from aiogram import Router


def detached(*routers: Router) -> list[Router]:
    """The routers, free to be included in a new parent."""
    for router in routers:
        router._parent_router = None
    return list(routers)
