"""Project contests: staff create and publish, residents vote (once, changeably, with consent and their
own phone number), the scheduler closes at the deadline, results rank and fund; forged buttons change nothing."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.keyboards.contests import Act, AdmAct, AdminContestCb, ContestCb, FormAct, FormCb
from bot.rules import contests as rules
from bot.rules import phones
from bot.rules.errors import NotAllowed
from tests.harness import NOW, Person, World, published_contest
from tests.steps import koktobe, vote, voted, with_phone

# --- helpers: the staff's data, set up the way the admin flow stores it --------------------------


def plain(text: str) -> str:
    """Babel groups digits with no-break spaces; compare with ordinary ones."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


async def votes(world: World, contest_id: int) -> list[tuple[int, int, str]]:
    rows = await world.db.fetchall(
        "SELECT person_id, project_id, phone FROM contest_votes WHERE contest_id = ? ORDER BY id", (contest_id,)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


# --- the rules, with plain values --------------------------------------------------------------


def test_funding_goes_down_the_ranking_and_skips_what_does_not_fit() -> None:
    tallies = [
        rules.Tally(1, cost=3_000_000, online=50),
        rules.Tally(2, cost=4_000_000, online=40),
        rules.Tally(3, cost=1_500_000, online=30),
        rules.Tally(4, cost=500_000, online=0, offline=0),
    ]
    result = rules.results(tallies, budget=5_000_000)
    assert [r.project_id for r in result.ranked] == [1, 2, 3, 4]
    assert [r.funded for r in result.ranked] == [True, False, True, False]
    assert result.spent == 4_500_000 and result.left == 500_000
    # the project with no votes would fit in what is left, and is still not funded
    assert result.of(4) is not None and not result.of(4).funded  # type: ignore[union-attr]


def test_ties_go_to_the_cheaper_project_then_the_one_entered_first() -> None:
    tallies = [
        rules.Tally(1, cost=2_000_000, online=10),
        rules.Tally(2, cost=1_000_000, online=10),
        rules.Tally(3, cost=1_000_000, online=7, offline=3),
    ]
    result = rules.results(tallies, budget=2_000_000)
    assert [r.project_id for r in result.ranked] == [2, 3, 1]
    assert [r.funded for r in result.ranked] == [True, True, False]
    assert [r.rank for r in result.ranked] == [1, 2, 3]


def test_online_and_offline_votes_rank_together_with_shares() -> None:
    result = rules.results([rules.Tally(1, 100, online=3, offline=0), rules.Tally(2, 100, online=1, offline=4)], 150)
    assert [r.project_id for r in result.ranked] == [2, 1]
    assert (result.online, result.offline, result.total) == (4, 4, 8)
    assert result.ranked[0].share == pytest.approx(5 / 8)
    assert [r.funded for r in result.ranked] == [True, False]


def test_phase_counts_the_deadline_before_the_scheduler_does() -> None:
    opens, closes = NOW, NOW + timedelta(hours=2)
    assert rules.phase("draft", opens, closes, NOW) is rules.Phase.DRAFT
    assert rules.phase("published", opens, closes, NOW - timedelta(minutes=1)) is rules.Phase.UPCOMING
    assert rules.phase("published", opens, closes, NOW) is rules.Phase.OPEN
    assert rules.phase("published", opens, closes, closes) is rules.Phase.CLOSED
    assert rules.may_vote(rules.Phase.OPEN, {1, 2}, 3) is rules.Refusal.NOT_COVERED
    assert rules.may_vote(rules.Phase.OPEN, {1, 2}, 2) is None
    assert rules.may_vote(rules.Phase.CLOSED, {1, 2}, 2) is rules.Refusal.CLOSED


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("77011234567", "+77011234567"),
        ("+77011234567", "+77011234567"),
        ("+7 701 123 45 67", "+77011234567"),
        ("8 701 123 45 67", "+77011234567"),
        ("8 (747) 123-45-67", "+77471234567"),
        ("87771234567", "+77771234567"),
    ],
)
def test_kazakhstan_mobile_numbers_are_stored_in_one_form(raw: str, stored: str) -> None:
    assert phones.mobile(raw) == stored


@pytest.mark.parametrize(
    "raw",
    ["+79161234567", "79161234567", "7011234567", "+7 701 123 45", "phone", "", "+7 727 123 45 67", "+77211234567"],
)
def test_other_numbers_are_not_kazakhstan_mobiles(raw: str) -> None:
    assert phones.mobile(raw) is None


def test_a_kazakhstan_landline_is_a_number_but_not_a_mobile() -> None:
    assert phones.normalize("8 7272 12 34 56") == "+77272123456"
    assert not phones.is_mobile("+77272123456")


