"""Gatherings and meetings: staff plan them, residents see them, answer, get reminders and the protocol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.formatting import format_datetime, format_weekday_datetime
from bot.keyboards import events as kb
from bot.keyboards.admin import AdminMenu
from bot.keyboards.events import AdmAct, AdmEv, AdmEvNew, AdmRep, Ev, EvAct, NewAct, RepAct
from bot.rules import events as rules
from bot.rules.clock import to_db
from bot.rules.errors import NotAllowed
from storage import events as store
from storage import people
from storage.audit import STAFF_KIND, Actor
from tests.harness import NOW, Person, World
from tests.steps import koktobe

START = "10.12.2026 15:00"  # Thursday, 10:00 UTC: Almaty is UTC+5
START_UTC = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)


def plain(text: str) -> str:
    """Babel puts a narrow no-break space before «г.» / «ж.»; the tests read it as a space."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def staff_event(staff: Person, *labels: str) -> None:
    """Staff (in Russian) open the events from the admin menu, then press these buttons (an event's, or
    «➕ New event» and a kind)."""
    await staff.press("🛠 Управление")
    await staff.press("📅 Мероприятия")
    for label in labels:
        await staff.press(label)


async def plan(
    staff: Person,
    *,
    kind: str = "Сход",
    start: str = START,
    title_kk: str | None = "Көктемгі жиын",
    title_ru: str | None = "Весенний сход",
    place: str = "Дом культуры",
    agenda: str = "1. Бюджет на 2027 год\n2. Ремонт дорог",
    leave_out: tuple[str, ...] = (),
    village: str | None = None,
    report: bool = False,
) -> int:
    """Staff (in Russian) go through the new-event steps; return the new event's id."""
    await staff.send("/menu")
    await staff_event(staff, "➕ Новое мероприятие", kind)
    if village:
        await staff.press(village)
    else:
        for name in leave_out:
            await staff.press("✅ " + name)
        await staff.press("➡️ Далее")
    await (staff.send(title_kk) if title_kk else staff.press("⏭ Пропустить"))
    await (staff.send(title_ru) if title_ru else staff.press("⏭ Пропустить"))
    await staff.send(place)
    await staff.send(start)
    await staff.press("2 ч")
    await staff.send(agenda)
    await staff.press("➡️ Далее")
    if kind == "Сход":
        await staff.press("Да" if report else "Нет")
    await staff.press("✅ Опубликовать")
    assert staff.inbox[-2].text == "Опубликовано. Приглашённым придёт сообщение."
    return int(await staff.world.db.fetchval("SELECT MAX(id) FROM events"))


async def planned(world: World) -> tuple[Person, int]:
    """Staff (in Russian) who have planned the gathering; its id."""
    staff = await world.staff(lang="ru")
    return staff, await plan(staff)


async def planned_for_ivan(world: World) -> tuple[Person, Person, int]:
    """Staff (in Russian) and Ivan, a resident; the staff have planned the gathering Ivan is invited to."""
    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru")
    return staff, ivan, await plan(staff)


async def queued(world: World, kind: str | None = None) -> list[tuple[int, str, str]]:
    """(person id, kind, Russian text) of every outbox row."""
    rows = await world.db.fetchall(
        "SELECT o.person_id, m.kind, json_extract(m.texts_json, '$.ru') FROM outbox o"
        " JOIN outbox_messages m ON m.id = o.message_id WHERE (? IS NULL OR m.kind = ?) ORDER BY o.id",
        (kind, kind),
    )
    return [(r[0], r[1], r[2]) for r in rows]


async def reminded_two_hours_before(world: World) -> list[int]:
    """Who is queued a reminder once the clock is two hours before the gathering's start."""
    world.clock.set(START_UTC - timedelta(hours=2))
    await world.tick()
    return [p for p, _k, _t in await queued(world, "reminder")]


async def make_representative(world: World, person: Person, *, chair: bool = False) -> None:
    village, person_id = await person.stored("village_id"), await person.person_id()
    async with world.db.transaction() as tx:
        await people.grant_role(tx, person_id, world.rural_district_id, "representative", village)
        if chair:
            await people.grant_role(tx, person_id, world.rural_district_id, "chair", village)


# --- times --------------------------------------------------------------------------------


def test_kazakhstan_is_utc_plus_5_since_march_2024() -> None:
    """Stored UTC, shown in Asia/Almaty: UTC+5 from 1 March 2024 (tzdata 2024a)."""
    at = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert plain(format_datetime(at, "Asia/Almaty", "ru")) == "1 марта 2024 г., 15:00"
    assert rules.parse_local("01.03.2024 15:00", "Asia/Almaty") == at
    assert rules.parse_local("10.12.2026 15:00", "Asia/Almaty") == START_UTC


