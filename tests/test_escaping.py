"""User text shown back is HTML-escaped everywhere: the fake Telegram refuses HTML it cannot parse,
so each of these would fail loudly if a handler put raw text into a message."""

from __future__ import annotations

from bot.keyboards.documents import Doc, DocAct
from tests.harness import World, published_contest
from tests.steps import published_document
from tests.test_documents import open_documents

HOSTILE = "<script>alert('x')</script> & <b>"


async def test_a_search_word_is_shown_back_escaped(world: World) -> None:
    await published_document(world)
    aigerim = await world.resident()
    await open_documents(aigerim)
    await aigerim.press("🔍 Іздеу")
    await aigerim.send(HOSTILE)
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;" in aigerim.last.text
    assert world.telegram.violations == []


async def test_a_question_about_a_report_reaches_staff_escaped(world: World) -> None:
    report = await published_document(world, kind="akim_report", title_kk="Әкімнің есебі 2026", text_kk="Есеп мәтіні")
    aigerim = await world.resident()
    await aigerim.press_data(Doc(act=DocAct.ASK, id=report).pack())
    await aigerim.send(HOSTILE)
    stored = await world.db.fetchval("SELECT text FROM report_questions")
    assert stored == HOSTILE  # kept as written, escaped only when shown
    ivan = await world.resident("Ivan", lang="ru")
    # the questions under the report, as other residents see them
    await ivan.press_data(Doc(act=DocAct.QUESTIONS, id=report).pack())
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;" in ivan.last.text
    staff = await world.staff()
    await staff.send("🛠 Басқару")
    await staff.press("📄 Құжаттар")
    await staff.press("❓ Сұрақтар (1)")
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in staff.last.text
    assert world.telegram.violations == []


async def test_a_contest_and_project_title_from_staff_are_shown_escaped(world: World) -> None:
    from bot.keyboards.contests import Act, ContestCb

    contest, _projects = await published_contest(
        world,
        [(HOSTILE, 100_000), (HOSTILE, 100_000)],
        titles=(HOSTILE, ""),
        descriptions=(HOSTILE, ""),
        project_descriptions=(HOSTILE, ""),
    )
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("🗳 Конкурсы")
    assert "&lt;script&gt;" in ivan.last.text
    await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest).pack())
    assert "&lt;script&gt;" in ivan.last.text and "<script>" not in ivan.last.text
    assert world.telegram.violations == []


AMPERSAND = "Свет & вода (<50%)"
SHOWN = "Свет &amp; вода (&lt;50%)"


async def test_an_initiative_with_ampersands_reads_as_written_on_every_screen(world: World) -> None:
    """The fake Telegram fails the test on any «&amp;» a person would read: the text escaped twice."""
    from tests.test_initiatives import open_in_queue, publish, submitted

    staff = await world.staff()
    aigerim = await world.resident()
    await submitted(world, aigerim, title=AMPERSAND, body=AMPERSAND + " — body")
    await world.deliver()  # the staff's notice of a new initiative
    assert any(SHOWN in t for t in staff.texts())
    await open_in_queue(staff, 1)
    assert SHOWN in staff.last.text
    await publish(world, staff, 1)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("💡 Инициативы")
    await ivan.press("👥 Инициативы округа")
    assert SHOWN in ivan.last.text
    await ivan.press("№1 Свет & вода")
    assert SHOWN in ivan.last.text
    await aigerim.send("💡 Бастамалар")
    await aigerim.press("📋 Менің бастамаларым")
    assert SHOWN in aigerim.last.text
    assert world.telegram.violations == []


async def test_an_event_with_ampersands_reads_as_written_in_its_card_notice_and_reminder(world: World) -> None:
    from datetime import timedelta

    from tests.test_events import START_UTC, plan

    staff = await world.staff(lang="ru")
    ivan = await world.resident("Ivan", lang="ru")
    await plan(staff, title_ru=AMPERSAND, place="Клуб & школа <1>", agenda="1. Бюджет & дороги")
    assert SHOWN in staff.last.text and "Клуб &amp; школа &lt;1&gt;" in staff.last.text
    await world.deliver()
    assert SHOWN in ivan.last.text
    await ivan.press("📅 Открыть")
    assert "1. Бюджет &amp; дороги" in ivan.last.text
    world.clock.set(START_UTC - timedelta(hours=24))
    await world.tick()
    await world.deliver()
    assert "⏰" in ivan.last.text and SHOWN in ivan.last.text
    assert world.telegram.violations == []


async def test_a_long_text_of_ampersands_is_cut_as_text_never_inside_an_entity(world: World) -> None:
    """«&» is five characters of HTML but one on the screen: a card is cut before escaping, never after."""
    from tests.test_initiatives import submitted

    aigerim = await world.resident()
    await submitted(world, aigerim, title="Белгілер", body="& " * 1000)
    await aigerim.send("💡 Бастамалар")
    await aigerim.press("📋 Менің бастамаларым")
    await aigerim.press("№1 Белгілер")
    assert aigerim.last.text.count("&amp;") >= 900
    assert world.telegram.violations == []