def test_money_and_local_times_are_read_as_people_type_them() -> None:
    assert rules.parse_money("1 500 000") == 1_500_000
    assert rules.parse_money("1500000 ₸") == 1_500_000
    assert rules.parse_money("0") == 0
    assert rules.parse_money("1,5 млн") is None
    assert rules.parse_money("-5") is None
    at = rules.parse_local("01.12.2026 09:00", "Asia/Almaty")
    assert at is not None and at.astimezone(UTC) == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    assert rules.parse_local("31.02.2026 09:00", "Asia/Almaty") is None


# --- residents vote ---------------------------------------------------------------------------


async def test_resident_browses_projects_and_votes_with_her_own_phone(world: World) -> None:
    contest_id, (_playground, sports) = await published_contest(world)
    aigerim = await world.resident("Aigerim")
    await aigerim.press("🗳 Конкурстар")
    assert "Саябақ жобалары" in aigerim.last.text
    await aigerim.press("Саябақ жобалары")
    assert "Ауылға не керек?" in aigerim.last.text
    assert "5 000 000 ₸" in plain(aigerim.last.text)
    await aigerim.press("🗳 Жобалар, дауыс беру")
    assert "1/2. Балалар ойын алаңы" in aigerim.last.text
    assert "2 000 000 ₸" in plain(aigerim.last.text) and "Ақсай" in aigerim.last.text
    await aigerim.press("▶️")
    assert "2/2. Спорт алаңы" in aigerim.last.text
    await aigerim.press("🗳 Дауыс беру")
    assert "«Спорт алаңы»" in aigerim.last.text
    await aigerim.press("✅ Иә, дауыс беремін")
    # no phone yet: the contact button, on a reply keyboard
    keyboard = aigerim.last.markup["keyboard"]
    assert keyboard[0][0]["request_contact"] is True
    assert await votes(world, contest_id) == []
    await aigerim.share_contact("77011234567")
    assert "дауысыңыз есептелді" in aigerim.last.text
    assert "💡 Бастамалар" in aigerim.last.buttons  # the main menu is back instead of the contact button
    assert await aigerim.stored("phone") == "+77011234567"
    assert await votes(world, contest_id) == [(await aigerim.person_id(), sports, "+77011234567")]


async def test_vote_is_changed_not_duplicated_and_the_resident_sees_her_vote(world: World) -> None:
    contest_id, (playground, sports) = await published_contest(world)
    ivan = await voted(world, "Ivan", "+77071112233", contest_id, playground)
    assert "Ваш голос за «Балалар ойын алаңы (ru)» учтён" in ivan.last.text
    await vote(ivan, contest_id, sports)
    assert "Ваш голос изменён: теперь «Спорт алаңы (ru)»" in ivan.last.text
    rows = await world.db.fetchall("SELECT project_id, changes FROM contest_votes WHERE contest_id = ?", (contest_id,))
    assert [tuple(r) for r in rows] == [(sports, 1)]
    await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    assert "Ваш голос: «Спорт алаңы (ru)»" in ivan.last.text
    await ivan.press_data(ContestCb(act=Act.PROJECT, contest=contest_id, project=sports).pack())
    assert "Ваш голос — за этот проект" in ivan.last.text
    assert "🗳 Голосовать" not in ivan.last.buttons


async def asked_for_a_number(world: World, name: str = "Aigerim", lang: str = "kk") -> tuple[int, Person]:
    """A published contest, and a resident who pressed to vote for its playground: the bot asks for the number."""
    contest_id, (playground, _) = await published_contest(world)
    person = await world.resident(name, lang=lang)
    await vote(person, contest_id, playground)
    return contest_id, person


async def test_someone_elses_contact_is_refused(world: World) -> None:
    contest_id, aigerim = await asked_for_a_number(world)
    await aigerim.share_contact("77011234567", own=False)
    assert "басқа адамның контактісі" in aigerim.last.text
    assert await aigerim.stored("phone") is None
    assert await votes(world, contest_id) == []


async def test_a_number_that_is_not_a_kazakhstan_mobile_cannot_vote(world: World) -> None:
    contest_id, ivan = await asked_for_a_number(world, "Ivan", lang="ru")
    await ivan.share_contact("79161234567")
    assert "нужен мобильный номер Казахстана" in ivan.last.text
    assert await votes(world, contest_id) == []


async def test_typing_a_number_instead_of_the_button_is_not_accepted(world: World) -> None:
    contest_id, ivan = await asked_for_a_number(world, "Ivan", lang="ru")
    await ivan.send("+7 701 123 45 67")
    assert "нажмите кнопку «📱 Отправить мой номер»" in ivan.last.text
    await ivan.press("✖️ Отмена")
    assert "Голос не отдан" in ivan.inbox[-1].text
    assert await votes(world, contest_id) == []


