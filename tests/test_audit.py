"""The audit trail: append-only (no code updates or deletes a row, and the schema refuses it),
actors named by person id, readable in the chat by the operator and the chair, filtered, paged,
and exported as CSV."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bot.keyboards.operator import AuditAct, AuditCb
from handlers.operator.audit import parse_days
from storage import audit, operator
from storage.audit import CLI
from tests.harness import World
from tests.steps import koktobe, operator_world, sent_csv

ROOT = Path(__file__).resolve().parent.parent
CHANGES_AUDIT = re.compile(
    r"\b(UPDATE\s+(OR\s+\w+\s+)?audit_log\b|DELETE\s+FROM\s+audit_log\b|REPLACE\s+INTO\s+audit_log\b)", re.I
)


def test_no_code_updates_or_deletes_an_audit_row() -> None:
    found = []
    for path in [
        *ROOT.glob("bot/**/*.py"),
        *ROOT.glob("handlers/**/*.py"),
        *ROOT.glob("storage/**/*.py"),
        ROOT / "bot.py",
    ]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if CHANGES_AUDIT.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    for path in sorted((ROOT / "storage" / "migrations").glob("*.sql")):
        if CHANGES_AUDIT.search(path.read_text(encoding="utf-8")):
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_the_scan_would_catch_one() -> None:
    assert CHANGES_AUDIT.search('await tx.execute("DELETE FROM audit_log WHERE id = ?", (1,))')
    assert CHANGES_AUDIT.search("UPDATE audit_log SET action = 'x'")
    assert not CHANGES_AUDIT.search("INSERT INTO audit_log (action) VALUES ('x')")


async def test_the_schema_refuses_to_change_or_delete_an_entry(world: World) -> None:
    async with world.db.transaction() as tx:
        entry = await audit.write(tx, CLI, "something")
    for sql in ("UPDATE audit_log SET action = 'forged' WHERE id = ?", "DELETE FROM audit_log WHERE id = ?"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with world.db.transaction() as tx:
                await tx.execute(sql, (entry,))
    assert await world.db.fetchval("SELECT action FROM audit_log WHERE id = ?", (entry,)) == "something"


@pytest.mark.sqlite  # reads PRAGMA table_info
async def test_actors_are_named_by_person_id_not_telegram_id(world: World) -> None:
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data("adm:nonsense:1")  # something any staff action writes: here a refused button
    columns = {r[1] for r in await world.db.fetchall("PRAGMA table_info(audit_log)")}
    assert "actor_person_id" in columns and "actor_telegram_id" not in columns
    rows = await world.db.fetchall("SELECT actor_person_id, before_json, after_json FROM audit_log")
    assert rows and all(str(staff.user_id) not in f"{r[1]}{r[2]}" for r in rows)


def test_days_are_read_as_a_span_in_almaty_time() -> None:
    span = parse_days("01.11.2026-25.11.2026")
    assert span is not None and span[0].isoformat() == "2026-11-01T00:00:00+05:00"
    assert span[1].isoformat() == "2026-11-26T00:00:00+05:00"
    assert parse_days("25.11.2026") is not None and parse_days("31.02.2026") is None and parse_days("soon") is None


async def filled(world: World) -> int:
    """A second district and entries in both."""
    other = await koktobe(world)
    for i in range(25):
        await operator.add_village(world.db, CLI, world.rural_district_id, f"Ауыл {i}", f"Село {i}")
    await operator.add_village(world.db, CLI, other, "Басқа ауыл", "Другое село")
    return other


async def test_the_operator_reads_the_trail_with_filters_and_pages(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        other = await filled(world)
        op = world.person("Operator", user_id=777, language_code="ru")
        await op.send("/audit")
        assert "<b>Журнал действий</b>: записей" in op.last.text and "страница 1 из" in op.last.text
        await op.press("▶️")
        assert "страница 2 из" in op.last.text
        await op.press("🏘 Округ")
        await op.press("Коктобинский сельский округ")
        assert f"Фильтры: округ {other}" in op.last.text
        assert "Басқа ауыл" in op.last.text and "Ауыл 3" not in op.last.text
        await op.press("🏷 Вид")
        await op.press("add_village")
        assert "<b>add_village</b>" in op.last.text and "<b>add_rural_district</b>" not in op.last.text
        await op.press("📅 Даты")
        await op.send("01.01.2020-02.01.2020")
        assert "Записей нет." in op.last.text
        await op.press("✖️ Все записи")
        await op.press("📥 CSV")
        rows = sent_csv(op.last)
        assert rows[0] == list(audit.CSV_FIELDS) and len(rows) > 28
        assert "audit_exported" in [e["action"] for e in await audit.entries(world.db)]


async def test_the_person_and_the_days_filters_ask_their_own_question(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        await filled(world)
        op = world.person("Operator", user_id=777, language_code="ru")
        await op.send("/audit")
        await op.press("👤 Человек")
        assert op.last.text.startswith("Отправьте идентификатор человека (число после действующего лица в записи)")
        await op.send("кто-то")
        assert op.last.text == "Отправьте число, например 12, или 0 — для всех."
        await op.send("0")
        assert "<b>Журнал действий</b>: записей" in op.last.text
        await op.press("📅 Даты")
        assert op.last.text == "Отправьте день в виде 25.11.2026 или период в виде 01.11.2026-25.11.2026."


async def test_the_chair_reads_only_their_own_district_and_a_resident_not_at_all(world: World) -> None:
    other = await filled(world)
    chair = await world.resident("Chair", lang="ru")
    await world.db.execute(
        "INSERT INTO roles (person_id, rural_district_id, role) VALUES (?, ?, 'chair')",
        (await chair.person_id(), world.rural_district_id),
    )
    await chair.send("/audit")
    assert "Журнал действий" in chair.last.text and "🏘 Округ" not in chair.last.buttons
    # a forged «district» filter does not widen the chair's view
    await chair.press_data(AuditCb(act=AuditAct.DISTRICT, value=str(other)).pack())
    assert "Другое село" not in chair.last.text
    entries, total = await audit.page(
        world.db, audit.Actor("chair", 1, None, world.rural_district_id), audit.Filter(other), offset=0, limit=100
    )
    assert all(e.rural_district_id == world.rural_district_id for e in entries) and total > 0
    resident = await world.resident("Resident", lang="ru")
    await resident.send("/audit")
    assert "Журнал действий" not in resident.last.text
    await resident.press_data(AuditCb(act=AuditAct.CSV).pack())
    assert resident.last.method != "sendDocument"
