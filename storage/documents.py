"""Documents: versions, files (per-bot file_ids and the bytes), browsing, search, report questions.

A document is a series of versions sharing ``series_id`` (the first version's id). Residents see
only the current published version of each series; publishing a new version supersedes the
previous one, which stays readable as history.

The writes handlers call each open their own transaction (joining a caller's): staff's take an
``Actor``, check it may act on the row's district and write the audit entry with the change
(``store_file``, ``save_draft``, ``publish_document``, ``delete_draft``, ``answer``,
``publish_answer``); residents' take the person (``ask``, ``support``); ``keep_file_id`` remembers
a bot's file_id. ``publish``, ``publish_draft``, ``add_file`` and ``remember_file_id`` are the
building blocks inside a transaction, for other features (an event's protocol), the demo and tests.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, Unpack

from bot.rules.documents import KINDS, search_key
from bot.rules.errors import NotAllowed, NotFound
from bot.rules.texts import N_
from storage import audit, outbox
from storage.audit import Actor
from storage.db import Database, Tx

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ')"


@dataclass(frozen=True, slots=True)
class Document:
    id: int
    rural_district_id: int
    series_id: int
    version: int
    kind: str
    status: str
    title_kk: str
    title_ru: str
    text_kk: str | None
    text_ru: str | None
    file_kk: int | None
    file_ru: int | None
    url: str | None
    issuer: str | None
    year: int | None
    event_id: int | None
    created_by: int | None
    created_at: str
    published_at: str | None
    superseded_at: str | None
    superseded_by: int | None

    @property
    def published(self) -> bool:
        return self.status == "published"

    @property
    def current(self) -> bool:
        return self.published and self.superseded_at is None

    def title(self, lang: str) -> str:
        first, second = (self.title_ru, self.title_kk) if lang == "ru" else (self.title_kk, self.title_ru)
        return first.strip() or second.strip()

    def text(self, lang: str) -> str | None:
        first, second = (self.text_ru, self.text_kk) if lang == "ru" else (self.text_kk, self.text_ru)
        return (first or "").strip() or (second or "").strip() or None

    def file(self, lang: str) -> int | None:
        first, second = (self.file_ru, self.file_kk) if lang == "ru" else (self.file_kk, self.file_ru)
        return first or second

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Document:
        return cls(**{k: row[k] for k in cls.__slots__})  # type: ignore[attr-defined]


_COLUMNS = ", ".join(Document.__slots__)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: int
    file_name: str | None
    mime_type: str | None
    size: int | None
    path: str | None


# -- files ------------------------------------------------------------------------------------


def files_dir(db: Database) -> Path:
    """Where uploaded files are kept: ``files/`` next to the database file."""
    return db.path.parent / "files"


async def add_file(
    tx: Tx,
    *,
    file_name: str | None,
    mime_type: str | None = None,
    size: int | None = None,
    bot_id: int = 0,
    file_id: str | None = None,
    file_unique_id: str | None = None,
) -> int:
    """Record a file (and this bot's file_id for it); ``store_file`` keeps its bytes."""
    ref = await tx.execute(
        "INSERT INTO document_files (file_name, mime_type, size) VALUES (?, ?, ?)", (file_name, mime_type, size)
    )
    if file_id:
        await remember_file_id(tx, ref, bot_id, file_id, file_unique_id)
    return ref


async def remember_file_id(tx: Tx, file_ref: int, bot_id: int, file_id: str, file_unique_id: str | None = None) -> None:
    await tx.execute(
        "INSERT INTO document_file_ids (file_ref, bot_id, file_id, file_unique_id) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (file_ref, bot_id) DO UPDATE SET file_id = excluded.file_id,"
        " file_unique_id = COALESCE(excluded.file_unique_id, document_file_ids.file_unique_id)",
        (file_ref, bot_id, file_id, file_unique_id),
    )


async def keep_file_id(
    db: Database, file_ref: int, bot_id: int, file_id: str, file_unique_id: str | None = None
) -> None:
    """Remember the file_id a bot got (or used) for a stored file, so the next send needs no upload."""
    async with db.transaction() as tx:
        await remember_file_id(tx, file_ref, bot_id, file_id, file_unique_id)


async def store_file(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    file_name: str | None,
    mime_type: str | None,
    size: int | None,
    bot_id: int,
    file_id: str,
    file_unique_id: str | None,
    data: bytes,
) -> int:
    """A file staff uploaded for a district's document: its row, this bot's file_id and its bytes.

    The bytes are written first, off the event loop and outside the write lock (a file may be
    20 MB), under a name made of their digest; the row that points at them is written after. A
    failed transaction leaves at most an unreferenced file, never a row without its bytes."""
    actor.require(rural_district_id)
    kept = await _keep_bytes(db, data) if data else None
    async with db.transaction() as tx:
        ref = await add_file(
            tx,
            file_name=file_name,
            mime_type=mime_type,
            size=len(data) if data else size,
            bot_id=bot_id,
            file_id=file_id,
            file_unique_id=file_unique_id,
        )
        if kept:
            await tx.execute("UPDATE document_files SET path = ?, sha256 = ? WHERE id = ?", (*kept, ref))
        await audit.write(
            tx,
            actor,
            "document_file",
            "document_file",
            ref,
            rural_district_id=rural_district_id,
            after={"file_name": file_name, "size": len(data) or size},
        )
    return ref


async def _keep_bytes(db: Database, data: bytes) -> tuple[str, str]:
    """Keep a file's bytes under the data directory, so any bot can upload it again: (path, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    folder = files_dir(db)
    path = folder / digest[:32]
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        await asyncio.to_thread(partial.write_bytes, data)
        partial.replace(path)  # atomic: a reader never sees half a file
    return str(path.relative_to(db.path.parent)), digest


async def file_info(db: Database | Tx, file_ref: int) -> StoredFile | None:
    row = await db.fetchone("SELECT id, file_name, mime_type, size, path FROM document_files WHERE id = ?", (file_ref,))
    return StoredFile(*row) if row else None


async def file_id_for(db: Database | Tx, file_ref: int, bot_id: int) -> str | None:
    """This bot's file_id for the file, or None when this bot has not sent it yet."""
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT file_id FROM document_file_ids WHERE file_ref = ? AND bot_id = ?", (file_ref, bot_id)
    )


