"""The routers, composed in one place. Include order is priority: catch-alls last."""

from __future__ import annotations

from aiogram import Router

from bot import gates
from bot._aiogram import detached as _free
from handlers import (
    admin,
    broadcasts,
    budget,
    contests,
    documents,
    events,
    fallback,
    groups,
    initiatives,
    menu,
    operator,
    settings,
    start,
)
from handlers.admin import Summary
from handlers.common import BUILT_IN_CONSENT, RETENTION_DAYS, ChatType, IsStaff, Onboarded

__all__ = ["BUILT_IN_CONSENT", "RETENTION_DAYS", "admin_summaries", "routers"]

FEATURES = (initiatives, contests, events, documents, budget, broadcasts)


def admin_summaries() -> list[Summary]:
    """Each feature's line on the admin menu, in the menu's order."""
    return [feature.admin_summary for feature in FEATURES]


def routers() -> list[Router]:
    """Groups first (silence there), then commands that work in any state, then the features."""
    private = Router(name="private")
    private.message.filter(ChatType(private=True))
    private.callback_query.filter(ChatType(private=True))

    staff = Router(name="staff")
    staff.message.filter(IsStaff())
    staff.callback_query.filter(IsStaff())
    staff.include_routers(*_free(admin.router, *(feature.admin_router for feature in FEATURES)))

    residents = Router(name="residents")
    residents.message.filter(Onboarded())
    residents.callback_query.filter(Onboarded())
    residents.include_routers(*_free(*(feature.router for feature in FEATURES)))

    private.include_routers(
        *_free(operator.router, start.router, menu.router, settings.router), staff, residents, *_free(fallback.router)
    )
    composed = [*_free(groups.router), private]
    gates.install(composed)
    return composed
