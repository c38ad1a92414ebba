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
from bot.keyboards.common import (
    back_button,
    button,
    cancel_button,
    inline,
    menu_button,
    per_language,
    request_keyboard,
    with_back,
    yes_no,
)
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
    BALLOT = "b"  # an approval ballot: the projects to choose from, up to K
    TOGGLE = "t"  # choose or unchoose a project on that ballot
    REPORT = "rp"  # report pressure or vote buying
    PROGRESS = "pg"  # a funded project's progress
    DONE = "ok"  # «done as promised»
    PROBLEM = "pr"  # «there is a problem»


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
    CENSUS = "cs"  # the district's census of voters
    CENSUS_OK = "csok"  # id: the pending census to apply
    CENSUS_NO = "csno"  # id: the pending census to forget
    TABLE = "pt"  # the polling table
    COST = "cost"  # change a project's cost (before the first vote)
    CHOICES = "k"  # how many projects a voter may choose (before the first vote)
    PROGRESS = "pg"  # report the progress of a funded project


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


class ProjectCb(CallbackData, prefix="admcp"):
    """A staff action on one project: its new cost, its progress (stage), the residents' verdict."""

    act: AdmAct
    contest: int
    project: int
    stage: str = ""


class WatchAct(StrEnum):
    LIST = "l"
    FLAG = "f"
    KEEP = "k"
    ANNUL = "a"
    VOICE = "v"  # the voice message of a pressure report


class WatchCb(CallbackData, prefix="ctan"):
    """The anomalies of a contest (staff, the chair, operators) and the chair's decisions; a report's voice."""

    act: WatchAct
    contest: int = 0
    flag: str = ""  # bot.rules.anomalies.key
    report: int = 0


STAGE_LABELS = {
    "started": N_("🚧 Started"),
    "half": N_("🏗 Half done"),
    "finished": N_("🏁 Finished"),
}


def category_label(category: str) -> str:
    return _(CATEGORY_LABELS.get(category, CATEGORY_LABELS[Category.OTHER]))


# --- residents ----------------------------------------------------------------------------


def list_keyboard(contests: list[Contest], lang: str) -> InlineKeyboardMarkup:
    return _list_keyboard(tuple((c.id, c.title(lang)) for c in contests))


@per_language
def _list_keyboard(contests: tuple[tuple[int, str], ...]) -> InlineKeyboardMarkup:
    rows = [[button(_short(title), ContestCb(act=Act.CONTEST, contest=id_))] for id_, title in contests]
    rows.append([menu_button()])
    return inline(rows)


def contest_keyboard(
    contest: Contest, current: Phase, first_project: int | None, *, watcher: bool = False
) -> InlineKeyboardMarkup:
    rows = []
    if first_project is not None:
        label = _("🗳 Projects and vote") if current is Phase.OPEN and contest.max_choices == 1 else _("📋 Projects")
        rows.append([button(label, ContestCb(act=Act.PROJECT, contest=contest.id, project=first_project))])
        if current is Phase.OPEN and contest.max_choices > 1:
            rows.append([button(_("🗳 My ballot"), ContestCb(act=Act.BALLOT, contest=contest.id))])
    if current is Phase.CLOSED:
        rows.append([button(_("🏆 Results"), ContestCb(act=Act.RESULTS, contest=contest.id))])
    if watcher:
        rows.append([button(_("⚠️ Anomalies"), WatchCb(act=WatchAct.LIST, contest=contest.id))])
    rows.append([button(_("🆘 Report pressure or vote buying"), ContestCb(act=Act.REPORT, contest=contest.id))])
    rows += web_row("contests", contest.id)
    return with_back(rows, ContestCb(act=Act.LIST).pack())


def ballot_keyboard(contest_id: int, projects: list[tuple[int, str]], chosen: set[int]) -> InlineKeyboardMarkup:
    """An approval ballot: each project a toggle, then the vote."""
    rows = [
        [
            button(
                ("☑️ " if pid in chosen else "▫️ ") + _short(title),
                ContestCb(act=Act.TOGGLE, contest=contest_id, project=pid),
            )
        ]
        for pid, title in projects
    ]
    if chosen:
        rows.append(
            [
                button(
                    _("✅ Vote for the chosen ({count})").format(count=len(chosen)),
                    ContestCb(act=Act.ASK, contest=contest_id),
                )
            ]
        )
    return with_back(rows, ContestCb(act=Act.CONTEST, contest=contest_id).pack())


def progress_keyboard(contest_id: int, project_id: int, *, may_answer: bool) -> InlineKeyboardMarkup:
    rows = []
    if may_answer:
        rows.append(
            [
                button(_("👍 Done as promised"), ContestCb(act=Act.DONE, contest=contest_id, project=project_id)),
                button(_("⚠️ There is a problem"), ContestCb(act=Act.PROBLEM, contest=contest_id, project=project_id)),
            ]
        )
    return with_back(rows, ContestCb(act=Act.RESULTS, contest=contest_id).pack())


