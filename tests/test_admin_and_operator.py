"""Staff see Admin, residents never do; forged admin actions are refused and logged; the operator sets up."""

from __future__ import annotations

import pytest

from storage import audit, consent
from tests.harness import World
from tests.steps import koktobe, operator_world


async def test_staff_see_admin_and_residents_do_not(world: World) -> None:
    resident = await world.resident("Resident")
    staff = await world.staff("Staff")
    assert "🛠 Басқару" not in resident.last.buttons
    assert "🛠 Басқару" in staff.last.buttons
    await staff.press("🛠 Басқару")
    assert staff.last.text.startswith("<b>Басқару</b>: Ақсай ауылдық округі")
    assert "🗳 Конкурстар" in staff.last.buttons


async def test_a_resident_typing_the_admin_label_gets_no_admin_menu(world: World) -> None:
    resident = await world.resident()
    await resident.send("🛠 Басқару")
    assert "Басқару</b>" not in resident.last.text
    assert "Кешіріңіз, түсінбедім" in resident.last.text


@pytest.mark.parametrize("data", ["adm:home", "adm:contests", "adm:broadcasts"])
async def test_forged_admin_callback_from_a_resident_is_refused_and_logged(world: World, data: str) -> None:
    resident = await world.resident("Resident", lang="ru")
    await resident.press_data(data)
    assert resident.last.text == "Это действие доступно только сотрудникам аппарата акима."
    assert "🛠 Управление" not in resident.last.buttons
    entries = await audit.entries(world.db)
    assert entries[0]["action"] == "admin_callback_refused"
    assert entries[0]["actor_telegram_id"] == resident.user_id


async def test_a_staff_members_admin_button_from_an_older_release_is_out_of_date(world: World) -> None:
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data("admi:q:all")  # the initiatives queue's button before typed callback data
    assert staff.last.text == "Эта кнопка устарела. Вот главное меню."
    assert "🛠 Управление" in staff.last.buttons


async def test_staff_of_one_district_are_residents_in_another(world: World) -> None:
    other = await koktobe(world)
    staff_elsewhere = await world.staff("Elsewhere", rural_district_id=other)
    visitor = world.person("Visitor")
    await visitor.send("/start")
    # a person who is staff of another district is not staff of this one
    ordinary = await world.resident("Ordinary")
    assert "🛠 Басқару" not in ordinary.last.buttons
    assert "🛠 Басқару" in staff_elsewhere.last.buttons


async def test_operator_adds_a_village_and_staff_from_the_chat(tmp_path: object) -> None:
    from pathlib import Path

    async with operator_world(Path(str(tmp_path))) as world:
        op = world.person("Operator", user_id=777)
        await op.send("/operator")
        assert "rural_district 1" in op.last.text
        await op.send(f"/add_village {world.rural_district_id} | Жаңаауыл | Жанаауыл")
        assert op.last.text.startswith("Қосылды, id")
        await op.send(f"/add_staff {world.rural_district_id} | 4242")
        assert (
            await world.db.fetchval(
                "SELECT role FROM roles JOIN people ON people.id = roles.person_id WHERE telegram_id = 4242"
            )
            == "staff"
        )
        await op.send("/add_village nonsense")
        assert "Аргументтер қате" in op.last.text
        actions = [e["action"] for e in await audit.entries(world.db)]
        assert actions[:2] == ["add_staff", "add_village"]
        # a resident cannot use operator commands
        resident = await world.resident()
        await resident.send(f"/add_village {world.rural_district_id} | X | Y")
        assert "Мұндай команда жоқ" in resident.last.text


async def test_operator_adds_a_district_to_a_region_from_the_chat(tmp_path: object) -> None:
    from pathlib import Path

    async with operator_world(Path(str(tmp_path))) as world:
        op = world.person("Operator", user_id=777)
        region = await world.db.fetchval("SELECT min(id) FROM regions")
        await op.send(f"/add_district {region} | Жаңа аудан | Новый район")
        assert op.last.text.startswith("Қосылды, id")
        row = await world.db.fetchone("SELECT region_id, name_ru FROM districts WHERE name_kk = 'Жаңа аудан'")
        assert row is not None and tuple(row) == (region, "Новый район")
        await op.send("/add_district nonsense | Жаңа аудан | Новый район")
        assert "Аргументтер қате" in op.last.text
        assert (await audit.entries(world.db))[0]["action"] == "add_district"


async def test_consent_text_flow_survives_a_restart(tmp_path: object) -> None:
    """An FSM flow started, the bot restarted on the same file, the flow finished."""
    from pathlib import Path

    async with operator_world(Path(str(tmp_path))) as world:
        op = world.person("Operator", user_id=777)
        await op.send("/set_consent")
        await op.send("Келісім мәтіні: {owner}")
        assert "орыс тілінде" in op.last.text
        await world.restart()
        await op.send("Текст согласия: {owner}")
        assert op.last.text == "Келісім мәтінінің 1 нұсқасы жарияланды."
        current = await consent.current(world.db)
        assert (current.version, current.text_ru) == (1, "Текст согласия: {owner}")
        ivan = await world.resident("Ivan", lang="ru")
        consent_message = next(t for t in ivan.texts() if t.startswith("Текст согласия"))
        assert consent_message == "Текст согласия: аппарат акима (Аксайский сельский округ)"


async def test_cancel_leaves_an_operator_flow(tmp_path: object) -> None:
    from pathlib import Path

    async with operator_world(Path(str(tmp_path))) as world:
        op = await world.resident("Operator")
        world.settings = world.settings.model_copy(update={"operator_ids": frozenset({op.user_id})})
        world.restart_dispatcher()
        await op.send("/set_consent")
        await op.send("/cancel")
        assert op.last.text == "Бұл қадамнан шықтыңыз. Басты мәзір: бөлімді таңдаңыз."
        await op.send("Not a consent text")
        assert (await consent.current(world.db)).version == 0


async def test_a_staff_members_out_of_date_button_is_not_logged_as_a_refusal(world: World) -> None:
    staff = await world.staff("Staff")
    await staff.press_data("admi:q:all")
    assert not [e for e in await audit.entries(world.db) if e["action"] == "admin_callback_refused"]
