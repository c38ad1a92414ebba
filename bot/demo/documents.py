"""Sample documents and a budget for the demo district."""

from __future__ import annotations

from datetime import timedelta

from bot.rules.clock import Clock, to_db
from storage import budget as budgets
from storage import documents as docs
from storage.audit import CLI
from storage.db import Database

PROGRAMME_KK = (
    "1. Мақсаты: ауылдардың тұрғындары үшін қолайлы орта жасау.\n\n"
    "2. Басымдықтар: көшелерді жарықтандыру, балалар ойын алаңдары, сумен жабдықтау, көгалдандыру.\n\n"
    "3. Қаржыландыру: ауылдық округ бюджеті, ерікті алымдар, демеушілік көмек."
)
PROGRAMME_RU = (
    "1. Цель: удобная среда для жителей сёл.\n\n"
    "2. Приоритеты: освещение улиц, детские игровые площадки, водоснабжение, озеленение.\n\n"
    "3. Финансирование: бюджет сельского округа, добровольные сборы, спонсорская помощь."
)


async def fill(
    db: Database, rural_district_id: int, village_ids: list[int], staff_person_id: int | None, clock: Clock
) -> None:
    """Add sample documents (one with two versions), an akim's report and a budget for two years."""
    now = clock.now()
    year = now.year
    async with db.transaction() as tx:

        async def add(
            kind: str,
            kk: str,
            ru: str,
            text_kk: str | None,
            text_ru: str | None,
            days: int,
            *,
            replaces: int | None = None,
            year: int | None = None,
        ) -> int:
            return await docs.publish(
                tx,
                rural_district_id=rural_district_id,
                kind=kind,
                title_kk=kk,
                title_ru=ru,
                text_kk=text_kk,
                text_ru=text_ru,
                created_by=staff_person_id,
                now=to_db(now - timedelta(days=days)),
                replaces=replaces,
                year=year,
            )

        await add(
            "development_programme",
            f"Жергілікті қоғамдастықтың даму бағдарламасы {year}-{year + 2}",
            f"Программа развития местного сообщества на {year}-{year + 2} годы",
            PROGRAMME_KK,
            PROGRAMME_RU,
            60,
        )
        old = await add(
            "paid_services",
            "Әкім аппараты көрсететін ақылы қызметтер тізбесі",
            "Перечень платных услуг, оказываемых аппаратом акима",
            "1. Су тасу — 2 000 теңге.\n2. Қоқыс шығару — 1 500 теңге.",
            "1. Подвоз воды — 2 000 тенге.\n2. Вывоз мусора — 1 500 тенге.",
            40,
        )
        await add(
            "paid_services",
            "Әкім аппараты көрсететін ақылы қызметтер тізбесі",
            "Перечень платных услуг, оказываемых аппаратом акима",
            "1. Су тасу — 1 800 теңге.\n2. Қоқыс шығару — 1 500 теңге.",
            "1. Подвоз воды — 1 800 тенге.\n2. Вывоз мусора — 1 500 тенге.",
            10,
            replaces=old,
        )
        await add(
            "citizen_budget",
            f"Азаматтық бюджет {year}",
            f"Гражданский бюджет {year}",
            "Бюджет қарапайым тілмен: ақша қайдан келеді және қайда жұмсалады.",
            "Бюджет простыми словами: откуда приходят деньги и куда они идут.",
            20,
            year=year,
        )
        report = await add(
            "akim_report",
            f"Ауылдық округ әкімінің {year - 1} жылғы есебі",
            f"Отчёт акима сельского округа за {year - 1} год",
            "Жөнделген көшелер: 4. Орнатылған шамдар: 120. Жаңа ойын алаңы: 1.",
            "Отремонтировано улиц: 4. Установлено фонарей: 120. Новая игровая площадка: 1.",
            30,
        )
        await add(
            "grazing_places",
            "Елді мекендердегі жануарларды жаю орындары",
            "Места выпаса животных в населённых пунктах",
            "Ақсай: өзен жағасындағы алқап.",
            "Аксай: участок у реки.",
            90,
        )
        if staff_person_id is not None:
            await docs.ask(
                db,  # joins the transaction above
                rural_district_id=rural_district_id,
                person_id=staff_person_id,
                document_id=report,
                text="Бесағаштағы жол қашан жөнделеді?",
                now=to_db(now - timedelta(days=5)),
            )
        for budget_year, scale in ((year - 1, 0.9), (year, 1.0)):
            lines = (
                ("revenue", "own", "property_tax", 21_000_000),
                ("revenue", "own", "land_tax", 6_000_000),
                ("revenue", "own", "vehicle_tax", 9_000_000),
                ("revenue", "own", "water_use", 2_500_000),
                ("revenue", "transfer", "transfers", 96_000_000),
                ("spending", None, "office", 48_000_000),
                ("spending", None, "lighting", 22_000_000),
                ("spending", None, "improvement", 30_000_000),
                ("spending", None, "water_supply", 18_000_000),
                ("spending", None, "initiatives", 16_500_000),
            )
            for side, source, code, amount in lines:
                await budgets.set_line(
                    db,  # joins the transaction above
                    CLI,
                    rural_district_id=rural_district_id,
                    year=budget_year,
                    side=side,
                    source=source,
                    code=code,
                    amount=round(amount * scale),
                )
        if year > 2025:
            await budgets.set_target(db, CLI, rural_district_id=rural_district_id, year=year, target=0.35)