def test_dates_that_are_not_dates_are_refused() -> None:
    for text in ("завтра", "31.02.2026 10:00", "10.12.2026", "10.12.2026 25:00", ""):
        assert rules.parse_local(text, "Asia/Almaty") is None, text


async def test_event_is_stored_in_utc_and_shown_in_the_district_zone(world: World) -> None:
    staff, event_id = await planned(world)
    stored = await world.db.fetchone("SELECT starts_at, ends_at FROM events WHERE id = ?", (event_id,))
    assert tuple(stored) == ("2026-12-10T10:00:00.000Z", "2026-12-10T12:00:00.000Z")
    assert "🕒 четверг, 10 декабря 2026 г., 15:00–17:00" in plain(staff.last.text)
    aigerim = await world.resident("Aigerim")
    await aigerim.press("📅 Іс-шаралар")
    await aigerim.press("10.12 15:00 · Көктемгі жиын")
    assert "<b>Жергілікті қоғамдастық жиыны</b>" in aigerim.last.text
    assert "🕒 " + format_weekday_datetime(START_UTC, "Asia/Almaty", "kk") + "–17:00" in aigerim.last.text
    assert "бейсенбі" in aigerim.last.text and "15:00–17:00" in aigerim.last.text
    assert "📍 Дом культуры" in aigerim.last.text
    assert "1. Бюджет на 2027 год\n2. Ремонт дорог" in aigerim.last.text
    assert aigerim.last.buttons == ["Келемін", "Келе алмаймын", "📆 Күнтізбеге", "⬅️ Артқа", "🏠 Басты мәзір"]


# --- staff: planning ----------------------------------------------------------------------


async def test_gathering_invites_every_resident_of_its_villages_and_tells_them(world: World) -> None:
    staff = await world.staff(lang="ru")
    aigerim = await world.resident("Aigerim", village=0)
    ivan = await world.resident("Ivan", lang="ru", village=1)
    event_id = await plan(staff, leave_out=("Бесагаш",))
    invited = await store.invitees(world.db, event_id)
    assert invited == [await staff.person_id(), await aigerim.person_id()]
    notices = await queued(world, "notice")
    assert {p for p, _k, _t in notices} == set(invited)
    await world.deliver()
    assert "📅 <b>Жергілікті қоғамдастық жиыны</b>: Көктемгі жиын" in aigerim.last.text
    assert aigerim.last.buttons == ["📅 Іс-шараны ашу"]
    assert not [r for r in ivan.inbox if "Весенний" in r.text]
    # Ivan of another village may still follow it, as a listener
    await ivan.press("📅 Мероприятия")
    await ivan.press("10.12 15:00 · Весенний сход")
    assert "Вы можете прийти как слушатель." in ivan.last.text


async def test_separate_gathering_concerns_one_village(world: World) -> None:
    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru", village=1)
    event_id = await plan(staff, kind="Раздельный сход", village="Бесагаш")
    assert await store.invitees(world.db, event_id) == [await ivan.person_id()]
    assert await world.db.fetchval("SELECT kind FROM events WHERE id = ?", (event_id,)) == "separate_gathering"
    await ivan.press("📅 Мероприятия")
    await ivan.press("10.12 15:00 · Весенний сход")
    assert "<b>Раздельный сход местного сообщества</b>" in ivan.last.text
    assert "✉️ Вы приглашены." in ivan.last.text


async def test_meeting_invites_representatives_and_the_chair_not_every_resident(world: World) -> None:
    staff = await world.staff(lang="ru")
    rep = await world.resident("Rep", village=0)
    chair = await world.resident("Chair", village=1)
    listener = await world.resident("Listener", lang="ru", village=0)
    await make_representative(world, rep)
    await make_representative(world, chair, chair=True)
    event_id = await plan(staff, kind="Собрание", title_kk="Жиналыс", title_ru="Собрание")
    assert await store.invitees(world.db, event_id) == [await rep.person_id(), await chair.person_id()]
    await listener.press("📅 Мероприятия")
    await listener.press("10.12 15:00 · Собрание")
    assert "<b>Собрание местного сообщества</b>" in listener.last.text
    assert "В собрании участвуют только его члены; Вы можете прийти как слушатель." in listener.last.text
    # a listener who says they will come is reminded too; the other residents are not
    await listener.press("Приду")
    world.clock.set(START_UTC - timedelta(hours=24))
    await world.tick()
    reminded = {p for p, _k, _t in await queued(world, "reminder")}
    assert reminded == {await rep.person_id(), await chair.person_id(), await listener.person_id()}
    assert await staff.person_id() not in reminded


