"""Two-person approval: an announcement to more residents than the district's threshold waits, held,
until another staff member or the chair of the meeting approves it; rejected, nothing is sent."""

from __future__ import annotations

from bot.keyboards.broadcasts import ApproveCb
from storage import audit, districts
from tests.harness import Person, World
from tests.steps import make_chair
from tests.test_broadcasts import compose_one


async def send_to_everyone(staff: Person) -> None:
    await compose_one(staff)
    await staff.press("🏘 Бүкіл округ")
    await staff.press("📤 Қазір жіберу")
    await staff.press("✅ Растау")


async def lower_threshold(world: World, to: int) -> None:
    await districts.change(world.db, audit.CLI, world.rural_district_id, "approval", str(to), now=world.clock.now())


async def test_a_large_announcement_waits_for_a_second_staff_member(world: World) -> None:
    first = await world.staff("First")
    second = await world.staff("Second", lang="ru")
    residents = [await world.resident(f"R{i}") for i in range(3)]
    await lower_threshold(world, 2)
    await send_to_everyone(first)
    assert "екінші мақұлдауды күтеді" in first.texts()[-2]
    await world.deliver()
    assert all("су болмайды" not in r.last.text for r in residents)  # held: nothing sent
    request = second.last
    assert "Объявление ждёт Вашего одобрения" in request.text and "Получателей: 5" in request.text
    assert "су болмайды" in request.text and request.buttons == ["✅ Одобрить", "❌ Отклонить"]
    # the one who wrote it cannot approve it (a forged button from their chat)
    broadcast_id = int(await world.db.fetchval("SELECT max(id) FROM broadcasts"))
    await first.press_data(ApproveCb(id=broadcast_id, yes=True).pack())
    assert "басқа қызметкері немесе жиналыс төрағасы ғана" in first.last.text
    await second.press("✅ Одобрить")
    assert "Одобрено: объявление № " in second.last.text
    await world.deliver()
    assert all("су болмайды" in r.last.text for r in residents)
    actions = [e["action"] for e in await audit.entries(world.db)]
    assert "broadcast_approved" in actions
    approved = await world.db.fetchone("SELECT approval, approved_by FROM broadcasts WHERE id = ?", (broadcast_id,))
    assert approved is not None and tuple(approved) == ("approved", await second.person_id())
    # a second press of the same button changes nothing
    await second.press("✅ Одобрить")
    assert "больше не ждёт одобрения" in second.last.text


async def test_the_chair_rejects_and_nothing_is_sent(world: World) -> None:
    staff = await world.staff("Staff")
    chair = await world.resident("Chair", lang="ru")
    await make_chair(world, chair)
    others = [await world.resident(f"R{i}") for i in range(2)]
    await lower_threshold(world, 1)
    await send_to_everyone(staff)
    await world.deliver()
    assert "Объявление ждёт Вашего одобрения" in chair.last.text
    await chair.press("❌ Отклонить")
    assert "Отклонено" in chair.last.text
    world.clock.advance(days=1)
    await world.deliver()
    assert all("су болмайды" not in p.last.text for p in [*others, chair])
    row = await world.db.fetchone("SELECT approval, cancelled_at FROM broadcasts")
    assert row is not None and row[0] == "rejected" and row[1] is not None
    assert "broadcast_rejected" in [e["action"] for e in await audit.entries(world.db)]


async def test_a_district_with_nobody_to_approve_sends_as_before(world: World) -> None:
    staff = await world.staff("Staff")
    resident = await world.resident()
    await lower_threshold(world, 0)
    await send_to_everyone(staff)
    await world.deliver()
    assert "су болмайды" in resident.last.text
    assert await world.db.fetchval("SELECT approval FROM broadcasts") is None


async def test_a_resident_cannot_approve(world: World) -> None:
    staff = await world.staff("Staff")
    await world.staff("Second")
    resident = await world.resident("Resident", lang="ru")
    await lower_threshold(world, 1)
    await send_to_everyone(staff)
    broadcast_id = int(await world.db.fetchval("SELECT max(id) FROM broadcasts"))
    await resident.press_data(ApproveCb(id=broadcast_id, yes=True).pack())
    assert "может только другой сотрудник" in resident.last.text
    assert await world.db.fetchval("SELECT approval FROM broadcasts") == "pending"
