"""Announcements: staff compose, choose who gets them, preview, send or schedule, follow and stop."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.formatting import format_datetime
from bot.keyboards.admin import AdminMenu
from bot.keyboards.broadcasts import Act, Bc, Unversioned
from storage import audit
from tests.harness import Person, World
from tests.steps import koktobe


def almaty(day: int, hour: int) -> str:
    """A time in November 2026 as the bot writes it in Kazakh."""
    return format_datetime(datetime(2026, 11, day, hour - 5, 0, tzinfo=UTC), "Asia/Almaty", "kk")


async def open_announcements(staff: Person) -> None:
    await staff.press("🛠 Басқару")
    await staff.press("📣 Хабарландырулар")


async def one_text_for_both(staff: Person) -> None:
    """A new announcement, one text for both languages: the text is asked next."""
    await open_announcements(staff)
    await staff.press("✍️ Жаңа хабарландыру")
    await staff.press("Екі тілге бір мәтін")


async def compose_one(staff: Person, text: str = "Ертең 10:00-де су болмайды.") -> None:
    await one_text_for_both(staff)
    await staff.send(text)


async def scheduled_for_tomorrow(staff: Person) -> None:
    """An announcement to the whole rural district, composed and scheduled for tomorrow at 09:00."""
    await compose_one(staff)
    await staff.press("🏘 Бүкіл округ")
    await staff.press("🕒 Кейінірек жіберу")
    await staff.press("Ертең 09:00")
    await staff.press("✅ Растау")


async def send_now(world: World, staff: Person) -> None:
    """Send the composed announcement now, confirm it, and let the sender deliver it."""
    await staff.press("📤 Қазір жіберу")
    await staff.press("✅ Растау")
    await world.deliver()


async def broadcasts_rows(world: World) -> list[dict[str, object]]:
    return [dict(r) for r in await world.db.fetchall("SELECT * FROM broadcasts ORDER BY id")]


async def test_staff_send_one_text_to_the_whole_district_and_see_the_progress(world: World) -> None:
    staff = await world.staff("Staff")
    aigerim = await world.resident("Aigerim", lang="kk")
    ivan = await world.resident("Ivan", lang="ru", village=1)
    quiet = await world.resident("Quiet")
    await quiet.press("⚙️ Баптаулар")
    await quiet.press("Хабарландырулар")  # announcements off
    assert await quiet.stored("notify_announcements") == 0

    await compose_one(staff)
    assert staff.last.text == "Кімге жіберу керек?"
    assert staff.last.buttons == ["🏘 Бүкіл округ", "🏡 Ауылдар…", "👥 Өкілдер", "✖️ Болдырмау"]
    since = len(staff.inbox)
    await staff.press("🏘 Бүкіл округ")
    shown = staff.texts(since)
    # a preview per language the recipients read, exactly as they will get it
    assert shown[0] == "👁 Алдын ала көру: «Қазақша» тілін таңдаған тұрғындар (2) мынаны алады:"
    preview_kk = shown[1]
    assert shown[2] == "👁 Алдын ала көру: «Русский» тілін таңдаған тұрғындар (1) мынаны алады:"
    preview_ru = shown[3]
    assert "Кімге: бүкіл ауылдық округ" in shown[4] and "Алушылар: 3" in shown[4]
    await staff.press("📤 Қазір жіберу")
    assert "Хабарландыру қазір 3 алушыға жіберіледі" in staff.last.text
    await staff.press("✅ Растау")
    assert "Алушылар: 3" in staff.last.text and "⏳ Кезекте: 3" in staff.last.text
    assert staff.last.buttons == ["🔄 Жаңарту", "⛔ Тоқтату", "⬅️ Хабарландырулар"]

    await world.deliver()
    assert aigerim.last.text == preview_kk
    assert preview_kk.startswith("📣 <b>Хабарландыру</b>\n") or "Хабарландыру" in preview_kk
    assert "Ертең 10:00-де су болмайды." in preview_kk
    assert ivan.last.text == preview_ru and "Объявление" in preview_ru
    assert quiet.last.text != preview_kk  # announcements off: nothing
    # the progress message was edited in place: done, no Stop button any more
    edits = [r for r in world.telegram.requests if r.method == "editMessageText" and r.chat_id == staff.user_id]
    assert edits and "✅ Жіберілді: 3" in edits[-1].text and "Аяқталды" in edits[-1].text
    assert staff.last.buttons == ["⬅️ Хабарландырулар"]
    row = (await broadcasts_rows(world))[0]
    assert row["audience"] == "all" and row["recipients"] == 3 and row["finished_at"] is not None
    entries = await audit.entries(world.db, rural_district_id=world.rural_district_id)
    assert any(e["action"] == "broadcast_created" and e["actor_telegram_id"] == staff.user_id for e in entries)


async def test_a_text_per_language_each_resident_reads_their_own(world: World) -> None:
    staff = await world.staff("Staff", lang="ru")
    aigerim = await world.resident("Aigerim", lang="kk")
    ivan = await world.resident("Ivan", lang="ru")
    await staff.press("🛠 Управление")
    await staff.press("📣 Объявления")
    await staff.press("✍️ Новое объявление")
    await staff.press("Казахский и русский")
    await staff.send("Жиын сенбіде өтеді.")
    assert staff.last.text.startswith("Теперь отправьте то же объявление на русском")
    await staff.send_sticker()
    assert staff.last.text == "Отправьте текст на русском."
    await staff.send("Сход пройдёт в субботу.")
    await staff.press("🏘 Весь округ")
    await staff.press("📤 Отправить сейчас")
    await staff.press("✅ Подтвердить")
    await world.deliver()
    assert "Жиын сенбіде өтеді." in aigerim.last.text and "Хабарландыру" in aigerim.last.text
    assert "Сход пройдёт в субботу." in ivan.last.text and "Объявление" in ivan.last.text
    assert "Жиын" not in ivan.last.text


async def test_villages_audience_reaches_only_the_chosen_villages(world: World) -> None:
    staff = await world.staff("Staff")
    aksai = await world.resident("Aksai", village=0)
    besagash = await world.resident("Besagash", village=1)
    await compose_one(staff, "Бесағашта жарық өшеді.")
    await staff.press("🏡 Ауылдар…")
    await staff.press("Дайын")  # none chosen yet
    answers = [r for r in world.telegram.requests if r.method == "answerCallbackQuery"]
    assert answers[-1].params.get("text") == "Кемінде бір ауылды таңдаңыз."
    await staff.press("▫️ Бесағаш")
    assert "✅ Бесағаш" in staff.last.buttons
    await staff.press("Дайын")
    assert "Кімге: ауылдар: Бесағаш" in staff.last.text and "Алушылар: 1" in staff.last.text
    await send_now(world, staff)
    assert "Бесағашта жарық өшеді." in besagash.last.text
    assert all("Бесағашта" not in t for t in aksai.texts())


async def test_representatives_audience(world: World) -> None:
    staff = await world.staff("Staff")
    rep = await world.resident("Rep")
    other = await world.resident("Other")
    await compose_one(staff, "Жиналыс жұма күні.")
    await staff.press("👥 Өкілдер")
    assert staff.last.text.startswith("Бұл топта хабарландыру алатын ешкім жоқ")  # no representatives yet
    rep_id = await rep.person_id()
    async with world.db.transaction() as tx:
        await tx.execute(
            "INSERT INTO roles (person_id, rural_district_id, role, village_id) VALUES (?, ?, ?, ?)",
            (rep_id, world.rural_district_id, "representative", world.village_ids[0]),
        )
    await staff.press("👥 Өкілдер")
    assert "Алушылар: 1" in staff.last.text
    await send_now(world, staff)
    assert "Жиналыс жұма күні." in rep.last.text
    assert all("Жиналыс жұма" not in t for t in other.texts())


async def test_event_invitees_audience_uses_the_events_hook(world: World) -> None:
    staff = await world.staff("Staff")
    invited = await world.resident("Invited", village=0)
    elsewhere = await world.resident("Elsewhere", village=1)
    async with world.db.transaction() as tx:
        event = await tx.execute(
            "INSERT INTO events (rural_district_id, kind, title_kk, title_ru, place, starts_at, ends_at)"
            " VALUES (?, 'separate_gathering', 'Ақсай жиыны', 'Сход Аксая', 'Мектеп', ?, ?)",
            (world.rural_district_id, "2026-11-28T05:00:00.000Z", "2026-11-28T07:00:00.000Z"),
        )
        await tx.execute(
            "INSERT INTO event_villages (event_id, village_id) VALUES (?, ?)", (event, world.village_ids[0])
        )
    await compose_one(staff, "Жиынға құжаттарыңызды алыңыз.")
    await staff.press("📅 Шақырылғандар")
    await staff.press("Ақсай жиыны")
    assert "Кімге: «Ақсай жиыны» іс-шарасына шақырылғандар" in staff.last.text
    await send_now(world, staff)
    assert "Жиынға құжаттарыңызды алыңыз." in invited.last.text
    assert all("Жиынға" not in t for t in elsewhere.texts())
    assert (await broadcasts_rows(world))[0]["audience"] == "event"


async def test_a_photo_with_a_caption_goes_as_a_photo(world: World) -> None:
    staff = await world.staff("Staff")
    aigerim = await world.resident("Aigerim")
    await one_text_for_both(staff)
    await staff.send_photo("PHOTO42", caption="Жаңа саябақ ашылды")
    await staff.press("🏘 Бүкіл округ")
    previews = [r for r in world.telegram.requests if r.method == "sendPhoto" and r.chat_id == staff.user_id]
    assert previews and previews[0].params["photo"] == "PHOTO42"
    await send_now(world, staff)
    assert aigerim.last.method == "sendPhoto" and aigerim.last.params["photo"] == "PHOTO42"
    assert "Жаңа саябақ ашылды" in aigerim.last.text


async def test_bad_texts_are_refused_with_a_reason(world: World) -> None:
    staff = await world.staff("Staff")
    await one_text_for_both(staff)
    await staff.send_sticker()
    assert staff.last.text == "Мәтін, фото немесе құжат жіберіңіз."
    await staff.send("а" * 4090)  # fits a message, but not with the heading
    assert staff.last.text.startswith("Хабарландыру тым ұзын:") and "ең көбі 4096" in staff.last.text
    await staff.send_photo("P1", caption="б" * 1020)
    assert "ең көбі 1024" in staff.last.text
    await staff.send("Қысқа мәтін")
    assert staff.last.text == "Кімге жіберу керек?"


async def test_scheduled_announcement_waits_for_its_time_and_bad_times_are_refused(world: World) -> None:
    staff = await world.staff("Staff")
    aigerim = await world.resident("Aigerim")
    await compose_one(staff, "Жоспарланған хабарландыру")
    await staff.press("🏘 Бүкіл округ")
    await staff.press("🕒 Кейінірек жіберу")
    await staff.send("ертең")
    assert staff.last.text == "Күні мен уақытын 26.11 09:00 түрінде жазыңыз."
    await staff.send("25.11 14:00")  # it is 15:00 now
    assert staff.last.text == "Бұл уақыт өтіп кетті. Кейінірек уақытты жазыңыз."
    await staff.send("25.11.2027 10:00")
    assert staff.last.text == "Хабарландыруды ең көбі 90 күн алдын ала жоспарлауға болады."
    await staff.send("26.11 10:00")
    assert f"Уақыты: {almaty(26, 10)}." in staff.last.text
    await staff.press("✅ Растау")
    assert f"Жіберілу уақыты: {almaty(26, 10)}." in staff.last.text
    await world.deliver()
    assert all("Жоспарланған" not in t for t in aigerim.texts())
    world.clock.set(datetime(2026, 11, 26, 5, 0, tzinfo=UTC))  # 10:00 in Almaty
    await world.deliver()
    assert "Жоспарланған хабарландыру" in aigerim.last.text


async def test_at_night_an_announcement_waits_for_the_morning_unless_urgent(world: World) -> None:
    world.clock.set(datetime(2026, 11, 25, 18, 0, tzinfo=UTC))  # 23:00 in Almaty
    staff = await world.staff("Staff")
    aigerim = await world.resident("Aigerim")
    await compose_one(staff, "Кәдімгі")
    await staff.press("🏘 Бүкіл округ")
    await staff.press("📤 Қазір жіберу")
    assert f"Тұрғындар оны алатын уақыт: {almaty(26, 8)}." in staff.last.text
    await staff.press("✅ Растау")
    await compose_one(staff, "Шұғыл: су құбыры жарылды")
    await staff.press("🏘 Бүкіл округ")
    await staff.press("🔔 Шұғыл: жоқ")
    assert "Шұғыл: иә" in staff.last.text
    await staff.press("📤 Қазір жіберу")
    assert "тыныштық уақытына" not in staff.last.text
    await staff.press("✅ Растау")
    await world.deliver()
    assert "су құбыры жарылды" in aigerim.last.text
    assert all("Кәдімгі" not in t for t in aigerim.texts())
    world.clock.set(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))
    await world.deliver()
    assert "Кәдімгі" in aigerim.last.text


async def test_stop_cancels_only_what_is_not_yet_sent(world: World) -> None:
    staff = await world.staff("Staff")
    aigerim = await world.resident("Aigerim")
    ivan = await world.resident("Ivan", lang="ru")
    world.telegram.fail(lambda r: r.chat_id == ivan.user_id and r.method == "sendMessage", 502, "Bad Gateway")
    await compose_one(staff, "Тоқтатылатын хабарландыру")
    await staff.press("🏘 Бүкіл округ")
    await staff.press("📤 Қазір жіберу")
    await staff.press("✅ Растау")
    await world.deliver()  # Aigerim and the staff member get it; Ivan's waits for a retry
    assert "Тоқтатылатын" in aigerim.last.text
    await staff.press("⛔ Тоқтату")
    assert "Әлі жіберілмеген 1 хабар жіберілмейді" in staff.last.text
    await staff.press("⛔ Иә, тоқтату")
    assert "✖️ Тоқтатылып, жіберілмеді: 1" in staff.last.text and "✅ Жіберілді: 2" in staff.last.text
    world.clock.advance(minutes=5)
    await world.deliver()
    assert all("Тоқтатылатын" not in t for t in ivan.texts())
    await staff.press("⛔ Тоқтату")  # an old button: nothing left
    assert staff.last.text == "Тоқтататын ештеңе қалған жоқ: бәрі жіберілді."


async def test_confirming_twice_sends_once(world: World) -> None:
    staff = await world.staff("Staff")
    await compose_one(staff)
    await staff.press("🏘 Бүкіл округ")
    await staff.press("📤 Қазір жіберу")
    confirm = staff.find_button("✅ Растау")
    await staff.press_data(confirm[1]["callback_data"], message=confirm[0])  # type: ignore[index]
    await staff.press_data(confirm[1]["callback_data"], message=confirm[0])  # type: ignore[index]
    assert staff.last.text == "Бұл хабарландыруды енді өңдеуге болмайды. Жаңа хабарландыру бастаңыз."
    assert len(await broadcasts_rows(world)) == 1


async def test_a_resident_cannot_start_or_stop_an_announcement_with_forged_buttons(world: World) -> None:
    staff = await world.staff("Staff")
    aigerim = await world.resident("Aigerim")
    await scheduled_for_tomorrow(staff)
    broadcast = (await broadcasts_rows(world))[0]
    forged = [
        AdminMenu(section="broadcasts"),
        Bc(act=Act.NEW),
        Bc(act=Act.ALL),
        Bc(act=Act.CONFIRM),
        Bc(act=Act.STOP_YES, id=int(broadcast["id"])),  # type: ignore[call-overload]
    ]
    for data in forged:
        sent = await aigerim.press_data(data.pack())
        assert [r.text for r in sent if r.method == "sendMessage"] == [
            "Бұл әрекет тек әкім аппаратының қызметкерлеріне қолжетімді."
        ]
    assert len(await broadcasts_rows(world)) == 1
    assert await world.db.fetchval("SELECT count(*) FROM outbox WHERE state = 'cancelled'") == 0
    refused = [e for e in await audit.entries(world.db) if e["action"] == "admin_callback_refused"]
    assert len(refused) == 5


async def test_staff_of_another_district_cannot_stop_ours(world: World) -> None:
    staff = await world.staff("Staff")
    await world.resident("Aigerim")
    other_rd = await koktobe(world)
    stranger = await world.staff("Stranger", rural_district_id=other_rd)
    await scheduled_for_tomorrow(staff)
    broadcast = (await broadcasts_rows(world))[0]
    await stranger.press_data(Bc(act=Act.STOP_YES, id=int(broadcast["id"])).pack())  # type: ignore[call-overload]
    assert stranger.last.text == "Бұл хабарландыру табылмады."
    await stranger.press_data(Bc(act=Act.VILLAGE, id=world.village_ids[0]).pack())
    assert await world.db.fetchval("SELECT count(*) FROM outbox WHERE state = 'cancelled'") == 0


async def test_the_announcements_screen_lists_the_latest_with_their_counts(world: World) -> None:
    staff = await world.staff("Staff")
    await world.resident("Aigerim")
    await compose_one(staff, "Бірінші")
    await staff.press("🏘 Бүкіл округ")
    await send_now(world, staff)
    await staff.press("⬅️ Хабарландырулар")
    assert f"№ 1 · {almaty(25, 15)} · жіберілді: 2 / 2" in staff.last.text
    assert "📣 № 1" in staff.last.buttons
    await staff.press("📣 № 1")
    assert "Аяқталды: жіберетін ештеңе қалған жоқ." in staff.last.text


async def test_a_button_of_before_the_version_is_out_of_date_and_stops_nothing(world: World) -> None:
    staff = await world.staff("Staff")
    await world.resident("Aigerim")
    await scheduled_for_tomorrow(staff)
    assert all(b["callback_data"].startswith(Bc.__prefix__ + ":") for b in staff.last.inline)  # the progress
    broadcast = (await broadcasts_rows(world))[0]
    await staff.press_data(Unversioned(act="stopy", id=int(broadcast["id"])).pack())  # type: ignore[call-overload]
    assert staff.last.text == "Бұл түйме ескірген. Міне, басты мәзір."
    assert "🛠 Басқару" in staff.last.buttons
    assert await world.db.fetchval("SELECT count(*) FROM outbox WHERE state = 'cancelled'") == 0
    assert not [e for e in await audit.entries(world.db) if e["action"] == "admin_callback_refused"]
