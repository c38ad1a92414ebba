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
from tests.steps import make_chair, stored_vote, vote, voted, with_phone

# --- helpers ---------------------------------------------------------------------------------


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
    ivan = await voted(world, "Ivan", "+77021234567", voted_id, p1)
    assert "учтён" in ivan.last.text


# --- the polling table and the paper protocol ---------------------------------------------------


async def test_the_polling_table_and_the_bot_share_one_register(world: World) -> None:
    contest_id, (playground, sports) = await published_contest(world, closes=NOW + timedelta(days=2))
    await voted(world, "Online", "+77011234567", contest_id, playground)
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.TABLE, id=contest_id).pack())
    assert "Стол для голосования" in staff.last.text
    await staff.send("8 701 123 45 67")  # voted in the bot: refused with when
    assert "С этого номера уже голосовали в боте: 25.11.2026 15:00" in staff.last.text
    await staff.send("8 (702) 000-11-22")
    assert "выдайте бумажный бюллетень. Записано голосующих на бумаге: 1." in staff.last.text
    await staff.send("+77020001122")  # the same voter again
    assert "уже записан за столом для голосования" in staff.last.text
    await staff.send("привет")
    assert "Отправьте мобильный номер Казахстана" in staff.last.text
    # the paper voter cannot vote in the bot afterwards, whatever account they use
    paper = await voted(world, "Paper", "+77020001122", contest_id, sports)
    assert "уже голосовали на бумаге" in paper.last.text
    assert await counted(world, contest_id) == 1
    # and the database refuses it too, whatever a handler does
    with pytest.raises(Exception, match="register"):
        async with world.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO contest_paper_voters (contest_id, phone, recorded_at) VALUES (?, '+77011234567', 'x')",
                (contest_id,),
            )
    assert "тайны" not in staff.last.text  # the table never says what anyone chose


async def test_the_paper_protocol_is_checked_against_the_recorded_paper_voters(world: World) -> None:
    contest_id, _ = await published_contest(world)
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.TABLE, id=contest_id).pack())
    for phone in ("87010000001", "87010000002", "87010000003"):
        await staff.send(phone)
    await staff.press_data(AdminContestCb(act=AdmAct.OFFLINE, id=contest_id).pack())
    await staff.send("3")
    await staff.send("1")
    await staff.send_photo("PROTOCOL1")
    assert "больше бюллетеней (4), чем записано голосовавших на бумаге за столом для голосования (3)" in (
        staff.last.text
    )
    assert await world.db.fetchval("SELECT SUM(offline_votes) FROM contest_projects") == 0
    await staff.press_data(AdminContestCb(act=AdmAct.OFFLINE, id=contest_id).pack())
    await staff.send("2")
    await staff.send("1")
    await staff.send_photo("PROTOCOL2")
    assert await world.db.fetchval("SELECT SUM(offline_votes) FROM contest_projects") == 3
    await staff.press_data(AdminContestCb(act=AdmAct.TURNOUT, id=contest_id).pack())
    assert "записанных за столом для голосования: 3" in staff.last.text


async def test_with_a_census_the_table_gives_ballots_only_to_its_numbers(world: World) -> None:
    await census_of(world, ["+77010000001"])
    contest_id, _ = await published_contest(world)
    staff = await world.staff("Staff")
    await staff.press_data(AdminContestCb(act=AdmAct.TABLE, id=contest_id).pack())
    await staff.send("87010000009")
    assert "сайлаушылар тізімінде жоқ" in staff.last.text
    await staff.send("87010000001")
    assert "қағаз бюллетень беріңіз" in staff.last.text


# --- the freeze ------------------------------------------------------------------------------------


