"""Personal data (Law No. 94-V): «My data» shows and sends everything kept, deletes it as the consent
text says, leaves no phone number or name in the database file; retention; consent versions."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.rules.clock import to_db
from storage import audit, consent, initiatives, personal
from storage.audit import CLI
from tests.harness import NOW, Person, World, published_contest
from tests.steps import vote

PHONE, DIGITS, NAME = "+77011234567", "7011234567", "Айгерім Сейітқызы"


async def initiative(world: World, person: Person, title: str, *, published: bool) -> int:
    draft = initiatives.Draft(
        token=title,
        topic="roads",
        title=title,
        body="Жол жөндеу керек. " + title,
        photos=["PHOTO-" + title],
        latitude=43.2,
        longitude=76.9,
        voice_file_id="VOICE-" + title,
        village_id=world.village_ids[0],
    )
    made = await initiatives.submit(
        world.db,
        draft=draft,
        author_id=await person.person_id(),
        rural_district_id=world.rural_district_id,
        now=world.clock.now(),
        staff_notice=lambda number, day: {"kk": f"№{number}", "ru": f"№{number}"},
    )
    assert made is not None
    if published:
        await initiatives.set_published(world.db, CLI, initiative_id=made.id, published=True, now=world.clock.now())
    return made.id


async def rich_resident(world: World) -> tuple[Person, int, list[int], dict[str, int]]:
    """A resident who gave a name and a number, voted, proposed, supported, answered and asked."""
    aigerim = await world.resident("Aigerim")
    await world.db.execute(
        "UPDATE people SET full_name = ?, phone = ? WHERE telegram_id = ?", (NAME, PHONE, aigerim.user_id)
    )
    contest_id, projects = await published_contest(world)
    await vote(aigerim, contest_id, projects[0])
    neighbour = await world.resident("Neighbour", lang="ru")
    theirs = await initiative(world, neighbour, "Көшелерді жарықтандыру", published=True)
    await initiatives.support(
        world.db, theirs, await aigerim.person_id(), rural_district_id=world.rural_district_id, now=world.clock.now()
    )
    ids = {
        "public": await initiative(world, aigerim, "Бағдаршам қою", published=True),
        "private": await initiative(world, aigerim, "Менің жеке өтінішім", published=False),
        "theirs": theirs,
    }
    person_id = await aigerim.person_id()
    event_id = await world.db.execute(
        "INSERT INTO events (rural_district_id, kind, title_kk, title_ru, place, starts_at, ends_at)"
        " VALUES (?, 'gathering', 'Жиын', 'Сход', 'Мектеп', ?, ?)",
        (world.rural_district_id, to_db(NOW + timedelta(days=3)), to_db(NOW + timedelta(days=3, hours=2))),
    )
    await world.db.execute(
        "INSERT INTO event_rsvps (event_id, person_id, answer, answered_at) VALUES (?, ?, 'yes', ?)",
        (event_id, person_id, to_db(NOW)),
    )
    await world.db.execute(
        "INSERT INTO report_questions (rural_district_id, event_id, person_id, text) VALUES (?, ?, ?, ?)",
        (world.rural_district_id, event_id, person_id, "Жол қашан жөнделеді? " + NAME),
    )
    return aigerim, contest_id, projects, ids


async def test_my_data_shows_everything_kept_and_sends_it_as_json_and_text(world: World) -> None:
    aigerim, _contest, _projects, _ids = await rich_resident(world)
    await aigerim.send("⚙️ Баптаулар")
    await aigerim.press("🗂 Менің деректерім")
    text = aigerim.last.text
    assert f"Telegram идентификаторы: {aigerim.user_id}" in text  # the language review's #15
    assert f"Телефон нөмірі: {PHONE}" in text and f"Аты: {NAME}" in text
    assert "Бастамалар: 2; қолдау белгілері: 1; дауыстар: 1; шақыруларға жауаптар: 1; сұрақтар: 1" in text
    assert "Дербес деректер базасының меншік иесі және операторы: " in text  # #12: the law's words
    await aigerim.press("📦 Деректерімді жіберу")
    sent = [r for r in aigerim.inbox if r.method == "sendDocument"]
    assert len(sent) == 2
    data = json.loads(sent[0].params["document"].decode("utf-8"))
    assert data["profile"]["phone"] == PHONE and data["profile"]["name"] == NAME
    assert {i["title"] for i in data["initiatives"]} == {"Бағдаршам қою", "Менің жеке өтінішім"}
    assert data["votes"][0]["phone"] == PHONE and len(data["supports"]) == 1
    assert data["answers_to_invitations"][0]["answer"] == "yes"
    readable = sent[1].params["document"].decode("utf-8")
    assert PHONE in readable and "«Бағдаршам қою»" in readable and "Жол қашан жөнделеді?" in readable


async def test_my_data_in_russian_names_the_owner_and_operator_as_the_law_does(world: World) -> None:
    ivan = await world.resident("Ivan", lang="ru")
    await ivan.send("⚙️ Настройки")
    await ivan.press("🗂 Мои данные")
    assert f"Идентификатор Telegram: {ivan.user_id}" in ivan.last.text  # #16
    assert "Собственник и оператор базы персональных данных: аппарат акима" in ivan.last.text  # #13
    consent_message = next(t for t in ivan.texts() if t.startswith("<b>Согласие"))
    assert "Собственник и оператор базы персональных данных: аппарат акима" in consent_message
    assert "Настройки → Мои данные" in consent_message and "3 года" in consent_message


async def test_deleting_my_data_does_what_the_confirmation_says(world: World) -> None:
    aigerim, contest_id, projects, ids = await rich_resident(world)
    person_id = await aigerim.person_id()
    await aigerim.send("⚙️ Баптаулар")
    await aigerim.press("🗂 Менің деректерім")
    await aigerim.press("🗑 Деректерімді жою")
    warning = aigerim.last.text
    for said in (
        "Қолдау белгілеріңіз атыңызсыз",
        "жасырын бюллетень",
        "«тұрғыннан»",
        "Сайлаушылар тізімі",
        "қорғалған коды",
    ):
        assert said in warning, said
    await aigerim.press("🗑 Иә, бәрін жою")
    assert aigerim.last.text.startswith("Деректеріңіз жойылды.")
    db = world.db
    row = await db.fetchone(
        "SELECT telegram_id, phone, full_name, rural_district_id, erased_at FROM people WHERE id = ?", (person_id,)
    )
    assert row is not None and tuple(row)[:4] == (-person_id, None, None, None) and row[4] is not None
    # the vote stays, counted, as an anonymous ballot with a keyed hash of the number while open
    ballot = await db.fetchone("SELECT project_id, phone FROM contest_votes WHERE contest_id = ?", (contest_id,))
    assert ballot is not None and ballot[0] == projects[0]
    assert DIGITS not in ballot[1] and ballot[1] == personal.hashed_phone(db, contest_id, PHONE)
    assert await db.fetchval("SELECT count(*) FROM hashed_ballots WHERE contest_id = ?", (contest_id,)) == 1
    # the published initiative stays by «a resident», without photos or voice; the private one is gone
    public = await initiatives.get(db, ids["public"])
    assert public is not None and public.author_id is None and public.photos == [] and public.voice_file_id is None
    assert await initiatives.get(db, ids["private"]) is None
    # the support stays counted; the answer to the invitation and the private question are gone
    theirs = await initiatives.get(db, ids["theirs"])
    assert theirs is not None and theirs.supports == 1
    assert await db.fetchval("SELECT count(*) FROM event_rsvps") == 0
    assert await db.fetchval("SELECT count(*) FROM report_questions") == 0
    erased = [e for e in await audit.entries(db) if e["action"] == "personal_data_erased"]
    assert len(erased) == 1 and erased[0]["actor_kind"] == "resident" and erased[0]["actor_telegram_id"] is None
    # after the next maintenance step the file holds neither the number nor the name, while the bot
    # runs (its connection open: nothing checkpoints the write-ahead log on closing)
    await world.tick()
    path = Path(world.db.path)
    for file in (path, Path(f"{path}-wal")):
        if file.exists():
            data = file.read_bytes()
            for secret in (DIGITS, NAME, "Менің жеке өтінішім", "Aigerim"):  # and her Telegram name
                assert secret.encode() not in data, (file.name, secret)
    await world.restart()
    # the same number, claimed by another account, still cannot vote in the open contest
    other = await world.resident("Other")
    await world.db.execute("UPDATE people SET phone = ? WHERE telegram_id = ?", (PHONE, other.user_id))
    await vote(other, contest_id, projects[1])
    assert "бұл телефон нөмірі" in other.last.text.lower()
    assert await world.db.fetchval("SELECT count(*) FROM contest_votes WHERE contest_id = ?", (contest_id,)) == 1
    # once the contest closes, not even the hash is kept
    world.clock.advance(days=8)
    await world.tick()
    assert await world.db.fetchval("SELECT count(*) FROM hashed_ballots") == 0
    assert await world.db.fetchval("SELECT phone FROM contest_votes WHERE contest_id = ?", (contest_id,)) is None
    assert await world.db.fetchval("SELECT count(*) FROM contest_votes WHERE contest_id = ?", (contest_id,)) == 1


async def test_a_second_deletion_request_is_answered_politely(world: World) -> None:
    aigerim = await world.resident()
    person_id = await aigerim.person_id()
    await aigerim.send("⚙️ Баптаулар")
    await aigerim.press("🗂 Менің деректерім")
    await aigerim.press("🗑 Деректерімді жою")
    confirm = aigerim.find_button("🗑 Иә, бәрін жою")
    await aigerim.press("🗑 Иә, бәрін жою")
    before = len(aigerim.inbox)
    await aigerim.press_data(confirm[1]["callback_data"], message=confirm[0])  # type: ignore[index]
    assert len(aigerim.inbox) > before and "Сәлеметсіз бе" in aigerim.last.text  # a stranger now: the greeting
    key = await personal.vote_key(world.db)
    assert await personal.erase(world.db, audit.CLI, person_id, world.clock.now(), key) is None
    assert [e["action"] for e in await audit.entries(world.db)].count("personal_data_erased") == 1


async def test_withdrawing_consent_is_one_tap_and_honoured_at_once(world: World) -> None:
    aigerim = await world.resident()
    await world.db.execute("UPDATE people SET phone = ? WHERE telegram_id = ?", (PHONE, aigerim.user_id))
    await aigerim.send("⚙️ Баптаулар")
    await aigerim.press("Келісімді кері қайтарып алу")
    assert await aigerim.stored("phone") is None and await aigerim.stored("consent_version") is None


async def test_a_changed_built_in_consent_text_is_a_new_version(world: World) -> None:
    aigerim = await world.resident()
    first = (await consent.current(world.db)).version
    assert await aigerim.stored("consent_version") == first
    # the same code again: nothing new; another built-in text (an update of the bot): asked again
    await world.restart()
    assert (await consent.current(world.db)).version == first
    assert await consent.register_builtin(world.db, "changed-kk", "changed-ru") == first + 1
    contest_id, projects = await published_contest(world)
    await vote(aigerim, contest_id, projects[0])
    assert "келісім" in aigerim.texts()[-2].lower() or "келісім" in aigerim.last.text.lower()
    assert await world.db.fetchval("SELECT count(*) FROM contest_votes") == 0


async def test_retention_anonymises_the_long_silent_and_purges_old_deliveries(world: World) -> None:
    silent = await world.resident("Silent")
    busy = await world.resident("Busy")
    recent = await world.resident("Recent")
    four_years = (NOW - timedelta(days=4 * 365)).date().isoformat()
    for person in (silent, busy):
        await world.db.execute("UPDATE people SET last_seen_on = ? WHERE telegram_id = ?", (four_years, person.user_id))
    await initiative(world, busy, "Ашық бастама", published=False)  # still open: kept
    await world.db.execute("UPDATE people SET last_seen_on = ? WHERE telegram_id = ?", (four_years, busy.user_id))
    old = to_db(NOW - timedelta(days=40))
    message = await world.db.execute(
        "INSERT INTO outbox_messages (rural_district_id, kind, texts_json, created_at) VALUES (?, 'notice', '{}', ?)",
        (world.rural_district_id, old),
    )
    await world.db.execute(
        "INSERT INTO outbox (message_id, person_id, state, sent_at) VALUES (?, ?, 'sent', ?)",
        (message, await recent.person_id(), old),
    )
    await world.db.execute("DELETE FROM service_state WHERE name = 'retention_on'")
    await world.tick()
    assert await silent.stored("id") is None  # its Telegram id is no longer kept
    assert await busy.stored("erased_at") is None and await recent.stored("erased_at") is None
    assert await world.db.fetchval("SELECT count(*) FROM outbox WHERE message_id = ?", (message,)) == 0
    assert await world.db.fetchval("SELECT count(*) FROM outbox_messages WHERE id = ?", (message,)) == 0
    erased = [e for e in await audit.entries(world.db) if e["action"] == "personal_data_erased"]
    assert len(erased) == 1 and erased[0]["actor_kind"] == "system"
