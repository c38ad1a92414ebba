"""Sample events for the demo district: gatherings and a meeting to come, one past with its protocol."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.rules import events as rules
from bot.rules.clock import Clock
from storage import events as store
from storage.db import Database

TZ = ZoneInfo("Asia/Almaty")
PROTOCOL = "1. Балалар ойын алаңы Ақсай ауылында салынсын.\n2. Көктемде 200 түп ағаш отырғызылсын."


def _at(clock: Clock, days: int, hour: int) -> datetime:
    """``days`` from today at ``hour`` o'clock, district time."""
    day = clock.now().astimezone(TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


async def fill(
    db: Database, rural_district_id: int, village_ids: list[int], staff_person_id: int | None, clock: Clock
) -> None:
    """Add sample events."""
    samples = [
        (
            rules.Kind.GATHERING,
            7,
            15,
            "Жергілікті қоғамдастық жиыны: әкімнің есебі",
            "Сход местного сообщества: отчёт акима",
            "Ақсай, Мәдениет үйі",
            village_ids,
            True,
            ["Ауылдық округ әкімінің 2026 жылғы жұмысы туралы есебі", "Даму бағдарламасының басымдықтары"],
        ),
        (
            rules.Kind.SEPARATE_GATHERING,
            3,
            18,
            "Бесағаш ауылының бөлек жиыны",
            "Раздельный сход села Бесагаш",
            "Бесағаш, мектеп",
            village_ids[1:2],
            False,
            ["Жиынға өкілдерді сайлау"],
        ),
        (
            rules.Kind.MEETING,
            14,
            11,
            "Жиналыс: абаттандыру қағидалары",
            "Собрание: правила благоустройства",
            "Ақсай, әкім аппараты",
            village_ids,
            False,
            ["Аумақтарды абаттандыру қағидаларының жобасы", "Елді мекендердегі жануарларды жаю орындары"],
        ),
        (
            rules.Kind.GATHERING,
            -20,
            15,
            "Күзгі жиын",
            "Осенний сход",
            "Ақсай, Мәдениет үйі",
            village_ids,
            False,
            ["Балалар ойын алаңы", "Көгалдандыру"],
        ),
    ]
    now = clock.now()
    for kind, days, hour, title_kk, title_ru, place, villages, report, agenda in samples:
        starts = _at(clock, days, hour)
        draft = store.Event(
            id=0,
            rural_district_id=rural_district_id,
            kind=kind,
            title_kk=title_kk,
            title_ru=title_ru,
            place=place,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            report_hearing=report,
            village_ids=tuple(villages),
            agenda=tuple(agenda),
        )
        protocol = PROTOCOL if days < 0 else None
        await store.add_sample(db, draft, created_by=staff_person_id, now=now, protocol_text=protocol)