async def test_projects_costs_and_the_ballot_change_until_the_first_vote_and_never_after(world: World) -> None:
    contest_id, (playground, _sports) = await published_contest(world)
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    assert "можно менять до первого голоса" in staff.last.text
    await staff.press("💰 Изменить стоимость")
    await staff.press("Балалар ойын алаңы (ru)")
    await staff.send("2 500 000")
    assert await world.db.fetchval("SELECT cost FROM contest_projects WHERE id = ?", (playground,)) == 2_500_000
    ivan = await voted(world, "Ivan", "+77011234567", contest_id, playground)
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    assert "🔒 Закреплено с первого голоса (25 ноября 2026 г., 15:00)" in staff.last.text.replace("\u202f", " ")
    assert "💰 Изменить стоимость" not in staff.last.buttons and "➕ Добавить проект" not in staff.last.buttons
    # stale or forged buttons are refused with the reason
    await staff.press_data(ProjectCb(act=AdmAct.COST, contest=contest_id, project=playground).pack())
    assert "С первого голоса (25.11.2026 15:00) конкурс закреплён" in staff.last.text
    await staff.press_data(AdminContestCb(act=AdmAct.ADD_PROJECT, id=contest_id).pack())
    assert "конкурс закреплён" in staff.last.text
    await staff.press_data(AdminContestCb(act=AdmAct.CHOICES, id=contest_id).pack())
    assert "конкурс закреплён" in staff.last.text
    from bot.rules.errors import DomainError

    with pytest.raises(DomainError):
        await contests.set_cost(world.db, CLI, contest_id=contest_id, project_id=playground, cost=1)
    await census_of(world, ["+77011234567"])  # a census binds only contests not voted in yet
    assert (await contests.get(world.db, contest_id, world.rural_district_id)).census_id is None
    assert await world.db.fetchval("SELECT cost FROM contest_projects WHERE id = ?", (playground,)) == 2_500_000
    await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    assert "🔒 С первого голоса проекты, стоимость и правила не меняются." in ivan.last.text


# --- the ballot, the confirmation, the official bot ------------------------------------------------


async def test_the_ballot_says_only_the_last_vote_counts_and_the_confirmation_cannot_be_forwarded(
    world: World,
) -> None:
    contest_id, (playground, sports) = await published_contest(world)
    ivan = await world.resident("Ivan", lang="ru")
    await with_phone(ivan, "+77011234567")
    await ivan.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=playground).pack())
    assert "Учитывается только ваш последний голос" in ivan.last.text
    await ivan.press("✅ Да, голосовать")
    assert ivan.last.params.get("protect_content") is True
    await vote(ivan, contest_id, sports)
    assert "изменён" in ivan.last.text and ivan.last.params.get("protect_content") is True


async def test_every_contest_screen_names_the_official_bot_and_what_it_never_asks(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world, closes=NOW + timedelta(hours=2))
    aigerim = await world.resident()
    await with_phone(aigerim, "+77011234567")
    screens = []
    await aigerim.press("🗳 Конкурстар")
    screens.append(aigerim.last.text)
    await aigerim.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    screens.append(aigerim.last.text)
    await aigerim.press_data(ContestCb(act=Act.PROJECT, contest=contest_id, project=playground).pack())
    screens.append(aigerim.last.text)
    await aigerim.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=playground).pack())
    screens.append(aigerim.last.text)
    world.clock.advance(hours=2)
    await world.tick()
    await aigerim.press_data(ContestCb(act=Act.RESULTS, contest=contest_id).pack())
    screens.append(aigerim.last.text)
    for text in screens:
        assert "@test_bot" in text and "код, құпиясөз немесе карта нөмірін сұрамайды" in text
    # asked of Telegram once per Bot, not once per screen
    assert len([r for r in world.telegram.requests if r.method.lower() == "getme"]) == 1


# --- pressure and vote buying ---------------------------------------------------------------------


async def operator_world(tmp_path: Path) -> tuple[World, Person]:
    world = await World.create(tmp_path)
    op = await world.resident("Operator", lang="ru")
    world.settings = world.settings.model_copy(update={"operator_ids": frozenset({op.user_id})})
    world.restart_dispatcher()
    return world, op


async def test_a_pressure_report_reaches_the_chair_and_the_operator_not_the_staff(tmp_path: Path) -> None:
    world, op = await operator_world(tmp_path)
    try:
        contest_id, _ = await published_contest(world)
        chair = await world.resident("Chair", lang="ru")
        await make_chair(world, chair)
        staff = await world.staff("Staff", lang="ru")
        ivan = await world.resident("Ivanov", lang="ru")
        await world.deliver()  # the contest's announcement
        await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
        await ivan.press("🆘 Сообщить о давлении или подкупе")
        assert "не аппарат акима" in ivan.last.text
        await ivan.send("")  # nothing in it
        assert "Сообщение пустое" in ivan.last.text
        await ivan.send_sticker()
        assert "Сообщение пустое" in ivan.last.text
        await ivan.send("Бригадир велел голосовать за спортплощадку, иначе премии не будет")
        assert "Ваше сообщение №1 отправлено председателю собрания и оператору" in ivan.last.text
        await world.deliver()
        for reader in (chair, op):
            assert "Сообщение №1: давление или подкуп" in reader.last.text
            assert "Бригадир велел" in reader.last.text and "Ivanov" not in reader.last.text
        assert not any("Бригадир" in t for t in staff.texts())
        stored = await world.db.fetchone("SELECT number, person_id, body FROM contest_reports")
        assert stored["number"] == 1 and stored["person_id"] == await ivan.person_id()
        # a voice report: the chair listens with a button; the staff cannot, even with a forged one
        await ivan.press_data(ContestCb(act=Act.REPORT, contest=contest_id).pack())
        await ivan.send_voice("VOICE9")
        assert "№2" in ivan.last.text
        await world.deliver()
        await chair.press("🎧 Прослушать")
        assert chair.last.method == "sendVoice" and chair.last.params["voice"] == "VOICE9"
        report_id = await world.db.fetchval("SELECT id FROM contest_reports WHERE number = 2")
        before = len(staff.inbox)
        await staff.press_data(WatchCb(act=WatchAct.VOICE, report=report_id).pack())
        assert all(r.method != "sendVoice" for r in staff.inbox[before:])
        assert "Это сообщение недоступно." in staff.last.text
    finally:
        await world.close()


