"""The operator runs the bot for years: set-up changes from the command line and the chat, staff
added with Telegram's user picker, district settings the sender honours, «stop all sending», and
a database newer than the code refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import register
from bot.keyboards.operator import Op, OpCb
from storage import audit, districts, operations, operator, outbox
from storage.db import Database, SchemaTooNew
from tests.harness import NOW, Person, World
from tests.steps import operator_world

ROOT = Path(__file__).resolve().parent.parent


def cli(*args: str) -> tuple[int, str, str]:
    """Run ``bot.py`` in this process: (exit code, stdout, stderr)."""
    import contextlib
    import io
    import runpy

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            script = runpy.run_path(str(ROOT / "bot.py"), run_name="bot_cli")
            script["main"](list(args))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
            if isinstance(stop.code, str):
                err.write(stop.code)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # an operator whose terminal speaks Russian
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("OPERATOR_IDS", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    yield path


def query(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


def set_up(database: Path) -> None:
    for args in (
        ("add-region", "Алматы облысы", "Алматинская область"),
        ("add-district", "1", "Қарасай ауданы", "Карасайский район"),
        ("add-rural-district", "1", "Ақсай ауылдық округі", "Аксайский сельский округ"),
        ("add-rural-district", "1", "Көктөбе ауылдық округі", "Коктобинский сельский округ"),
        ("add-village", "1", "Ақсай", "Аксай"),
        ("add-village", "1", "Бесағаш", "Бесагаш"),
        ("add-village", "2", "Көктөбе", "Коктобе"),
    ):
        code, _out, err = cli(*args)
        assert code == 0, err


def test_every_subcommand_has_its_help(database: Path) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    names = [a for a in parser._subparsers._group_actions[0].choices]  # type: ignore[union-attr]
    assert {"rename", "move-village", "staff", "district", "hold", "backup", "restore", "export", "health"} <= set(
        names
    )
    for name in [*names, "run", "try", "demo", "migrate", "i18n"]:
        code, out, _err = cli(name, "--help")
        assert code == 0 and out.startswith("usage: "), name


def test_the_command_line_renames_moves_and_lists(database: Path) -> None:
    set_up(database)
    assert cli("rename", "village", "2", "Бесағаш-2", "Бесагаш-2")[0] == 0
    code, out, _ = cli("places")
    assert "village 2: Бесағаш-2 / Бесагаш-2" in out
    assert cli("rename", "rural_district", "1", "Ақсай округі", "Округ Аксай")[0] == 0
    assert query(database, "SELECT name_kk, name_ru FROM rural_districts WHERE id = 1") == [
        ("Ақсай округі", "Округ Аксай")
    ]
    # a name taken in the same district, an empty name, a place that is not there: one clear line each
    code, _, err = cli("rename", "village", "2", "Ақсай", "Аксай-2")
    assert code == 1 and err.startswith("error: ") and "занято" in err
    code, _, err = cli("rename", "village", "99", "X", "Y")
    assert code == 1 and "Такого места нет: village 99" in err
    # a village moves with its residents; the district's only village cannot leave it
    query(database, "INSERT INTO people (telegram_id, rural_district_id, village_id) VALUES (5001, 1, 2)")
    assert cli("move-village", "2", "2")[0] == 0
    assert query(database, "SELECT rural_district_id FROM villages WHERE id = 2") == [(2,)]
    assert query(database, "SELECT rural_district_id FROM people WHERE telegram_id = 5001") == [(2,)]
    code, _, err = cli("move-village", "1", "2")
    assert code == 1 and "единственное село" in err
    actions = [r[0] for r in query(database, "SELECT action FROM audit_log ORDER BY id")]
    assert "rename_village" in actions and "move_village" in actions


def test_staff_are_added_listed_and_the_last_one_stays(database: Path) -> None:
    set_up(database)
    assert cli("add-staff", "1", "4242")[0] == 0
    code, out, _ = cli("staff", "1")
    assert code == 0 and "telegram 4242" in out
    code, _, err = cli("remove-staff", "1", "4242")
    assert code == 1 and "последний сотрудник" in err and "Сначала добавьте другого сотрудника" in err
    assert cli("add-staff", "1", "4343")[0] == 0
    assert cli("remove-staff", "1", "4242")[0] == 0
    assert [r[0] for r in query(database, "SELECT telegram_id FROM people p JOIN roles r ON r.person_id = p.id")] == [
        4343
    ]


def test_the_command_line_answers_in_the_terminals_language(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for lang, said in (("kk_KZ.UTF-8", "Telegram идентификаторы емес"), ("C.UTF-8", "is not a Telegram id")):
        monkeypatch.setenv("LANG", lang)
        code, _, err = cli("add-staff", "1", "-5")
        assert code == 1 and said in err, err


def test_malformed_and_unknown_ids_are_refused(database: Path) -> None:
    set_up(database)
    code, _, err = cli("add-staff", "1", "-5")
    assert code == 1 and "не идентификатор Telegram" in err
    code, _, err = cli("add-staff", "1", "abc")
    assert code == 2 and "invalid int value" in err
    code, _, err = cli("add-staff", "77", "4242")
    assert code == 1 and "Сельского округа с номером 77 нет" in err
    assert query(database, "SELECT count(*) FROM roles") == [(0,)]


def test_the_last_operator_stays(database: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_up(database)
    assert cli("add-operator", "9001")[0] == 0
    code, _, err = cli("remove-operator", "9001")
    assert code == 1 and "последний оператор" in err
    monkeypatch.setenv("OPERATOR_IDS", "777")
    code, _, err = cli("remove-operator", "777")
    assert code == 1 and "OPERATOR_IDS" in err
    assert cli("remove-operator", "9001")[0] == 0  # 777 of the settings remains
    code, out, _ = cli("operators")
    assert "777 (OPERATOR_IDS)" in out and "9001" not in out


def test_district_settings_are_checked(database: Path) -> None:
    set_up(database)
    assert cli("district", "1", "quiet", "23:00-07:00")[0] == 0
    assert cli("district", "1", "review_days", "20")[0] == 0
    code, _, err = cli("district", "1", "census", "on")  # no census uploaded: nobody could vote
    assert code == 1 and "Сначала загрузите список избирателей" in err
    assert cli("district", "1", "census", "off")[0] == 0
    assert cli("district", "1", "approval", "100")[0] == 0
    code, out, _ = cli("district", "1")
    assert "quiet        23:00-07:00" in out and "review_days  20" in out and "census       off" in out
    for setting, value, says in (
        ("timezone", "Mars/Olympus", "Неизвестный часовой пояс"),
        ("timezone", "../../etc/passwd", "Неизвестный часовой пояс"),
        ("quiet", "25:00-08:00", "22:00-08:00"),
        ("review_days", "41", "от 1 до 40"),
        ("threshold", "0", "от 1 до"),
        ("census", "maybe", "«on» или «off»"),
    ):
        code, _, err = cli("district", "1", setting, value)
        assert code == 1 and says in err, (setting, value, err)
    assert query(database, "SELECT timezone, initiative_review_days FROM rural_districts WHERE id = 1") == [
        ("Asia/Almaty", 20)
    ]


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    db = await Database(path).connect()
    await db.execute("INSERT INTO schema_migrations (name) VALUES ('999_from_the_future')")
    await db.close()
    with pytest.raises(SchemaTooNew, match="999_from_the_future"):
        await Database(path).connect()


def test_the_bot_refuses_to_start_on_a_newer_database(database: Path) -> None:
    set_up(database)
    query(database, "INSERT INTO schema_migrations (name) VALUES ('999_from_the_future')")
    code, _, err = cli("places")
    assert code == 1 and "newer version of the bot" in err and "999_from_the_future" in err


# --- in the chat -------------------------------------------------------------------------------


async def operator_at_aksai(world: World) -> Person:
    """The operator (Russian), in /operator at the Aksai rural district's card."""
    op = world.person("Operator", user_id=777, language_code="ru")
    await op.send("/operator")
    await op.press("🏘 Сельские округа")
    await op.press("Аксайский сельский округ")
    return op


