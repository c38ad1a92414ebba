"""Domain errors: raised by rules and queries, turned into a polite message by one handler.

``DomainError`` carries a msgid (English, translated in the catalogs) and its format values;
the errors middleware answers with it in the person's language and leaves the state clean.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Something the person asked for cannot be done; the message says why."""

    def __init__(self, msgid: str, **values: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.values = values


class NotAllowed(DomainError):
    """The person may not do this (not staff, another district's object, a forged button)."""


class NotFound(DomainError):
    """The thing the button points at is gone or is not the person's to see."""
