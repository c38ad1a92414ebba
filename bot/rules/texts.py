"""The marker for texts translated later (errors, menu labels), free of aiogram."""

from __future__ import annotations


def N_(msgid: str) -> str:
    """Mark a msgid for extraction where it is translated later (errors, menu labels)."""
    return msgid