async def test_voting_asks_for_consent_first_and_then_continues(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world)
    ivan = await world.resident("Ivan", lang="ru", consent=False)
    await ivan.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=playground).pack())
    assert any("Согласие на обработку персональных данных" in t for t in ivan.texts(-3))
    await ivan.press("✅ Даю согласие")
    await ivan.press("▶️ Продолжить")
    assert "Голосовать за «Балалар ойын алаңы (ru)»?" in ivan.last.text
    # a forged «yes» without consent is asked for consent again, not counted
    mira = await world.resident("Mira", lang="ru", consent=False)
    await with_phone(mira, "+77011230000")
    await mira.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=playground).pack())
    assert await votes(world, contest_id) == []


async def test_one_phone_number_votes_once_per_contest_across_accounts(world: World) -> None:
    contest_id, (playground, sports) = await published_contest(world)
    first = await world.resident("First", lang="ru")
    second = await world.resident("Second", lang="ru")
    await vote(first, contest_id, playground)
    await first.share_contact("77011234567")
    await vote(second, contest_id, sports)
    await second.share_contact("+7 701 123 45 67")
    assert "С этого номера телефона уже голосовали" in second.last.text
    assert [row[1] for row in await votes(world, contest_id)] == [playground]


async def test_the_contact_step_keeps_the_phone_and_the_vote_together_or_neither(world: World) -> None:
    """Phone saved, conversation ended, vote cast: one transaction. A refused vote keeps none of it,
    and the conversation ends all the same (a menu button then opens its section again)."""
    contest_id, (playground, _) = await published_contest(world, closes=NOW + timedelta(hours=1))
    ivan = await world.resident("Ivan", lang="ru")
    await vote(ivan, contest_id, playground)
    world.clock.advance(hours=1)  # the deadline passes while Ivan looks for the contact button
    await ivan.share_contact("77011234567")
    assert "Голосование в этом конкурсе закрыто" in ivan.last.text
    assert await ivan.stored("phone") is None and await votes(world, contest_id) == []
    assert await world.db.fetchval("SELECT COUNT(*) FROM fsm_states WHERE user_id = ?", (ivan.user_id,)) == 0
    await ivan.send("🗳 Конкурсы")
    assert "Проекты парков" in ivan.last.text


async def test_a_storm_of_concurrent_double_taps_stores_exactly_one_vote(world: World) -> None:
    contest_id, (playground, sports) = await published_contest(world)
    aigerim = await world.resident()
    await with_phone(aigerim, "+77011234567")
    await asyncio.gather(
        *(
            aigerim.press_data(
                ContestCb(act=Act.VOTE, contest=contest_id, project=playground if i % 3 else sports).pack()
            )
            for i in range(60)
        )
    )
    stored = await votes(world, contest_id)
    assert len(stored) == 1
    assert stored[0][0] == await aigerim.person_id()
    # and the database itself refuses a second row for the same person, whatever a handler does
    with pytest.raises(Exception, match="UNIQUE"):
        async with world.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO contest_votes (contest_id, project_id, person_id, phone, cast_at)"
                " VALUES (?, ?, ?, '+77019999999', 'x')",
                (contest_id, sports, stored[0][0]),
            )


async def test_a_stale_vote_button_after_the_deadline_is_refused_and_not_counted(world: World) -> None:
    contest_id, (playground, sports) = await published_contest(world, closes=NOW + timedelta(hours=1))
    ivan = await voted(world, "Ivan", "+77011234567", contest_id, playground)
    await ivan.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=sports).pack())
    world.clock.advance(hours=1)  # the deadline passes; the scheduler has not run yet
    await ivan.press("✅ Да, голосовать")
    assert "Голосование в этом конкурсе закрыто. Этот голос не учтён." in ivan.last.text
    assert [row[1] for row in await votes(world, contest_id)] == [playground]


async def test_residents_of_villages_the_contest_does_not_cover_cannot_vote(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world, village_ids=[world.village_ids[0]])
    ivan = await world.resident("Ivan", lang="ru", village=1)
    await with_phone(ivan, "+77011234567")
    await ivan.press("🗳 Конкурсы")
    assert "Проекты парков" not in ivan.last.text
    await ivan.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=playground).pack())
    assert "для других сёл" in ivan.last.text
    assert await votes(world, contest_id) == []


# --- forged callback data -----------------------------------------------------------------------


async def test_forged_vote_for_a_project_of_another_contest_is_refused(world: World) -> None:
    contest_id, _ = await published_contest(world)
    _other, (other_project, _x) = await published_contest(world)
    ivan = await world.resident("Ivan", lang="ru")
    await with_phone(ivan, "+77011234567")
    await ivan.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=other_project).pack())
    assert "Этот проект недоступен." in ivan.last.text
    assert await votes(world, contest_id) == [] and await votes(world, _other) == []