# --- anomalies, judged by the chair ---------------------------------------------------------------


def test_the_anomaly_rules_flag_bursts_nights_new_accounts_and_crowded_minutes() -> None:
    from datetime import UTC, datetime

    tz = "Asia/Almaty"  # UTC+5
    day = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)  # 09:00 local
    seen = day - timedelta(days=30)
    stamps = [Stamp(i, 1, day + timedelta(hours=i), seen) for i in range(6)]  # one vote an hour: median 1
    stamps += [Stamp(100 + i, 1, day + timedelta(hours=8, minutes=i * 5), seen) for i in range(11)]  # 17:00: 11
    stamps += [Stamp(200 + i, 2, datetime(2026, 11, 25, 21, 30, tzinfo=UTC), seen) for i in range(2)]  # 02:30
    stamps += [Stamp(300, 2, day, day - timedelta(hours=3))]  # new to the bot
    stamps += [Stamp(400 + i, 3, day + timedelta(seconds=i), seen) for i in range(5)]  # five in a minute
    found = {(f.kind, f.village_id, f.votes) for f in anomalies.flags(stamps, tz)}
    assert (Kind.BURST, 1, 11) in found
    assert (Kind.NIGHT, 2, 2) in found
    assert (Kind.NEW, 2, 1) in found
    assert (Kind.MINUTE, 3, 5) in found
    assert len(found) == 4
    # thresholds are settings: a higher burst floor flags no burst
    assert not [f for f in anomalies.flags(stamps, tz, Thresholds(burst_min=20)) if f.kind is Kind.BURST]
    flag = next(f for f in anomalies.flags(stamps, tz) if f.kind is Kind.NIGHT)
    assert flag.key == "night.2.2026112602" and not flag.judgeable(flag.hour + timedelta(minutes=59))


async def night_votes(world: World, contest_id: int, project_id: int, count: int) -> list[Person]:
    """Residents who vote at 02:00 local time (21:00 UTC)."""
    world.clock.set(NOW.replace(hour=21))
    voters = []
    for i in range(count):
        person = await world.resident(f"N{i}", lang="ru")
        await with_phone(person, f"+7701555000{i}")
        await vote(person, contest_id, project_id)
        voters.append(person)
    world.clock.advance(hours=1)
    return voters


