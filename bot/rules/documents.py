"""Documents and budgets as plain rules: kinds, search folding, long-text splitting, self-sufficiency.

No aiogram, no database: every function takes plain values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

KINDS = (
    "development_programme",
    "protocol_gathering",
    "protocol_meeting",
    "decision",
    "budget_revenues",
    "citizen_budget",
    "paid_services",
    "improvement_rules",
    "grazing_places",
    "akim_report",
    "audit_results",
    "announcement",
    "other",
)
# Kinds whose documents carry the year of the budget they describe.
BUDGET_KINDS = ("budget_revenues", "citizen_budget")

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# What a bot can download back with getFile (the cloud Bot API's limit).
FILE_LIMIT = 20 * 1024 * 1024
# PDF and office files; an image or an archive is not a document residents can read on any phone.
FILE_EXTENSIONS = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods", ".rtf", ".ppt", ".pptx", ".txt")
FILE_MIME_PREFIXES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument",
    "application/vnd.ms-",
    "application/vnd.oasis.opendocument",
    "application/rtf",
    "text/plain",
)

# Revenue sources: own revenues of the rural district, or transfers from the budgets above.
REVENUE_SOURCES = {
    "property_tax": "own",
    "land_tax": "own",
    "vehicle_tax": "own",
    "water_use": "own",
    "licence_fees": "own",
    "outdoor_ads": "own",
    "other_own": "own",
    "transfers": "transfer",
}
# Common spending programmes of a rural district; staff may name others.
SPENDING_PROGRAMMES = (
    "office",
    "lighting",
    "improvement",
    "sanitation",
    "roads",
    "water_supply",
    "culture_sport",
    "transport",
    "initiatives",
)

# The decree's self-sufficiency targets (Decree No. 428 of 3 January 2024).
DECREE_TARGETS = {2024: 0.25, 2025: 0.30}

# Phrases people type for a kind whose title may not contain them.
SYNONYMS = {
    "citizen_budget": (
        "бюджет для граждан",
        "гражданский бюджет",
        "народный бюджет",
        "азаматтық бюджет",
        "азаматтарға арналған бюджет",
        "бюджет азаматтарға",
        "citizen budget",
    ),
    "paid_services": ("платные услуги", "ақылы қызметтер"),
    "grazing_places": ("выпас", "жаю"),
    "akim_report": ("отчёт акима", "отчет акима", "әкімнің есебі", "есеп"),
    "audit_results": ("аудит", "ревизия"),
    "development_programme": ("программа развития", "даму бағдарламасы"),
    "improvement_rules": ("благоустройство", "абаттандыру"),
}

_SPACES = re.compile(r"\s+")
_PUNCT = re.compile(r"[^\w\s]+")


def fold(text: str | None) -> str:
    """Lowercase, ё→е, punctuation to spaces, spaces squeezed: the form titles are searched in.

    Python's ``casefold`` handles Cyrillic, including the Kazakh letters (Ә→ә, Ң→ң, І→і), which
    SQLite's ``LOWER`` leaves as they are.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    text = _PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def search_key(kind: str, title_kk: str | None, title_ru: str | None) -> str:
    """What is stored in the search column: both titles folded, plus the kind's synonyms."""
    parts = [fold(title_kk), fold(title_ru), *(fold(s) for s in SYNONYMS.get(kind, ()))]
    return " | ".join(p for p in parts if p)


def search_query(text: str | None) -> str | None:
    """The folded query, or None when there is nothing to search for (empty or only spaces)."""
    query = fold(text)
    return query or None


def matches(key: str, query: str) -> bool:
    """Every word of the query occurs in the key (so word order and other words do not matter)."""
    return all(word in key for word in query.split())