def progress_buttons(contest_id: int, project_id: int) -> list[list[dict[str, str]]]:
    """Under an outbox message about a project's progress (stored as JSON, per language)."""
    return [
        [
            {
                "text": _("📍 The project's progress"),
                "callback_data": ContestCb(act=Act.PROGRESS, contest=contest_id, project=project_id).pack(),
            }
        ]
    ]


def report_voice_buttons(report_id: int) -> list[list[dict[str, str]]]:
    return [[{"text": _("🎧 Listen"), "callback_data": WatchCb(act=WatchAct.VOICE, report=report_id).pack()}]]


def anomalies_keyboard(contest_id: int, flags: list[tuple[str, str]], back: str) -> InlineKeyboardMarkup:
    """The flags of a contest (key, label), one per row, then back."""
    rows = [[button(label, WatchCb(act=WatchAct.FLAG, contest=contest_id, flag=key))] for key, label in flags]
    return with_back(rows, back)


def flag_keyboard(contest_id: int, flag: str, *, may_decide: bool) -> InlineKeyboardMarkup:
    rows = []
    if may_decide:
        rows.append(
            [
                button(_("✅ Keep the votes"), WatchCb(act=WatchAct.KEEP, contest=contest_id, flag=flag)),
                button(_("❌ Annul the votes"), WatchCb(act=WatchAct.ANNUL, contest=contest_id, flag=flag)),
            ]
        )
    return with_back(rows, WatchCb(act=WatchAct.LIST, contest=contest_id).pack())


def project_keyboard(
    contest_id: int, project_id: int, previous: int | None, following: int | None, can_vote: bool, is_my_vote: bool
) -> InlineKeyboardMarkup:
    rows = []
    if can_vote and not is_my_vote:
        rows.append([button(_("🗳 Vote"), ContestCb(act=Act.ASK, contest=contest_id, project=project_id))])
    paging = []
    if previous is not None:
        paging.append(button("◀️", ContestCb(act=Act.PROJECT, contest=contest_id, project=previous)))
    if following is not None:
        paging.append(button("▶️", ContestCb(act=Act.PROJECT, contest=contest_id, project=following)))
    if paging:
        rows.append(paging)
    return with_back(rows, ContestCb(act=Act.CONTEST, contest=contest_id).pack())


def confirm_keyboard(contest_id: int, project_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [button(_("✅ Yes, vote"), ContestCb(act=Act.VOTE, contest=contest_id, project=project_id))],
            [button(_("No"), ContestCb(act=Act.PROJECT, contest=contest_id, project=project_id))],
        ]
    )


def after_vote_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    """Under a vote's confirmation and under the results."""
    back = [button(_("⬅️ To the contest"), ContestCb(act=Act.CONTEST, contest=contest_id))]
    return inline([*web_row("contests", contest_id), back, [menu_button()]])


def open_contest_buttons(contest_id: int) -> list[list[dict[str, str]]]:
    """The button under an outbox message about a contest (stored as JSON, per language)."""
    return [[{"text": _("🗳 Open the contest"), "callback_data": ContestCb(act=Act.CONTEST, contest=contest_id).pack()}]]


def contact_keyboard() -> ReplyKeyboardMarkup:
    """Telegram's contact button works only on a reply keyboard in a private chat."""
    return request_keyboard(KeyboardButton(text=_("📱 Share my phone number"), request_contact=True))


# --- staff --------------------------------------------------------------------------------


def admin_list_keyboard(contests: list[Contest], lang: str, now_marks: dict[int, str]) -> InlineKeyboardMarkup:
    rows = [
        [button(f"{now_marks.get(c.id, '')} {_short(c.title(lang))}".strip(), AdminContestCb(act=AdmAct.VIEW, id=c.id))]
        for c in contests
    ]
    rows.append([button(_("➕ New contest"), AdminContestCb(act=AdmAct.NEW))])
    rows.append([button(_("📋 Census of voters"), AdminContestCb(act=AdmAct.CENSUS))])
    rows.append([back_to_admin()])
    return inline(rows)


def admin_contest_keyboard(contest: Contest, current: Phase, *, frozen: bool = False) -> InlineKeyboardMarkup:
    def b(text: str, act: AdmAct) -> InlineKeyboardButton:
        return button(text, AdminContestCb(act=act, id=contest.id))

    rows = []
    if current is Phase.DRAFT:
        rows += [[b(_("➕ Add a project"), AdmAct.ADD_PROJECT)], [b(_("📣 Publish"), AdmAct.PUBLISH)]]
    elif current is Phase.CLOSED:
        rows += [
            [b(_("🏆 Results"), AdmAct.RESULTS), b(_("📥 CSV"), AdmAct.EXPORT)],
            [b(_("📊 Turnout"), AdmAct.TURNOUT), _watch(contest.id)],
            [b(_("📍 Progress of projects"), AdmAct.PROGRESS)],
        ]
    else:
        rows += [
            [b(_("📊 Turnout"), AdmAct.TURNOUT), b(_("📥 CSV"), AdmAct.EXPORT)],
            [b(_("🗳 Polling table"), AdmAct.TABLE), b(_("📝 Offline votes"), AdmAct.OFFLINE)],
            [_watch(contest.id)],
            [b(_("⏩ Extend"), AdmAct.EXTEND)],
        ]
        if current is Phase.OPEN:
            rows[-1].append(b(_("⏹ Close early"), AdmAct.CLOSE))
        if not frozen:
            rows.insert(0, [b(_("➕ Add a project"), AdmAct.ADD_PROJECT)])
    if current is not Phase.CLOSED and not frozen:
        rows.insert(
            -1 if current is Phase.DRAFT else 1,
            [b(_("💰 Change a cost"), AdmAct.COST), b(_("☑️ Ballot"), AdmAct.CHOICES)],
        )
    rows.append([back_button(AdminContestCb(act=AdmAct.LIST).pack()), back_to_admin()])
    return inline(rows)