async def test_the_chair_annuls_flagged_votes_with_a_reason_staff_only_see_the_figures(world: World) -> None:
    contest_id, (playground, sports) = await published_contest(world)
    chair = await world.resident("Chair", lang="ru")
    await make_chair(world, chair)
    staff = await world.staff("Staff", lang="ru")
    night = await night_votes(world, contest_id, sports, 3)
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    await staff.press("⚠️ Аномалии")
    assert "Аномалии: Проекты парков" in staff.last.text and "не аппарат акима" in staff.last.text
    flag = next(b for b in staff.last.inline if "🌙" in b["text"])
    await staff.press_data(flag["callback_data"])
    assert "Голоса, отданные ночью." in staff.last.text and "В этой пометке 3 голоса." in staff.last.text
    assert "❌ Аннулировать голоса" not in staff.last.buttons
    key = WatchCb.unpack(flag["callback_data"]).flag
    # the akim's staff, and a resident, forging the chair's button: refused, nothing changes
    for forger in (staff, night[0]):
        await forger.press_data(WatchCb(act=WatchAct.ANNUL, contest=contest_id, flag=key).pack())
        assert "только председатель собрания или оператор" in forger.last.text
        await forger.send("подкуп")
    assert await counted(world, contest_id) == 3
    from bot.rules.errors import NotAllowed
    from storage import oversight
    from storage.audit import STAFF_KIND, Actor

    with pytest.raises(NotAllowed):
        await oversight.decide(
            world.db,
            Actor(STAFF_KIND, await staff.person_id(), staff.user_id, world.rural_district_id),
            contest_id=contest_id,
            flag_key=key,
            annul=True,
            reason="x",
            now=world.clock.now(),
            tz="Asia/Almaty",
            thresholds=Thresholds(),
        )
    # the chair judges from her contest screen
    await chair.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    await chair.press("⚠️ Аномалии")
    await chair.press_data(flag["callback_data"])
    await chair.press("❌ Аннулировать голоса")
    await chair.send("Три голоса из одного дома в 2 часа ночи, жители подтвердили подкуп")
    assert "Решено: аннулировано 3 голоса." in chair.last.text
    assert await counted(world, contest_id) == 0
    assert await world.db.fetchval("SELECT COUNT(*) FROM contest_votes WHERE status = 'annulled'") == 3
    entry = await world.db.fetchone(
        "SELECT actor_kind, after_json FROM audit_log WHERE action = 'contest_votes_annulled'"
    )
    assert entry["actor_kind"] == "chair" and "подкуп" in entry["after_json"]
    # a second decision on the same flag is refused
    await chair.press_data(WatchCb(act=WatchAct.KEEP, contest=contest_id, flag=key).pack())
    await chair.send("передумала")
    assert "уже принято решение" in chair.last.text
    # the annulled voter cannot vote again, and sees why
    await vote(night[0], contest_id, playground)
    assert "аннулирован председателем собрания" in night[0].last.text
    await night[0].press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    assert "Ваш голос аннулирован председателем собрания" in night[0].last.text
    # and the results say so
    world.clock.advance(days=8)
    await world.tick()
    await staff.press_data(AdminContestCb(act=AdmAct.RESULTS, id=contest_id).pack())
    assert "Помеченных голосов аннулировано: 3 (председатель собрания): Три голоса" in staff.last.text
    assert "Всего 0 голосов" in staff.last.text


async def test_an_operator_may_keep_flagged_votes(tmp_path: Path) -> None:
    world, op = await operator_world(tmp_path)
    try:
        contest_id, (_p, sports) = await published_contest(world)
        await night_votes(world, contest_id, sports, 1)
        await op.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
        await op.press("⚠️ Аномалии")
        flag = next(b for b in op.last.inline if "🌙" in b["text"])
        await op.press_data(flag["callback_data"])
        await op.press("✅ Оставить голоса")
        await op.send("Ночная смена на ферме, проверено")
        assert "Решено: оставлен 1 голос." in op.last.text
        assert await counted(world, contest_id) == 1
        assert await world.db.fetchval("SELECT decided_as FROM contest_decisions") == "operator"
    finally:
        await world.close()


async def test_a_flag_of_an_hour_not_over_cannot_be_judged_yet(world: World) -> None:
    contest_id, (_p, sports) = await published_contest(world)
    chair = await world.resident("Chair", lang="ru")
    await make_chair(world, chair)
    await night_votes(world, contest_id, sports, 1)
    world.clock.advance(minutes=-30)  # back inside the hour
    await chair.press_data(WatchCb(act=WatchAct.LIST, contest=contest_id).pack())
    flag = next(b for b in chair.last.inline if "🌙" in b["text"])
    await chair.press_data(flag["callback_data"])
    assert "Этот час ещё не закончился" in chair.last.text and "❌ Аннулировать голоса" not in chair.last.buttons


async def test_the_contest_screen_shows_the_public_turnout_curve(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world)
    for i in range(3):
        person = await world.resident(f"A{i}", lang="ru", village=i % 2)
        await with_phone(person, f"+770120000{i:02d}")
        await vote(person, contest_id, playground)
    world.clock.advance(days=1)
    late = await voted(world, "Late", "+77012000099", contest_id, playground)
    await late.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    text = late.last.text.replace("\u202f", " ")
    assert "Голоса в боте по дням" in text
    assert "25 ноября 2026 г.: ▇▇▇▇▇▇▇▇▇▇▇▇ 3" in text and "26 ноября 2026 г.: ▇▇▇▇ 1" in text
    assert "Аксай: ▇▇▇▇▇▇▇▇▇▇▇▇ 3" in text and "Бесагаш: ▇▇▇▇ 1" in text