async def test_forged_vote_in_a_closed_contest_is_refused(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world, closes=NOW + timedelta(minutes=5))
    world.clock.advance(minutes=10)
    await world.tick()
    ivan = await world.resident("Ivan", lang="ru")
    await with_phone(ivan, "+77011234567")
    await ivan.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=playground).pack())
    assert "Голосование в этом конкурсе закрыто" in ivan.last.text
    assert await votes(world, contest_id) == []


async def refused_to_a_resident(world: World, contest_id: int, project: int) -> None:
    """A resident with a number can neither open the contest nor vote in it, even with forged buttons."""
    ivan = await world.resident("Ivan", lang="ru")
    await with_phone(ivan, "+77011234567")
    await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    assert "Этот конкурс недоступен." in ivan.last.text
    await ivan.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=project).pack())
    assert await votes(world, contest_id) == []


async def test_forged_vote_in_another_districts_contest_is_refused(world: World) -> None:
    other_rd = await koktobe(world)
    contest_id, (project, _) = await published_contest(world, rural_district_id=other_rd)
    await refused_to_a_resident(world, contest_id, project)


async def test_a_draft_is_not_shown_or_votable_for_residents(world: World) -> None:
    contest_id, (project, _) = await published_contest(world, publish=False)
    await refused_to_a_resident(world, contest_id, project)


async def test_an_admin_action_from_a_resident_is_refused_and_changes_nothing(world: World) -> None:
    contest_id, _ = await published_contest(world, publish=False)
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.press_data(AdminContestCb(act=AdmAct.PUBLISH_OK, id=contest_id).pack())
    assert "только сотрудникам аппарата акима" in ivan.last.text
    assert await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (contest_id,)) == "draft"
    assert await world.db.fetchval("SELECT COUNT(*) FROM outbox_messages WHERE source_id = ?", (contest_id,)) == 0
    refused = await world.db.fetchval("SELECT COUNT(*) FROM audit_log WHERE action = 'admin_callback_refused'")
    assert refused == 1


async def test_staff_of_another_district_cannot_act_on_this_contest(world: World) -> None:
    contest_id, _ = await published_contest(world)
    other_rd = await koktobe(world)
    stranger = await world.staff("Stranger", lang="ru", rural_district_id=other_rd)
    await stranger.press_data(AdminContestCb(act=AdmAct.CLOSE, id=contest_id).pack())
    assert "Этот конкурс недоступен." in stranger.last.text
    await stranger.press_data(AdminContestCb(act=AdmAct.EXPORT, id=contest_id).pack())
    assert not [r for r in world.telegram.requests if r.method.lower() == "senddocument"]
    assert await world.db.fetchval("SELECT change_kind FROM contests WHERE id = ?", (contest_id,)) is None


async def test_a_contest_button_from_before_its_version_is_answered_politely(world: World) -> None:
    """An outbox message sent by an older release carries ``ct:…``; pressing it now changes nothing."""
    contest_id, (playground, _) = await published_contest(world)
    ivan = await world.resident("Ivan", lang="ru")
    await with_phone(ivan, "+77011234567")
    await ivan.press_data(f"ct:c:{contest_id}:0")
    assert "Эта кнопка устарела" in ivan.last.text
    await ivan.press_data(f"ct:v:{contest_id}:{playground}")
    assert "Эта кнопка устарела" in ivan.last.text
    assert await votes(world, contest_id) == []
    assert ContestCb(act=Act.CONTEST, contest=contest_id).pack().startswith("ct1:")


async def test_a_forged_village_in_the_drafting_flow_is_refused(world: World) -> None:
    other_rd = await koktobe(world)
    foreign = await world.db.fetchval("SELECT id FROM villages WHERE rural_district_id = ?", (other_rd,))
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.NEW).pack())
    await staff.send("Көгалдандыру")
    for _ in range(3):
        await staff.press("⏭ Пропустить")
    await staff.press_data(FormCb(act=FormAct.VILLAGE, village=foreign).pack())
    refused = world.i18n.gettext("This village is not in your rural district.", locale="ru")
    assert staff.last.text == refused
    assert await world.db.fetchval("SELECT COUNT(*) FROM contests") == 0