def _watch(contest_id: int) -> InlineKeyboardButton:
    return button(_("⚠️ Anomalies"), WatchCb(act=WatchAct.LIST, contest=contest_id))


def admin_projects_keyboard(contest_id: int, projects: list[tuple[int, str]], act: AdmAct) -> InlineKeyboardMarkup:
    """Choose a project to act on (its cost, its progress)."""
    rows = [[button(_short(title), ProjectCb(act=act, contest=contest_id, project=pid))] for pid, title in projects]
    rows.append([back_button(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack()), back_to_admin()])
    return inline(rows)


def stages_keyboard(contest_id: int, project_id: int) -> InlineKeyboardMarkup:
    rows = [
        [button(_(label), ProjectCb(act=AdmAct.PROGRESS, contest=contest_id, project=project_id, stage=stage))]
        for stage, label in STAGE_LABELS.items()
    ]
    rows.append([back_button(AdminContestCb(act=AdmAct.PROGRESS, id=contest_id).pack()), back_to_admin()])
    return inline(rows)


def census_keyboard(pending_id: int | None) -> InlineKeyboardMarkup:
    rows = []
    if pending_id:
        rows.append(
            [
                button(_("✅ Replace the list"), AdminContestCb(act=AdmAct.CENSUS_OK, id=pending_id)),
                button(_("✖️ Keep the old list"), AdminContestCb(act=AdmAct.CENSUS_NO, id=pending_id)),
            ]
        )
    rows.append([back_button(AdminContestCb(act=AdmAct.LIST).pack()), back_to_admin()])
    return inline(rows)


def table_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    return inline([[button(_("✔️ Finish"), AdminContestCb(act=AdmAct.VIEW, id=contest_id))]])


def skip_keyboard() -> InlineKeyboardMarkup:
    return inline([[button(_("⏭ Skip"), FormCb(act=FormAct.SKIP))], [cancel_button()]])


def cancel_keyboard() -> InlineKeyboardMarkup:
    return inline([[cancel_button()]])


def villages_keyboard(villages: list[Place], selected: set[int], lang: str) -> InlineKeyboardMarkup:
    rows = [
        [button(("✅ " if v.id in selected else "▫️ ") + v.name(lang), FormCb(act=FormAct.VILLAGE, village=v.id))]
        for v in villages
    ]
    rows.append([button(_("All villages"), FormCb(act=FormAct.ALL)), button(_("✔️ Done"), FormCb(act=FormAct.DONE))])
    rows.append([cancel_button()])
    return inline(rows)


def opens_keyboard() -> InlineKeyboardMarkup:
    return inline([[button(_("▶️ Right away"), FormCb(act=FormAct.NOW))], [cancel_button()]])


def categories_keyboard() -> InlineKeyboardMarkup:
    keys = list(Category)
    rows = [
        [button(_(CATEGORY_LABELS[k]), FormCb(act=FormAct.CATEGORY, category=k)) for k in keys[i : i + 2]]
        for i in range(0, len(keys), 2)
    ]
    rows.append([cancel_button()])
    return inline(rows)


def project_village_keyboard(villages: list[Place], lang: str) -> InlineKeyboardMarkup:
    rows = [[button(v.name(lang), FormCb(act=FormAct.PLACE, village=v.id))] for v in villages]
    rows.append([button(_("The whole rural district"), FormCb(act=FormAct.PLACE, village=0))])
    rows.append([cancel_button()])
    return inline(rows)


def more_projects_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [button(_("➕ Another project"), FormCb(act=FormAct.MORE))],
            [button(_("✔️ Done"), AdminContestCb(act=AdmAct.VIEW, id=contest_id))],
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
    return inline([[button(label, FormCb(act=FormAct.CONFIRM))], [cancel_button()]])


def admin_back_keyboard(contest_id: int) -> InlineKeyboardMarkup:
    return inline([[back_button(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack()), back_to_admin()]])


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def results_keyboard(contest_id: int, funded: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    """Under the results: each funded project's progress, then back to the contest."""
    rows = [
        [button("📍 " + _short(title), ContestCb(act=Act.PROGRESS, contest=contest_id, project=pid))]
        for pid, title in funded
    ]
    rows += web_row("contests", contest_id)
    rows += [[button(_("⬅️ To the contest"), ContestCb(act=Act.CONTEST, contest=contest_id))], [menu_button()]]
    return inline(rows)
