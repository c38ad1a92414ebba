"""The budget: staff enter a year's figures; residents see tenge, self-sufficiency, the target and a chart."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from bot.charts import budget_chart, draw
from bot.formatting import format_money
from bot.keyboards.budget import AdmBud, BAct, Code
from bot.rules.documents import parse_amount, parse_percent, self_sufficiency, target_for
from bot.rules.errors import NotAllowed
from storage import budget as budgets
from storage.audit import STAFF_KIND, Actor
from tests.harness import Person, World
from tests.steps import koktobe, published_document


def test_targets_come_from_the_decree_for_2024_and_2025_and_from_staff_later() -> None:
    assert target_for(2024) == 0.25
    assert target_for(2025) == 0.30
    assert target_for(2025, staff_target=0.5) == 0.30  # the decree wins
    assert target_for(2026) is None
    assert target_for(2026, staff_target=0.35) == 0.35
    assert target_for(2023, staff_target=0.35) is None


def test_self_sufficiency_is_own_revenues_over_spending() -> None:
    level = self_sufficiency(own=30_000_000, spending=100_000_000, year=2025)
    assert level.share == pytest.approx(0.30) and level.reached is True
    level = self_sufficiency(own=24_000_000, spending=100_000_000, year=2024)
    assert level.share == pytest.approx(0.24) and level.reached is False
    assert self_sufficiency(own=5, spending=0, year=2025).share is None


def test_amounts_and_percents_as_people_write_them() -> None:
    assert parse_amount("1 500 000") == 1_500_000
    assert parse_amount("1500000 тг") == 1_500_000
    assert parse_amount("1,5 млн") == 1_500_000
    assert parse_amount("12 мың") == 12_000
    assert parse_amount("бір миллион") is None
    assert parse_amount("-5") is None
    assert parse_percent("35 %") == pytest.approx(0.35)
    assert parse_percent("0") is None and parse_percent("150") is None


def test_the_chart_is_a_png() -> None:
    png = budget_chart(
        title="Бюджет",
        revenue_title="Доходы",
        spending_title="Расходы",
        revenues=[("Налог на имущество", 1_000_000, True), ("Трансферты", 9_000_000, False)],
        spending=[("Освещение улиц", 2_000_000)],
        legend_own="собственные",
        legend_transfer="трансферты",
        money=lambda v: format_money(v, "ru"),
    )
    assert png.startswith(b"\x89PNG")


async def open_year(staff: Person, year: int) -> None:
    """A staff member opens a year of the budget from the admin menu."""
    await staff.send("🛠 Басқару")
    await staff.press("💰 Бюджет")
    await staff.press(str(year))


def _drawn(monkeypatch: Any, revenues: list[tuple[str, int, bool]]) -> Figure:
    """The chart's figure as drawn (bot.charts closes it once the PNG is written: kept open here)."""
    figures: list[Figure] = []
    monkeypatch.setattr(plt, "close", figures.append)  # bot.charts imports pyplot when it draws
    png = budget_chart(
        title="Бюджет Аксайского сельского округа, 2025",
        revenue_title="Доходы по источникам",
        spending_title="Расходы по программам",
        revenues=revenues,
        spending=[("Освещение улиц", 1_200_000), ("Ремонт мечети", 800_000)],
        legend_own="собственные доходы",
        legend_transfer="трансферты",
        money=lambda v: format_money(v, "ru"),
    )
    assert png.startswith(b"\x89PNG") and len(figures) == 1
    return figures[0]


@pytest.mark.parametrize(
    "revenues",
    [
        [("Налог на имущество", 300_000, True), ("Земельный налог", 400_000, True), ("Аренда земли", 1_500_000, True)],
        [("Налог на имущество", 300_000, True), ("Трансферты", 1_500_000, False)],
    ],
    ids=["the largest bar last", "a transfer last"],
)
def test_the_legend_covers_no_amount_and_lists_only_what_the_budget_has(
    monkeypatch: Any, revenues: list[tuple[str, int, bool]]
) -> None:
    figure = _drawn(monkeypatch, revenues)
    try:
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        legends = [legend for ax in figure.axes if (legend := ax.get_legend()) is not None]
        assert len(legends) == 1
        box = legends[0].get_window_extent(renderer)
        assert figure.bbox.contains(box.x0, box.y0) and figure.bbox.contains(box.x1, box.y1)
        texts = [t for ax in figure.axes for t in [*ax.texts, ax.title, *ax.get_xticklabels(), *ax.get_yticklabels()]]
        assert "1 500 000 ₸" in [t.get_text().replace("\xa0", " ") for t in texts]
        covered = [t.get_text() for t in texts if t.get_text() and box.overlaps(t.get_window_extent(renderer))]
        assert covered == []
        bars = [bar for ax in figure.axes for bar in ax.patches]
        assert not [bar for bar in bars if box.overlaps(bar.get_window_extent(renderer))]
        shown = [t.get_text() for t in legends[0].get_texts()]
        has_transfers = any(not own for _label, _amount, own in revenues)
        assert shown == (["собственные доходы", "трансферты"] if has_transfers else ["собственные доходы"])
    finally:
        plt.close(figure)