async def any_file_id(db: Database | Tx, file_ref: int) -> str | None:
    """A file_id of an unknown bot (given by another feature): worth a try when no bytes are kept."""
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT file_id FROM document_file_ids WHERE file_ref = ? AND bot_id = 0", (file_ref,)
    )


def file_path(db: Database, stored: StoredFile) -> Path | None:
    if not stored.path:
        return None
    path = db.path.parent / stored.path
    return path if path.exists() else None


# -- documents --------------------------------------------------------------------------------


async def publish(
    tx: Tx,
    *,
    rural_district_id: int,
    kind: str,
    title_kk: str,
    title_ru: str,
    text_kk: str | None = None,
    text_ru: str | None = None,
    file_id: str | None = None,
    file_name: str | None = None,
    event_id: int | None = None,
    created_by: int | None = None,
    bot_id: int = 0,
    file_ref: int | None = None,
    file_ref_kk: int | None = None,
    file_ref_ru: int | None = None,
    url: str | None = None,
    issuer: str | None = None,
    year: int | None = None,
    replaces: int | None = None,
    draft: bool = False,
    now: str | None = None,
) -> int:
    """Publish a document (or, with ``draft=True``, keep it as a draft); return its id.

    ``file_id`` is a Telegram file_id of the bot ``bot_id`` (0: not known); the file then serves
    both languages, as does ``file_ref`` (a stored file). ``replaces`` is any version of the
    document this one is a new version of: the current version is superseded when this one is
    published.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    if not (title_kk or "").strip() and not (title_ru or "").strip():
        raise ValueError("a document needs a title")
    if file_id and file_ref is None:
        file_ref = await add_file(tx, file_name=file_name, bot_id=bot_id, file_id=file_id)
    file_kk = file_ref_kk or file_ref
    file_ru = file_ref_ru or file_ref
    if not ((text_kk or "").strip() or (text_ru or "").strip() or file_kk or file_ru):
        raise ValueError("a document needs a text or a file")
    series_id, version = None, 1
    if replaces is not None:
        row = await tx.fetchone(
            "SELECT series_id, (SELECT MAX(version) FROM documents d2 WHERE d2.series_id = d.series_id)"
            " FROM documents d WHERE id = ? AND rural_district_id = ?",
            (replaces, rural_district_id),
        )
        if row is None:
            raise ValueError("the document to replace is not in this rural district")
        series_id, version = row[0], row[1] + 1
    doc_id = await tx.execute(
        "INSERT INTO documents (rural_district_id, series_id, version, kind, status, title_kk, title_ru, text_kk,"
        " text_ru, file_kk, file_ru, url, issuer, year, event_id, search, created_by, created_at)"
        f" VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, {_NOW}))",
        (
            rural_district_id,
            series_id,
            version,
            kind,
            (title_kk or "").strip(),
            (title_ru or "").strip(),
            _clean(text_kk),
            _clean(text_ru),
            file_kk,
            file_ru,
            url,
            issuer,
            year,
            event_id,
            search_key(kind, title_kk, title_ru),
            created_by,
            now,
        ),
    )
    if series_id is None:
        await tx.execute("UPDATE documents SET series_id = id WHERE id = ?", (doc_id,))
    if not draft:
        await publish_draft(tx, doc_id, rural_district_id=rural_district_id, now=now)
    return doc_id


async def publish_draft(tx: Tx, document_id: int, *, rural_district_id: int, now: str | None = None) -> bool:
    """Publish a draft of this rural district, superseding the series' current version; False if none."""
    row = await tx.fetchone(
        "SELECT series_id FROM documents WHERE id = ? AND rural_district_id = ? AND status = 'draft'",
        (document_id, rural_district_id),
    )
    if row is None:
        return False
    await tx.execute(
        f"UPDATE documents SET superseded_at = COALESCE(?, {_NOW}), superseded_by = ?"
        " WHERE series_id = ? AND status = 'published' AND superseded_at IS NULL",
        (now, document_id, row[0]),
    )
    await tx.execute(
        f"UPDATE documents SET status = 'published', published_at = COALESCE(?, {_NOW}) WHERE id = ?",
        (now, document_id),
    )
    return True