async def test_bad_input_while_planning_is_explained(world: World) -> None:
    staff = await world.staff(lang="ru")
    await staff_event(staff, "➕ Новое мероприятие", "Сход")
    await staff.press("✅ Аксай")
    await staff.press("✅ Бесагаш")
    sent = await staff.press("➡️ Далее")
    assert any(
        r.method == "answerCallbackQuery" and r.params.get("text") == "Выберите хотя бы одно село." for r in sent
    )
    await staff.press("▫️ Аксай")
    await staff.press("➡️ Далее")
    await staff.press("⏭ Пропустить")
    await staff.press("⏭ Пропустить")
    assert staff.last.text.startswith("У мероприятия должно быть название хотя бы на одном языке.")
    await staff.send("Сход")
    await staff.send_sticker()
    assert staff.last.text == "Отправьте текст или нажмите «✖️ Отмена»."
    await staff.send("Клуб")
    await staff.send("в четверг вечером")
    assert staff.last.text.startswith("Не удалось распознать дату. Когда начинается?")
    await staff.send("20.11.2026 15:00")
    assert staff.last.text.startswith("Это время уже прошло.")
    await staff.send("10.12.2026 15:00")
    await staff.press("1 ч")
    sent = await staff.press_data(AdmEvNew(act=NewAct.AGENDA_DONE).pack())
    assert any(r.params.get("text") == "Добавьте хотя бы один вопрос повестки." for r in sent)
    await staff.press("✖️ Отмена")
    assert await world.db.fetchval("SELECT COUNT(*) FROM events") == 0


async def _until_the_start(staff: Person) -> None:
    """Staff (in Russian) plan a meeting up to the step that asks when it starts."""
    await staff_event(staff, "➕ Новое мероприятие", "Собрание")
    await staff.press("➡️ Далее")
    await staff.send("Жиналыс")
    await staff.send("Собрание")
    await staff.send("Клуб")


async def test_staff_read_the_zone_as_an_offset_and_lengths_in_hours_and_minutes(world: World) -> None:
    staff = await world.staff(lang="ru")
    await _until_the_start(staff)
    assert "(UTC+5)" in staff.last.text and "Asia/Almaty" not in staff.last.text
    await staff.send(START)
    assert staff.last.buttons == ["1 ч", "1 ч 30 мин", "2 ч", "3 ч", "✖️ Отмена"]
    with world.i18n.context(), world.i18n.use_locale("kk"):
        labels = [b.text for row in kb.durations().inline_keyboard for b in row]
    assert labels[:4] == ["1 сағ", "1 сағ 30 мин", "2 сағ", "3 сағ"]


@pytest.mark.parametrize(
    ("start", "promise"),
    [
        (START, "Опубликовать? Приглашённым придёт сообщение, а за день и за два часа — напоминание."),
        ("25.11.2026 18:00", "Опубликовать? Приглашённым придёт сообщение, а за два часа — напоминание."),
        (
            "25.11.2026 16:30",
            "Опубликовать? Приглашённым придёт сообщение; мероприятие начнётся слишком скоро, напоминаний не будет.",
        ),
    ],
    ids=["in two weeks", "in three hours", "in ninety minutes"],
)
async def test_the_preview_promises_only_the_reminders_that_will_come(world: World, start: str, promise: str) -> None:
    staff = await world.staff(lang="ru")
    await _until_the_start(staff)
    await staff.send(start)
    await staff.press_data(AdmEvNew(act=NewAct.DURATION, id=60).pack())
    await staff.send("Бюджет")
    await staff.press("➡️ Далее")
    assert staff.last.text.endswith("\n\n" + promise)
    await staff.press("✅ Опубликовать")
    event_id = await world.db.fetchval("SELECT MAX(id) FROM events")
    promised = {24 * 60, 2 * 60} if start == START else {2 * 60} if "18:00" in start else set()
    stored = await world.db.fetchall("SELECT minutes_before FROM event_reminders WHERE event_id = ?", (event_id,))
    assert {r[0] for r in stored} == promised


async def test_initiatives_flagged_for_the_agenda_are_offered(world: World) -> None:
    from bot.rules.initiatives import Deadline
    from storage import initiatives
    from storage.db import Tx

    async def add(tx: Tx, number: int, topic: str, title: str, body: str) -> int:
        return await initiatives.add_sample(
            tx,
            rural_district_id=world.rural_district_id,
            number=number,
            village_id=world.village_ids[0],
            topic=topic,
            title=title,
            body=body,
            status="review",
            published=True,
            submitted_at=NOW,
            deadline=Deadline(NOW.date(), NOW, NOW),
        )

    async with world.db.transaction() as tx:
        flagged = await add(tx, 1, "roads", "Освещение улицы Абая", "Фонари")
        await add(tx, 2, "water", "Не набрала поддержки", "…")
        await tx.execute("UPDATE initiatives SET agenda_flagged_at = ? WHERE id = ?", (to_db(NOW), flagged))
    staff = await world.staff(lang="ru")
    await _until_the_start(staff)
    await staff.send(START)
    await staff.press("1 ч")
    assert "➕ Освещение улицы Абая" in staff.last.buttons
    assert not [b for b in staff.last.buttons if "Не набрала" in b]
    sent = await staff.press_data(AdmEvNew(act=NewAct.INITIATIVE, id=99).pack())  # not offered: refused
    assert "Этой инициативы нет в списке для повестки." in [r.text for r in sent]
    await staff.press("➕ Освещение улицы Абая")
    await staff.press("➡️ Далее")
    await staff.press("✅ Опубликовать")
    row = await world.db.fetchone("SELECT text, initiative_id FROM event_agenda")
    assert tuple(row) == ("Освещение улицы Абая", flagged)