# --- an approval ballot ------------------------------------------------------------------------------


async def test_an_approval_ballot_up_to_k_projects_funded_greedily_and_the_results_say_so(world: World) -> None:
    contest_id, (small, middle, large) = await published_contest(
        world, [("Кіші", 1_000_000), ("Орта", 2_000_000), ("Үлкен", 3_000_000)], budget=4_000_000
    )
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    await staff.press("☑️ Бюллетень")
    await staff.send("5")
    assert "Отправьте целое число от 1 до 3." in staff.last.text
    await staff.press_data(AdminContestCb(act=AdmAct.CHOICES, id=contest_id).pack())
    await staff.send("2")
    assert "можно выбрать не больше 2" in staff.inbox[-1].text
    ballots = [[small, middle], [middle, large], [middle]]
    for i, chosen in enumerate(ballots):
        person = await world.resident(f"V{i}", lang="ru")
        await with_phone(person, f"+7701300000{i}")
        await person.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
        await person.press("🗳 Мой бюллетень")
        assert "Учитывается только ваш последний голос" in person.last.text
        for project in chosen:
            await person.press_data(ContestCb(act=Act.TOGGLE, contest=contest_id, project=project).pack())
        if i == 0:  # a third choice is one too many
            await person.press_data(ContestCb(act=Act.TOGGLE, contest=contest_id, project=large).pack())
            alert = [r for r in world.telegram.requests if r.method.lower() == "answercallbackquery"][-1]
            assert "максимум 2" in alert.params.get("text", "")
        await person.press(f"✅ Голосовать за выбранные ({len(chosen)})")
        await person.press("✅ Да, голосовать")
        assert "учтён" in person.last.text
    first = await world.db.fetchval("SELECT person_id FROM contest_votes ORDER BY id LIMIT 1")
    assert sorted(
        r[0]
        for r in await world.db.fetchall(
            "SELECT ch.project_id FROM contest_vote_choices ch JOIN contest_votes v ON v.id = ch.vote_id"
            " WHERE v.person_id = ?",
            (first,),
        )
    ) == sorted([small, middle])
    from bot.rules.errors import NotFound

    with pytest.raises(NotFound):  # more than K, whatever a handler sends
        await stored_vote(
            world,
            contest_id,
            small,
            first,
            village=0,
            phone="+77013000000",
            now=world.clock.now(),
            choices=[small, middle, large],
        )
    world.clock.advance(days=8)
    await world.tick()
    await staff.press_data(AdminContestCb(act=AdmAct.RESULTS, id=contest_id).pack())
    result = staff.last.text
    assert (
        "✅ 1. <b>Орта (ru)</b>" in result and "✅ 2. <b>Кіші (ru)</b>" in result and "▫️ 3. <b>Үлкен (ru)</b>" in result
    )
    assert "каждый голосующий выбирал несколько проектов (не больше 2)" in result


# --- following the money -----------------------------------------------------------------------------


