"""A second person's approval of a large announcement: another staff member of the district or
the chair of the meeting presses Approve (it is sent from now) or Reject (nothing is sent) under
the request they got. The composer cannot approve their own; storage checks the roles."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.i18n import in_all_languages
from bot.keyboards.broadcasts import ApproveCb, approval_buttons
from bot.rules.clock import Clock, to_db
from handlers.broadcasts.texts import visible_length
from handlers.common import target
from storage import approvals
from storage.audit import CHAIR_KIND, STAFF_KIND, Actor
from storage.broadcasts import ApprovalNotice
from storage.db import Database
from storage.people import CHAIR, STAFF, Person

router = Router(name=__name__)
PREVIEW = 600  # characters of the announcement shown in the request


def notice(i18n: I18n, texts: dict[str, str], recipients: int) -> ApprovalNotice:
    """The request to approve, in both languages, with its buttons (rendered when it is queued)."""

    def render(broadcast_id: int) -> tuple[dict[str, str], dict[str, object]]:
        def text() -> str:
            body = texts.get(str(i18n.current_locale)) or next(iter(texts.values()), "")
            if visible_length(body) > PREVIEW:
                body = _("(the text is long: it is shown in full once approved)")
            return (
                _(
                    "📣 <b>An announcement needs your approval</b> (No. {id})\n"
                    "Recipients: {n}. A large announcement is sent only when a second staff member or the chair "
                    "of the meeting approves it: if you did not expect it, reject it."
                ).format(id=broadcast_id, n=recipients)
                + "\n\n"
                + body
            )

        return in_all_languages(i18n, text), in_all_languages(i18n, lambda: approval_buttons(broadcast_id))

    return render


def _actor(person: Person) -> Actor:
    """Staff or the chair of the person's district (storage checks which, from the roles)."""
    kind = STAFF_KIND if person.has_role(STAFF) else CHAIR_KIND if person.has_role(CHAIR) else "resident"
    return Actor(kind, person.id, person.telegram_id, person.rural_district_id)


@router.callback_query(ApproveCb.filter())
async def decide(query: CallbackQuery, callback_data: ApproveCb, person: Person, db: Database, clock: Clock) -> None:
    """Approve or reject; the answer says what happens now."""
    now = to_db(clock.now())
    if callback_data.yes:
        item = await approvals.approve(db, _actor(person), callback_data.id, now)
        text = _("Approved: announcement No. {id} is being sent. Recipients: {n}.").format(
            id=item.id, n=item.recipients
        )
    else:
        item = await approvals.reject(db, _actor(person), callback_data.id, now)
        text = _("Rejected: announcement No. {id} is not sent to anyone.").format(id=item.id)
    await query.answer()
    await target(query).answer(text)
