"""A rural district's public data as files, for the operator (``bot.py export DIR``): initiatives,
contests with their results, events, the documents list and the budget, each as CSV (UTF-8 with a
byte-order mark, so Excel opens Cyrillic as it is; formula-like cells quoted) and as JSON.

The lists are the public pages' open data (``bot/web/opendata.py``, reading ``storage/public.py``),
so the export has the same fields as ``/data/<district>/<name>.csv``: nothing personal, and no
vote of anyone (only the totals, once a contest has closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.rules.clock import Clock
from bot.rules.errors import DomainError
from bot.web import opendata
from storage import places
from storage.db import Database
from storage.operator import NO_RURAL_DISTRICT, NOT_EMPTY


@dataclass(frozen=True)
class Source:
    """What the open data's lists read with (the pages' ``Site`` has these too)."""

    db: Database
    settings: Settings
    i18n: I18n
    clock: Clock


async def export(src: Source, folder: Path, rural_district_id: int | None = None) -> list[Path]:
    """Write every list of one district (or of each, into a folder per district) into ``folder``,
    which must be new or empty; the files written."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DomainError(NOT_EMPTY, path=str(folder))
    districts = await places.all_rural_districts(src.db)
    if rural_district_id is not None:
        districts = [rd for rd in districts if rd.id == rural_district_id]
        if not districts:
            raise DomainError(NO_RURAL_DISTRICT, id=rural_district_id)
    written = []
    for rd in districts:
        target = folder if len(districts) == 1 else folder / f"rural_district_{rd.id}"
        target.mkdir(parents=True, exist_ok=True)
        for name, read in opendata.DATASETS.items():
            fields, rows = await read(src, rd)  # type: ignore[arg-type]  # the Site's fields it reads
            for fmt in ("csv", "json"):
                data, _type = opendata.encode(fmt, name, rd, fields, rows)
                (target / f"{name}.{fmt}").write_bytes(data)
                written.append(target / f"{name}.{fmt}")
    return written