async def test_every_write_refuses_an_actor_of_another_district(world: World) -> None:
    """The handlers read a contest in the person's district first; the write checks again itself."""
    from storage import contests
    from storage.audit import STAFF_KIND, Actor

    contest_id, (playground, _) = await published_contest(world)
    draft_id, _ = await published_contest(world, publish=False)
    other_rd = await koktobe(world)
    stranger = Actor(STAFF_KIND, person_id=None, telegram_id=1, rural_district_id=other_rd)
    now = world.clock.now()
    writes = [
        contests.publish(world.db, stranger, contest_id=draft_id, now=now, texts={}, buttons=None),
        contests.add_project(
            world.db,
            stranger,
            contest_id=draft_id,
            titles=("x", "x"),
            descriptions=("", ""),
            category="park",
            village_id=None,
            cost=1,
            photo_file_id=None,
        ),
        contests.close_early(world.db, stranger, contest_id=contest_id, reason="x", now=now),
        contests.extend(
            world.db,
            stranger,
            contest_id=contest_id,
            closes_at=now + timedelta(days=30),
            reason="x",
            now=now,
            texts={},
            buttons=None,
        ),
        contests.record_offline(
            world.db, stranger, contest_id=contest_id, tally={playground: 5}, photo_file_id="P", now=now
        ),
        contests.create(
            world.db,
            stranger,
            rural_district_id=world.rural_district_id,
            titles=("x", ""),
            descriptions=("", ""),
            village_ids=[],
            money={"budget": 1},
            opens_at=now,
            closes_at=now + timedelta(days=1),
        ),
    ]
    before = await world.db.fetchval("SELECT COUNT(*) FROM audit_log")
    for write in writes:
        with pytest.raises(NotAllowed):
            await write
    assert await world.db.fetchval("SELECT COUNT(*) FROM audit_log") == before
    assert await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (draft_id,)) == "draft"
    assert await world.db.fetchval("SELECT change_kind FROM contests WHERE id = ?", (contest_id,)) is None
    assert await world.db.fetchval("SELECT SUM(offline_votes) FROM contest_projects") == 0


# --- closing and results ------------------------------------------------------------------------


async def test_the_scheduler_closes_at_the_deadline_and_sends_ranked_results_to_voters(world: World) -> None:
    contest_id, (playground, sports, _park) = await published_contest(
        world,
        [("Ойын алаңы", 2_000_000), ("Спорт алаңы", 4_000_000), ("Саябақ", 1_000_000)],
        budget=5_000_000,
        closes=NOW + timedelta(hours=3),
    )
    voters = []
    for i, choice in enumerate([sports, sports, playground]):
        person = await world.resident(f"V{i}", lang="ru")
        await with_phone(person, f"+7701000000{i}")
        await vote(person, contest_id, choice)
        voters.append(person)
    bystander = await world.resident("Bystander", lang="ru")
    world.clock.advance(hours=2)
    await world.tick()
    assert await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (contest_id,)) == "published"
    world.clock.advance(hours=1)
    await world.tick()
    assert await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (contest_id,)) == "closed"
    await world.deliver()
    result = plain(voters[0].last.text)
    assert "Итоги: Проекты парков" in result
    assert "Всего 3 голоса" in result
    assert "✅ 1. <b>Спорт алаңы (ru)</b>" in result and "2 голоса (66,7 %)" in result
    assert "▫️ 2. <b>Ойын алаңы (ru)</b>" in result  # 4 000 000 spent, 2 000 000 does not fit in 1 000 000
    assert "▫️ 3. <b>Саябақ (ru)</b>" in result and "Не финансируется: нет голосов" in result
    assert "Осталось: 1 000 000 ₸" in result
    assert all("Итоги" in v.last.text for v in voters)
    assert not any("Итоги" in t for t in bystander.texts())
    # a second tick sends nothing again
    await world.tick()
    assert await world.db.fetchval("SELECT COUNT(*) FROM outbox_messages WHERE kind = 'vote_result'") == 1
    # and the contest shows them too
    await bystander.press_data(ContestCb(act=Act.RESULTS, contest=contest_id).pack())
    assert "Итоги: Проекты парков" in bystander.last.text


async def test_a_deadline_passed_while_the_bot_was_down_is_closed_at_start(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world, closes=NOW + timedelta(hours=1))
    aigerim = await world.resident()
    await with_phone(aigerim, "+77011234567")
    await vote(aigerim, contest_id, playground)
    await world.restart()
    world.clock.advance(days=3)  # down for three days, over the deadline
    await world.tick()
    assert await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (contest_id,)) == "closed"
    await world.deliver()
    assert "Қорытынды" in aigerim.last.text


async def test_nothing_public_or_exported_shows_who_voted_for_what(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world, closes=NOW + timedelta(hours=1))
    ivan = await voted(world, "Ivanov", "+77011234567", contest_id, playground)
    staff = await world.staff("Staff", lang="ru")
    world.clock.advance(hours=1)
    await world.tick()
    await world.deliver()
    await staff.press_data(AdminContestCb(act=AdmAct.EXPORT, id=contest_id).pack())
    document = next(r for r in world.telegram.requests if r.method.lower() == "senddocument")
    content = document.params["document"]
    assert content.startswith("\ufeff".encode())
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Место", "Проект (kk)", "Проект (ru)"]
    assert rows[1][1] == "Балалар ойын алаңы" and rows[1][6:9] == ["1", "0", "1"]
    for shown in (text, ivan.last.text):
        assert "Ivanov" not in shown and "7011234567" not in shown and str(ivan.user_id) not in shown