# --- residents: the calendar, answers, the .ics -----------------------------------------------


async def test_upcoming_soonest_first_and_past_ones_apart(world: World) -> None:
    staff = await world.staff(lang="ru")
    await plan(staff, start="20.12.2026 11:00", title_kk="Кейінгі", title_ru="Позже")
    await plan(staff, start="01.12.2026 18:30", title_kk="Ертерек", title_ru="Раньше")
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press("📅 Мероприятия")
    assert ivan.last.buttons[:2] == ["01.12 18:30 · Раньше", "20.12 11:00 · Позже"]
    world.clock.set(datetime(2026, 12, 5, 10, 0, tzinfo=UTC))
    await ivan.press("📅 Мероприятия")
    assert ivan.last.buttons[0] == "20.12 11:00 · Позже"
    await ivan.press("🗂 Прошедшие")
    assert ivan.last.buttons[0] == "01.12 18:30 · Раньше"
    await ivan.press("01.12 18:30 · Раньше")
    assert "Протокол ещё не опубликован." in ivan.last.text
    assert "Приду" not in ivan.last.buttons


async def test_answer_is_kept_and_can_be_changed(world: World) -> None:
    staff, event_id = await planned(world)
    aigerim = await world.resident("Aigerim")
    await aigerim.press("📅 Іс-шаралар")
    await aigerim.press("10.12 15:00 · Көктемгі жиын")
    await aigerim.press("Келемін")
    assert "Сіздің жауабыңыз: келемін." in aigerim.last.text
    assert "☑️ Келемін" in aigerim.last.buttons
    await aigerim.press("Келе алмаймын")
    assert await store.answer_of(world.db, event_id, await aigerim.person_id()) == "no"
    await staff_event(staff, "10.12 15:00 · Весенний сход")
    assert "• Аксай: 0 / 1" in staff.last.text
    assert "Всего: придут — 0, не смогут — 1." in staff.last.text


async def test_staff_see_answers_per_village(world: World) -> None:
    staff, event_id = await planned(world)
    for name, village, answer in (("A", 0, "Приду"), ("B", 0, "Приду"), ("C", 1, "Приду"), ("D", 1, "Не смогу")):
        resident = await world.resident(name, lang="ru", village=village)
        await resident.press_data(Ev(act=EvAct.OPEN, id=event_id).pack())
        await resident.press(answer)
    await staff_event(staff, "10.12 15:00 · Весенний сход")
    assert "• Аксай: 2 / 0\n• Бесагаш: 1 / 1" in staff.last.text
    assert "Приглашено: 5" in staff.last.text


async def test_answering_needs_consent_and_resumes_after_it(world: World) -> None:
    _, event_id = await planned(world)
    ivan = await world.resident("Ivan", lang="ru", consent=False)
    await ivan.press_data(Ev(act=EvAct.OPEN, id=event_id).pack())
    await ivan.press("Приду")
    assert await store.answer_of(world.db, event_id, await ivan.person_id()) is None
    assert "Согласие на обработку персональных данных" in ivan.last.text
    await ivan.press("✅ Даю согласие")
    await ivan.press("▶️ Продолжить")
    assert await store.answer_of(world.db, event_id, await ivan.person_id()) == "yes"
    assert "Ваш ответ: приду." in ivan.last.text


async def test_an_event_in_the_past_cannot_be_answered(world: World) -> None:
    _, event_id = await planned(world)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data(Ev(act=EvAct.OPEN, id=event_id).pack())
    world.clock.set(START_UTC + timedelta(minutes=1))
    await ivan.press("Приду")  # the old card's button
    assert ivan.last.text == "Это мероприятие уже началось или отменено: ответы больше не принимаются."
    assert await store.answer_of(world.db, event_id, await ivan.person_id()) is None


async def test_calendar_file_is_rfc5545_in_utc_with_crlf(world: World) -> None:
    _, event_id = await planned(world)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data(Ev(act=EvAct.OPEN, id=event_id).pack())
    sent = await ivan.press("📆 В календарь")
    document = next(r for r in sent if r.method == "sendDocument")
    content = document.params["document"].decode("utf-8")
    assert content.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert content.endswith("END:VCALENDAR\r\n")
    assert "\n" not in content.replace("\r\n", "")
    assert "DTSTART:20261210T100000Z\r\n" in content
    assert "DTEND:20261210T120000Z\r\n" in content
    assert "SUMMARY:Сход: Весенний сход\r\n" in content
    assert all(len(line.encode()) <= 75 for line in content.split("\r\n"))


