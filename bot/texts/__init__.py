"""Texts and files that several parts build (a handler and a scheduled job, an answer and a CSV export): one
module per feature, so their msgids land in the feature's catalog (``bot.i18n.feature_of``)."""

import csv
import io
from collections.abc import Iterable, Sequence


def spreadsheet(rows: Iterable[Sequence[object]]) -> bytes:
    """Rows as CSV for a spreadsheet: UTF-8 with a BOM, so Excel reads Cyrillic."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")