# --- staff ---------------------------------------------------------------------------------------


async def test_staff_create_a_contest_step_by_step_and_publishing_tells_the_covered_villages(world: World) -> None:
    staff = await world.staff("Staff", lang="ru")
    aigerim = await world.resident("Aigerim")  # Ақсай, reads Kazakh
    far = await world.resident("Far", lang="ru", village=1)  # Бесагаш, not covered
    await staff.press("🛠 Управление")
    await staff.press("🗳 Конкурсы")
    await staff.press("➕ Новый конкурс")
    assert "шаг 1 из 8" in staff.last.text
    await staff.send("Көгалдандыру 2027")
    await staff.send("Озеленение 2027")
    await staff.press("⏭ Пропустить")  # no Kazakh description: the Russian one is shown to everyone
    await staff.send("Выбираем, что построить в Аксае")
    await staff.press("Аксай")
    assert "✅ Аксай" in staff.last.buttons
    await staff.press("✔️ Готово")
    for amount in ("1 000 000", "0", "500 000 ₸", "0"):
        await staff.send(amount)
    assert "01.12.2026 09:00" in staff.last.text
    await staff.press("▶️ Сразу")
    await staff.send("20.11.2026 20:00")
    assert "Это время уже прошло" in staff.last.text
    await staff.send("02.12.2026 20:00")
    assert "Проект</b>, шаг 1 из 8" in staff.last.text
    # the first project: Kazakh title only, with a photo
    await staff.send("Саябақ")
    for _ in range(3):
        await staff.press("⏭ Пропустить")
    await staff.press("🏞 Парк")
    await staff.press("Аксай")
    await staff.send("900 000")
    await staff.send_photo("PARKPHOTO")
    assert "В конкурсе 1 проект." in staff.last.text
    # the second: Russian title only, for the whole rural district, too expensive at first
    await staff.press("➕ Ещё проект")
    await staff.press("⏭ Пропустить")
    await staff.send("Сквер у школы")
    await staff.press("⏭ Пропустить")
    await staff.press("⏭ Пропустить")
    await staff.press("⛲ Сквер")
    await staff.press("Весь сельский округ")
    await staff.send("1 600 000")
    assert "больше всех средств конкурса" in staff.last.text
    await staff.send("1 200 000")
    await staff.press("⏭ Пропустить")
    assert "В конкурсе 2 проекта." in staff.last.text
    await staff.press("✔️ Готово")
    assert "📝 <b>Озеленение 2027</b>" in staff.last.text
    await staff.press("📣 Опубликовать")
    await staff.press("Да")
    assert any("Опубликовано. Сообщение получат 2 жителя." in t for t in staff.texts(-3))

    stored = await world.db.fetchone("SELECT * FROM contests")
    assert stored["status"] == "published" and stored["title_kk"] == "Көгалдандыру 2027"
    assert (stored["money_budget"], stored["money_sponsors"]) == (1_000_000, 500_000)
    assert stored["opens_at"] == "2026-11-25T10:00:00.000Z" and stored["closes_at"] == "2026-12-02T15:00:00.000Z"
    projects = [
        tuple(r)
        for r in await world.db.fetchall(
            "SELECT title_kk, title_ru, category, village_id, cost, photo_file_id FROM contest_projects ORDER BY id"
        )
    ]
    assert projects == [
        ("Саябақ", "", "park", world.village_ids[0], 900_000, "PARKPHOTO"),
        ("", "Сквер у школы", "square", None, 1_200_000, None),
    ]
    actions = [r[0] for r in await world.db.fetchall("SELECT action FROM audit_log WHERE object_type = 'contest'")]
    assert actions == ["contest_created", "contest_project_added", "contest_project_added", "contest_published"]
    notice = await world.db.fetchone("SELECT kind, texts_json FROM outbox_messages WHERE source_type = 'contest'")
    assert notice["kind"] == "notice"

    await world.deliver()
    assert "Жаңа жобалар конкурсы: Көгалдандыру 2027" in aigerim.last.text
    assert "Выбираем, что построить в Аксае" in aigerim.last.text  # the only description, shown to everyone
    assert aigerim.last.buttons == ["🗳 Конкурсты ашу"]
    assert not any("Озеленение 2027" in t for t in far.texts())
    await aigerim.press("🗳 Конкурсты ашу")
    await aigerim.press("🗳 Жобалар, дауыс беру")
    assert aigerim.last.method == "sendPhoto" and "Саябақ" in aigerim.last.text
    await aigerim.press("▶️")
    assert "Сквер у школы" in aigerim.last.text and "Бүкіл ауылдық округ" not in aigerim.last.text


