"""Contests people can trust (issue 13): the census of voters, the polling table, the freeze, the
ballot that only counts last, pressure reports, anomalies judged by the chair, the turnout curve,
approval ballots and following the money. Through the real dispatcher and a SQLite file."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.keyboards.contests import (
    Act,
    AdmAct,
    AdminContestCb,
    ContestCb,
    ProjectCb,
    WatchAct,
    WatchCb,
)
from bot.rules import anomalies
from bot.rules import census as census_rules
from bot.rules.anomalies import Kind, Stamp, Thresholds
from storage import census, contests
from storage.audit import CLI
from tests.harness import NOW, Person, World, published_contest

# --- helpers ---------------------------------------------------------------------------------


async def with_phone(person: Person, phone: str) -> None:
    await person.world.db.conn.execute("UPDATE people SET phone = ? WHERE telegram_id = ?", (phone, person.user_id))


async def vote(person: Person, contest_id: int, project_id: int) -> None:
    await person.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=project_id).pack())
    await person.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=project_id).pack())


async def counted(world: World, contest_id: int) -> int:
    return int(
        await world.db.fetchval(
            "SELECT COUNT(*) FROM contest_votes WHERE contest_id = ? AND status = 'counted'", (contest_id,)
        )
    )


async def upload(staff: Person, content: bytes, name: str = "census.csv", size: int | None = None) -> None:
    """Open the census screen and send the file as a document."""
    file_id = staff.world.telegram.new_file(content)
    await staff.press_data(AdminContestCb(act=AdmAct.CENSUS).pack())
    await staff.send_document(
        file_id=file_id, file_name=name, file_size=len(content) if size is None else size, mime_type="text/csv"
    )


async def census_of(world: World, numbers: list[str]) -> int:
    """A current census with these numbers, switched on, the way staff's upload and confirmation keep it."""
    rows = [["Телефон"], *([n] for n in numbers)]
    parsed = census_rules.build(rows, {})
    staged = await census.stage(
        world.db, CLI, rural_district_id=world.rural_district_id, parsed=parsed, file_name="x.csv", now=NOW
    )
    await census.apply(world.db, CLI, census_id=staged.census.id, now=NOW)
    await census.set_census_required(world.db, CLI, world.rural_district_id, True)
    return staged.census.id


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def make_chair(world: World, person: Person) -> None:
    await world.db.execute(
        "INSERT INTO roles (person_id, rural_district_id, role) VALUES (?, ?, 'chair')",
        (await person.person_id(), world.rural_district_id),
    )


# --- the census ------------------------------------------------------------------------------------


async def test_a_census_file_is_read_reported_with_line_numbers_and_replaced_only_when_confirmed(
    world: World,
) -> None:
    staff = await world.staff("Staff", lang="ru")
    content = (
        "\ufeffТелефон;Село;ФИО\n"
        "8 701 123 45 67;Аксай;Айгерім\n"  # 8 7XX with spaces
        "+7-702-111-22-33;Бесагаш;Иван\n"  # dashes
        "87011234567;Аксай;Дубль\n"  # the first number again, in another form
        "12345;Аксай;Кривой\n"  # not a number
        "+79161234567;;Москва\n"  # Russia, not Kazakhstan
        "77051112233;Жаңаауыл;Неизвестное село\n"
    ).encode()
    await upload(staff, content)
    report = staff.last.text
    assert "Прочитано строк: 6. Номеров в новом списке: 3." in report
    assert "добавлено 3, удалено 0, без изменений 0" in report
    assert "Отклонено как не мобильный номер Казахстана: 2 (строки 5, 6)." in report
    assert "Отклонено как номер, уже бывший в списке: 1 (строка 4)." in report or "(строки 4)" in report
    assert await census.current(world.db, world.rural_district_id) is None  # nothing replaced yet
    await staff.press("✅ Заменить список")
    assert "Список избирателей заменён: 3 номера." in staff.last.text
    now = await census.current(world.db, world.rural_district_id)
    assert now is not None and now.entries == 3
    rows = await world.db.fetchall(
        "SELECT phone, village_id, full_name, line FROM census_entries WHERE census_id = ? ORDER BY line", (now.id,)
    )
    assert [tuple(r) for r in rows] == [
        ("+77011234567", world.village_ids[0], "Айгерім", 2),
        ("+77021112233", world.village_ids[1], "Иван", 3),
        ("+77051112233", None, "Неизвестное село", 7),
    ]
    # a second list: one removed, one added
    await upload(staff, "телефон\n87011234567\n87479998877\n".encode("cp1251"))
    assert "добавлено 1, удалено 2, без изменений 1" in staff.last.text
    await staff.press("✖️ Оставить старый список")
    assert (await census.current(world.db, world.rural_district_id)).entries == 3  # type: ignore[union-attr]
    actions = [r[0] for r in await world.db.fetchall("SELECT action FROM audit_log WHERE object_type = 'census'")]
    assert actions == ["census_uploaded", "census_replaced", "census_uploaded", "census_discarded"]