async def test_the_chart_is_drawn_in_a_worker_process_and_kept(monkeypatch: Any) -> None:
    def not_here(request: str) -> bytes:
        raise AssertionError("drawn in the bot's own process")

    monkeypatch.setattr("bot.charts._draw", not_here)
    request: dict[str, Any] = {
        "title": "Бюджет 2026",
        "revenue_title": "Доходы",
        "spending_title": "Расходы",
        "revenues": [("Налог на имущество", 1_000_000, True)],
        "spending": [("Освещение улиц", 2_000_000)],
        "legend_own": "собственные",
        "legend_transfer": "трансферты",
        "lang": "ru",
    }
    png = await draw(**request)
    assert png.startswith(b"\x89PNG")
    assert await draw(**request) is png  # the same picture again starts no process


async def enter(staff: Person, *, side: str, label: str, amount: str) -> None:
    await staff.press("➕ Кіріс" if side == "revenue" else "➕ Шығыс")
    await staff.press(label)
    await staff.send(amount)


async def staff_enters_2025(world: World) -> Person:
    staff = await world.staff()
    await staff.send("🛠 Басқару")
    await staff.press("💰 Бюджет")
    assert staff.last.buttons[:3] == ["2025", "2026", "2027"]  # around this year, in Almaty
    await staff.press("2025")
    await enter(staff, side="revenue", label="Мүлік салығы", amount="20 000 000")
    await enter(staff, side="revenue", label="Суды пайдаланғаны үшін төлемақы", amount="5 000 000")
    await enter(staff, side="revenue", label="Лицензиялық алымдар", amount="1 000 000")
    await enter(staff, side="revenue", label="Трансферттер", amount="74 000 000")
    await enter(staff, side="spending", label="Әкім аппаратын ұстау", amount="60 000 000")
    await enter(staff, side="spending", label="Көшелерді жарықтандыру", amount="25 000 000")
    await staff.press("➕ Шығыс")
    await staff.press("✏️ Басқа бағдарлама")
    await staff.send("Мешіт жөндеу / Ремонт мечети")
    await staff.send("15 000 000")
    return staff


async def test_staff_enter_a_year_and_residents_see_tenge_self_sufficiency_and_target(world: World) -> None:
    staff = await staff_enters_2025(world)
    assert "Сақталды." in staff.inbox[-2].text
    budget = await budgets.get(world.db, world.rural_district_id, 2025)
    assert budget is not None and budget.own == 26_000_000 and budget.total_spending == 100_000_000
    assert await world.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'budget_line'") == 7

    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("📄 Документы")
    await ivan.press("💰 Бюджет")
    text = ivan.last.text
    assert "Бюджет: Аксайский сельский округ, 2025 год" in text
    assert f"Собственные доходы: {format_money(26_000_000, 'ru')}" in text
    assert f"Налог на имущество: {format_money(20_000_000, 'ru')}" in text
    assert f"Ремонт мечети: {format_money(15_000_000, 'ru')}" in text
    assert "Уровень самодостаточности: 26,0 %" in text
    assert (
        f"= собственные доходы ÷ расходы = {format_money(26_000_000, 'ru')} ÷ {format_money(100_000_000, 'ru')}" in text
    )
    assert "Цель на 2025 год по Концепции развития местного самоуправления: 30 %" in text
    assert "⏳ Цель пока не достигнута." in text


async def test_a_line_entered_again_replaces_its_amount_and_zero_removes_it(world: World) -> None:
    staff = await staff_enters_2025(world)
    await enter(staff, side="revenue", label="Мүлік салығы", amount="24 000 000")
    budget = await budgets.get(world.db, world.rural_district_id, 2025)
    assert budget is not None and budget.own == 30_000_000
    assert "✅ Мақсатқа қол жеткізілді." in staff.last.text
    await enter(staff, side="revenue", label="Лицензиялық алымдар", amount="0")
    budget = await budgets.get(world.db, world.rural_district_id, 2025)
    assert budget is not None and not any(line.code == "licence_fees" for line in budget.lines)