async def test_a_contest_needs_two_projects_and_a_title_before_it_is_published(world: World) -> None:
    contest_id, _ = await published_contest(world, [("Жалғыз", 100)], publish=False)
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.PUBLISH_OK, id=contest_id).pack())
    assert "не меньше двух проектов" in staff.last.text
    assert await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (contest_id,)) == "draft"
    await staff.press_data(AdminContestCb(act=AdmAct.NEW).pack())
    await staff.press("⏭ Пропустить")
    await staff.press("⏭ Пропустить")
    assert "название хотя бы на одном языке" in staff.last.text


async def test_turnout_per_village_and_day_as_a_share_of_registered_residents(world: World) -> None:
    contest_id, (playground, sports) = await published_contest(world)
    staff = await world.staff("Staff", lang="ru")  # Аксай: registered, does not vote
    a1, a2 = await world.resident("A1", lang="ru"), await world.resident("A2", lang="ru")
    b1 = await world.resident("B1", lang="ru", village=1)
    for i, person in enumerate((a1, a2, b1)):
        await with_phone(person, f"+7705000000{i}")
    await vote(a1, contest_id, playground)
    await vote(b1, contest_id, sports)
    world.clock.advance(days=1)
    await vote(a2, contest_id, sports)
    await staff.press_data(AdminContestCb(act=AdmAct.TURNOUT, id=contest_id).pack())
    text = plain(staff.last.text)
    assert "Проголосовали: 3. Жителей, зарегистрированных в боте: 4 (75,0 %)." in text
    assert "· Аксай: 2 / 3 (66,7 %)" in text
    assert "· Бесагаш: 1 / 1 (100,0 %)" in text
    assert "25 ноября 2026 г.: 2 (50,0 %)" in text and "26 ноября 2026 г.: 1 (25,0 %)" in text


async def test_close_early_with_a_reason_residents_see_and_results_at_once(world: World) -> None:
    contest_id, (playground, _) = await published_contest(world)
    ivan = await voted(world, "Ivan", "+77011234567", contest_id, playground)
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    await staff.press("⏹ Закрыть досрочно")
    await staff.send("Спонсор отозвал средства")
    await staff.press("⏹ Закрыть сейчас")
    assert any("Голосование закрыто. Итоги отправляются" in t for t in staff.texts(-3))
    assert await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (contest_id,)) == "closed"
    await world.deliver()
    assert "Голосование закрыто досрочно: Спонсор отозвал средства" in ivan.last.text
    await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    assert "Закрыто досрочно. Причина: Спонсор отозвал средства" in ivan.last.text
    entry = await world.db.fetchone(
        "SELECT actor_kind, after_json FROM audit_log WHERE action = 'contest_closed_early'"
    )
    assert entry["actor_kind"] == "staff" and "Спонсор" in entry["after_json"]


async def test_closed_early_at_night_the_staff_learn_when_voters_get_the_results_and_see_them_now(
    world: World,
) -> None:
    contest_id, (playground, _) = await published_contest(world)
    ivan = await voted(world, "Ivan", "+77011234567", contest_id, playground)
    world.clock.set(datetime(2026, 11, 25, 18, 30, tzinfo=UTC))  # 23:30 in Almaty: quiet hours until 08:00
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.VIEW, id=contest_id).pack())
    await staff.press("⏹ Закрыть досрочно")
    await staff.send("Спонсор отозвал средства")
    before = len(staff.inbox)
    await staff.press("⏹ Закрыть сейчас")
    told, results = [plain(t) for t in staff.texts(before)][:2]
    assert told == "Голосование закрыто. Сейчас ночное время: проголосовавшие получат итоги 26 ноября 2026 г. в 08:00."
    assert results.startswith("🏆 <b>Итоги: Проекты парков</b>") and "Голосование закрыто досрочно" in results
    await world.deliver()
    assert not [t for t in ivan.texts() if "Итоги" in t]
    world.clock.set(datetime(2026, 11, 26, 3, 0, tzinfo=UTC))  # 08:00 in Almaty
    await world.deliver()
    assert "🏆 <b>Итоги: Проекты парков</b>" in ivan.last.text