def test_long_ics_lines_are_folded_without_breaking_letters() -> None:
    item = rules.FeedItem(
        uid="u",
        starts_at=START_UTC,
        ends_at=START_UTC + timedelta(hours=1),
        summary="Жиын; " * 30,
        location="Ақсай, Мәдениет үйі",
        description="1. Бюджет\n2. Жол",
    )
    text = rules.ics(item, stamp=START_UTC)
    lines = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:" + "Жиын\\; " * 30 in unfolded
    assert "DESCRIPTION:1. Бюджет\\n2. Жол" in unfolded


# --- reminders ---------------------------------------------------------------------------


async def test_reminders_a_day_and_two_hours_before_once_even_after_a_restart(world: World) -> None:
    staff = await world.staff(lang="ru")
    aigerim = await world.resident("Aigerim")
    event_id = await plan(staff)
    assert [(m, s) for m, _due, s in await store.reminders(world.db, event_id)] == [(1440, "pending"), (120, "pending")]
    world.clock.set(START_UTC - timedelta(hours=24, minutes=1))
    await world.tick()
    assert await queued(world, "reminder") == []
    world.clock.advance(minutes=2)
    await world.tick()
    await world.tick()
    await world.restart()
    await world.tick()
    reminders = await queued(world, "reminder")
    assert sorted(p for p, _k, _t in reminders) == [await staff.person_id(), await aigerim.person_id()]
    await world.deliver()
    reminder = [t for t in aigerim.texts() if t.startswith("⏰")]
    assert len(reminder) == 1 and reminder[0].startswith("⏰ <b>Еске салу</b>\nЖиын: Көктемгі жиын\n🕒 бейсенбі, ")
    assert "15:00–17:00\n📍 Дом культуры" in reminder[0]
    world.clock.set(START_UTC - timedelta(hours=2))
    await world.tick()
    assert len(await queued(world, "reminder")) == 4
    assert [s for _m, _d, s in await store.reminders(world.db, event_id)] == ["sent", "sent"]


async def test_a_reminder_missed_during_downtime_is_skipped(world: World) -> None:
    _, event_id = await planned(world)
    # the bot was down from before the day-before reminder until 40 minutes after it
    world.clock.set(START_UTC - timedelta(hours=24) + timedelta(minutes=world.settings.reminder_late_minutes + 10))
    await world.restart()
    await world.tick()
    assert await queued(world, "reminder") == []
    assert [s for _m, _d, s in await store.reminders(world.db, event_id)] == ["skipped", "pending"]
    # within the margin it is still sent
    world.clock.set(START_UTC - timedelta(hours=2) + timedelta(minutes=world.settings.reminder_late_minutes - 5))
    await world.tick()
    assert len(await queued(world, "reminder")) == 1


async def test_a_person_can_turn_reminders_off(world: World) -> None:
    staff = await world.staff(lang="ru")
    aigerim = await world.resident("Aigerim")
    await aigerim.press("⚙️ Баптаулар")
    await aigerim.press("🔔 Іс-шаралар туралы еске салу")
    await plan(staff)
    assert await reminded_two_hours_before(world) == [await staff.person_id()]


async def test_those_who_cannot_come_are_not_reminded(world: World) -> None:
    staff, ivan, event_id = await planned_for_ivan(world)
    await ivan.press_data(Ev(act=EvAct.OPEN, id=event_id).pack())
    await ivan.press("Не смогу")
    assert await reminded_two_hours_before(world) == [await staff.person_id()]


# --- moving and cancelling ------------------------------------------------------------------


async def test_moving_tells_the_invited_and_reminders_follow(world: World) -> None:
    staff, ivan, event_id = await planned_for_ivan(world)
    await staff.press("🕒 Перенести")
    await staff.send("12.12.2026 10:00")
    assert staff.inbox[-2].text == "Перенесено. Приглашённым придёт сообщение."
    assert "суббота, 12 декабря 2026 г., 10:00–12:00" in plain(staff.last.text)
    assert [(m, d) for m, d, _s in await store.reminders(world.db, event_id)] == [
        (1440, "2026-12-11T05:00:00.000Z"),
        (120, "2026-12-12T03:00:00.000Z"),
    ]
    await world.deliver()
    assert plain(ivan.last.text).startswith(
        "🕒 <b>Время изменилось</b>\nСход: Весенний сход\nНовое время: суббота, 12 декабря 2026 г., 10:00–12:00"
    )
    assert await reminded_two_hours_before(world) == []  # the old moment: nothing


