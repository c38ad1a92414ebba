"""The operator's chat: the set-up commands (``setup``, the same as the ``bot.py`` subcommands),
the menu with the rural districts, «stop all sending» and ``/status`` (``menu``), a district's
staff with Telegram's user picker (``staff``) and its settings (``districts``); the audit trail for
the operator and the chair of the meeting (``audit``); and a polite refusal of an operator's
command from anyone else (``refusals``).

Operators are the Telegram ids of OPERATOR_IDS and those added with ``add-operator``; they need
not be residents of any district. Every write checks the actor again in storage.
"""

from __future__ import annotations

from aiogram import Router

from handlers.common import IsOperator
from handlers.operator import audit, districts, menu, refusals, setup, staff

router = Router(name=__name__)
operators = Router(name=__name__ + ".operators")
operators.message.filter(IsOperator())
operators.callback_query.filter(IsOperator())
operators.include_routers(setup.router, menu.router, staff.router, districts.router)
router.include_routers(operators, audit.router, refusals.router)