def pick_language(lang: str, kk: str | None, ru: str | None) -> str | None:
    """The person's language when it has content, else the other one (either may be empty)."""
    first, second = (ru, kk) if lang == "ru" else (kk, ru)
    if first and first.strip():
        return first
    if second and second.strip():
        return second
    return None


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split a long text into messages of at most ``limit`` characters, at paragraph boundaries.

    A paragraph longer than the limit is split at line breaks, then at sentence ends, then at
    spaces, and only as the last resort in the middle of a word.
    """
    text = text.strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        for chunk in _fit(paragraph, limit):
            candidate = f"{current}\n\n{chunk}" if current else chunk
            if len(candidate) <= limit:
                current = candidate
            else:
                pieces.append(current)
                current = chunk
    if current:
        pieces.append(current)
    return pieces


def _fit(paragraph: str, limit: int) -> list[str]:
    """A paragraph as chunks of at most ``limit`` characters, cut at the gentlest boundary."""
    if len(paragraph) <= limit:
        return [paragraph]
    for separator in ("\n", ". ", " "):
        cut = paragraph.rfind(separator, 0, limit)
        if cut > 0:
            head = paragraph[: cut + (1 if separator == ". " else 0)].rstrip()
            tail = paragraph[cut + len(separator) :].lstrip()
            return [head, *_fit(tail, limit)]
    return [paragraph[:limit], *_fit(paragraph[limit:], limit)]


def file_acceptable(file_name: str | None, mime_type: str | None) -> bool:
    """A PDF or an office file, judged by its type or, failing that, its name."""
    if mime_type and mime_type.startswith(FILE_MIME_PREFIXES):
        return True
    return bool(file_name) and file_name.lower().endswith(FILE_EXTENSIONS)  # type: ignore[union-attr]


def file_too_big(size: int | None) -> bool:
    return size is not None and size > FILE_LIMIT


# -- budget -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SelfSufficiency:
    own: int  # own revenues, tenge
    spending: int  # total spending, tenge
    share: float | None  # own / spending, None when there is no spending
    target: float | None
    reached: bool | None  # None when there is no share or no target


def target_for(year: int, staff_target: float | None = None) -> float | None:
    """The decree's target for 2024 and 2025; for later years the staff's target, or none."""
    if year in DECREE_TARGETS:
        return DECREE_TARGETS[year]
    if year > max(DECREE_TARGETS):
        return staff_target
    return None


def self_sufficiency(own: int, spending: int, year: int, staff_target: float | None = None) -> SelfSufficiency:
    """Own revenues as a share of spending, against the year's target."""
    share = own / spending if spending > 0 else None
    target = target_for(year, staff_target)
    reached = None if share is None or target is None else share >= target - 1e-9
    return SelfSufficiency(own=own, spending=spending, share=share, target=target, reached=reached)


def parse_amount(text: str | None) -> int | None:
    """Tenge as people write them: «1 500 000», «1500000 тг», «1,5 млн»; None when it is not a sum."""
    if not text:
        return None
    raw = text.strip().lower().replace("\u00a0", " ").replace("\u202f", " ")
    raw = re.sub(r"(₸|тг\.?|тенге|теңге|kzt)$", "", raw).strip()
    multiplier = 1
    for words, factor in ((("млрд",), 1_000_000_000), (("млн",), 1_000_000), (("мың", "тыс", "тыс."), 1_000)):
        for word in words:
            if raw.endswith(word):
                raw, multiplier = raw[: -len(word)].strip(), factor
                break
        if multiplier != 1:
            break
    raw = raw.replace(" ", "")
    if multiplier != 1:
        raw = raw.replace(",", ".")
        if not re.fullmatch(r"\d+(\.\d+)?", raw):
            return None
        return round(float(raw) * multiplier)
    if not re.fullmatch(r"\d+", raw):
        return None
    return int(raw)


def parse_percent(text: str | None) -> float | None:
    """A target as staff write it: «30», «30 %», «27,5»; a share in (0, 1], or None."""
    if not text:
        return None
    raw = text.strip().rstrip("%").strip().replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", raw):
        return None
    value = float(raw) / 100
    return value if 0 < value <= 1 else None
