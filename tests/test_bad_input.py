"""Bad input: each gets a short, polite answer in the person's language and the menu; nothing half-stored."""

from __future__ import annotations

import pytest

from bot.keyboards.common import Lang
from storage import places
from tests.harness import World
from tests.steps import koktobe

SORRY_KK = "Кешіріңіз, түсінбедім"
SORRY_RU = "Извините, не удалось понять сообщение"
MENU_KK = ["💡 Бастамалар", "🗳 Конкурстар", "📅 Іс-шаралар", "📄 Құжаттар", "⚙️ Баптаулар"]


async def test_text_where_a_button_was_expected(world: World) -> None:
    aigerim = await world.resident()
    await aigerim.send("сәлем, маған көмектесіңізші")
    assert SORRY_KK in aigerim.last.text
    assert aigerim.last.buttons == MENU_KK


async def test_sticker_photo_and_voice_in_russian(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    for send in (ivan.send_sticker, ivan.send_photo, ivan.send_voice):
        await send()
        assert SORRY_RU in ivan.last.text
        assert "💡 Инициативы" in ivan.last.buttons


async def test_a_5000_character_message(world: World) -> None:
    aigerim = await world.resident()
    sent = await aigerim.send("ә" * 5000)
    assert [r.method for r in sent] == ["sendMessage"]
    assert SORRY_KK in aigerim.last.text


async def test_unknown_command(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("/frobnicate")
    assert ivan.last.text == "Такой команды нет. Главное меню: /menu"
    assert "⚙️ Настройки" in ivan.last.buttons


async def test_callback_from_a_message_sent_before_a_restart(world: World) -> None:
    aigerim = await world.resident()
    await aigerim.press("⚙️ Баптаулар")
    settings_screen = aigerim.last
    await world.restart()
    await aigerim.press_data("nav:gone-feature", message=settings_screen)
    assert aigerim.last.text == "Бұл түйме ескірген. Міне, басты мәзір."
    assert aigerim.last.buttons == MENU_KK
    # and the old screen's buttons still work after the restart
    await aigerim.press_data("set:ann", message=settings_screen)
    assert await aigerim.stored("notify_announcements") == 0


@pytest.mark.parametrize("data", ["pick:v:99999", "pick:zz:1", "lang:en", "cons:maybe", "x" * 64, ""])
async def test_forged_callback_data_changes_nothing(world: World, data: str) -> None:
    aigerim = await world.resident()
    village_before = await aigerim.stored("village_id")
    await aigerim.press_data(data)
    assert aigerim.last.buttons == MENU_KK
    assert await aigerim.stored("village_id") == village_before
    assert await aigerim.stored("language") == "kk"


async def test_a_village_of_another_rural_district_cannot_be_picked(world: World) -> None:
    other = await koktobe(world)
    foreign_village = (await places.villages(world.db, other))[0].id
    aigerim = await world.resident()
    await aigerim.press_data(f"pick:v:{foreign_village}")
    assert "Бұл таңдау енді қолжетімсіз" in aigerim.last.text
    assert await aigerim.stored("village_id") == world.village_ids[0]


async def test_someone_who_never_pressed_start_is_greeted(world: World) -> None:
    stranger = world.person("Stranger", language_code="ru")
    await stranger.send("привет")
    assert "Этот бот связывает Вас" in stranger.last.text
    assert stranger.last.buttons == ["Қазақша", "Русский"]
    other = world.person("Other")
    await other.press_data("set:ann")
    assert "Сәлеметсіз бе" in other.last.text
    assert await other.stored("rural_district_id") is None


async def test_a_half_onboarded_person_is_led_back_to_the_start(world: World) -> None:
    ivan = world.person("Ivan", language_code="ru")
    await ivan.send("/start")
    await ivan.press("Русский")
    await ivan.send("/menu")  # no village yet: /menu cannot open a menu with nothing behind it
    assert ivan.last.buttons == ["Қазақша", "Русский"]


async def test_an_exception_in_a_handler_apologises_and_clears_the_state(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ivan = await world.resident("Ivan", lang="ru")

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(places, "villages", broken)
    await ivan.press("⚙️ Настройки")
    await ivan.press("🏡 Моё село")
    assert ivan.last.text == "Извините, у нас произошла ошибка. Попробуйте ещё раз."
    assert "💡 Инициативы" in ivan.last.buttons
    monkeypatch.undo()
    await ivan.send("/menu")
    assert ivan.last.text == "Главное меню. Выберите раздел."


async def test_a_flood_is_slowed_politely_once(tmp_path: object) -> None:
    from pathlib import Path

    world = await World.create(Path(str(tmp_path)), throttle_per_second=1.0)
    try:
        aigerim = world.person("Aigerim")
        for _ in range(6):
            await aigerim.send("/start")
        warnings = [t for t in aigerim.texts() if "тым жиі" in t]
        assert len(warnings) == 1
        assert len(aigerim.inbox) <= 4
    finally:
        await world.close()


async def test_a_throttled_button_press_is_answered_with_one_moment(tmp_path: object) -> None:
    """Telegram keeps a button's spinner turning until the press is answered: a throttled one too."""
    from pathlib import Path

    world = await World.create(Path(str(tmp_path)), throttle_per_second=1.0)
    try:
        ivan = world.person("Ivan", language_code="ru")
        answers = []
        for _ in range(5):  # far faster than one a second: the bucket holds two
            sent = await ivan.press_data(Lang(code="ru").pack())
            answers += [r for r in sent if r.method == "answerCallbackQuery"]
        assert len(answers) == 5
        assert [a.params.get("text") for a in answers[2:]] == ["Секунду…"] * 3
        assert not [t for t in ivan.texts() if "слишком часто" in t]  # the short answer says it; no message
        assert world.telegram.violations == []
    finally:
        await world.close()
