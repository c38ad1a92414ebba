"""Documents and akim reports: callback data and keyboards (resident and staff).

``Doc`` buttons are stored in outbox rows (the notice of a new document) and sent later, so they
outlive a release: their prefix carries a version (``doc1``). A button of an older version that is
still pressed matches nothing here and gets the fallback's polite «out of date».
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import N_
from bot.keyboards.admin import AdminMenu, back_to_admin
from bot.keyboards.common import back_button, cancel_button, inline, menu_button, per_language, with_back
from bot.rules.documents import KINDS
from bot.web.links import web_row


class Kind(StrEnum):
    """A kind of document (``bot.rules.documents.KINDS``), as callback data carries it."""

    DEVELOPMENT_PROGRAMME = "development_programme"
    PROTOCOL_GATHERING = "protocol_gathering"
    PROTOCOL_MEETING = "protocol_meeting"
    DECISION = "decision"
    BUDGET_REVENUES = "budget_revenues"
    CITIZEN_BUDGET = "citizen_budget"
    PAID_SERVICES = "paid_services"
    IMPROVEMENT_RULES = "improvement_rules"
    GRAZING_PLACES = "grazing_places"
    AKIM_REPORT = "akim_report"
    AUDIT_RESULTS = "audit_results"
    ANNOUNCEMENT = "announcement"
    OTHER = "other"


# Kind -> label msgid (a section of the documents screen).
KIND_LABELS = {
    Kind.DEVELOPMENT_PROGRAMME: N_("Development programmes"),
    Kind.PROTOCOL_GATHERING: N_("Protocols of gatherings"),
    Kind.PROTOCOL_MEETING: N_("Protocols of meetings"),
    Kind.DECISION: N_("Decisions"),
    Kind.BUDGET_REVENUES: N_("Budget revenues"),
    Kind.CITIZEN_BUDGET: N_("Citizen budget"),
    Kind.PAID_SERVICES: N_("Paid services"),
    Kind.IMPROVEMENT_RULES: N_("Improvement rules"),
    Kind.GRAZING_PLACES: N_("Grazing places"),
    Kind.AKIM_REPORT: N_("Akim's reports"),
    Kind.AUDIT_RESULTS: N_("Audit results"),
    Kind.ANNOUNCEMENT: N_("Announcements"),
    Kind.OTHER: N_("Other documents"),
}
assert list(Kind) == list(KINDS) and set(KIND_LABELS) == set(KINDS)
PAGE = 5
TITLE_IN_BUTTON = 40


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[Kind(kind)])


def short(title: str, limit: int = TITLE_IN_BUTTON) -> str:
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


class DocAct(StrEnum):
    OPEN = "o"
    HISTORY = "h"
    ASK = "a"
    QUESTIONS = "q"


class Doc(CallbackData, prefix="doc1"):
    """A document (or, for history/ask/questions, any version of its series). Kept in outbox rows."""

    act: DocAct
    id: int


class DocKind(CallbackData, prefix="dkind"):
    kind: Kind
    page: int = 0


class Nav(StrEnum):
    HOME = "home"
    SEARCH = "search"
    FOUND = "found"


class DocNav(CallbackData, prefix="dnav"):
    """The documents home, the search prompt, or a page of search results."""

    to: Nav
    page: int = 0


class QSupport(CallbackData, prefix="qsup"):
    id: int


def documents_home(counts: dict[str, int], budget_button: InlineKeyboardButton | None) -> InlineKeyboardMarkup:
    return _documents_home(tuple(sorted(counts.items())), budget_button)


@per_language
def _documents_home(
    counted: tuple[tuple[str, int], ...], budget_button: InlineKeyboardButton | None
) -> InlineKeyboardMarkup:
    counts = dict(counted)
    rows = [
        [InlineKeyboardButton(text=f"{kind_label(kind)} ({counts[kind]})", callback_data=DocKind(kind=kind).pack())]
        for kind in Kind
        if counts.get(kind)
    ]
    rows.append([InlineKeyboardButton(text=_("🔍 Search"), callback_data=DocNav(to=Nav.SEARCH).pack())])
    if budget_button is not None:
        rows.append([budget_button])
    rows.append([menu_button()])
    return inline(rows)


def _pager(page: int, total: int, make: Callable[[int], str]) -> list[InlineKeyboardButton]:
    pages = max(1, -(-total // PAGE))
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton(text="◀️", callback_data=make(page - 1)))
    if pages > 1:
        buttons.append(InlineKeyboardButton(text=f"{page + 1}/{pages}", callback_data=make(page)))
    if page + 1 < pages:
        buttons.append(InlineKeyboardButton(text="▶️", callback_data=make(page + 1)))
    return buttons


def document_list(
    items: list[tuple[int, str]], page: int, total: int, *, kind: Kind | None = None
) -> InlineKeyboardMarkup:
    """One document per row (id, title); paging; back to the documents home."""
    return _document_list(tuple(items), page, total, kind)


@per_language
def _document_list(
    items: tuple[tuple[int, str], ...], page: int, total: int, kind: Kind | None
) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=short(title), callback_data=Doc(act=DocAct.OPEN, id=i).pack())] for i, title in items
    ]
    if kind is not None:
        pager = _pager(page, total, lambda p: DocKind(kind=kind, page=p).pack())
    else:
        pager = _pager(page, total, lambda p: DocNav(to=Nav.FOUND, page=p).pack())
    if pager:
        rows.append(pager)
    return with_back(rows, DocNav(to=Nav.HOME).pack())


def document_keyboard(
    *, doc_id: int, kind: Kind, has_history: bool, current_id: int | None, questions: int | None
) -> InlineKeyboardMarkup:
    """Under a document: the current version (when this one is superseded), history, questions."""
    rows = []
    if current_id is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("📄 Current version"), callback_data=Doc(act=DocAct.OPEN, id=current_id).pack()
                )
            ]
        )
    if has_history:
        rows.append(
            [InlineKeyboardButton(text=_("🕘 All versions"), callback_data=Doc(act=DocAct.HISTORY, id=doc_id).pack())]
        )
    if questions is not None:
        rows.append(
            [
                InlineKeyboardButton(text=_("❓ Ask a question"), callback_data=Doc(act=DocAct.ASK, id=doc_id).pack()),
                InlineKeyboardButton(
                    text=_("💬 Questions ({count})").format(count=questions),
                    callback_data=Doc(act=DocAct.QUESTIONS, id=doc_id).pack(),
                ),
            ]
        )
    rows += web_row("documents", doc_id)
    return with_back(rows, DocKind(kind=kind).pack())


def versions_keyboard(items: list[tuple[int, str]], back_id: int) -> InlineKeyboardMarkup:
    rows = [[InlineKeyboardButton(text=label, callback_data=Doc(act=DocAct.OPEN, id=i).pack())] for i, label in items]
    return with_back(rows, Doc(act=DocAct.OPEN, id=back_id).pack())


def questions_keyboard(numbered: list[tuple[int, int]], doc_id: int) -> InlineKeyboardMarkup:
    """A «👍 N» button per open question (number shown in the list, question id)."""
    support = [InlineKeyboardButton(text=f"👍 {n}", callback_data=QSupport(id=qid).pack()) for n, qid in numbered]
    rows = [support[i : i + 4] for i in range(0, len(support), 4)]
    rows.append(
        [InlineKeyboardButton(text=_("❓ Ask a question"), callback_data=Doc(act=DocAct.ASK, id=doc_id).pack())]
    )
    return with_back(rows, Doc(act=DocAct.OPEN, id=doc_id).pack())


def search_prompt() -> InlineKeyboardMarkup:
    return inline([[back_button(DocNav(to=Nav.HOME).pack()), cancel_button()]])


def ask_keyboard(doc_id: int) -> InlineKeyboardMarkup:
    return inline([[back_button(Doc(act=DocAct.OPEN, id=doc_id).pack()), cancel_button()]])


# -- staff ------------------------------------------------------------------------------------


class AdmAct(StrEnum):
    NEW = "new"
    KIND = "kind"
    SKIP = "skip"
    VIEW = "view"
    PUBLISH = "pub"
    NOTIFY = "pubn"
    DELETE = "del"
    VERSION = "ver"
    DRAFTS = "drafts"
    LIST = "list"
    QUESTIONS = "qs"


class AdmDoc(CallbackData, prefix="admdoc"):
    act: AdmAct
    id: int = 0
    kind: Kind | None = None


class QAct(StrEnum):
    ANSWER = "ans"
    PUBLISH = "pub"
    LISTEN = "lis"


class AdmQ(CallbackData, prefix="admq"):
    act: QAct
    id: int


def _back_to_documents() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AdminMenu(section="documents").pack())


def admin_documents(drafts: int, questions: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [InlineKeyboardButton(text=_("➕ New document"), callback_data=AdmDoc(act=AdmAct.NEW).pack())],
            [
                InlineKeyboardButton(
                    text=_("📝 Drafts ({count})").format(count=drafts), callback_data=AdmDoc(act=AdmAct.DRAFTS).pack()
                )
            ],
            [InlineKeyboardButton(text=_("🗂 Published"), callback_data=AdmDoc(act=AdmAct.LIST).pack())],
            [
                InlineKeyboardButton(
                    text=_("❓ Questions ({count})").format(count=questions),
                    callback_data=AdmDoc(act=AdmAct.QUESTIONS).pack(),
                )
            ],
            [back_to_admin()],
        ]
    )


def admin_kinds() -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=kind_label(kind), callback_data=AdmDoc(act=AdmAct.KIND, kind=kind).pack())]
        for kind in Kind
    ]
    rows.append([cancel_button()])
    return inline(rows)


def skip_keyboard() -> InlineKeyboardMarkup:
    return inline(
        [[InlineKeyboardButton(text=_("⏭ Skip"), callback_data=AdmDoc(act=AdmAct.SKIP).pack())], [cancel_button()]]
    )


def next_keyboard() -> InlineKeyboardMarkup:
    """After a text or a file of the form's step: on to the next step (the same callback as Skip)."""
    return inline(
        [[InlineKeyboardButton(text=_("➡️ Next"), callback_data=AdmDoc(act=AdmAct.SKIP).pack())], [cancel_button()]]
    )