async def test_an_operator_adds_staff_with_telegrams_user_picker(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        op = await operator_at_aksai(world)
        assert "Часовой пояс: Asia/Almaty" in op.last.text
        await op.press("👥 Сотрудники")
        assert "Пока никого." in op.last.text
        await op.press("➕ Добавить сотрудника")
        picker = op.last.markup["keyboard"][0][0]
        assert picker["request_users"] == {
            "request_id": world.rural_district_id,
            "user_is_bot": False,
            "max_quantity": 1,
        }
        # a forwarded message whose sender hides their account: the picker is asked for instead
        hidden = {"type": "hidden_user", "sender_user_name": "Someone", "date": 1}
        await op.send_content(text="Сәлем", forward_origin=hidden)
        assert "скрывает, кто отправил" in op.last.text
        await op.send("not an id")
        assert "не идентификатор Telegram" in op.last.text
        await op.send_content(users_shared={"request_id": world.rural_district_id, "users": [{"user_id": 5555}]})
        assert "Готово: идентификатор Telegram 5555 теперь сотрудник" in op.texts()[-2]
        assert "ещё не писал боту" in op.texts()[-2]
        assert "Идентификатор Telegram 5555" in op.last.text
        # a forwarded message of a visible account works as well
        await op.press("➕ Добавить сотрудника")
        visible = {"type": "user", "sender_user": {"id": 6666, "is_bot": False, "first_name": "Staff"}, "date": 1}
        await op.send_content(text="…", forward_origin=visible)
        staff = {
            r[0]
            for r in await world.db.fetchall("SELECT p.telegram_id FROM roles r JOIN people p ON p.id = r.person_id")
        }
        assert staff == {5555, 6666}
        entries = [e for e in await audit.entries(world.db) if e["action"] == "add_staff"]
        assert entries and all(e["actor_kind"] == "operator" for e in entries)
        assert all("5555" not in (e["after_json"] or "") for e in entries)  # person ids, not Telegram ids


async def test_removing_the_last_staff_member_in_the_chat_says_why(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        staff = await world.staff("Staff", lang="ru")
        op = await operator_at_aksai(world)
        await op.press("👥 Сотрудники")
        await op.press(f"➖ Убрать {staff.user_id}")
        await op.press("Да, убрать")
        assert "последний сотрудник сельского округа: жителям некому будет отвечать" in op.texts()[-1]
        assert len(await operator.staff(world.db, world.rural_district_id)) == 1


async def test_a_staff_member_trying_an_operator_command_is_refused_and_logged(world: World) -> None:
    staff = await world.staff("Staff", lang="ru")
    await staff.send(f"/add_village {world.rural_district_id} | Жаңа | Новое")
    assert staff.last.text == "Эта команда только для операторов бота (OPERATOR_IDS)."
    await staff.send("/status")
    assert "только для операторов" in staff.last.text
    assert await world.db.fetchval("SELECT count(*) FROM villages") == 2
    refused = [e for e in await audit.entries(world.db) if e["action"] == "operator_command_refused"]
    assert len(refused) == 2 and refused[0]["actor_telegram_id"] == staff.user_id
    # an operator's button in a staff member's hands does nothing (answered as any admin button not theirs)
    await staff.press_data(OpCb(act=Op.HOLD).pack())
    assert "Эта кнопка устарела" in staff.last.text
    assert await operations.current_hold(world.db) is None


async def test_district_settings_from_the_chat(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        op = await operator_at_aksai(world)
        await op.press("⚙️ Настройки")
        await op.press("🕒 Часовой пояс")
        await op.send("Europe/Nowhere")
        assert "Неизвестный часовой пояс: Europe/Nowhere." in op.last.text
        await op.send("Asia/Aqtobe")
        await op.press("📋 Список: выключен")
        assert "Сначала загрузите список избирателей" in op.last.text  # the vote trust's own rule
        await op.press("🌙 Ночное время")
        await op.send("21:30-07:15")
        found = await districts.get(world.db, world.rural_district_id)
        assert found is not None
        assert (found.timezone, found.quiet_start, found.quiet_end, found.census) == (
            "Asia/Aqtobe",
            "21:30",
            "07:15",
            False,
        )


async def announcement(world: World) -> int:
    async with world.db.transaction() as tx:
        recipients = await outbox.residents(tx, world.rural_district_id)
        return await outbox.enqueue(
            tx,
            rural_district_id=world.rural_district_id,
            kind="announcement",
            texts={"kk": "Хабар"},
            recipients=recipients,
        )


async def test_the_sender_honours_the_quiet_hours_the_operator_sets(world: World) -> None:
    aigerim = await world.resident()
    world.clock.advance(hours=8)  # 23:00 in Almaty: inside the default 22:00–08:00
    await announcement(world)
    await world.deliver()
    assert aigerim.last.text != "Хабар"
    # the operator shortens the night: what waits goes now, not at the old morning
    await districts.change(world.db, audit.CLI, world.rural_district_id, "quiet", "23:30-06:00", now=world.clock.now())
    await world.deliver()
    assert aigerim.last.text == "Хабар"
    await districts.change(world.db, audit.CLI, world.rural_district_id, "quiet", "22:00-08:00", now=world.clock.now())
    await announcement(world)
    await world.deliver()
    assert [t for t in aigerim.texts() if t == "Хабар"] == ["Хабар"]
    await districts.change(world.db, audit.CLI, world.rural_district_id, "quiet", "off", now=world.clock.now())
    await world.deliver()
    assert [t for t in aigerim.texts() if t == "Хабар"] == ["Хабар", "Хабар"]


async def test_stop_all_sending_holds_every_row_until_released(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        aigerim = await world.resident()
        op = world.person("Operator", user_id=777, language_code="ru")
        await op.send("/operator")
        await op.press("⏸ Остановить всю отправку")
        assert "Вся отправка остановлена" in op.last.text
        await announcement(world)
        world.clock.advance(days=2)
        await world.deliver()
        assert aigerim.last.text != "Хабар"
        await op.send("/status")
        assert "⏸ Отправка остановлена" in op.last.text and "announcement 1" in op.last.text
        await op.press("▶️ Возобновить отправку")
        await world.deliver()
        assert aigerim.last.text == "Хабар"
        actions = [e["action"] for e in await audit.entries(world.db)]
        assert actions[:2] == ["sending_released", "sending_held"]


async def test_status_shows_the_figures_an_operator_needs(tmp_path: Path) -> None:
    async with operator_world(tmp_path) as world:
        await world.resident()
        await announcement(world)
        await operations.note_error(world.db, "sender: TelegramNetworkError", NOW - timedelta(minutes=5))
        op = world.person("Operator", user_id=777, language_code="ru")
        await op.send("/status")
        text = op.last.text
        shown = (
            "Версия: 0.1.0",
            "схема: 0",
            "База данных, МБ:",
            "К отправке, по видам: announcement 1",
            "Самое старое неотправленное:",
            "Недоступных жителей: 0",
            "TelegramNetworkError",
            "Работает: 0 ч 0 мин",
        )
        for part in shown:
            assert part in text, part