async def test_an_xlsx_census_in_kazakh_and_numbers_typed_as_numbers(world: World) -> None:
    staff = await world.staff("Staff")
    await upload(
        staff, xlsx([["Телефон нөмірі", "Ауыл"], [87011234567, "Ақсай"], ["8 (747) 123-45-67", None]]), "t.xlsx"
    )
    assert "Жаңа тізімдегі нөмірлер: 2." in staff.last.text
    await staff.press("✅ Тізімді ауыстыру")
    assert (await census.current(world.db, world.rural_district_id)).entries == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("content", "name", "size", "says"),
    [
        (b"%PDF-1.4\x00\x01\x02 binary", "list.csv", None, "Это не таблица"),
        (b"", "empty.csv", None, "Файл пуст"),
        (b"   \n\n", "blank.csv", None, "Файл пуст"),
        (b"phone\n", "header.csv", None, "Файл пуст"),
        (b"x" * 100, "big.csv", 20 * 1024 * 1024, "Файл слишком большой"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls", None, "старый файл Excel"),
        (b"PK\x03\x04 not a zip", "broken.xlsx", None, "Это не таблица"),
        ("имя;село\nАйгерім;Аксай\n".encode(), "names.csv", None, "Не найден столбец с номерами"),
    ],
)
async def test_a_census_file_that_cannot_be_used_is_refused_politely(
    world: World, content: bytes, name: str, size: int | None, says: str
) -> None:
    staff = await world.staff("Staff", lang="ru")
    await upload(staff, content, name, size)
    assert says in staff.last.text
    assert await world.db.fetchval("SELECT COUNT(*) FROM censuses") == 0


async def test_a_census_with_a_formula_cell_is_refused(world: World) -> None:
    staff = await world.staff("Staff", lang="ru")
    await upload(staff, xlsx([["Телефон"], ["87011234567"], ["=A2"]]), "f.xlsx")
    assert "формула (ячейка A3)" in staff.last.text
    assert await world.db.fetchval("SELECT COUNT(*) FROM censuses") == 0


async def test_a_census_over_the_row_limit_is_refused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(census_rules, "MAX_ROWS", 3)
    staff = await world.staff("Staff", lang="ru")
    await upload(staff, b"phone\n87010000001\n87010000002\n87010000003\n87010000004\n87010000005\n")
    assert "слишком много строк" in staff.last.text


async def test_the_census_check_needs_a_census_and_is_audited(world: World) -> None:
    from bot.rules.errors import DomainError

    with pytest.raises(DomainError):
        await census.set_census_required(world.db, CLI, world.rural_district_id, True)
    await census_of(world, ["+77011234567"])
    assert await census.required(world.db, world.rural_district_id)
    entry = await world.db.fetchone("SELECT after_json FROM audit_log WHERE action = 'census_required'")
    assert json.loads(entry["after_json"])["census_required"] is True


async def test_only_census_numbers_vote_and_the_others_are_told_whom_to_contact(world: World) -> None:
    await census_of(world, ["+77011234567"])
    contest_id, (playground, _sports) = await published_contest(world)
    on = await world.resident("On", lang="ru")
    await with_phone(on, "+77011234567")
    off = await world.resident("Off", lang="ru")
    await with_phone(off, "+77020000000")
    await vote(on, contest_id, playground)
    assert "учтён" in on.last.text
    await off.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=playground).pack())
    assert "нет в списке избирателей" in off.last.text and "обратитесь в аппарат акима" in off.last.text
    await off.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=playground).pack())  # forged
    assert "нет в списке избирателей" in off.last.text
    # the number shared at the vote is checked too, and nothing of it is kept
    kz = await world.resident("Asel")
    await vote(kz, contest_id, playground)
    await kz.share_contact("77770000000")
    assert "сайлаушылар тізімінде жоқ" in kz.last.text
    assert await kz.stored("phone") is None
    assert await counted(world, contest_id) == 1


async def test_a_new_census_applies_to_contests_not_voted_in_yet_and_frozen_ones_keep_theirs(world: World) -> None:
    first = await census_of(world, ["+77011234567", "+77021234567"])
    voted_id, (p1, _) = await published_contest(world)
    quiet_id, _ = await published_contest(world)
    aigerim = await world.resident()
    await with_phone(aigerim, "+77011234567")
    await vote(aigerim, voted_id, p1)
    staff = await world.staff("Staff", lang="ru")
    await upload(staff, b"phone\n87471112233\n")
    await staff.press("✅ Заменить список")
    assert "1 конкурс, где уже голосуют, сохраняет свой список" in staff.last.text
    assert (await contests.get(world.db, voted_id, world.rural_district_id)).census_id == first
    assert (await contests.get(world.db, quiet_id, world.rural_district_id)).census_id != first
    # the second voter of the frozen contest is checked against its first list
    ivan = await world.resident("Ivan", lang="ru")
    await with_phone(ivan, "+77021234567")
    await vote(ivan, voted_id, p1)
    assert "учтён" in ivan.last.text