def admin_list(items: list[tuple[int, str]]) -> InlineKeyboardMarkup:
    rows = [
        [InlineKeyboardButton(text=short(title), callback_data=AdmDoc(act=AdmAct.VIEW, id=i).pack())]
        for i, title in items
    ]
    rows.append([_back_to_documents()])
    return inline(rows)


def admin_document(doc_id: int, *, draft: bool, current: bool) -> InlineKeyboardMarkup:
    rows = []
    if draft:
        rows.append(
            [InlineKeyboardButton(text=_("✅ Publish"), callback_data=AdmDoc(act=AdmAct.PUBLISH, id=doc_id).pack())]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=_("📣 Publish and notify"), callback_data=AdmDoc(act=AdmAct.NOTIFY, id=doc_id).pack()
                )
            ]
        )
        rows.append(
            [InlineKeyboardButton(text=_("🗑 Delete draft"), callback_data=AdmDoc(act=AdmAct.DELETE, id=doc_id).pack())]
        )
    elif current:
        rows.append(
            [InlineKeyboardButton(text=_("🆕 New version"), callback_data=AdmDoc(act=AdmAct.VERSION, id=doc_id).pack())]
        )
    rows.append([_back_to_documents()])
    return inline(rows)


def admin_questions(items: list[tuple[int, int, bool, bool]]) -> InlineKeyboardMarkup:
    """Per question (number, id, has voice, answered): answer / listen / publish buttons."""
    rows = []
    for n, qid, voice, answered in items:
        row = []
        if answered:
            row.append(
                InlineKeyboardButton(
                    text=_("📌 Publish {n}").format(n=n), callback_data=AdmQ(act=QAct.PUBLISH, id=qid).pack()
                )
            )
        else:
            row.append(
                InlineKeyboardButton(
                    text=_("✍️ Answer {n}").format(n=n), callback_data=AdmQ(act=QAct.ANSWER, id=qid).pack()
                )
            )
        if voice:
            row.append(
                InlineKeyboardButton(
                    text=_("▶️ Listen {n}").format(n=n), callback_data=AdmQ(act=QAct.LISTEN, id=qid).pack()
                )
            )
        rows.append(row)
    rows.append([_back_to_documents()])
    return inline(rows)


def answered_keyboard(question_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                InlineKeyboardButton(
                    text=_("📌 Publish under the report"), callback_data=AdmQ(act=QAct.PUBLISH, id=question_id).pack()
                )
            ],
            [InlineKeyboardButton(text=_("⬅️ Back"), callback_data=AdmDoc(act=AdmAct.QUESTIONS).pack())],
        ]
    )