async def test_a_wrong_amount_is_asked_again(world: World) -> None:
    staff = await world.staff()
    await open_year(staff, 2026)
    await staff.press("➕ Кіріс")
    await staff.press("Мүлік салығы")
    await staff.send("көп")
    assert staff.last.text == "Соманы теңгемен, бүтін санмен жіберіңіз, мысалы 1 500 000."
    await staff.send("1 000")
    assert await world.db.fetchval("SELECT amount FROM budget_lines") == 1000


async def test_a_later_year_uses_the_staff_target_or_none(world: World) -> None:
    staff = await world.staff()
    await open_year(staff, 2026)
    await enter(staff, side="revenue", label="Жер салығы", amount="40 000 000")
    await enter(staff, side="spending", label="Жолдар", amount="100 000 000")
    assert "2026 жылға өзін-өзі қамтамасыз етудің мақсатты деңгейі белгіленбеген." in staff.last.text
    await staff.press("🎯 Мақсат")
    await staff.send("35")
    assert "Әкім аппараты 2026 жылға белгілеген мақсат: 35,0 %" in staff.last.text
    assert "✅ Мақсатқа қол жеткізілді." in staff.last.text
    # the decree's years take no staff target, even from a forged button
    await staff.press_data(AdmBud(act=BAct.TARGET, year=2025).pack())
    assert (
        staff.last.text == "Бұл жылдың мақсатты деңгейін Жергілікті өзін-өзі басқаруды дамыту тұжырымдамасы белгілеген."
    )


async def test_the_chart_comes_with_labels_in_the_persons_language(world: World, monkeypatch: Any) -> None:
    await staff_enters_2025(world)
    seen: dict[str, Any] = {}

    async def spy(**kwargs: Any) -> bytes:
        seen.update(kwargs)
        return await draw(**{**kwargs, "in_process": True})  # the worker process has a test of its own

    monkeypatch.setattr("handlers.budget.draw_chart", spy)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("📄 Документы")
    await ivan.press("💰 Бюджет")
    sent = await ivan.press("📊 Диаграмма")
    photo = next(r for r in sent if r.method == "sendPhoto")
    assert photo.params["photo"].startswith(b"\x89PNG")
    assert seen["revenue_title"] == "Доходы по источникам"
    assert ("Налог на имущество", 20_000_000, True) in seen["revenues"]
    assert ("Трансферты", 74_000_000, False) in seen["revenues"]
    assert ("Ремонт мечети", 15_000_000) in seen["spending"]


async def test_the_budget_screen_offers_the_citizen_budget_document(world: World) -> None:
    await staff_enters_2025(world)
    await published_document(
        world,
        kind="citizen_budget",
        title_kk="Азаматтық бюджет 2025",
        title_ru="Гражданский бюджет 2025",
        text_kk=None,
        text_ru="Бюджет простыми словами.",
        year=2025,
    )
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("📄 Документы")
    await ivan.press("💰 Бюджет")
    await ivan.press("📄 Гражданский бюджет")
    assert "Бюджет простыми словами." in ivan.last.text


async def test_no_budget_yet_says_so(world: World) -> None:
    aigerim = await world.resident()
    await aigerim.send("📄 Құжаттар")
    await aigerim.press("💰 Бюджет")
    assert aigerim.last.text == "Бюджет ботта әлі жарияланған жоқ."


async def test_a_resident_cannot_enter_budget_figures(world: World) -> None:
    aigerim = await world.resident()
    await aigerim.press_data(AdmBud(act=BAct.LINE, year=2025, code=Code.PROPERTY_TAX).pack())
    assert aigerim.last.text == "Бұл әрекет тек әкім аппаратының қызметкерлеріне қолжетімді."
    assert await world.db.fetchval("SELECT COUNT(*) FROM budgets") == 0


async def test_entering_refuses_staff_of_another_district(world: World) -> None:
    other = await koktobe(world)
    stranger = Actor(STAFF_KIND, rural_district_id=other)
    audit_rows = await world.db.fetchval("SELECT COUNT(*) FROM audit_log")
    with pytest.raises(NotAllowed):
        await budgets.set_line(
            world.db, stranger, rural_district_id=world.rural_district_id, year=2026, side="revenue", amount=5
        )
    with pytest.raises(NotAllowed):
        await budgets.set_target(world.db, stranger, rural_district_id=world.rural_district_id, year=2026, target=0.5)
    assert await world.db.fetchval("SELECT COUNT(*) FROM budgets") == 0
    assert await world.db.fetchval("SELECT COUNT(*) FROM audit_log") == audit_rows
