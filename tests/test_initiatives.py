"""Civic initiatives: a resident submits one and follows it to a decision; staff review it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.keyboards.initiatives import AdmAct, AdmIni, AdmStatus, Ini, IniAct, Src
from bot.rules import initiatives as rules
from bot.rules import workdays
from bot.rules.errors import DomainError, NotAllowed, NotFound
from bot.rules.initiatives import Status
from storage import audit
from storage import initiatives as store
from tests.harness import NOW, Person, World
from tests.steps import koktobe, sent_csv

# --- the rules, with plain values ----------------------------------------------------------------


def test_working_days_follow_kazakhstan_holidays_and_moved_days() -> None:
    # 5 January 2025 was a Sunday made a working day; 3 January 2025 a Friday made a day off.
    assert workdays.is_working_day(date(2025, 1, 5))
    assert not workdays.is_working_day(date(2025, 1, 3))
    assert not workdays.is_working_day(date(2026, 12, 16))  # Independence Day
    assert not workdays.is_working_day(date(2026, 11, 28))  # a Saturday
    # 15 working days from Wednesday 25 November 2026 skip weekends and 16 December
    assert workdays.add_working_days(date(2026, 11, 25), 15) == date(2026, 12, 17)
    assert workdays.working_days_between(date(2026, 11, 25), date(2026, 12, 17)) == 15


def test_review_deadline_and_reminder_in_the_districts_zone() -> None:
    deadline = rules.review_deadline(NOW, "Asia/Almaty", 15)
    assert deadline.day == date(2026, 12, 17)
    assert deadline.ends_at == datetime(2026, 12, 17, 19, 0, tzinfo=UTC)  # midnight in Almaty
    assert deadline.remind_at == datetime(2026, 12, 14, 4, 0, tzinfo=UTC)  # 09:00 two working days before


def test_status_transitions() -> None:
    assert rules.next_statuses("submitted") == ["review", "accepted", "extended", "forwarded", "rejected"]
    assert rules.next_statuses("accepted") == ["in_progress", "done"]
    assert rules.next_statuses("done") == []
    with pytest.raises(DomainError):
        rules.check_transition("submitted", "rejected", "  ")  # a rejection needs a reason
    with pytest.raises(DomainError):
        rules.check_transition("done", "review", "x")
    rules.check_transition("review", "accepted", None)


def test_extension_is_at_most_two_months_from_submission() -> None:
    current = date(2026, 12, 17)
    rules.check_extension(date(2027, 1, 25), current, NOW, "Asia/Almaty")
    with pytest.raises(DomainError):
        rules.check_extension(date(2027, 1, 26), current, NOW, "Asia/Almaty")
    with pytest.raises(DomainError):
        rules.check_extension(current, current, NOW, "Asia/Almaty")
    assert max(rules.extension_choices(current, NOW, "Asia/Almaty")) == date(2027, 1, 25)


def test_per_day_limit_says_when_the_next_one_may_go() -> None:
    earlier = [datetime(2026, 11, 25, 1, 0, tzinfo=UTC), datetime(2026, 11, 25, 3, 0, tzinfo=UTC)]
    assert rules.next_submission_at(earlier, 3, NOW) is None
    assert rules.next_submission_at(earlier, 2, NOW) == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)


# --- the resident's form -------------------------------------------------------------------------------


LABELS = {
    "kk": {
        "section": "💡 Бастамалар",
        "new": "➕ Жаңа бастама",
        "topic": "⚽ Спорт және ойын",
        "next": "➡️ Әрі қарай",
        "skip": "⏭ Өткізіп жіберу",
        "submit": "✅ Жіберу",
    },
    "ru": {
        "section": "💡 Инициативы",
        "new": "➕ Новая инициатива",
        "topic": "⚽ Спорт и площадки",
        "next": "➡️ Далее",
        "skip": "⏭ Пропустить",
        "submit": "✅ Отправить",
    },
}


async def new_initiative(person: Person, topic: str | None = None) -> None:
    """Open the form from the section, in the person's language, and pick the ``topic`` when given."""
    label = LABELS[person.language_code or "kk"]
    await person.send(label["section"])
    await person.press(label["new"])
    if topic:
        await person.press(topic)


async def fill_form(
    person: Person,
    *,
    title: str = "Балалар алаңы",
    body: str = "Мектеп жанына ойын алаңы керек.",
    photos: int = 0,
    location: bool = False,
    voice: bool = False,
    village: int = 1,
) -> None:
    """Go through every step up to the preview, in the person's language."""
    label = LABELS[person.language_code or "kk"]
    await new_initiative(person, label["topic"])
    await person.send(title)
    await person.send(body)
    for n in range(photos):
        await person.send_photo(f"PH{n}")
    await person.press(label["next"] if photos else label["skip"])
    if location:
        await person.send_location(43.25, 76.95)
    else:
        await person.send(label["skip"])
    if voice:
        await person.send_voice("VOICE7")
    else:
        await person.press(label["skip"])
    villages = person.last.inline
    await person.press_data(villages[village]["callback_data"])


