"""Buttons of project contests: the resident's (prefix ``ct1``) and the staff's (``admct``, ``admcf``).

The resident's buttons also travel in outbox rows (the notice of a new or extended contest, the
results), sent later by the sender and pressed long after: their prefix carries a version. When
the fields of ``ContestCb`` change, the version goes up, and an older button still pressed is
answered by the fallback («This button is out of date») instead of being misread.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.keyboards.admin import back_to_admin
from bot.keyboards.common import back_button, cancel_button, inline, menu_button, yes_no
from bot.rules.contests import Category, Phase
from bot.web.links import web_row
from storage.contests import Contest
from storage.places import Place

CATEGORY_LABELS: dict[str, str] = {
    Category.GREENING: N_("🌳 Greening"),
    Category.PARK: N_("🏞 Park"),
    Category.SQUARE: N_("⛲ Square"),
    Category.SPORTS: N_("⚽ Sports ground"),
    Category.PLAYGROUND: N_("🛝 Playground"),
    Category.OTHER: N_("🧩 Other"),
}
SOURCE_LABELS = {
    "budget": N_("Rural district budget"),
    "fees": N_("Voluntary fees"),
    "sponsors": N_("Sponsorship"),
    "investors": N_("Investors' funds"),
}


class Act(StrEnum):
    LIST = "l"
    CONTEST = "c"
    PROJECT = "p"
    ASK = "a"  # the confirmation before a vote
    VOTE = "v"
    RESULTS = "r"


class ContestCb(CallbackData, prefix="ct1"):
    act: Act
    contest: int = 0
    project: int = 0


class AdmAct(StrEnum):
    LIST = "l"
    VIEW = "v"
    NEW = "n"
    ADD_PROJECT = "ap"
    PUBLISH = "pub"
    PUBLISH_OK = "pubok"
    TURNOUT = "t"
    CLOSE = "x"
    EXTEND = "e"
    OFFLINE = "o"
    RESULTS = "r"
    EXPORT = "csv"


class AdminContestCb(CallbackData, prefix="admct"):
    act: AdmAct
    id: int = 0


class FormAct(StrEnum):
    SKIP = "s"
    VILLAGE = "v"  # toggle a covered village
    ALL = "all"
    DONE = "d"
    NOW = "now"
    CATEGORY = "c"
    PLACE = "p"  # the project's village (0: the whole rural district)
    MORE = "m"  # add another project
    FINISH = "f"
    CONFIRM = "ok"


class FormCb(CallbackData, prefix="admcf"):
    act: FormAct
    village: int = 0  # VILLAGE: the village toggled; PLACE: the project's village, 0 for the whole district
    category: Category | None = None  # CATEGORY


def category_label(category: str) -> str:
    return _(CATEGORY_LABELS.get(category, CATEGORY_LABELS[Category.OTHER]))


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


# --- residents ----------------------------------------------------------------------------


def list_keyboard(contests: list[Contest], lang: str) -> InlineKeyboardMarkup:
    rows = [[_button(_short(c.title(lang)), ContestCb(act=Act.CONTEST, contest=c.id))] for c in contests]
    rows.append([menu_button()])
    return inline(rows)


def contest_keyboard(contest: Contest, current: Phase, first_project: int | None) -> InlineKeyboardMarkup:
    rows = []
    if first_project is not None:
        label = _("🗳 Projects and vote") if current is Phase.OPEN else _("📋 Projects")
        rows.append([_button(label, ContestCb(act=Act.PROJECT, contest=contest.id, project=first_project))])
    if current is Phase.CLOSED:
        rows.append([_button(_("🏆 Results"), ContestCb(act=Act.RESULTS, contest=contest.id))])
    rows += web_row("contests", contest.id)
    rows.append([back_button(ContestCb(act=Act.LIST).pack()), menu_button()])
    return inline(rows)


def project_keyboard(
    contest_id: int, project_id: int, previous: int | None, following: int | None, can_vote: bool, is_my_vote: bool
) -> InlineKeyboardMarkup:
    rows = []
    if can_vote and not is_my_vote:
        rows.append([_button(_("🗳 Vote"), ContestCb(act=Act.ASK, contest=contest_id, project=project_id))])
    paging = []
    if previous is not None:
        paging.append(_button("◀️", ContestCb(act=Act.PROJECT, contest=contest_id, project=previous)))
    if following is not None:
        paging.append(_button("▶️", ContestCb(act=Act.PROJECT, contest=contest_id, project=following)))
    if paging:
        rows.append(paging)
    rows.append([back_button(ContestCb(act=Act.CONTEST, contest=contest_id).pack()), menu_button()])
    return inline(rows)


def confirm_keyboard(contest_id: int, project_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [_button(_("✅ Yes, vote"), ContestCb(act=Act.VOTE, contest=contest_id, project=project_id))],
            [_button(_("No"), ContestCb(act=Act.PROJECT, contest=contest_id, project=project_id))],
        ]
    )


def after_vote_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    """Under a vote's confirmation and under the results."""
    back = [_button(_("⬅️ To the contest"), ContestCb(act=Act.CONTEST, contest=contest_id))]
    return inline([*web_row("contests", contest_id), back, [menu_button()]])


