"""Documents and akim reports: the resident's screens and the staff's, one module per flow.

Residents browse the current published version of each document by kind, newest first, search by
a word in titles, read a document in their language (a long text in several messages, a file sent
by its file_id), and ask and support questions about an akim's report (``browse``, ``questions``).
Staff write documents and new versions of them as drafts (``drafting``), publish them
(``publishing``) and answer the questions; the answer reaches everyone who asked or supported
(``answers``). ``router`` is filtered ``Onboarded`` and ``admin_router`` ``IsStaff`` where they
are composed (``handlers/__init__.py``).
"""

from __future__ import annotations

from aiogram import Router
from aiogram.utils.i18n import ngettext

from bot.rules.clock import Clock
from handlers.documents import answers, browse, drafting, publishing, questions
from storage import documents as docs
from storage.db import Database

router = Router(name=__name__)
router.include_routers(browse.router, questions.router)

admin_router = Router(name=__name__ + ".admin")
admin_router.include_routers(drafting.router, publishing.router, answers.router)


async def admin_summary(db: Database, rural_district_id: int, clock: Clock) -> str | None:
    """A line for the admin menu about what needs attention here, or None."""
    waiting = await docs.count_open_questions(db, rural_district_id)
    if not waiting:
        return None
    return ngettext(
        "❓ {count} question about the akim's reports waits for an answer",
        "❓ {count} questions about the akim's reports wait for an answer",
        waiting,
    ).format(count=waiting)