class DraftFields(TypedDict, total=False):
    """What staff may write into a draft besides its kind and titles: ``publish``'s parameters of the same names."""

    text_kk: str | None
    text_ru: str | None
    file_ref_kk: int | None
    file_ref_ru: int | None
    url: str | None
    issuer: str | None
    replaces: int | None


async def save_draft(
    db: Database,
    actor: Actor,
    *,
    rural_district_id: int,
    kind: str,
    title_kk: str,
    title_ru: str,
    **fields: Unpack[DraftFields],
) -> int:
    """Keep a document (or a new version of ``replaces``) that staff wrote as a draft; return its id."""
    actor.require(rural_district_id)
    async with db.transaction() as tx:
        doc_id = await publish(
            tx,
            rural_district_id=rural_district_id,
            kind=kind,
            title_kk=title_kk,
            title_ru=title_ru,
            created_by=actor.person_id,
            draft=True,
            **fields,
        )
        await audit.write(
            tx,
            actor,
            "document_draft",
            "document",
            doc_id,
            rural_district_id=rural_district_id,
            after={"kind": kind, "replaces": fields.get("replaces")},
        )
    return doc_id


async def _draft(tx: Tx, actor: Actor, document_id: int) -> sqlite3.Row | None:
    """A draft's district, series and titles, once the actor may act on its district; None: no such draft."""
    row = await tx.fetchone(
        "SELECT rural_district_id, series_id, title_kk, title_ru FROM documents WHERE id = ? AND status = 'draft'",
        (document_id,),
    )
    if row is not None:
        actor.require(row[0])
    return row


