"""Staff see residents' names only where their work needs them, and no screen or export says who
voted for what: a staff member walks every admin screen the buttons reach (and every export),
and nothing of a resident who voted, supported and answered an invitation shows."""

from __future__ import annotations

from collections import deque
from datetime import timedelta

from bot.keyboards.contests import Act, ContestCb
from bot.rules.clock import to_db
from storage import initiatives
from tests.harness import NOW, World, published_contest
from tests.test_personal_data import initiative

PHONE, DIGITS, NAME = "+77019998877", "7019998877", "Иванов Иван Петрович"
MAX_PRESSES = 400


async def test_no_staff_screen_or_export_shows_a_voter_or_what_they_chose(world: World) -> None:
    contest_id, projects = await published_contest(world, closes=NOW + timedelta(hours=1))
    ivanov = await world.resident("Ivanov", lang="ru")
    await world.db.execute(
        "UPDATE people SET phone = ?, full_name = ? WHERE telegram_id = ?", (PHONE, NAME, ivanov.user_id)
    )
    await ivanov.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=projects[1]).pack())
    await ivanov.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=projects[1]).pack())
    author = await world.resident("Author")
    published = await initiative(world, author, "Саябаққа орындық", published=True)
    await initiatives.support(
        world.db, published, await ivanov.person_id(), rural_district_id=world.rural_district_id, now=world.clock.now()
    )
    event_id = await world.db.execute(
        "INSERT INTO events (rural_district_id, kind, title_kk, title_ru, place, starts_at, ends_at)"
        " VALUES (?, 'gathering', 'Жиын', 'Сход', 'Мектеп', ?, ?)",
        (world.rural_district_id, to_db(NOW + timedelta(days=3)), to_db(NOW + timedelta(days=3, hours=2))),
    )
    await world.db.execute(
        "INSERT INTO event_villages (event_id, village_id) VALUES (?, ?)", (event_id, world.village_ids[0])
    )
    await world.db.execute(
        "INSERT INTO event_rsvps (event_id, person_id, answer, answered_at) VALUES (?, ?, 'yes', ?)",
        (event_id, await ivanov.person_id(), to_db(NOW)),
    )
    world.clock.advance(hours=2)
    await world.tick()  # the contest closes: results and exports exist
    assert await world.db.fetchval("SELECT count(*) FROM contest_votes") == 1

    staff = await world.staff("Staff", lang="ru")
    start = len(staff.inbox)
    await staff.send("🛠 Управление")
    seen: set[str] = set()
    queue: deque[str] = deque()
    presses = 0

    def discover(since: int) -> None:
        for request in staff.inbox[since:]:
            for button in request.inline:
                data = button.get("callback_data")
                if data and data not in seen and not data.startswith("nav:"):
                    seen.add(data)
                    queue.append(data)

    discover(start)
    while queue and presses < MAX_PRESSES:
        data = queue.popleft()
        before = len(staff.inbox)
        await staff.press_data(data)
        presses += 1
        discover(before)
    assert presses > 40, presses  # the walk reached the features' screens

    screens = staff.inbox[start:]
    texts = [r.text for r in screens]
    documents = [
        bytes(r.params["document"])
        for r in screens
        if r.method == "sendDocument" and isinstance(r.params.get("document"), bytes)
    ]
    assert documents, "an export was reached"
    for shown in [*texts, *(d.decode("utf-8", "replace") for d in documents)]:
        assert DIGITS not in shown and NAME not in shown and "Ivanov" not in shown
        assert str(ivanov.user_id) not in shown
    # the results are there, as totals only
    assert any("1" in t and "Спорт" in t for t in texts)