async def count(world: World) -> int:
    return int(await world.db.fetchval("SELECT count(*) FROM initiatives"))


async def submitted(world: World, person: Person, **form: object) -> store.Initiative:
    await fill_form(person, **form)  # type: ignore[arg-type]
    await person.press(LABELS[person.language_code or "kk"]["submit"])
    row = await world.db.fetchval("SELECT max(id) FROM initiatives")
    initiative = await store.get(world.db, int(row))
    assert initiative is not None
    return initiative


async def staff_and_author(
    world: World, *, lang: str = "kk", **form: object
) -> tuple[Person, Person, store.Initiative]:
    """A staff member (speaking ``lang``) and Aigerim, who has submitted an initiative (``form``)."""
    staff = await world.staff(lang=lang)
    aigerim = await world.resident()
    return staff, aigerim, await submitted(world, aigerim, **form)


async def test_resident_submits_an_initiative_in_kazakh(world: World) -> None:
    staff = await world.staff()
    aigerim = await world.resident()
    await aigerim.send("💡 Бастамалар")
    assert aigerim.last.buttons == [
        "➕ Жаңа бастама",
        "📋 Менің бастамаларым",
        "👥 Округ бастамалары",
        "🏠 Басты мәзір",
    ]
    await aigerim.press("➕ Жаңа бастама")
    assert "1-қадам" in aigerim.last.text and "https://eotinish.kz" in aigerim.last.text
    assert "Қарау мерзімі: 15 жұмыс күні." in aigerim.last.text
    await aigerim.press("⚽ Спорт және ойын")
    assert aigerim.last.buttons == ["⬅️ Артқа", "✖️ Болдырмау"]
    await aigerim.send("Балалар алаңы")
    await aigerim.send("Мектеп жанына ойын алаңы керек.")
    await aigerim.send_photo("PH1")
    await aigerim.press("➡️ Әрі қарай")
    assert aigerim.last.markup["keyboard"][0][0] == {"text": "📍 Тұрған жерімді жіберу", "request_location": True}
    await aigerim.send_location(43.25, 76.95)
    await aigerim.send_voice("VOICE7")
    await aigerim.press("Бесағаш")
    preview = aigerim.last.text
    assert "Әкім аппараты мынаны алады" in preview
    assert "Балалар алаңы" in preview and "Ауыл: Бесағаш" in preview
    assert (
        "📷 1 фото" in preview
        and "📍 Орналасқан жері тіркелген" in preview
        and "🎤 Дауыстық хабарлама тіркелген" in preview
    )
    assert "eotinish.kz" in preview
    await aigerim.press("✅ Жіберу")
    assert "Бастамаңыз жіберілді: №1" in aigerim.last.text
    assert "17 желтоқсан" in aigerim.last.text
    assert "💡 Бастамалар" in aigerim.last.buttons  # back at the main menu

    initiative = await store.by_number(world.db, world.rural_district_id, 1)
    assert initiative is not None
    assert (initiative.topic, initiative.title, initiative.status) == ("sports", "Балалар алаңы", "submitted")
    assert initiative.photos == ["PH1"] and initiative.voice_file_id == "VOICE7"
    assert (initiative.latitude, initiative.longitude) == (43.25, 76.95)
    assert initiative.village_id == world.village_ids[1]
    assert initiative.deadline_on == date(2026, 12, 17)
    # the staff hear of it as it arrives
    await world.deliver()
    assert "Жаңа бастама №1 «Балалар алаңы»" in staff.last.text


async def water_form(world: World) -> Person:
    """Ivan (Russian) in a new initiative's form, the topic «Water» picked: step 2, the title."""
    ivan = await world.resident("Ivan", lang="ru")
    await new_initiative(ivan, "🚰 Вода")
    return ivan


async def test_back_keeps_what_was_entered_and_cancel_leaves(world: World) -> None:
    ivan = await water_form(world)
    await ivan.send("Колонка на улице")
    assert "Шаг 3 из 7" in ivan.last.text
    await ivan.press("⬅️ Назад")
    assert "Шаг 2 из 7" in ivan.last.text
    await ivan.press("⬅️ Назад")
    assert "шаг 1 из 7" in ivan.last.text
    await ivan.press("🚰 Вода")
    await ivan.send("Колонка на улице Абая")
    await ivan.press("✖️ Отмена")
    assert ivan.last.text.startswith("Отменено")
    await ivan.send("Просто текст")
    assert await count(world) == 0


