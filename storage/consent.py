"""The consent text of the deployment, versioned: a new version asks everyone again.

A version is either the operator's own text (``set-consent``) or the built-in one of the
catalogs. A built-in version carries the hash of its template in each language: when an update of
the bot changes the built-in text, ``register_builtin`` (run at start) makes it a new version, and
everyone is asked again. While the operator's own text is current, the built-in one is not used.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Database, Tx

BUILT_IN = 0  # the first version: the built-in text (before the first start registered it, too)


@dataclass(frozen=True, slots=True)
class ConsentText:
    version: int
    text_kk: str | None  # None: the built-in text
    text_ru: str | None


async def current(db: Database | Tx) -> ConsentText:
    row = await db.fetchone("SELECT version, text_kk, text_ru FROM consent_texts ORDER BY version DESC LIMIT 1")
    if not row:
        return ConsentText(BUILT_IN, None, None)
    return ConsentText(row[0], row[1] or None, row[2] or None)


async def publish(tx: Tx, text_kk: str, text_ru: str) -> int:
    return await tx.execute("INSERT INTO consent_texts (text_kk, text_ru) VALUES (?, ?)", (text_kk, text_ru))


async def register_builtin(db: Database, sha256_kk: str, sha256_ru: str) -> int | None:
    """Make the built-in text (by the hashes of its templates) the current version when it is in use
    and changed, or when no version exists yet; the new version, or None when nothing changed."""
    async with db.transaction() as tx:
        row = await tx.fetchone(
            "SELECT builtin_kk_sha256, builtin_ru_sha256, text_kk FROM consent_texts ORDER BY version DESC LIMIT 1"
        )
        if row is not None and (row[2] or (row[0], row[1]) == (sha256_kk, sha256_ru)):
            return None  # the operator's own text is current, or the built-in one has not changed
        # the first version of a new deployment is 0, as people who agreed to the built-in text before
        # versions were kept have it (migration 010 marks theirs as an older text: they are asked again)
        await tx.execute(
            "INSERT INTO consent_texts (version, text_kk, text_ru, builtin_kk_sha256, builtin_ru_sha256)"
            " VALUES ((SELECT coalesce(max(version) + 1, 0) FROM consent_texts), '', '', ?, ?)",
            (sha256_kk, sha256_ru),
        )
        return int(await tx.fetchval("SELECT max(version) FROM consent_texts"))
