"""User text shown back is HTML-escaped everywhere: the fake Telegram refuses HTML it cannot parse,
so each of these would fail loudly if a handler put raw text into a message."""

from __future__ import annotations

from tests.harness import World
from tests.test_documents import open_documents, publish

HOSTILE = "<script>alert('x')</script> & <b>"


async def test_a_search_word_is_shown_back_escaped(world: World) -> None:
    await publish(world)
    aigerim = await world.resident()
    await open_documents(aigerim)
    await aigerim.press("🔍 Іздеу")
    await aigerim.send(HOSTILE)
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;" in aigerim.last.text
    assert world.telegram.violations == []


async def test_a_question_about_a_report_reaches_staff_escaped(world: World) -> None:
    report = await publish(world, kind="akim_report", title_kk="Әкімнің есебі 2026", text_kk="Есеп мәтіні")
    aigerim = await world.resident()
    await aigerim.press_data(f"doc:a:{report}")
    await aigerim.send(HOSTILE)
    stored = await world.db.fetchval("SELECT text FROM report_questions")
    assert stored == HOSTILE  # kept as written, escaped only when shown
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data(f"doc:q:{report}")  # the questions under the report, as other residents see them
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;" in ivan.last.text
    staff = await world.staff()
    await staff.send("🛠 Басқару")
    await staff.press("📄 Құжаттар")
    await staff.press("❓ Сұрақтар (1)")
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in staff.last.text
    assert world.telegram.violations == []


async def test_a_contest_and_project_title_from_staff_are_shown_escaped(world: World) -> None:
    from datetime import timedelta

    from bot.keyboards.contests import Act, ContestCb
    from storage import contests
    from tests.harness import NOW

    contest = await contests.create(
        world.db,
        rural_district_id=world.rural_district_id,
        titles=(HOSTILE, ""),
        descriptions=(HOSTILE, ""),
        village_ids=world.village_ids,
        money={"budget": 1_000_000},
        opens_at=NOW - timedelta(hours=1),
        closes_at=NOW + timedelta(days=3),
        created_by=None,
        actor_telegram_id=None,
        actor_kind="cli",
    )
    for _ in range(2):
        await contests.add_project(
            world.db,
            contest_id=contest,
            rural_district_id=world.rural_district_id,
            titles=(HOSTILE, ""),
            descriptions=(HOSTILE, ""),
            category="park",
            village_id=None,
            cost=100_000,
            photo_file_id=None,
            actor_telegram_id=None,
            actor_kind="cli",
        )
    await contests.publish(
        world.db,
        contest_id=contest,
        rural_district_id=world.rural_district_id,
        now=NOW,
        actor_telegram_id=None,
        texts={"kk": "…", "ru": "…"},
        buttons=None,
        actor_kind="cli",
    )
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("🗳 Конкурсы")
    assert "&lt;script&gt;" in ivan.last.text
    await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest).pack())
    assert "&lt;script&gt;" in ivan.last.text and "<script>" not in ivan.last.text
    assert world.telegram.violations == []