async def publish_document(
    db: Database,
    actor: Actor,
    document_id: int,
    *,
    now: str,
    notice: dict[str, Any] | None = None,
    notice_buttons: dict[str, Any] | None = None,
) -> int:
    """Publish a draft (superseding the current version); with ``notice`` (texts by language) tell the
    district's residents who take announcements, through the outbox. Return how many get the notice."""
    async with db.transaction() as tx:
        row = await _draft(tx, actor, document_id)
        if row is None:
            raise NotFound(N_("This draft is already published or deleted."))
        rural_district_id, series_id = row[0], row[1]
        await publish_draft(tx, document_id, rural_district_id=rural_district_id, now=now)
        await audit.write(
            tx,
            actor,
            "document_publish",
            "document",
            document_id,
            rural_district_id=rural_district_id,
            after={"notify": notice is not None, "series": series_id},
        )
        if notice is None:
            return 0
        people = await outbox.residents(tx, rural_district_id, announcements_only=True)
        await outbox.enqueue(
            tx,
            rural_district_id=rural_district_id,
            kind="notice",
            texts=notice,
            buttons=notice_buttons,
            recipients=people,
            created_by=actor.person_id,
            not_before=now,
            source_type="document",
            source_id=document_id,
        )
        return len(people)


async def delete_draft(db: Database, actor: Actor, document_id: int) -> None:
    """Delete a draft; a published document is never deleted (a new version replaces it)."""
    async with db.transaction() as tx:
        row = await _draft(tx, actor, document_id)
        if row is None:
            raise NotAllowed(N_("A published document is not deleted; publish a new version instead."))
        await tx.execute("DELETE FROM documents WHERE id = ? AND status = 'draft'", (document_id,))
        await audit.write(
            tx,
            actor,
            "document_delete_draft",
            "document",
            document_id,
            rural_district_id=row[0],
            before={"title": row[2] or row[3]},
        )


async def get(db: Database | Tx, document_id: int) -> Document | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM documents WHERE id = ?", (document_id,))
    return Document.from_row(row) if row else None


async def visible(db: Database | Tx, document_id: int, rural_district_id: int) -> Document | None:
    """A published document (current or superseded) of the rural district; drafts are never visible."""
    doc = await get(db, document_id)
    if doc is None or doc.rural_district_id != rural_district_id or not doc.published:
        return None
    return doc


async def current_of_series(db: Database | Tx, series_id: int) -> Document | None:
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM documents WHERE series_id = ? AND status = 'published' AND superseded_at IS NULL",
        (series_id,),
    )
    return Document.from_row(row) if row else None


async def history(db: Database | Tx, series_id: int) -> list[Document]:
    """Every published version, newest first."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM documents WHERE series_id = ? AND status = 'published' ORDER BY version DESC",
        (series_id,),
    )
    return [Document.from_row(r) for r in rows]


async def kind_counts(db: Database | Tx, rural_district_id: int) -> dict[str, int]:
    """How many current documents of each kind the district has published."""
    rows = await db.fetchall(
        "SELECT kind, COUNT(*) FROM documents WHERE rural_district_id = ? AND status = 'published'"
        " AND superseded_at IS NULL GROUP BY kind",
        (rural_district_id,),
    )
    return {r[0]: r[1] for r in rows}


async def current(
    db: Database | Tx, rural_district_id: int, kind: str | None = None, *, offset: int = 0, limit: int = 5
) -> tuple[list[Document], int]:
    """Current published documents (of a kind), newest first: a page and the total."""
    where = "rural_district_id = ? AND status = 'published' AND superseded_at IS NULL"
    params: list[object] = [rural_district_id]
    if kind:
        where += " AND kind = ?"
        params.append(kind)
    total = await db.fetchval(f"SELECT COUNT(*) FROM documents WHERE {where}", params)
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM documents WHERE {where} ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return [Document.from_row(r) for r in rows], int(total or 0)


async def latest(db: Database | Tx, rural_district_id: int, kind: str, year: int | None = None) -> Document | None:
    """The newest current document of a kind (of a year, when given)."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM documents WHERE rural_district_id = ? AND kind = ? AND status = 'published'"
        " AND superseded_at IS NULL AND (? IS NULL OR year IS NULL OR year = ?)"
        " ORDER BY (year = ?) DESC, published_at DESC, id DESC LIMIT 1",
        (rural_district_id, kind, year, year, year),
    )
    return Document.from_row(row) if row else None


