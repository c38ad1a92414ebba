"""Texts several flows of documents share: a document's header, a question's line, the notices."""

from __future__ import annotations

import html
from typing import Any

from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.formatting import escape, format_day, local
from bot.i18n import N_, in_all_languages
from bot.keyboards import documents as kb
from bot.keyboards.documents import Doc, DocAct
from bot.rules.clock import from_db
from storage.documents import Document, Question

NOT_AVAILABLE = N_("This document is not available.")
QUESTION_NOT_AVAILABLE = N_("This question is not available.")


def render_header(doc: Document, lang: str, tz: str) -> str:
    """Title, kind and date, version, issuer and the official link: the first lines of a document."""
    day = format_day(local(from_db(doc.published_at or doc.created_at), tz).date(), lang)
    lines = [f"<b>{escape(doc.title(lang))}</b>", f"{kb.kind_label(doc.kind)} · {day}"]
    if not doc.published:
        lines.append(_("📝 Draft: residents do not see it yet."))
    if doc.version > 1:
        lines.append(_("Version {number}").format(number=doc.version))
    if doc.superseded_at:
        lines.append(_("⚠️ This version is superseded by a newer one."))
    if doc.issuer:
        lines.append(_("Issued by: {issuer}").format(issuer=escape(doc.issuer)))
    if doc.url:
        lines.append(
            _(
                'Official publication: <a href="{url}">the single platform of state bodies\' internet resources</a>'
            ).format(url=html.escape(doc.url, quote=True))
        )
    return "\n".join(lines)


def question_body(q: Question) -> str:
    """The question as written (escaped), or a mark for a voice message."""
    return escape(q.text) if q.text else _("🎤 voice message")


def question_line(n: int, q: Question) -> str:
    return _("{number}. {question} — 👍 {supports}").format(number=n, question=question_body(q), supports=q.supports)


def notice(doc: Document, i18n: I18n) -> tuple[dict[str, Any], dict[str, Any]]:
    """The outbox notice of a new document, in every language: its texts and its «Open» button."""

    def text() -> str:
        lang = i18n.current_locale
        return _("📄 New document: <b>{title}</b>\n{kind}").format(
            title=escape(doc.title(lang)), kind=kb.kind_label(doc.kind)
        )

    def buttons() -> list[list[dict[str, str]]]:
        return [[{"text": _("📄 Open"), "callback_data": Doc(act=DocAct.OPEN, id=doc.id).pack()}]]

    return in_all_languages(i18n, text), in_all_languages(i18n, buttons)


def answer_texts(i18n: I18n, report: Document | None, q: Question, answer: str) -> dict[str, Any]:
    """The answer to a question, in every language, for everyone who asked or supported it."""

    def render() -> str:
        lang = i18n.current_locale
        return _(
            "💬 <b>Answer to a question about the akim's report</b> «{title}»\n\nQuestion: {question}\n\n"
            "Answer: {answer}"
        ).format(
            title=escape(report.title(lang)) if report else "—",
            question=question_body(q),
            answer=escape(answer),
        )

    return in_all_languages(i18n, render)