def open_contest_buttons(contest_id: int) -> list[list[dict[str, str]]]:
    """The button under an outbox message about a contest (stored as JSON, per language)."""
    return [[{"text": _("🗳 Open the contest"), "callback_data": ContestCb(act=Act.CONTEST, contest=contest_id).pack()}]]


def contact_keyboard() -> ReplyKeyboardMarkup:
    """Telegram's contact button works only on a reply keyboard in a private chat."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)],
            [KeyboardButton(text=_("✖️ Cancel"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


# --- staff --------------------------------------------------------------------------------


def admin_list_keyboard(contests: list[Contest], lang: str, now_marks: dict[int, str]) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(
                f"{now_marks.get(c.id, '')} {_short(c.title(lang))}".strip(), AdminContestCb(act=AdmAct.VIEW, id=c.id)
            )
        ]
        for c in contests
    ]
    rows.append([_button(_("➕ New contest"), AdminContestCb(act=AdmAct.NEW))])
    rows.append([back_to_admin()])
    return inline(rows)


def admin_contest_keyboard(contest: Contest, current: Phase) -> InlineKeyboardMarkup:
    def b(text: str, act: AdmAct) -> InlineKeyboardButton:
        return _button(text, AdminContestCb(act=act, id=contest.id))

    rows = []
    if current is Phase.DRAFT:
        rows += [[b(_("➕ Add a project"), AdmAct.ADD_PROJECT)], [b(_("📣 Publish"), AdmAct.PUBLISH)]]
    elif current is Phase.CLOSED:
        rows += [
            [b(_("🏆 Results"), AdmAct.RESULTS), b(_("📥 CSV"), AdmAct.EXPORT)],
            [b(_("📊 Turnout"), AdmAct.TURNOUT)],
        ]
    else:
        rows += [
            [b(_("📊 Turnout"), AdmAct.TURNOUT), b(_("📥 CSV"), AdmAct.EXPORT)],
            [b(_("📝 Offline votes"), AdmAct.OFFLINE)],
            [b(_("⏩ Extend"), AdmAct.EXTEND)],
        ]
        if current is Phase.OPEN:
            rows[-1].append(b(_("⏹ Close early"), AdmAct.CLOSE))
    rows.append([back_button(AdminContestCb(act=AdmAct.LIST).pack()), back_to_admin()])
    return inline(rows)


def skip_keyboard() -> InlineKeyboardMarkup:
    return inline([[_button(_("⏭ Skip"), FormCb(act=FormAct.SKIP))], [cancel_button()]])


def cancel_keyboard() -> InlineKeyboardMarkup:
    return inline([[cancel_button()]])


def villages_keyboard(villages: list[Place], selected: set[int], lang: str) -> InlineKeyboardMarkup:
    rows = [
        [_button(("✅ " if v.id in selected else "▫️ ") + v.name(lang), FormCb(act=FormAct.VILLAGE, village=v.id))]
        for v in villages
    ]
    rows.append([_button(_("All villages"), FormCb(act=FormAct.ALL)), _button(_("✔️ Done"), FormCb(act=FormAct.DONE))])
    rows.append([cancel_button()])
    return inline(rows)


def opens_keyboard() -> InlineKeyboardMarkup:
    return inline([[_button(_("▶️ Right away"), FormCb(act=FormAct.NOW))], [cancel_button()]])


def categories_keyboard() -> InlineKeyboardMarkup:
    keys = list(Category)
    rows = [
        [_button(_(CATEGORY_LABELS[k]), FormCb(act=FormAct.CATEGORY, category=k)) for k in keys[i : i + 2]]
        for i in range(0, len(keys), 2)
    ]
    rows.append([cancel_button()])
    return inline(rows)


def project_village_keyboard(villages: list[Place], lang: str) -> InlineKeyboardMarkup:
    rows = [[_button(v.name(lang), FormCb(act=FormAct.PLACE, village=v.id))] for v in villages]
    rows.append([_button(_("The whole rural district"), FormCb(act=FormAct.PLACE, village=0))])
    rows.append([cancel_button()])
    return inline(rows)


def more_projects_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [_button(_("➕ Another project"), FormCb(act=FormAct.MORE))],
            [_button(_("✔️ Done"), AdminContestCb(act=AdmAct.VIEW, id=contest_id))],
        ]
    )


def confirm_publish_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            yes_no(
                AdminContestCb(act=AdmAct.PUBLISH_OK, id=contest_id).pack(),
                AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack(),
            )
        ]
    )


def confirm_form_keyboard(label: str) -> InlineKeyboardMarkup:
    return inline([[_button(label, FormCb(act=FormAct.CONFIRM))], [cancel_button()]])


def admin_back_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    return inline([[back_button(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack()), back_to_admin()]])


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
