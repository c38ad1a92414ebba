"""Reading a spreadsheet someone sent (a census of voters) into rows of text, trusting nothing.

CSV is read by ``bot.rules.census.read_csv`` (the standard library). XLSX is read with openpyxl
in read-only mode: it streams the sheet's XML instead of building the workbook in memory, and
with ``data_only=False`` a formula cell shows as a formula, so it is refused rather than read as
whatever value the file's author last saved with it. Before openpyxl sees the file, the zip is
checked: a workbook that unpacks to more than ``MAX_UNPACKED`` bytes (a zip bomb) is refused.
openpyxl is imported only when an XLSX file arrives.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

from bot.rules.census import MAX_BYTES, MAX_CELL, MAX_COLUMNS, MAX_ROWS, CensusFileError, Problem, cell_name, read_csv

MAX_UNPACKED = 60 * 1024 * 1024
XLSX_MAGIC = b"PK\x03\x04"


def read(data: bytes, file_name: str | None) -> list[list[str]]:
    """The rows of a CSV or XLSX file; ``CensusFileError`` says why a file cannot be used."""
    if len(data) > MAX_BYTES:
        raise CensusFileError(Problem.TOO_LARGE, limit_mb=MAX_BYTES // (1024 * 1024))
    name = (file_name or "").lower()
    if data.startswith(XLSX_MAGIC):
        return _xlsx(data)
    if name.endswith((".xlsx", ".xlsm")):
        raise CensusFileError(Problem.NOT_A_SPREADSHEET)
    if name.endswith(".xls"):
        raise CensusFileError(Problem.OLD_EXCEL)
    return read_csv(data)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 87011234567 typed into a number cell
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)[:MAX_CELL]


def _xlsx(data: bytes) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names:
                raise CensusFileError(Problem.NOT_A_SPREADSHEET)
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise CensusFileError(Problem.TOO_LARGE, limit_mb=MAX_BYTES // (1024 * 1024))
    except zipfile.BadZipFile as error:
        raise CensusFileError(Problem.NOT_A_SPREADSHEET) from error

    import openpyxl  # only here: most updates never need it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise CensusFileError(Problem.NOT_READABLE) from error
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise CensusFileError(Problem.EMPTY)
        rows: list[list[str]] = []
        filled = 0  # rows with something in them: formatted empty rows do not count
        for line, cells in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS), start=1):
            row = []
            for column, cell in enumerate(cells):
                if getattr(cell, "data_type", None) == "f" or (
                    isinstance(cell.value, str) and cell.value.startswith("=")
                ):
                    raise CensusFileError(Problem.FORMULA, cell=cell_name(line, column))
                row.append(_cell(cell.value))
            rows.append(row)
            if any(row):
                filled += 1
                if filled > MAX_ROWS + 1:  # the header may be one more
                    raise CensusFileError(Problem.TOO_MANY_ROWS, limit=MAX_ROWS)
        while rows and not any(rows[-1]):
            rows.pop()
        return rows
    finally:
        workbook.close()
