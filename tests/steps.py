"""Steps that several test modules take the same way (a flow, or reading what the bot sent)."""

from __future__ import annotations

import csv
import io

from tests.fake_telegram import Request


def sent_csv(document: Request) -> list[list[str]]:
    """The rows of a CSV file the bot sent, checked to be a document in UTF-8 with a BOM (Excel reads it)."""
    assert document.method == "sendDocument"
    data = document.params["document"]
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
