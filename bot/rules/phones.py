"""Kazakhstan phone numbers: +7 followed by 10 digits, stored in one form, «+77011234567».

Accepted as Telegram sends a shared contact («77011234567», sometimes «+77011234567») and as people
write them («+7 701 123 45 67», «8 (701) 123-45-67», «8 701 …»). Kazakhstan numbers start with
+7 7 (Russia shares the +7 code with 3xx, 4xx, 8xx and 9xx); mobiles are +7 70X, +7 747 and +7 77X.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")
MOBILE_PREFIXES = (*tuple(f"+770{d}" for d in range(10)), "+7747", *tuple(f"+777{d}" for d in range(10)))


def normalize(text: str | None) -> str | None:
    """The number as stored («+77011234567»), or None when it is not a Kazakhstan number."""
    if not text:
        return None
    raw = _SEPARATORS.sub("", text.strip())
    if raw.startswith("+"):
        digits = raw[1:]
        if not (digits.isdigit() and len(digits) == 11 and digits[0] == "7"):
            return None
    else:
        if not raw.isdigit():
            return None
        if len(raw) == 11 and raw[0] in "78":  # «7701…» as Telegram sends it, «8701…» as people dial it
            digits = "7" + raw[1:]
        else:
            return None
    if digits[1] != "7":
        return None  # +7 but not Kazakhstan
    return "+" + digits


def is_mobile(phone: str | None) -> bool:
    """A Kazakhstan mobile number in the stored form."""
    return phone is not None and len(phone) == 12 and phone.startswith(MOBILE_PREFIXES)


def mobile(text: str | None) -> str | None:
    """The stored form of a Kazakhstan mobile number, or None."""
    phone = normalize(text)
    return phone if is_mobile(phone) else None
