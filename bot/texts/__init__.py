"""Texts and files that several parts build (a handler and a scheduled job, an answer and a CSV export): one
module per feature, so their msgids land in the feature's catalog (``bot.i18n.feature_of``)."""

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (a resident's title «=HYPERLINK(…)») is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV for a spreadsheet: UTF-8 with a BOM, so Excel reads Cyrillic; no cell runs as a formula."""
    out = io.StringIO()
    csv.writer(out).writerows([excel_safe(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")