async def test_a_cancelled_event_sends_no_reminder(world: World) -> None:
    staff, ivan, event_id = await planned_for_ivan(world)
    await staff.press("❌ Отменить")
    await staff.press("Да, отменить")
    assert staff.last.text == "Отменено. Приглашённым придёт сообщение."
    await world.deliver()
    assert ivan.last.text.startswith("❌ <b>Отменено</b>\nСход: Весенний сход")
    assert [s for _m, _d, s in await store.reminders(world.db, event_id)] == ["cancelled", "cancelled"]
    assert await reminded_two_hours_before(world) == []
    await ivan.press("📅 Мероприятия")
    assert "Пока мероприятий не запланировано." in ivan.last.text
    await ivan.press_data(Ev(act=EvAct.YES, id=event_id).pack())
    assert await store.answer_of(world.db, event_id, await ivan.person_id()) is None


# --- quiet hours and notices about events ------------------------------------------------------

NIGHT = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # 23:00 in Almaty: quiet hours until 08:00
MORNING = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 08:00 in Almaty


def about(person: Person, title: str) -> list[str]:
    return [plain(t) for t in person.texts() if title in t]


def test_a_notice_is_due_by_the_first_moment_people_might_come_and_expires_at_the_start() -> None:
    early, late = START_UTC, START_UTC + timedelta(days=1)
    assert rules.notice_times(early) == (early, early)
    assert rules.notice_times(late, was=early) == (early, late)  # moved later: people might come at the old time
    assert rules.notice_times(early, was=late) == (early, early)  # moved earlier


async def test_quiet_hours_never_hold_a_notice_past_the_start_of_its_event(world: World) -> None:
    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru")
    world.clock.set(NIGHT)
    await plan(staff, start="26.11.2026 07:30", title_ru="Ранний сход")
    await plan(staff, start="26.11.2026 10:00", title_ru="Дневной сход")
    await world.deliver()
    assert len(about(ivan, "Ранний сход")) == 1  # at once: the morning would be too late
    assert about(ivan, "Дневной сход") == []  # it waits for the morning, well before it starts
    world.clock.set(MORNING)
    await world.deliver()
    assert len(about(ivan, "Дневной сход")) == 1


async def test_a_move_at_night_goes_out_at_once_and_the_invitation_it_replaces_never_does(world: World) -> None:
    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru")
    world.clock.set(NIGHT)
    event_id = await plan(staff, start="26.11.2026 10:00")
    await world.deliver()
    assert about(ivan, "Весенний сход") == []  # the invitation waits for the morning
    await staff.press("🕒 Перенести")
    await staff.send("26.11.2026 07:30")
    await world.deliver()
    (moved,) = about(ivan, "Весенний сход")
    assert moved.startswith(
        "🕒 <b>Время изменилось</b>\nСход: Весенний сход\nНовое время: четверг, 26 ноября 2026 г., 07:30"
    )
    world.clock.set(MORNING)
    await world.deliver()
    assert about(ivan, "Весенний сход") == [moved]  # the stale invitation never follows
    states = await world.db.fetchall(
        "SELECT o.state FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
        " WHERE m.source_type = 'event' AND m.source_id = ? AND o.person_id = ? ORDER BY o.id",
        (event_id, await ivan.person_id()),
    )
    assert [r[0] for r in states] == ["cancelled", "sent"]


async def test_a_cancellation_in_the_morning_is_not_preceded_by_the_invitation_it_cancels(world: World) -> None:
    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru")
    world.clock.set(NIGHT)
    await plan(staff, start="26.11.2026 10:00")
    await staff.press("❌ Отменить")
    await staff.press("Да, отменить")
    await world.deliver()
    assert about(ivan, "Весенний сход") == []  # both wait for the morning: the event is at 10:00
    world.clock.set(MORNING)
    await world.deliver()
    (cancelled,) = about(ivan, "Весенний сход")
    assert cancelled.startswith("❌ <b>Отменено</b>\nСход: Весенний сход")


async def test_a_notice_about_an_event_is_never_sent_after_it_began(world: World) -> None:
    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru")
    event_id = await plan(staff, start="25.11.2026 16:30")
    world.clock.set(datetime(2026, 11, 25, 11, 31, tzinfo=UTC))  # 16:31: the sender was down till now
    await world.deliver()
    assert about(ivan, "Весенний сход") == []
    rows = await world.db.fetchall(
        "SELECT o.state, o.error FROM outbox o JOIN outbox_messages m ON m.id = o.message_id"
        " WHERE m.source_type = 'event' AND m.source_id = ?",
        (event_id,),
    )
    assert rows and {(r[0], r[1]) for r in rows} == {("skipped", "expired: the event it is about has begun")}


# --- who may change what --------------------------------------------------------------------