async def search(
    db: Database | Tx, rural_district_id: int, query: str, *, offset: int = 0, limit: int = 5
) -> tuple[list[Document], int]:
    """Current documents whose titles contain every word of the folded query, newest first.

    The search column is folded in Python when a document is saved (SQLite's LOWER does not fold
    Cyrillic); the query comes folded the same way, so SQLite's ``instr`` matches each word as
    ``bot.rules.documents.matches`` does. One statement: the hits walk the documents_searchable
    index (only its entries) to be counted and paged, and only the page's rows are read from the table.
    """
    words = query.split()
    where = "rural_district_id = ? AND status = 'published' AND superseded_at IS NULL" + "".join(
        " AND instr(search, ?) > 0" for _ in words
    )
    rows = await db.fetchall(
        f"SELECT {_COLUMNS}, (SELECT count(*) FROM documents WHERE {where}) AS total FROM documents"
        f" WHERE id IN (SELECT id FROM documents WHERE {where} ORDER BY published_at DESC, id DESC LIMIT ? OFFSET ?)",
        (rural_district_id, *words, rural_district_id, *words, limit, offset),
    )
    rows.sort(key=lambda r: (r["published_at"] or "", r["id"]), reverse=True)  # the page's few rows
    if rows:
        return [Document.from_row(r) for r in rows], int(rows[0]["total"])
    if offset <= 0:
        return [], 0
    total = await db.fetchval(f"SELECT count(*) FROM documents WHERE {where}", (rural_district_id, *words))
    return [], int(total or 0)


async def drafts(db: Database | Tx, rural_district_id: int) -> list[Document]:
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM documents WHERE rural_district_id = ? AND status = 'draft' ORDER BY id DESC",
        (rural_district_id,),
    )
    return [Document.from_row(r) for r in rows]


async def by_event(db: Database | Tx, event_id: int) -> list[Document]:
    """Current published documents attached to an event (its protocol)."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM documents WHERE event_id = ? AND status = 'published' AND superseded_at IS NULL"
        " ORDER BY id DESC",
        (event_id,),
    )
    return [Document.from_row(r) for r in rows]


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


# -- questions about akim reports ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Question:
    id: int
    rural_district_id: int
    document_id: int | None
    event_id: int | None
    person_id: int | None
    text: str | None
    voice_file_id: str | None
    voice_bot_id: int | None
    created_at: str
    answer: str | None
    answered_at: str | None
    published: bool
    supports: int

    @property
    def answered(self) -> bool:
        return self.answer is not None


_Q_COLUMNS = (
    "q.id, q.rural_district_id, q.document_id, q.event_id, q.person_id, q.text, q.voice_file_id, q.voice_bot_id,"
    " q.created_at, q.answer, q.answered_at, q.published,"
    " (SELECT COUNT(*) FROM report_question_supports s WHERE s.question_id = q.id)"
)


def _question(row: sqlite3.Row) -> Question:
    values = list(row)
    values[11] = bool(values[11])
    return Question(*values)


async def ask(
    db: Database,
    *,
    rural_district_id: int,
    person_id: int,
    document_id: int | None = None,
    event_id: int | None = None,
    text: str | None = None,
    voice_file_id: str | None = None,
    voice_bot_id: int | None = None,
    voice_duration: int | None = None,
    now: str | None = None,
) -> int:
    """A resident's question about a report (``document_id``: the report's series) or ahead of a gathering."""
    async with db.transaction() as tx:
        return await tx.execute(
            "INSERT INTO report_questions (rural_district_id, document_id, event_id, person_id, text, voice_file_id,"
            f" voice_bot_id, voice_duration, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, {_NOW}))",
            (
                rural_district_id,
                document_id,
                event_id,
                person_id,
                _clean(text),
                voice_file_id,
                voice_bot_id,
                voice_duration,
                now,
            ),
        )


async def support(db: Database, question_id: int, person_id: int) -> bool:
    """One support per person per question (a primary key); False when already given."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "INSERT INTO report_question_supports (question_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
            " RETURNING question_id",
            (question_id, person_id),
        )
    return row is not None