async def test_menu_and_cancel_commands_in_the_middle_leave_the_form(world: World) -> None:
    ivan = await water_form(world)
    await ivan.send("/menu")
    assert ivan.last.text == "Главное меню. Выберите раздел."
    await ivan.send("Колонка")  # no longer a title
    assert "Шаг 3" not in ivan.last.text
    await new_initiative(ivan, "🚰 Вода")
    await ivan.send("/cancel")
    assert ivan.last.text.startswith("Отменено")
    assert await count(world) == 0


async def test_location_step_has_back_and_cancel_on_its_keyboard(world: World) -> None:
    ivan = await water_form(world)
    await ivan.send("Колонка")
    await ivan.send("Сломана колонка")
    await ivan.press("⏭ Пропустить")
    assert "Шаг 5 из 7" in ivan.last.text
    await ivan.send("⬅️ Назад")
    assert "Шаг 4 из 7" in ivan.last.text
    await ivan.press("⏭ Пропустить")
    await ivan.send("✖️ Отмена")
    assert ivan.last.text.startswith("Отменено") and "💡 Инициативы" in ivan.last.buttons


async def test_draft_survives_a_restart(world: World) -> None:
    aigerim = await world.resident()
    await new_initiative(aigerim, "🗑 Қоқыс")
    await aigerim.send("Қоқыс жәшіктері")
    await world.restart()
    await aigerim.send("Көшеде қоқыс жәшігі жоқ.")
    assert "3-қадам" not in aigerim.last.text and "4-қадам" in aigerim.last.text
    await aigerim.press("⏭ Өткізіп жіберу")
    await aigerim.send("⏭ Өткізіп жіберу")
    await aigerim.press("⏭ Өткізіп жіберу")
    await aigerim.press("Ақсай")
    await world.restart()
    await aigerim.press("✅ Жіберу")
    initiative = await store.by_number(world.db, world.rural_district_id, 1)
    assert initiative is not None and initiative.title == "Қоқыс жәшіктері" and initiative.topic == "waste"