async def test_a_resident_cannot_create_or_change_events_with_forged_buttons(world: World) -> None:
    _, event_id = await planned(world)
    ivan = await world.resident("Ivan", lang="ru")
    for data in (
        AdminMenu(section="events").pack(),
        AdmEv(act=AdmAct.NEW).pack(),
        AdmEv(act=AdmAct.CANCEL_YES, id=event_id).pack(),
        AdmEv(act=AdmAct.MOVE, id=event_id).pack(),
        AdmEvNew(act=NewAct.PUBLISH).pack(),
        AdmRep(act=RepAct.ADD).pack(),
        AdmRep(act=RepAct.CHAIR, id=await ivan.person_id()).pack(),
    ):
        await ivan.press_data(data)
        assert ivan.last.text == "Это действие доступно только сотрудникам аппарата акима."
    await ivan.send("11.12.2026 10:00")
    row = await world.db.fetchone("SELECT status, starts_at FROM events WHERE id = ?", (event_id,))
    assert tuple(row) == ("scheduled", "2026-12-10T10:00:00.000Z")
    assert await world.db.fetchval("SELECT COUNT(*) FROM events") == 1
    assert await world.db.fetchval("SELECT COUNT(*) FROM roles WHERE role IN ('representative', 'chair')") == 0


async def test_the_invitation_button_is_versioned_and_an_old_one_is_answered_politely(world: World) -> None:
    _, ivan, event_id = await planned_for_ivan(world)
    buttons = await world.db.fetchval("SELECT json_extract(buttons_json, '$.ru') FROM outbox_messages")
    assert Ev(act=EvAct.OPEN, id=event_id).pack() in buttons and '"ev1:open:' in buttons
    await world.deliver()
    await ivan.press("📅 Открыть")
    assert "<b>Весенний сход</b>" in ivan.last.text
    # a button of the release before the version, still in a chat or in the outbox
    await ivan.press_data(f"ev:yes:{event_id}")
    assert ivan.last.text == "Эта кнопка устарела. Вот главное меню."
    assert await store.answer_of(world.db, event_id, await ivan.person_id()) is None


async def test_storage_refuses_staff_of_another_district_whatever_the_handler_checked(world: World) -> None:
    _, event_id = await planned(world)
    rep = await world.resident("Rep")
    await make_representative(world, rep)
    other_rd = await world.add_rural_district("Көктөбе", "Коктобе", (("Көктөбе", "Коктобе"),))
    stranger = Actor(STAFF_KIND, person_id=None, telegram_id=1, rural_district_id=other_rd)
    audited = await world.db.fetchval("SELECT COUNT(*) FROM audit_log")
    rep_id = await rep.person_id()
    with pytest.raises(NotAllowed):
        await store.move(world.db, stranger, event_id, START_UTC + timedelta(days=1), now=NOW)
    with pytest.raises(NotAllowed):
        await store.cancel(world.db, stranger, event_id, now=NOW)
    with pytest.raises(NotAllowed):
        await store.change_member(world.db, stranger, world.rural_district_id, rep_id, store.MemberChange.REMOVE)
    with pytest.raises(NotAllowed):
        await store.add_representative(world.db, stranger, world.rural_district_id, rep_id)
    row = await world.db.fetchone("SELECT status, starts_at FROM events WHERE id = ?", (event_id,))
    assert tuple(row) == ("scheduled", "2026-12-10T10:00:00.000Z")
    assert await store.is_representative(world.db, world.rural_district_id, await rep.person_id())
    assert await world.db.fetchval("SELECT COUNT(*) FROM audit_log") == audited


async def test_staff_of_another_district_cannot_touch_this_ones_events(world: World) -> None:
    _, event_id = await planned(world)
    other_rd = await koktobe(world)
    stranger = await world.staff("Stranger", lang="ru", rural_district_id=other_rd)
    await stranger.press_data(AdmEv(act=AdmAct.CANCEL_YES, id=event_id).pack())
    assert stranger.last.text == "Это мероприятие больше недоступно."
    await stranger.press_data(Ev(act=EvAct.OPEN, id=event_id).pack())
    assert stranger.last.text == "Это мероприятие больше недоступно."
    assert await world.db.fetchval("SELECT status FROM events WHERE id = ?", (event_id,)) == "scheduled"


# --- representatives --------------------------------------------------------------------------


