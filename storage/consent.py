"""The consent text of the deployment, versioned: a new version asks everyone again."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, Tx

BUILT_IN = 0  # the default text from the catalogs, until the operator sets one


@dataclass(frozen=True, slots=True)
class ConsentText:
    version: int
    text_kk: str | None  # None: the built-in text
    text_ru: str | None


async def current(db: Database | Tx) -> ConsentText:
    row = await db.fetchone("SELECT version, text_kk, text_ru FROM consent_texts ORDER BY version DESC LIMIT 1")
    return ConsentText(*row) if row else ConsentText(BUILT_IN, None, None)


async def publish(tx: Tx, text_kk: str, text_ru: str) -> int:
    return await tx.execute("INSERT INTO consent_texts (text_kk, text_ru) VALUES (?, ?)", (text_kk, text_ru))