async def question(db: Database | Tx, question_id: int) -> Question | None:
    row = await db.fetchone(f"SELECT {_Q_COLUMNS} FROM report_questions q WHERE q.id = ?", (question_id,))
    return _question(row) if row else None


async def _shown(db: Database | Tx, where: str, param: int, limit: int) -> list[Question]:
    """The questions (``q``) matching ``where`` that are not hidden, most supported first (then oldest first)."""
    rows = await db.fetchall(
        f"SELECT {_Q_COLUMNS} FROM report_questions q WHERE {where} AND q.hidden = 0 ORDER BY 13 DESC, q.id LIMIT ?",
        (param, limit),
    )
    return [_question(r) for r in rows]


async def _count_shown(db: Database | Tx, where: str, param: int) -> int:
    """How many questions (``q``) matching ``where`` are not hidden."""
    sql = f"SELECT COUNT(*) FROM report_questions q WHERE {where} AND q.hidden = 0"
    return int(await db.fetchval(sql, (param,)) or 0)


_ABOUT = "q.document_id = ?"
_OPEN = "q.rural_district_id = ? AND q.answer IS NULL"


async def questions_about(db: Database | Tx, series_id: int, *, limit: int = 10) -> list[Question]:
    """The questions about a report, most supported first (then oldest first)."""
    return await _shown(db, _ABOUT, series_id, limit)


async def count_questions(db: Database | Tx, series_id: int) -> int:
    return await _count_shown(db, _ABOUT, series_id)


async def open_questions(db: Database | Tx, rural_district_id: int, *, limit: int = 10) -> list[Question]:
    """Unanswered questions of the district, most supported first: what staff should answer next."""
    return await _shown(db, _OPEN, rural_district_id, limit)


async def count_open_questions(db: Database | Tx, rural_district_id: int) -> int:
    return await _count_shown(db, _OPEN, rural_district_id)


async def _question_district(tx: Tx, actor: Actor, question_id: int) -> int:
    """The district of a question the actor may act on; a forged id is not found."""
    rural_district_id = await tx.fetchval("SELECT rural_district_id FROM report_questions WHERE id = ?", (question_id,))
    if rural_district_id is None:
        raise NotFound(N_("This question is not available."))
    actor.require(rural_district_id)
    return int(rural_district_id)


async def answer(
    db: Database, actor: Actor, question_id: int, *, text: str, now: str, texts: dict[str, str]
) -> list[int]:
    """Store the answer and queue ``texts`` (by language) for the asker and every supporter; return them."""
    async with db.transaction() as tx:
        rural_district_id = await _question_district(tx, actor, question_id)
        await tx.execute(
            "UPDATE report_questions SET answer = ?, answered_by = ?, answered_at = ? WHERE id = ?",
            (text.strip(), actor.person_id, now, question_id),
        )
        rows = await tx.fetchall(
            "SELECT person_id FROM report_questions WHERE id = ? AND person_id IS NOT NULL"
            " UNION SELECT person_id FROM report_question_supports WHERE question_id = ?",
            (question_id, question_id),
        )
        recipients = sorted({r[0] for r in rows})
        await outbox.enqueue(
            tx,
            rural_district_id=rural_district_id,
            kind="answer",
            texts=texts,
            recipients=recipients,
            created_by=actor.person_id,
            not_before=now,
            source_type="report_question",
            source_id=question_id,
        )
        await audit.write(
            tx,
            actor,
            "report_question_answer",
            "report_question",
            question_id,
            rural_district_id=rural_district_id,
            after={"recipients": len(recipients)},
        )
    return recipients


async def publish_answer(db: Database, actor: Actor, question_id: int) -> None:
    """Show an answered question with its answer under the report."""
    async with db.transaction() as tx:
        rural_district_id = await _question_district(tx, actor, question_id)
        if not await tx.execute(
            "UPDATE report_questions SET published = 1 WHERE id = ? AND answer IS NOT NULL", (question_id,)
        ):
            raise NotAllowed(N_("Only an answered question can be published."))
        await audit.write(
            tx, actor, "report_question_publish", "report_question", question_id, rural_district_id=rural_district_id
        )