async def test_staff_mark_representatives_and_one_chair_and_see_gaps(world: World) -> None:
    staff = await world.staff(lang="ru")
    rep = await world.resident("Rep", village=1)
    other = await world.resident("Other", village=1)
    await staff.press("🛠 Управление")
    assert "⚠️ Сёла без представителя: Аксай, Бесагаш" in staff.last.text
    await staff.press("👥 Представители")
    assert "• Бесагаш: ⚠️ нет представителя" in staff.last.text
    await staff.press("➕ Добавить")
    await staff.send("не номер")
    assert staff.last.text.startswith("Это не похоже на номер телефона.")
    await staff.send("+7 701 000 00 00")
    assert staff.last.text.startswith("Житель этого сельского округа не найден.")
    await staff.feed(
        {
            "message": staff._message(
                contact={"phone_number": "77010000001", "first_name": "Rep", "user_id": rep.user_id}
            )
        }
    )
    assert staff.inbox[-2].text == "Готово: теперь житель — представитель своего села."
    assert f"• Бесагаш: Telegram id {rep.user_id}" in staff.last.text
    await staff.press("🛠 Управление")
    assert "⚠️ Сёла без представителя: Аксай" in staff.last.text
    await staff.press("👥 Представители")
    await staff.press("➕ Добавить")
    await staff.feed(
        {
            "message": staff._message(
                contact={"phone_number": "77010000002", "first_name": "O", "user_id": other.user_id}
            )
        }
    )
    await staff.press(f"Telegram id {rep.user_id} · Бесагаш")
    await staff.press("⭐ Сделать председателем")
    assert f"Председатель собрания: Telegram id {rep.user_id}" in staff.last.text
    await staff.press(f"Telegram id {other.user_id} · Бесагаш")
    await staff.press("⭐ Сделать председателем")
    chairs = await world.db.fetchall("SELECT person_id FROM roles WHERE role = 'chair'")
    assert [r[0] for r in chairs] == [await other.person_id()]
    await staff.press(f"⭐ Telegram id {other.user_id} · Бесагаш")
    await staff.press("🗑 Убрать")
    assert await world.db.fetchval("SELECT COUNT(*) FROM roles WHERE person_id = ?", (await other.person_id(),)) == 0
    audit = await world.db.fetchall(
        "SELECT action FROM audit_log WHERE action LIKE '%representative%' OR action LIKE 'chair%' ORDER BY id"
    )
    assert [a[0] for a in audit] == [
        "representative_added",
        "representative_added",
        "chair_set",
        "chair_set",
        "representative_removed",
    ]


# --- after the event: the protocol --------------------------------------------------------------


async def test_protocol_and_akim_report_are_published_and_the_invited_told(world: World) -> None:
    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru")
    event_id = await plan(staff, report=True)
    await staff.press_data(AdmEv(act=AdmAct.PROTOCOL, id=event_id).pack())
    assert staff.last.text == "Протокол можно приложить только после мероприятия."
    world.clock.set(START_UTC + timedelta(hours=3))
    await staff_event(staff, "📎 10.12 15:00 · Весенний сход")
    assert "Протокол: ещё не приложен." in staff.last.text
    await staff.press("📎 Протокол")
    sent = await staff.press_data(AdmEv(act=AdmAct.ATTACH_DONE).pack())
    assert any(r.params.get("text") == "Сначала отправьте документ или текст." for r in sent)
    await staff.send_document("PROT1", "protocol.pdf")
    await staff.send("Решили: отремонтировать дорогу.")
    await staff.press("✅ Опубликовать")
    assert staff.inbox[-2].text == "Опубликовано. Всем приглашённым придёт сообщение."
    assert "Протокол: опубликован." in staff.last.text
    await staff.press("📎 Отчёт акима")
    await staff.send("Отчёт за 2026 год.")
    await staff.press("✅ Опубликовать")
    event = await store.get(world.db, event_id, world.rural_district_id)
    assert event is not None and event.protocol_file_id == "PROT1" and event.report_text == "Отчёт за 2026 год."
    docs = await world.db.fetchall("SELECT kind, event_id FROM documents ORDER BY id")
    assert [tuple(d) for d in docs] == [("protocol_gathering", event_id), ("akim_report", event_id)]
    await world.deliver()
    assert any(t.startswith("📄 Опубликован протокол.\nСход: Весенний сход") for t in ivan.texts())
    await ivan.press("📅 Мероприятия")
    await ivan.press("🗂 Прошедшие")
    await ivan.press("10.12 15:00 · Весенний сход")
    assert "<b>Протокол</b>\nРешили: отремонтировать дорогу." in ivan.last.text
    assert "<b>Отчёт акима</b>\nОтчёт за 2026 год." in ivan.last.text
    sent = await ivan.press("📄 Протокол")
    assert any(r.method == "sendDocument" and r.params["document"] == "PROT1" for r in sent)


async def test_meeting_protocol_is_a_meeting_protocol_and_has_no_akim_report(world: World) -> None:
    staff = await world.staff(lang="ru")
    event_id = await plan(staff, kind="Собрание")
    world.clock.set(START_UTC + timedelta(hours=3))
    await staff.press_data(AdmEv(act=AdmAct.REPORT, id=event_id).pack())
    assert staff.last.text == "Отчёт акима заслушивается только на сходе, где он запланирован."
    await staff.press_data(AdmEv(act=AdmAct.PROTOCOL, id=event_id).pack())
    await staff.send("Протокол собрания.")
    await staff.press("✅ Опубликовать")
    assert await world.db.fetchval("SELECT kind FROM documents WHERE event_id = ?", (event_id,)) == "protocol_meeting"
