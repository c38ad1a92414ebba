"""Property-based: whatever a resident (or a forger, or a group, or Telegram itself) sends, in any
order, the bot answers politely and never crashes: no exception out of a handler, no request
Telegram would refuse, no admin action for someone who is not staff, and a sound database.

Every kind of update is drawn: menu labels and commands (known and unknown, with arguments and
@names), texts of any length (to 4096) and script with HTML, entities, zero-width and
right-to-left characters; callback data of every prefix the bot defines (read from its
``CallbackData`` classes) and of any shape (empty, numbers huge and negative, unicode, too many
fields), and buttons of earlier messages pressed again; photos with captions, documents of any
size and type, voices, videos, audio, animations, stickers, video notes, locations, venues, dice,
contacts (one's own, someone else's, without a user id, with a malformed number); messages from
people the bot has never seen, in groups, supergroups and channels; edited messages and posts;
and the bot being blocked and unblocked (member updates). The updates go through the inbox, as
in the process (tests/harness.py).

Sizes: ``FUZZ_PROFILE=ci`` (the default: 80 sequences) or ``FUZZ_PROFILE=nightly`` (3,000), or
``FUZZ_EXAMPLES=N``. The world each sequence runs in is a copy of one prepared database with the
demo district (content on every screen), so an example costs its updates, not a setup.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.app  # noqa: F401  # composes every router, so every CallbackData class is defined
from bot.demo import fill
from bot.middlewares import BUSY, FULL, SORRY
from tests.fake_telegram import BOT_ID
from tests.harness import NOW, Person, World

pytestmark = pytest.mark.sqlite  # each example copies a migrated SQLite file

# Prefixes of earlier versions of the callback data, which old messages still carry (the current
# ones are read from the code: ``prefixes()``).
PREFIXES = [
    "adm",
    "admbc",
    "admbc1",
    "bud",
    "admbud",
    "nav",
    "lang",
    "cons",
    "pick",
    "ct",
    "ct1",
    "admct",
    "admcf",
    "doc",
    "doc1",
    "dkind",
    "dnav",
    "qsup",
    "admdoc",
    "admq",
    "ev",
    "ev1",
    "admev",
    "admevn",
    "admrep",
    "ini",
    "ind",
    "indv",
    "admi",
    "admiq",
    "admis",
    "admid",
    "admip",
    "admic",
    "set",
]
PROFILES = {"ci": 80, "nightly": 3000}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES") or PROFILES[os.environ.get("FUZZ_PROFILE", "ci")])

# What a resident may change; every other table must be exactly as before for a non-staff person.
RESIDENT_TABLES = {
    "people",
    "fsm_states",
    "inbox",
    "audit_log",  # checked on its own: only refusals
    "outbox_messages",  # notices to staff about a resident's initiative or question
    "outbox",
    "initiatives",
    "initiative_history",
    "initiative_supports",
    "contest_votes",
    "contest_vote_choices",  # an approval ballot's choices
    "contest_reports",  # «report pressure or vote buying»
    "project_feedback",  # a resident's verdict on a finished project
    "event_rsvps",
    "event_reminders",
    "report_questions",
    "report_question_supports",
    "document_file_ids",  # Telegram's file id of a document, kept when a resident opens it
    "service_state",  # a resident's deletion of their data marks the file for a VACUUM
    "hashed_ballots",  # … and lists the open contests where only a hash of their number is left
    "contest_paper_voters",  # … whose paper ballot keeps only that hash too
    # counts kept by triggers on the tables above, never written by a handler:
    "village_residents",  # a resident who joins, moves or leaves a village (migration 014)
    "contest_vote_counts",  # a vote cast or changed (migration 012)
}
LABELS = [
    "💡 Бастамалар",
    "🗳 Конкурстар",
    "📅 Іс-шаралар",
    "📄 Құжаттар",
    "⚙️ Баптаулар",
    "🛠 Басқару",
    "💡 Инициативы",
    "🗳 Конкурсы",
    "📅 Мероприятия",
    "📄 Документы",
    "⚙️ Настройки",
    "🛠 Управление",
    "✖️ Болдырмау",
    "✖️ Отмена",
    "⏭ Өткізіп жіберу",
    "⏭ Пропустить",
]
COMMANDS = [
    "/start",
    "/menu",
    "/cancel",
    "/help",
    "/language",
    "/operator",
    "/add_village 1 | a | b",
    "/add_staff 1 5",
    "/status",
    "/audit",
    "/backup /tmp/x.tar.gz",
    "/x",
    "/start@test_bot",
    "/START",
    "/menu extra words",
    "/ничего",
]
STRANGE = [
    "\u200b",
    "\u200c\u200d",
    "\ufeff",
    "\u202e",
    "\u2066",
    "שלום",
    "مرحبا",
    "<b>",
    "</i>",
    "<a href='x'>",
    "&amp;",
    "&lt;",
    "<script>alert(1)</script>",
    "{name}",
    "%s",
    "\x00",
    "👨‍👩‍👧‍👦",
    "ё" * 3,
    "\n\n",
]


@cache
def prefixes() -> list[str]:
    """Every prefix of the bot's callback data, old ones, and the admin root a forger would try first."""
    found: set[str] = {"adm", "x", "", *PREFIXES}
    todo = list(CallbackData.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        prefix = getattr(cls, "__prefix__", None)
        if prefix:
            found.add(prefix)
    return sorted(found)


class Errors(logging.Handler):
    """Collects what the errors middleware logs when a handler raised."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.getMessage()}: {record.exc_info[1] if record.exc_info else ''}")


# --- the strategies -----------------------------------------------------------------------------

any_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=300),
    st.lists(st.sampled_from([*STRANGE, "a", " ", "Ақсай", "Аксай", "1", "."]), min_size=1, max_size=40).map("".join),
    st.builds(
        lambda c, n: (c * n)[:4096],
        st.sampled_from(["а", "ә", "w", "😀", "<b>x</b>", "\u200b", "ab "]),
        st.integers(1, 4096),
    ),
).filter(lambda t: t.strip() != "")
field = st.one_of(
    st.integers(min_value=-2, max_value=12).map(str),
    st.integers(min_value=-(2**63), max_value=2**63).map(str),
    st.sampled_from(["", "x", "a", "c", "v", "1.5", "-", "home", "initiatives", "kk", "ru", "True", "0", "1e9"]),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
)
callback_data = st.one_of(
    st.builds(
        lambda prefix, fields: ":".join([prefix, *fields]), st.sampled_from(prefixes()), st.lists(field, max_size=7)
    ),
    st.text(max_size=64),
).map(lambda data: data.encode()[:64].decode(errors="ignore"))
entity_type = st.sampled_from(
    ["bold", "italic", "url", "mention", "bot_command", "code", "pre", "text_link", "spoiler"]
)
file_kind = st.sampled_from(["photo", "document", "voice", "video", "audio", "animation", "sticker", "video_note"])
where = st.sampled_from(["private", "private", "private", "group", "supergroup", "channel"])
action = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(LABELS + COMMANDS)),
    st.tuples(st.just("text"), any_text),
    st.tuples(st.just("entities"), st.tuples(any_text, entity_type, st.integers(0, 50), st.integers(0, 50))),
    st.tuples(
        st.just("command"),
        st.tuples(st.text(st.characters(whitelist_categories=("Ll", "Nd")), min_size=1, max_size=20), any_text),
    ),
    st.tuples(st.just("press"), callback_data),
    st.tuples(st.just("press_old"), st.tuples(st.integers(0, 50), st.integers(0, 8))),
    st.tuples(st.just("file"), st.tuples(file_kind, st.one_of(st.none(), any_text), st.integers(0, 2**31))),
    st.tuples(st.just("location"), st.tuples(st.floats(-90, 90), st.floats(-180, 180), st.booleans())),
    st.tuples(st.just("contact"), st.sampled_from(["own", "other", "no_user", "malformed", "foreign"])),
    st.tuples(st.just("dice"), st.sampled_from(["🎲", "🎯", "⚽"])),
    st.tuples(st.just("stranger"), st.tuples(any_text, where)),
    st.tuples(st.just("group"), st.tuples(st.sampled_from(["group", "supergroup", "channel"]), any_text)),
    st.tuples(st.just("edited"), any_text),
    st.tuples(st.just("member"), st.sampled_from(["kicked", "member", "left"])),
)


# --- playing a sequence -------------------------------------------------------------------------


@cache
def template() -> Path:
    """One migrated database with the demo district (content on every screen), copied per example."""
    folder = Path(tempfile.mkdtemp(prefix="fuzz-template-"))

    async def build() -> None:
        world = await World.create(folder, setup=False)
        try:
            await fill(world.db, world.clock)
        finally:
            await world.close()

    asyncio.run(build())
    return folder / "bot.sqlite3"


async def open_world(tmp: Path, prepared: Path) -> World:
    shutil.copy(prepared, tmp / "bot.sqlite3")
    world = await World.create(tmp, setup=False)
    rows = await world.db.fetchall("SELECT rural_district_id, id FROM villages ORDER BY id")
    world.rural_district_id, world.village_ids = int(rows[0][0]), [int(r[1]) for r in rows]
    return world


ids = itertools.count(10_000_000)


def chat_of(kind: str, person: Person) -> dict[str, Any]:
    if kind == "private":
        return {"id": person.user_id, "type": "private", "first_name": person.first_name}
    if kind == "channel":
        return {"id": -1001000000001, "type": "channel", "title": "Канал"}
    return {"id": -1001000000002 if kind == "supergroup" else -4000002, "type": kind, "title": "Топ"}


def media(kind: str, size: int) -> dict[str, Any]:
    file = {"file_id": f"F{next(ids)}", "file_unique_id": f"u{next(ids)}", "file_size": size}
    if kind == "photo":
        return {"photo": [dict(file, width=800, height=600)]}
    if kind == "document":
        return {"document": dict(file, file_name="x.exe" if size % 2 else "отчёт.pdf", mime_type="application/pdf")}
    if kind == "voice":
        return {"voice": dict(file, duration=size % 600)}
    if kind == "video":
        return {"video": dict(file, width=640, height=480, duration=size % 600)}
    if kind == "audio":
        return {"audio": dict(file, duration=size % 600)}
    if kind == "animation":
        return {"animation": dict(file, width=320, height=240, duration=3)}
    if kind == "video_note":
        return {"video_note": dict(file, length=240, duration=5)}
    return {"sticker": dict(file, type="regular", width=512, height=512, is_animated=False, is_video=False)}


async def act(person: Person, kind: str, value: Any) -> None:
    """One update, as Telegram would deliver it."""
    world = person.world
    if kind == "text":
        await person.send(str(value))
    elif kind == "entities":
        text, etype, offset, length = value
        offset = min(offset, max(len(text) - 1, 0))
        entity: dict[str, Any] = {"type": etype, "offset": offset, "length": max(1, min(length, len(text) - offset))}
        if etype == "text_link":
            entity["url"] = "https://example.kz"
        await person.send_content(text=text, entities=[entity])
    elif kind == "command":
        await person.send(f"/{value[0]} {value[1]}"[:4096])
    elif kind == "press":
        await person.press_data(str(value))
    elif kind == "press_old":
        inbox = [r for r in person.inbox if r.inline]
        if inbox:
            under = inbox[value[0] % len(inbox)]
            button = under.inline[value[1] % len(under.inline)]
            if "callback_data" in button:
                await person.press_data(button["callback_data"], message=under)
    elif kind == "file":
        file_kind, caption, size = value
        content = media(file_kind, size)
        if caption and file_kind not in {"sticker", "video_note"}:
            content["caption"] = caption[:1024]
        await person.send_content(**content)
    elif kind == "location":
        latitude, longitude, venue = value
        location = {"latitude": latitude, "longitude": longitude}
        if venue:
            await person.send_content(venue={"location": location, "title": "Мектеп", "address": "Абай к-сі"})
        else:
            await person.send_content(location=location)
    elif kind == "contact":
        contact: dict[str, Any] = {"phone_number": "+7 701 123 45 67", "first_name": "Someone"}
        if value == "own":
            contact["user_id"] = person.user_id
        elif value == "other":
            contact["user_id"] = person.user_id + 1
        elif value == "malformed":
            contact.update(phone_number="12", user_id=person.user_id)
        elif value == "foreign":
            contact.update(phone_number="+49 30 1234567", user_id=person.user_id)
        await person.send_content(contact=contact)
    elif kind == "dice":
        await person.send_content(dice={"emoji": value, "value": 3})
    elif kind == "stranger":  # someone the bot has never seen, where they are
        text, place = value
        stranger = world.person("Stranger", language_code=None, user_id=next(ids))
        if place == "channel":
            post = {
                "message_id": next(ids),
                "date": int(NOW.timestamp()),
                "chat": chat_of(place, stranger),
                "text": text,
            }
            await stranger.feed({"channel_post": post})
        else:
            message = stranger._message(text=text)
            message["chat"] = chat_of(place, stranger)
            await stranger.feed({"message": message})
    elif kind == "group":
        place, text = value
        message = person._message(text=text)
        message["chat"] = chat_of(place, person)
        if place == "channel":
            message.pop("from")
            await person.feed({"channel_post": message})
        else:
            await person.feed({"message": message})
    elif kind == "edited":
        message = person._message(text=value)
        message["edit_date"] = int(NOW.timestamp())
        await person.feed({"edited_message": message})
    elif kind == "member":
        bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "Test Bot"}
        new: dict[str, Any] = {"status": value, "user": bot_user}
        if value == "kicked":  # the person blocked the bot; "member": unblocked it
            new["until_date"] = 0
        update = {
            "chat": chat_of("private", person),
            "from": person._user(),
            "date": int(NOW.timestamp()),
            "old_chat_member": {"status": "member", "user": bot_user},
            "new_chat_member": new,
        }
        await person.feed({"my_chat_member": update})


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table a resident may not change, row by row; and the audit entries but refusals (and a
    resident's deletion of their own data)."""
    with closing(sqlite3.connect(path)) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {
            t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
            for t in tables
            if t not in RESIDENT_TABLES
        }
        rows["audit_log (but refusals)"] = conn.execute(
            "SELECT * FROM audit_log WHERE actor_kind NOT IN ('refused', 'resident') ORDER BY id"
        ).fetchall()
    return rows


async def play(actions: list[tuple[str, Any]], staff: bool, prepared: Path) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        world = await open_world(Path(tmp), prepared)
        try:
            person = await (world.staff() if staff else world.resident())
            before = snapshot(world.db.path)
            for kind, value in actions:
                await act(person, kind, value)
            await world.intake.flush_marks()
            sorry = {world.i18n.gettext(msgid, locale=lang) for msgid in (SORRY, BUSY, FULL) for lang in ("kk", "ru")}
            problems = list(world.telegram.violations)
            problems += [f"apology: {r.text}" for r in world.telegram.requests if r.text in sorry]
            if not staff:
                after = snapshot(world.db.path)
                problems += [f"a resident changed {table}" for table in before if before[table] != after.get(table)]
            integrity = await world.db.fetchval("PRAGMA integrity_check")
            if integrity != "ok":
                problems.append(f"integrity_check: {integrity}")
            return problems
        finally:
            await world.close()


@pytest.mark.timeout(60 + EXAMPLES)  # a second an example at most, on top of the template
@settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(actions=st.lists(action, min_size=1, max_size=14), staff=st.booleans())
def test_any_sequence_of_updates_is_answered_without_an_internal_error(
    actions: list[tuple[str, Any]], staff: bool
) -> None:
    errors = Errors()
    for name in ("bot", "handlers", "storage", "aiogram"):
        logging.getLogger(name).addHandler(errors)
    try:
        problems = asyncio.run(play(actions, staff, template()))
    finally:
        for name in ("bot", "handlers", "storage", "aiogram"):
            logging.getLogger(name).removeHandler(errors)
    assert problems == [] and errors.seen == []


def test_the_fuzzer_knows_every_prefix_and_catches_a_planted_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test can fail: the prefixes come from the code, and a handler that raises is caught."""
    assert {"adm", "ct", "admct", "ini", "admi", "ev", "doc", "lang", "cons", "pick"} <= set(prefixes())
    from handlers import fallback

    async def planted(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("planted")

    monkeypatch.setattr(fallback, "show_menu", planted)
    errors = Errors()
    logging.getLogger("bot").addHandler(errors)
    try:
        problems = asyncio.run(play([("text", "nobody understands this")], False, template()))
    finally:
        logging.getLogger("bot").removeHandler(errors)
    assert problems and any("planted" in seen for seen in errors.seen)