async def test_empty_and_too_long_title_and_text_are_refused_with_the_limit(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    await new_initiative(ivan, "📝 Другое")
    await ivan.send("   ")
    assert ivan.last.text == "Название не может быть пустым. Напишите его."
    await ivan.send("Н" * 103)
    assert ivan.last.text == "Название слишком длинное: не больше 100 знаков. Сократите его на 3 знака."
    await ivan.send("Нормальное название")
    await ivan.send("т" * 2005)
    assert ivan.last.text == "Текст слишком длинный: не больше 2000 знаков. Сократите его на 5 знаков."
    await ivan.send("Нормальный текст")
    assert "Шаг 4 из 7" in ivan.last.text


async def test_sticker_or_file_where_text_is_expected(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    await new_initiative(ivan, "📝 Другое")
    await ivan.send_sticker()
    assert ivan.last.text.startswith("Напишите название текстом")
    await ivan.send("Название")
    await ivan.send_document()
    assert ivan.last.text.startswith("Напишите текст сообщением")
    await ivan.send("Текст")
    await ivan.send_document(file_name="photo.jpg", mime_type="image/jpeg")
    assert ivan.last.text == "Отправьте изображение как фото, а не как файл."


async def test_an_album_larger_than_the_limit_keeps_the_first_photos(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    await new_initiative(ivan, "🌳 Озеленение")
    await ivan.send("Деревья")
    await ivan.send("Посадить деревья у школы")
    before = len(ivan.inbox)
    for n in range(5):
        await ivan.send_photo(f"ALB{n}", media_group_id="album-1")
    answers = ivan.texts(before)
    assert len(answers) == 2  # one for the album, one refusing the extra photos
    assert answers[0].startswith("📷 Фото получено")
    assert answers[1].startswith("Не больше 3 фото")
    await ivan.press("➡️ Далее")
    await ivan.send("⏭ Пропустить")
    await ivan.press("⏭ Пропустить")
    await ivan.press("Аксай")
    assert "📷 3 фото" in ivan.last.text
    await ivan.press("✅ Отправить")
    initiative = await store.by_number(world.db, world.rural_district_id, 1)
    assert initiative is not None and initiative.photos == ["ALB0", "ALB1", "ALB2"]


async def test_double_tapped_submit_makes_one_initiative(world: World) -> None:
    aigerim = await world.resident()
    await fill_form(aigerim)
    request, button = aigerim.find_button("✅ Жіберу")
    assert isinstance(button, dict)
    await aigerim.press_data(button["callback_data"], message=request)
    sent = await aigerim.press_data(button["callback_data"], message=request)
    assert await count(world) == 1
    alerts = [r for r in sent if r.method == "answerCallbackQuery"]
    assert alerts and "жіберіліп қойған" in alerts[0].params["text"]


async def test_per_day_limit_tells_when_the_person_can_submit_again(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    for n in range(3):
        await fill_form(ivan, title=f"Инициатива {n}")
        await ivan.press("✅ Отправить")
        world.clock.advance(hours=1)
    await new_initiative(ivan)
    assert ivan.last.text.startswith("За последние 24 часа Вы отправили 3 инициативы")
    assert "26 ноября 2026\u202fг., 15:00" in ivan.last.text  # 24 hours after the first one
    assert await count(world) == 3
    world.clock.advance(hours=22)
    await new_initiative(ivan)
    assert "шаг 1 из 7" in ivan.last.text


async def test_submitting_needs_consent_and_resumes_after_it(world: World) -> None:
    aigerim = await world.resident(consent=False)
    await new_initiative(aigerim)
    assert aigerim.inbox[-2].text == "Бұл үшін дербес деректерді сақтауға келісіміңіз қажет. Оқып шығып, таңдаңыз."
    assert await count(world) == 0
    await aigerim.press("✅ Келісемін")
    await aigerim.press("▶️ Жалғастыру")
    assert "1-қадам" in aigerim.last.text


async def test_html_in_a_title_is_shown_escaped(world: World) -> None:
    staff, aigerim, _ = await staff_and_author(world, title="<script>alert(1)</script> <b>Жол</b>")
    await aigerim.send("💡 Бастамалар")
    await aigerim.press("📋 Менің бастамаларым")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;Жол&lt;/b&gt;" in aigerim.last.text
    await world.deliver()
    assert "&lt;script&gt;" in staff.last.text and "<script>" not in staff.last.text


# --- following it to a decision -----------------------------------------------------------------------


async def open_queue(staff: Person) -> None:
    """The staff's queue of initiatives, from the admin menu, in the staff member's language."""
    await staff.send("🛠 Управление" if staff.language_code == "ru" else "🛠 Басқару")
    await staff.press(LABELS[staff.language_code or "kk"]["section"])


async def open_in_queue(staff: Person, number: int) -> None:
    await open_queue(staff)
    await staff.press(f"№{number} ")


async def reviewing(world: World) -> tuple[Person, Person, store.Initiative]:
    """Aigerim's initiative №1, open before a staff member who speaks Russian."""
    staff, aigerim, initiative = await staff_and_author(world, lang="ru")
    await open_in_queue(staff, 1)
    return staff, aigerim, initiative


async def test_staff_review_accept_and_the_author_is_told_in_their_language(world: World) -> None:
    staff = await world.staff()
    ivan = await world.resident("Ivan", lang="ru")
    await submitted(world, ivan, title="Фонари", photos=2, location=True, voice=True)
    await open_in_queue(staff, 1)
    methods = [r.method for r in staff.inbox[-4:]]
    assert methods == ["sendMediaGroup", "sendLocation", "sendVoice", "sendMessage"]
    assert "Тіркелген: 2 фото, орналасқан жері, дауыстық хабарлама" in staff.last.text
    await staff.press("🔎 Қарауды бастау")
    await staff.press("Жауапсыз")
    assert "Сақталды: №1" in staff.inbox[-2].text
    await staff.press("✅ Қабылдау")
    await staff.send("Көктемде орнатамыз.")
    await world.deliver()
    texts = ivan.texts()
    assert "🔔 Ваша инициатива №1 «Фонари»: на рассмотрении." in texts
    assert ivan.last.text == "🔔 Ваша инициатива №1 «Фонари»: принята.\nОтвет аппарата акима: Көктемде орнатамыз."
    await ivan.send("💡 Инициативы")
    await ivan.press("📋 Мои инициативы")
    assert "№1 «Фонари»: принята (25 ноября 2026\u202fг.)" in ivan.last.text
    await ivan.press("№1 Фонари")
    assert "<b>История</b>" in ivan.last.text and "принята: Көктемде орнатамыз." in ivan.last.text
    entries = [
        e
        for e in await audit.entries(world.db, rural_district_id=world.rural_district_id)
        if e["action"] == "initiative_status"
    ]
    assert [e["after_json"].count("accepted") for e in entries] == [1, 0]
    assert entries[0]["actor_telegram_id"] == staff.user_id and '"status": "review"' in entries[0]["before_json"]


async def test_rejection_needs_a_reason(world: World) -> None:
    staff, aigerim, _ = await reviewing(world)
    await staff.press("❌ Отклонить")
    assert "Без ответа" not in staff.last.buttons
    await staff.send_sticker()
    assert staff.last.text == "Напишите ответ текстом."
    await staff.send("Участок не принадлежит округу.")
    await world.deliver()
    assert "қабылданбады" in aigerim.last.text and "Себебі: Участок не принадлежит округу." in aigerim.last.text


async def test_extension_with_a_reason_and_a_new_date(world: World) -> None:
    staff, aigerim, _ = await reviewing(world)
    await staff.press("⏳ Продлить срок")
    assert any(b.startswith("25 января 2027") for b in staff.last.buttons)
    await staff.send("26.01.2027")  # past two months from submission
    assert "не более чем до двух месяцев" in staff.last.text
    await staff.send("20.01.2027")
    await staff.send("Нужна экспертиза.")
    initiative = await store.by_number(world.db, world.rural_district_id, 1)
    assert initiative is not None and initiative.status == "extended" and initiative.deadline_on == date(2027, 1, 20)
    await world.deliver()
    assert "қарау мерзімі ұзартылды" in aigerim.last.text and "20 қаңтар" in aigerim.last.text


async def test_forwarded_names_the_body(world: World) -> None:
    staff, aigerim, _ = await reviewing(world)
    await staff.press("↪️ Передать")
    await staff.send("Отдел ЖКХ района")
    await staff.send("Это вопрос района.")
    await world.deliver()
    assert "Жіберілген орган: Отдел ЖКХ района." in aigerim.last.text


async def test_status_change_by_a_resident_with_forged_data_is_refused(world: World) -> None:
    aigerim = await world.resident()
    initiative = await submitted(world, aigerim)
    await aigerim.press_data(AdmStatus(id=initiative.id, to=Status.ACCEPTED).pack())
    assert aigerim.last.text == "Бұл әрекет тек әкім аппаратының қызметкерлеріне қолжетімді."
    after = await store.get(world.db, initiative.id)
    assert after is not None and after.status == "submitted"


async def test_staff_of_another_district_cannot_change_it(world: World) -> None:
    other = await koktobe(world)
    aigerim = await world.resident()
    initiative = await submitted(world, aigerim)
    stranger = await world.staff("Stranger", lang="ru", rural_district_id=other)
    await stranger.press_data(AdmIni(act=AdmAct.OPEN, id=initiative.id).pack())
    assert stranger.last.text == "Эта инициатива не найдена в Вашем сельском округе."
    await stranger.press_data(AdmStatus(id=initiative.id, to=Status.ACCEPTED).pack())
    assert stranger.last.text == "Эта инициатива не найдена в Вашем сельском округе."
    after = await store.get(world.db, initiative.id)
    assert after is not None and after.status == "submitted"
    assert not [e for e in await audit.entries(world.db) if e["action"] == "initiative_status"]


async def test_storage_checks_the_district_of_every_write_itself(world: World) -> None:
    """Whatever a handler checked before: staff of another district change nothing, and nothing is audited."""
    other = await koktobe(world)
    aigerim = await world.resident()
    initiative = await submitted(world, aigerim)
    stranger = audit.Actor(audit.STAFF_KIND, await aigerim.person_id(), aigerim.user_id, other)
    for new, answer in ((Status.ACCEPTED, None), (Status.HIDDEN, "x"), (Status.MERGED, None)):
        with pytest.raises(NotFound):
            await store.change_status(
                world.db, stranger, initiative_id=initiative.id, new=new, answer=answer, into_number=1, now=NOW
            )
    with pytest.raises(NotFound):
        await store.set_published(world.db, stranger, initiative_id=initiative.id, published=True, now=NOW)
    with pytest.raises(NotAllowed):
        await store.set_setting(world.db, stranger, world.rural_district_id, store.Setting.PER_DAY, 1)
    with pytest.raises(NotAllowed):
        await store.export(world.db, stranger, world.rural_district_id)
    after = await store.get(world.db, initiative.id)
    assert after is not None and (after.status, after.published) == ("submitted", False)
    assert (await store.settings(world.db, world.rural_district_id)).per_day == 3
    assert not [e for e in await audit.entries(world.db) if e["action"].startswith("initiative")]


async def test_a_stale_status_button_changes_nothing(world: World) -> None:
    staff, _, initiative = await reviewing(world)
    await staff.press("❌ Отклонить")
    await staff.send("Нет")
    await staff.press_data(AdmStatus(id=initiative.id, to=Status.ACCEPTED).pack())
    assert staff.last.text.startswith("Этот статус сейчас установить нельзя")
    after = await store.get(world.db, initiative.id)
    assert after is not None and after.status == "rejected"


# --- supports, merging, hiding, the agenda -------------------------------------------------------------


# the «Support» button of initiative 1 on a card opened from the district's list
SUPPORT_1 = Ini(act=IniAct.SUPPORT, id=1, src=Src.BROWSE).pack()


async def publish(world: World, staff: Person, number: int) -> None:
    await open_in_queue(staff, number)
    await staff.press("🌐 Жариялау")


async def test_support_once_never_ones_own_and_the_author_sees_the_count(world: World) -> None:
    staff, aigerim, _ = await staff_and_author(world, title="Саябақ")
    await publish(world, staff, 1)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("💡 Инициативы")
    await ivan.press("👥 Инициативы округа")
    assert "№1 «Саябақ»: подана. Поддержали: 0" in ivan.last.text
    await ivan.press("№1 Саябақ")
    await ivan.press("👍 Поддержать")
    assert "Сейчас поддержали: 1" in ivan.inbox[-2].text
    assert "👍 Поддержать" not in ivan.last.buttons
    assert await store.has_supported(world.db, 1, await ivan.person_id())
    # supporting twice with the old button
    await ivan.press_data(SUPPORT_1)
    assert ivan.last.text == "Вы уже поддержали эту инициативу."
    assert await world.db.fetchval("SELECT count(*) FROM initiative_supports") == 1
    # supporting one's own
    await aigerim.press_data(SUPPORT_1)
    assert aigerim.last.text == "Бұл — Сіздің өз бастамаңыз: оны өзіңіз қолдай алмайсыз."
    assert await world.db.fetchval("SELECT count(*) FROM initiative_supports") == 1
    await aigerim.send("💡 Бастамалар")
    await aigerim.press("📋 Менің бастамаларым")
    assert "Қолдағандар: 1" in aigerim.last.text


async def test_residents_see_the_photos_and_the_location_of_a_published_initiative(world: World) -> None:
    """What the author sent shows what they ask support for; the voice stays between them and the office."""
    staff, aigerim, _ = await staff_and_author(world, title="Жарық", photos=2, location=True, voice=True)
    await publish(world, staff, 1)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("💡 Инициативы")
    await ivan.press("👥 Инициативы округа")
    sent = [r for r in await ivan.press("№1 Жарық") if r.method != "answerCallbackQuery"]
    assert [r.method for r in sent] == ["sendMediaGroup", "sendLocation", "sendMessage"]
    assert [m["media"] for m in sent[0].params["media"]] == ["PH0", "PH1"]
    assert (sent[1].params["latitude"], sent[1].params["longitude"]) == (43.25, 76.95)
    assert "<b>№1. Жарық</b>" in sent[2].text
    # supporting shows the card again, not the album
    sent = await ivan.press("👍 Поддержать")
    assert [r.method for r in sent if r.method.startswith("send")] == ["sendMessage", "sendMessage"]
    # one photo, no location: the photo alone
    await submitted(world, aigerim, title="Су", photos=1)
    await publish(world, staff, 2)
    await ivan.press("⬅️ Назад")
    sent = await ivan.press("№2 Су")
    assert [r.method for r in sent if r.method.startswith("send")] == ["sendPhoto", "sendMessage"]


async def test_supporting_needs_consent(world: World) -> None:
    staff, _, _ = await staff_and_author(world)
    await publish(world, staff, 1)
    ivan = await world.resident("Ivan", lang="ru", consent=False)
    await ivan.press_data(SUPPORT_1)
    assert await world.db.fetchval("SELECT count(*) FROM initiative_supports") == 0
    await ivan.press("✅ Даю согласие")
    await ivan.press("▶️ Продолжить")
    assert await world.db.fetchval("SELECT count(*) FROM initiative_supports") == 1


async def test_an_unpublished_initiative_cannot_be_supported_or_seen(world: World) -> None:
    aigerim = await world.resident()
    await submitted(world, aigerim)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data(Ini(act=IniAct.OPEN, id=1, src=Src.BROWSE).pack())
    assert ivan.last.text == "Эта инициатива недоступна."
    await ivan.press_data(SUPPORT_1)
    assert await world.db.fetchval("SELECT count(*) FROM initiative_supports") == 0


async def test_reaching_the_threshold_flags_it_for_the_gatherings_agenda(world: World) -> None:
    staff = await world.staff()
    await world.db.execute("UPDATE rural_districts SET initiative_support_threshold = 2")
    aigerim = await world.resident()
    initiative = await submitted(world, aigerim)
    await publish(world, staff, 1)
    assert await store.flagged_for_agenda(world.db, world.rural_district_id) == []
    for name in ("A", "B"):
        neighbour = await world.resident(name)
        await neighbour.press_data(Ini(act=IniAct.SUPPORT, id=initiative.id, src=Src.BROWSE).pack())
    flagged = await store.flagged_for_agenda(world.db, world.rural_district_id)
    assert [i.number for i in flagged] == [1] and flagged[0].supports == 2
    await world.deliver()
    assert "келесі жиынның күн тәртібіне енгізу үшін белгіленді" in staff.last.text


async def test_merge_moves_the_supporters(world: World) -> None:
    staff = await world.staff(lang="ru")
    aigerim = await world.resident()
    first = await submitted(world, aigerim, title="Жол")
    ivan = await world.resident("Ivan", lang="ru")
    await submitted(world, ivan, title="Дорога")
    await publish_ru(staff, 2)
    asel = await world.resident("Asel")
    await asel.press_data(Ini(act=IniAct.SUPPORT, id=2, src=Src.BROWSE).pack())
    await open_in_queue(staff, 2)
    await staff.press("🔗 Объединить")
    await staff.send("2")  # itself
    assert "нет другой открытой инициативы №2" in staff.last.text
    await staff.send("1")
    assert "№2 присоединена к №1; №1 теперь поддержали: 2." in staff.inbox[-2].text
    supporters = {
        r[0]
        for r in await world.db.fetchall(
            "SELECT person_id FROM initiative_supports WHERE initiative_id = ?", (first.id,)
        )
    }
    assert supporters == {await ivan.person_id(), await asel.person_id()}
    await world.deliver()
    assert "объединена с другой инициативой" in ivan.last.text and "№1" in ivan.last.text


async def publish_ru(staff: Person, number: int) -> None:
    await open_in_queue(staff, number)
    await staff.press("🌐 Опубликовать")


async def test_hide_tells_the_author_why_and_is_audited(world: World) -> None:
    staff, aigerim, _ = await staff_and_author(world, lang="ru")
    await publish_ru(staff, 1)
    await staff.press("🚫 Скрыть")
    await staff.send("Оскорбительные слова.")
    initiative = await store.by_number(world.db, world.rural_district_id, 1)
    assert initiative is not None and initiative.status == "hidden" and not initiative.published
    await world.deliver()
    assert "жасырылды" in aigerim.last.text and "Себебі: Оскорбительные слова." in aigerim.last.text
    assert any(
        e["action"] == "initiative_hide" and e["actor_telegram_id"] == staff.user_id
        for e in await audit.entries(world.db)
    )
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("💡 Инициативы")
    await ivan.press("👥 Инициативы округа")
    assert ivan.last.text == "В Вашем сельском округе пока нет опубликованных инициатив."


async def test_browse_orders_by_newest_or_most_supported_page_by_page(world: World) -> None:
    staff = await world.staff()
    authors = [await world.resident(f"R{n}") for n in range(2)]
    for n in range(7):
        await submitted(world, authors[n % 2], title=f"Бастама {n + 1}")
        world.clock.advance(hours=12)
    actor = audit.Actor(audit.STAFF_KIND, await staff.person_id(), staff.user_id, world.rural_district_id)
    for n in range(1, 8):
        await store.set_published(world.db, actor, initiative_id=n, published=True, now=world.clock.now())
    fan = await world.resident("Fan")
    await fan.press_data(Ini(act=IniAct.SUPPORT, id=2, src=Src.BROWSE).pack())
    await fan.send("💡 Бастамалар")
    await fan.press("👥 Округ бастамалары")
    assert fan.last.buttons[:5] == [f"№{n} Бастама {n}" for n in (7, 6, 5, 4, 3)]
    await fan.press("▶️")
    assert fan.last.buttons[:2] == ["№2 Бастама 2", "№1 Бастама 1"]
    await fan.press("🔥 Қолдау бойынша")
    assert fan.last.buttons[0] == "№2 Бастама 2"


# --- the staff's queue, deadlines, notices, export, settings ------------------------------------------


async def test_queue_by_status_and_village_with_age_and_overdue_on_the_menu(world: World) -> None:
    staff, aigerim, _ = await staff_and_author(world, lang="ru", title="Старая", village=0)
    world.clock.advance(days=30)
    await submitted(world, aigerim, title="Новая", village=1)
    await staff.send("🛠 Управление")
    assert "💡 Ждут решения 2 инициативы; ⏰ просрочено: 1" in staff.last.text
    await staff.press("💡 Инициативы")
    lines = staff.last.text.splitlines()
    assert lines[1] == "⏰ Просрочена 1 инициатива"
    assert lines[2].startswith("№1 · 30 дней · Аксай") and lines[2].endswith("⏰")
    assert lines[3].startswith("№2 · 0 дней · Бесагаш")
    await staff.press("Бесагаш")
    assert staff.last.buttons[0] == "№2 Новая"
    await staff.press("📁 Закрытые")
    assert "Здесь ничего нет." in staff.last.text


async def test_staff_are_reminded_before_the_deadline_once(world: World) -> None:
    staff, _, _ = await staff_and_author(world, title="Су құбыры")
    await world.deliver()
    before = len(staff.inbox)
    world.clock.set(datetime(2026, 12, 14, 3, 59, tzinfo=UTC))
    await world.tick()
    await world.deliver()
    assert len(staff.inbox) == before
    world.clock.advance(minutes=2)
    await world.tick()
    await world.tick()
    await world.deliver()
    reminders = staff.texts(before)
    assert len(reminders) == 1 and "№1 «Су құбыры»" in reminders[0] and "17 желтоқсан" in reminders[0]


async def test_daily_digest_instead_of_each_notice(world: World) -> None:
    staff = await world.staff(lang="ru")
    await open_queue(staff)
    await staff.press("🔔 О каждой новой")
    assert staff.inbox[-2].text == "Вы будете получать сводку новых инициатив раз в день, утром."
    aigerim = await world.resident()
    await submitted(world, aigerim, title="Бірінші")
    await submitted(world, aigerim, title="Екінші")
    await world.deliver()
    before = len(staff.inbox)
    assert not [t for t in staff.texts(before - 3) if "Новая инициатива" in t]
    world.clock.set(datetime(2026, 11, 26, 4, 0, tzinfo=UTC))  # 09:00 in Almaty the next day
    await world.tick()
    await world.tick()
    await world.deliver()
    digests = staff.texts(before)
    assert len(digests) == 1 and "№1 «Бірінші»" in digests[0] and "№2 «Екінші»" in digests[0]


async def test_csv_export_is_utf8_with_bom(world: World) -> None:
    staff, _, _ = await staff_and_author(world, lang="ru", title="Көгалдандыру, саябақ")
    await open_queue(staff)
    await staff.press("📥 CSV")
    rows = sent_csv(staff.last)
    assert rows[0][:3] == ["Номер", "Подана", "Статус"]
    assert rows[1][0] == "1" and rows[1][4] == "Көгалдандыру, саябақ" and rows[1][6] == "Бесагаш"
    assert any(e["action"] == "initiative_export" for e in await audit.entries(world.db))


async def test_staff_change_the_districts_settings(world: World) -> None:
    staff = await world.staff(lang="ru")
    await open_queue(staff)
    await staff.press("⚙️ Настройки")
    assert "Срок рассмотрения, рабочих дней: 15" in staff.last.text
    await staff.press("Срок рассмотрения")
    await staff.send("100")
    assert staff.last.text == "Отправьте новое значение: число от 1 до 40."
    await staff.send("10")
    assert "Срок рассмотрения, рабочих дней: 10" in staff.last.text
    aigerim = await world.resident()
    initiative = await submitted(world, aigerim)
    assert initiative.deadline_on == date(2026, 12, 9)
    assert any(e["action"] == "initiative_setting" for e in await audit.entries(world.db))


async def test_demo_district_has_sample_initiatives(tmp_path: Path) -> None:
    from bot import demo

    world = await World.create(tmp_path, setup=False)
    try:
        rd = await demo.fill(world.db, world.clock)
        items, total = await store.published(world.db, rd, by_support=False, limit=10)
        assert total == 2 and {i.status for i in items} == {"accepted", "done"}
        assert len(await store.history(world.db, items[0].id)) == 2
    finally:
        await world.close()


async def test_a_button_from_before_an_upgrade_keeps_the_draft_of_the_form(world: World) -> None:
    """The village step's button of the previous release no longer parses; the draft stays."""
    aigerim = await world.resident(lang="ru")
    await aigerim.send(LABELS["ru"]["section"])
    await aigerim.press(LABELS["ru"]["new"])
    await aigerim.press(LABELS["ru"]["topic"])
    await aigerim.send("Освещение улицы")
    await aigerim.press_data("ind:v:1")  # the old village button (``DraftCb.value``)
    assert aigerim.last.text == "Нажмите кнопки текущего шага или отправьте /cancel, чтобы отменить его."
    row = await world.db.fetchone("SELECT state, data_json FROM fsm_states WHERE user_id = ?", (aigerim.user_id,))
    assert row is not None and row[0] == "Form:body" and "Освещение улицы" in row[1]


async def test_a_title_that_looks_like_a_formula_stays_text_in_the_csv(world: World) -> None:
    staff, _, _ = await staff_and_author(world, lang="ru", title='=HYPERLINK("http://x.example","Көгал")')
    await open_queue(staff)
    await staff.press("📥 CSV")
    rows = sent_csv(staff.last)
    assert rows[1][4] == '\'=HYPERLINK("http://x.example","Көгал")'


async def test_a_village_name_with_html_characters_is_shown_as_written_in_the_preview(world: World) -> None:
    await world.db.execute(
        "UPDATE villages SET name_kk = 'Бесағаш <2> & Ко' WHERE rural_district_id = ? AND name_kk = 'Бесағаш'",
        (world.rural_district_id,),
    )
    aigerim = await world.resident()
    await fill_form(aigerim, village=1)
    assert "Бесағаш &lt;2&gt; &amp; Ко" in aigerim.last.text


async def test_supporters_hear_the_outcome_but_not_every_step(world: World) -> None:
    staff, aigerim, _ = await staff_and_author(world, title="Саябақ")
    await publish(world, staff, 1)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data(SUPPORT_1)
    await open_in_queue(staff, 1)
    await staff.press("🔎 Қарауды бастау")
    await staff.press("Жауапсыз")
    await world.deliver()
    assert not any("которую вы поддержали" in t for t in ivan.texts())  # «under review» is the author's only
    await staff.press("✅ Қабылдау")
    await staff.send("Көктемде орнатамыз.")
    await world.deliver()
    assert ivan.last.text == (
        "🔔 Инициатива №1 «Саябақ», которую вы поддержали: принята.\nОтвет аппарата акима: Көктемде орнатамыз."
    )
    assert not any("сіз қолдаған" in t for t in aigerim.texts())  # the author hears it as the author
