"""Settings: language, village, notifications, consent (``screens``) and «My data» (``data``):
what is kept about the person, as files, and deleting it."""

from __future__ import annotations

from aiogram import Router

from handlers.common import Onboarded
from handlers.settings import data, screens

router = Router(name=__name__)
router.message.filter(Onboarded())
router.callback_query.filter(Onboarded())
router.include_routers(data.router, screens.router)
