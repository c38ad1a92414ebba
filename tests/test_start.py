"""First contact: greeting, language, place, consent, menu; /language; groups."""

from __future__ import annotations

from storage import people
from tests.harness import Person, World
from tests.steps import koktobe


async def test_start_greets_in_kazakh_and_offers_both_languages(world: World) -> None:
    aigerim = world.person("Aigerim", language_code="kk")
    await aigerim.send("/start")
    assert "Сәлеметсіз бе" in aigerim.last.text
    assert "Тілді таңдаңыз" in aigerim.last.text
    assert aigerim.last.buttons == ["Қазақша", "Русский"]


async def test_russian_telegram_starts_in_russian(world: World) -> None:
    ivan = world.person("Ivan", language_code="ru")
    await ivan.send("/start")
    assert "Этот бот связывает Вас" in ivan.last.text


async def in_russian(world: World, telegram_language: str) -> Person:
    """Ivan, new, who starts the bot and picks Russian: the place he lives is asked next."""
    ivan = world.person("Ivan", language_code=telegram_language)
    await ivan.send("/start")
    await ivan.press("Русский")
    return ivan


async def test_full_onboarding_in_russian_stores_choices(world: World) -> None:
    ivan = await in_russian(world, "kk")
    # one rural district in the deployment: straight to the village
    assert ivan.last.text == "Выберите своё село."
    assert ivan.last.buttons == ["Аксай", "Бесагаш"]
    await ivan.press("Бесагаш")
    assert "Согласие на обработку персональных данных" in ivan.last.text
    owner = "Собственник и оператор базы персональных данных: аппарат акима (Аксайский сельский округ)"
    assert owner in ivan.last.text
    assert ivan.last.buttons == ["✅ Даю согласие", "Отказаться"]
    await ivan.press("✅ Даю согласие")
    assert ivan.last.buttons == ["💡 Инициативы", "🗳 Конкурсы", "📅 Мероприятия", "📄 Документы", "⚙️ Настройки"]
    assert await ivan.stored("language") == "ru"
    assert await ivan.stored("village_id") == world.village_ids[1]
    assert await ivan.stored("consent_version") == 0


async def test_language_choice_sets_the_chat_commands(world: World) -> None:
    ivan = world.person("Ivan")
    await ivan.send("/start")
    sent = await ivan.press("Русский")
    commands = [r for r in sent if r.method == "setMyCommands"]
    assert commands and commands[0].params["scope"] == {"type": "chat", "chat_id": ivan.user_id}
    assert {"command": "menu", "description": "Главное меню"} in commands[0].params["commands"]


async def test_declining_consent_still_opens_the_menu_and_keeps_nothing_personal(world: World) -> None:
    aigerim = await world.resident(consent=False)
    assert "Түсінікті: Сіз туралы басқа ештеңе сақтамаймыз" in aigerim.inbox[-1].text
    assert "💡 Бастамалар" in aigerim.last.buttons
    assert await aigerim.stored("consent_version") is None
    assert await aigerim.stored("consent_declined_at") is not None


async def test_many_rural_districts_are_chosen_region_district_rural_district(world: World) -> None:
    await koktobe(world)
    ivan = await in_russian(world, "ru")
    # same region and district: the list starts at the rural districts
    assert ivan.last.text == "Выберите сельский округ."
    assert ivan.last.buttons == ["Аксайский сельский округ", "Коктобинский сельский округ"]
    await ivan.press("Коктобинский сельский округ")
    assert ivan.last.buttons == ["Коктобе"]


async def test_language_command_switches_language_for_later_messages(world: World) -> None:
    aigerim = await world.resident()
    await aigerim.send("/language")
    await aigerim.press("Русский")
    assert aigerim.last.text == "Язык изменён. Главное меню: выберите раздел."
    await aigerim.send("/menu")
    assert aigerim.last.text == "Главное меню. Выберите раздел."


async def test_new_consent_version_asks_again(world: World) -> None:
    from storage import audit, operator

    aigerim = await world.resident()
    person = await people.load(world.db, aigerim.user_id)
    assert person is not None and person.consented(0)
    version = await operator.set_consent_text(world.db, audit.CLI, "Жаңа мәтін: {owner}", "Новый текст: {owner}")
    person = await people.load(world.db, aigerim.user_id)
    assert person is not None and not person.consented(version)


async def test_group_gets_one_bilingual_note_and_then_silence(world: World) -> None:
    group = {"id": -100500, "type": "group", "title": "Ауыл"}
    user = {"id": 5, "is_bot": False, "first_name": "A"}
    bot_user = {"id": 123456, "is_bot": True, "first_name": "Test Bot"}
    alice = world.person("A", user_id=5)
    await alice.feed(
        {
            "my_chat_member": {
                "chat": group,
                "from": user,
                "date": 1,
                "old_chat_member": {"status": "left", "user": bot_user},
                "new_chat_member": {"status": "member", "user": bot_user},
            }
        }
    )
    notes = [r for r in world.telegram.requests if r.chat_id == -100500]
    assert len(notes) == 1 and "жеке чатта" in notes[0].text and "личном чате" in notes[0].text
    sent = await alice.feed({"message": {"message_id": 9, "date": 1, "chat": group, "from": user, "text": "/start"}})
    assert sent == []


async def test_settings_show_what_is_kept_and_notifications_toggle(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press("⚙️ Настройки")
    assert "Село: Аксай" in ivan.last.text
    assert "🔔 Объявления" in ivan.last.buttons
    await ivan.press("🔔 Объявления")
    assert "🔕 Объявления" in ivan.last.buttons
    assert ivan.last.method == "editMessageText"
    assert await ivan.stored("notify_announcements") == 0
    await ivan.press("🗂 Мои данные")
    assert f"Идентификатор Telegram: {ivan.user_id}" in ivan.last.text
    assert "Номер телефона: —" in ivan.last.text


async def test_withdrawing_consent_deletes_name_and_phone(world: World) -> None:
    aigerim = await world.resident()
    await people.set_phone(world.db, await aigerim.person_id(), "+77011234567")
    await aigerim.press("⚙️ Баптаулар")
    await aigerim.press("Келісімді кері қайтарып алу")
    assert "Келісім кері қайтарып алынды" in aigerim.last.text
    assert await aigerim.stored("phone") is None
    assert await aigerim.stored("consent_version") is None