async def test_extend_with_a_reason_keeps_voting_open_past_the_old_deadline(world: World) -> None:
    contest_id, (_playground, sports) = await published_contest(world, closes=NOW + timedelta(days=1))
    aigerim = await world.resident()
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.EXTEND, id=contest_id).pack())
    await staff.send("24.11.2026 20:00")
    assert "дату и время в будущем" in staff.last.text
    await staff.send("30.11.2026 20:00")
    await staff.send("Не все сёла успели провести сход")
    await staff.press("⏩ Продлить")
    assert (
        await world.db.fetchval("SELECT closes_at FROM contests WHERE id = ?", (contest_id,))
        == "2026-11-30T15:00:00.000Z"
    )
    await world.deliver()
    assert "Дауыс беру ұзартылды" in aigerim.last.text or "ұзартылды" in aigerim.last.text
    assert "Не все сёла успели провести сход" in aigerim.last.text
    world.clock.advance(days=2)
    await world.tick()
    await with_phone(aigerim, "+77011234567")
    await vote(aigerim, contest_id, sports)
    assert [row[1] for row in await votes(world, contest_id)] == [sports]


async def test_offline_tally_needs_the_protocol_photo_is_audited_and_counts_with_online(world: World) -> None:
    contest_id, (_playground, sports) = await published_contest(
        world, budget=3_000_000, closes=NOW + timedelta(hours=2)
    )
    for i in range(2):
        person = await world.resident(f"V{i}", lang="ru")
        await with_phone(person, f"+7707000000{i}")
        await vote(person, contest_id, sports)
    staff = await world.staff("Staff", lang="ru")
    await staff.press_data(AdminContestCb(act=AdmAct.OFFLINE, id=contest_id).pack())
    assert "проект 1 из 2" in staff.last.text
    await staff.send("много")
    assert "целое число голосов" in staff.last.text
    await staff.send("7")
    await staff.send("1")
    await staff.send("готово")  # not a photo
    assert "фото подписанного протокола" in staff.last.text
    assert await world.db.fetchval("SELECT SUM(offline_votes) FROM contest_projects") == 0
    await staff.send_photo("PROTOCOL1")
    assert any("добавлено 8 офлайн-голосов" in t for t in staff.texts(-3))
    entry = await world.db.fetchone("SELECT after_json FROM audit_log WHERE action = 'contest_offline_tally'")
    assert json.loads(entry["after_json"])["photo"] == "PROTOCOL1"
    world.clock.advance(hours=2)
    await world.tick()
    await staff.press_data(AdminContestCb(act=AdmAct.RESULTS, id=contest_id).pack())
    result = plain(staff.last.text)
    assert "Всего 10 голосов (в боте 2, на бумаге 8)" in result
    # 7 offline beat 2 online: the playground (2 000 000) wins; sports (3 000 000) no longer fits
    assert "✅ 1. <b>Балалар ойын алаңы (ru)</b>" in result and "в боте 0, на бумаге 7" in result
    assert "▫️ 2. <b>Спорт алаңы (ru)</b>" in result
    # after closing, no more offline votes
    await staff.press_data(AdminContestCb(act=AdmAct.OFFLINE, id=contest_id).pack())
    assert "только до закрытия конкурса" in staff.last.text


async def test_the_admin_menu_says_how_many_contests_run(world: World) -> None:
    await published_contest(world)
    await published_contest(world, publish=False)
    staff = await world.staff("Staff", lang="ru")
    await staff.press("🛠 Управление")
    assert "🗳 1 конкурс идёт, 1 черновик конкурса" in staff.last.text


async def test_upcoming_contest_cannot_be_voted_yet(world: World) -> None:
    contest_id, (playground, _) = await published_contest(
        world, opens=NOW + timedelta(days=1), closes=NOW + timedelta(days=3)
    )
    ivan = await world.resident("Ivan", lang="ru")
    await with_phone(ivan, "+77011234567")
    await ivan.press_data(ContestCb(act=Act.CONTEST, contest=contest_id).pack())
    assert "Голосование начнётся 26 ноября 2026 г., 15:00" in plain(ivan.last.text)
    await ivan.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=playground).pack())
    assert "ещё не началось" in ivan.last.text
    assert await votes(world, contest_id) == []


async def test_the_demo_closes_its_own_sample_contest_and_no_real_one(world: World) -> None:
    """``bot.py demo`` may run on a database with real districts: their overdue contests stay as they are."""
    from bot import demo

    real, _projects = await published_contest(world, closes=NOW + timedelta(days=1))
    world.clock.advance(days=2)  # the real contest is past its deadline; the scheduler has not run
    await world.db.execute(
        "UPDATE rural_districts SET name_kk = 'Нақты округ' WHERE id = ?", (world.rural_district_id,)
    )
    sample = await demo.fill(world.db, world.clock)
    assert sample != world.rural_district_id
    status = await world.db.fetchval("SELECT status FROM contests WHERE id = ?", (real,))
    assert status == "published"
    closed = await world.db.fetchval(
        "SELECT COUNT(*) FROM contests WHERE rural_district_id = ? AND status = 'closed'", (sample,)
    )
    assert closed == 1