async def test_a_funded_projects_progress_reaches_its_voters_and_village_who_answer_with_one_tap(
    world: World,
) -> None:
    contest_id, (playground, sports) = await published_contest(world, closes=NOW + timedelta(hours=1))
    voter = await voted(world, "Voter", "+77014000001", contest_id, playground)
    neighbour = await world.resident("Neighbour", lang="ru")  # the same village, did not vote
    far = await world.resident("Far", lang="ru", village=1)  # another village
    staff = await world.staff("Staff", lang="ru")
    await world.deliver()
    world.clock.advance(hours=1)
    await world.tick()
    await world.deliver()
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    await staff.press("📍 Ход проектов")
    assert staff.last.buttons[0] == "Балалар ойын алаңы (ru)"  # the funded one only
    await staff.press_data(ProjectCb(act=AdmAct.PROGRESS, contest=contest_id, project=sports, stage="started").pack())
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    await staff.press_data(ProjectCb(act=AdmAct.PROGRESS, contest=contest_id, project=playground).pack())
    await staff.press("🚧 Начато")
    await staff.send_photo("WORK1")
    await staff.send_location(43.2, 76.9)
    await staff.send("Завезли песок и горки")
    await staff.press("📣 Опубликовать")
    assert "Жителей оповещено: 3." in staff.last.text  # the voter, the neighbour, the staff member (Аксай)
    await world.deliver()
    assert voter.last.method == "sendPhoto" and "Балалар ойын алаңы (ru)</b>: 🚧 Начато" in voter.last.text
    assert "Завезли песок" in neighbour.last.text
    assert not any("Завезли песок" in t for t in far.texts())
    # forged: a stage of a project that was not funded
    progress_before = await world.db.fetchval("SELECT COUNT(*) FROM project_progress")
    await staff.press_data(ProjectCb(act=AdmAct.PROGRESS, contest=contest_id, project=sports, stage="finished").pack())
    await staff.press("📣 Опубликовать")
    assert "только по финансируемым проектам" in staff.last.text
    assert await world.db.fetchval("SELECT COUNT(*) FROM project_progress") == progress_before
    # not finished yet: no verdict
    await neighbour.press_data(ContestCb(act=Act.DONE, contest=contest_id, project=playground).pack())
    assert "ещё не завершён" in neighbour.last.text
    await staff.press_data(
        ProjectCb(act=AdmAct.PROGRESS, contest=contest_id, project=playground, stage="finished").pack()
    )
    await staff.press("📣 Опубликовать")
    await world.deliver()
    assert "Сделано, как обещали?" in voter.last.text
    await neighbour.press("📍 Ход проекта")
    assert (
        "🚧 Начато" in neighbour.last.text
        and "openstreetmap.org/?mlat=43.20000&amp;mlon=76.90000" in neighbour.last.text
    )
    await neighbour.press("👍 Сделано, как обещали")
    assert "учтён" in neighbour.last.text
    await voter.press_data(ContestCb(act=Act.PROBLEM, contest=contest_id, project=playground).pack())
    await voter.send("Горка шатается")
    assert "Аппарат акима видит" in voter.last.text
    await far.press_data(ContestCb(act=Act.DONE, contest=contest_id, project=playground).pack())
    assert "в другом селе" in far.last.text
    await staff.press_data(ProjectCb(act=AdmAct.PROGRESS, contest=contest_id, project=playground).pack())
    text = staff.last.text
    assert "сделано, как обещали — 1, ⚠️ есть проблема — 1" in text and "Горка шатается" in text
    assert "Voter" not in text and "Neighbour" not in text


# --- staff never see who voted for what ------------------------------------------------------------


async def test_no_staff_screen_or_export_shows_who_voted_for_what(world: World) -> None:
    contest_id, (playground, _sports) = await published_contest(world, closes=NOW + timedelta(hours=30))
    await census_of(world, ["+77015550001", "+77015550002"])
    staff = await world.staff("Staff", lang="ru")
    ivan = await world.resident("Ivanov", lang="ru")
    await with_phone(ivan, "+77015550001")
    night = await night_votes(world, contest_id, playground, 1)  # a flagged vote, to fill the anomalies
    await vote(ivan, contest_id, playground)
    start = len(world.telegram.requests)
    screens = [
        AdminContestCb(act=AdmAct.LIST),
        AdminContestCb(act=AdmAct.VIEW, id=contest_id),
        AdminContestCb(act=AdmAct.TURNOUT, id=contest_id),
        AdminContestCb(act=AdmAct.RESULTS, id=contest_id),
        AdminContestCb(act=AdmAct.EXPORT, id=contest_id),
        AdminContestCb(act=AdmAct.CENSUS),
        WatchCb(act=WatchAct.LIST, contest=contest_id),
    ]
    for data in screens:
        await staff.press_data(data.pack())
    for flag in [b for b in staff.last.inline if "ctan:f" in b.get("callback_data", "")]:
        await staff.press_data(flag["callback_data"])
    world.clock.advance(hours=30)
    await world.tick()
    for data in (AdminContestCb(act=AdmAct.RESULTS, id=contest_id), AdminContestCb(act=AdmAct.PROGRESS, id=contest_id)):
        await staff.press_data(data.pack())
    await staff.press_data(ProjectCb(act=AdmAct.PROGRESS, contest=contest_id, project=playground).pack())
    shown = [r for r in world.telegram.requests[start:] if r.chat_id == staff.user_id]
    assert len(shown) >= 10
    everything = "\n".join(
        (r.text or "")
        + json.dumps(r.params.get("reply_markup") or "", ensure_ascii=False)
        + (r.params["document"].decode("utf-8-sig") if isinstance(r.params.get("document"), bytes) else "")
        for r in shown
    )
    for voter in (ivan, *night):
        assert voter.first_name not in everything and str(voter.user_id) not in everything
    for phone in ("7015550001", "7015550000"):
        assert phone not in everything
