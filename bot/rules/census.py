"""The census of voters as the akim's office keeps it, read from a file nobody should trust.

A census file is a table: one row per voter, a column of phone numbers, and optionally a village
and a name. ``read_csv`` turns CSV bytes into rows (UTF-8, UTF-8 with a BOM, or Windows-1251 as
Excel saves it in Russian; comma, semicolon or tab); XLSX files are read into the same rows by
``bot/spreadsheets.py``. ``build`` finds the columns (by their header, or by what the cells hold),
normalises each number with ``bot.rules.phones`` («8 701 123 45 67», «+7 (701) 123-45-67» → one
form) and returns what is kept and what is rejected, with the line numbers:

- a cell that is not a Kazakhstan mobile number: rejected (``malformed``);
- the same number again: the first line is kept, the later ones are rejected (``duplicate``);
- a village that is not one of the district's: the number is kept without a village.

Limits (``MAX_BYTES``, ``MAX_ROWS``) are checked before anything is kept; a file over them is
refused whole, as is a file with a formula cell (a number computed by the file is not a number the
office wrote down).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from bot.rules import phones

MAX_BYTES = 5 * 1024 * 1024  # far above 50 000 voters in CSV; an XLSX is smaller still
MAX_ROWS = 50_000  # a rural district has a few thousand voters
MAX_COLUMNS = 30
MAX_CELL = 200
SAMPLE_ROWS = 50  # rows looked at to guess the phone column when there is no header

PHONE_HEADERS = ("телефон", "phone", "тел", "номер", "нөмір", "нөмірі", "ұялы", "мобильный", "mobile")
VILLAGE_HEADERS = ("ауыл", "село", "village", "населенный", "поселок", "посёлок", "кент", "аул")
NAME_HEADERS = ("фио", "аты", "name", "имя", "ф.и.о", "тегі", "жөні")


class Problem(StrEnum):
    """Why a whole file is refused."""

    NOT_A_SPREADSHEET = "not_a_spreadsheet"
    OLD_EXCEL = "old_excel"  # .xls: Excel 97–2003, not read; save as XLSX or CSV
    TOO_LARGE = "too_large"
    TOO_MANY_ROWS = "too_many_rows"
    EMPTY = "empty"
    NO_PHONE_COLUMN = "no_phone_column"
    FORMULA = "formula"  # values: cell («C5»)
    NOT_READABLE = "not_readable"


class CensusFileError(Exception):
    """The file cannot be used; ``problem`` says why, ``values`` fill the message."""

    def __init__(self, problem: Problem, **values: object) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.values = values


class Rejection(StrEnum):
    MALFORMED = "malformed"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class Entry:
    phone: str
    line: int
    village_id: int | None = None
    full_name: str | None = None


@dataclass(slots=True)
class Parsed:
    """What a file gives: the numbers kept, and every line rejected with why."""

    entries: list[Entry] = field(default_factory=list)
    rejected: list[tuple[int, Rejection]] = field(default_factory=list)
    unknown_villages: list[int] = field(default_factory=list)  # lines whose village is not the district's
    rows: int = 0  # data rows read (the header not counted)

    def lines(self, reason: Rejection) -> list[int]:
        return [line for line, why in self.rejected if why is reason]


@dataclass(frozen=True, slots=True)
class Diff:
    """A new census against the current one."""

    added: int
    removed: int
    kept: int


def diff(current: Iterable[str], new: Iterable[str]) -> Diff:
    old, fresh = set(current), set(new)
    return Diff(added=len(fresh - old), removed=len(old - fresh), kept=len(fresh & old))


def looks_binary(data: bytes) -> bool:
    """Bytes that are no text table: NULs, or many control characters (a PDF, a photo, a .doc)."""
    sample = data[:4096]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return control > len(sample) // 50


def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else Windows-1251 (Excel's «CSV» in a Russian Windows)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1251")
    except UnicodeDecodeError as error:
        raise CensusFileError(Problem.NOT_READABLE) from error


def read_csv(data: bytes) -> list[list[str]]:
    """The rows of a CSV file, within the limits."""
    if len(data) > MAX_BYTES:
        raise CensusFileError(Problem.TOO_LARGE, limit_mb=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise CensusFileError(Problem.EMPTY)
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE header of an .xls
        raise CensusFileError(Problem.OLD_EXCEL)
    if looks_binary(data):
        raise CensusFileError(Problem.NOT_A_SPREADSHEET)
    text = decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            if len(rows) >= MAX_ROWS + 1:  # the header may be one more
                raise CensusFileError(Problem.TOO_MANY_ROWS, limit=MAX_ROWS)
            rows.append([cell[:MAX_CELL] for cell in row[:MAX_COLUMNS]])
    except csv.Error as error:
        raise CensusFileError(Problem.NOT_READABLE) from error
    return rows


def _matches(cell: str, words: Sequence[str]) -> bool:
    low = cell.strip().lower()
    return bool(low) and any(low.startswith(word) or word in low.split() for word in words)


def _columns(rows: list[list[str]]) -> tuple[bool, int, int | None, int | None]:
    """(has a header, the phone column, the village column, the name column)."""
    header = rows[0]
    phone = next((i for i, cell in enumerate(header) if _matches(cell, PHONE_HEADERS)), None)
    if phone is not None:
        village = next((i for i, c in enumerate(header) if i != phone and _matches(c, VILLAGE_HEADERS)), None)
        name = next((i for i, c in enumerate(header) if i not in (phone, village) and _matches(c, NAME_HEADERS)), None)
        return True, phone, village, name
    # no header: the column where most cells of the first rows are numbers
    width = max((len(row) for row in rows[:SAMPLE_ROWS]), default=0)
    scores = [sum(1 for row in rows[:SAMPLE_ROWS] if i < len(row) and phones.normalize(row[i])) for i in range(width)]
    if not scores or max(scores) == 0:
        raise CensusFileError(Problem.NO_PHONE_COLUMN)
    return False, scores.index(max(scores)), None, None


def _village_names(villages: dict[int, tuple[str, str]]) -> dict[str, int]:
    names: dict[str, int] = {}
    for village_id, pair in villages.items():
        for name in pair:
            names[name.strip().lower()] = village_id
    return names


def build(rows: list[list[str]], villages: dict[int, tuple[str, str]]) -> Parsed:
    """The census in ``rows`` (line 1 is the first row); ``villages``: id → (name kk, name ru)."""
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise CensusFileError(Problem.EMPTY)
    if len(rows) > MAX_ROWS + 1:
        raise CensusFileError(Problem.TOO_MANY_ROWS, limit=MAX_ROWS)
    has_header, phone_col, village_col, name_col = _columns(rows)
    names = _village_names(villages)
    parsed = Parsed()
    seen: set[str] = set()
    for line, row in enumerate(rows, start=1):
        if has_header and line == 1:
            continue
        if not any(cell.strip() for cell in row):
            continue  # a blank line is not a voter
        parsed.rows += 1
        raw = row[phone_col] if phone_col < len(row) else ""
        phone = phones.mobile(raw)
        if phone is None:
            parsed.rejected.append((line, Rejection.MALFORMED))
            continue
        if phone in seen:
            parsed.rejected.append((line, Rejection.DUPLICATE))
            continue
        seen.add(phone)
        village_id = None
        if village_col is not None and village_col < len(row) and row[village_col].strip():
            village_id = names.get(row[village_col].strip().lower())
            if village_id is None:
                parsed.unknown_villages.append(line)
        name = row[name_col].strip() if name_col is not None and name_col < len(row) else ""
        parsed.entries.append(Entry(phone, line, village_id, name or None))
    if not parsed.rows:
        raise CensusFileError(Problem.EMPTY)
    return parsed


def cell_name(row: int, column: int) -> str:
    """A spreadsheet's name of a cell, from its line and its column counted from 0: (5, 2) → «C5»."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def short_lines(lines: list[int], limit: int = 15) -> str:
    """«3, 7, 12 …» for a report: the first line numbers, and an ellipsis when there are more."""
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + (" …" if len(lines) > limit else "")
