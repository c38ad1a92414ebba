"""Property-based: whatever a resident (or a forger) sends, in any order, the bot answers politely
and never crashes: no apology for an internal error, no request Telegram would refuse.

Updates are drawn from what a person can really send: menu labels in both languages, commands,
free text (HTML included), stickers, photos, voices, contacts, and callback data built from
every prefix the bot knows with random fields, as a forged or stale button would carry.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import World

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
]
COMMANDS = ["/start", "/menu", "/cancel", "/help", "/language", "/operator", "/add_village 1 | a | b", "/x"]


class Errors(logging.Handler):
    """Collects what the errors middleware logs when a handler raised."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(f"{record.getMessage()}: {record.exc_info[1] if record.exc_info else ''}")


field = st.one_of(
    st.integers(min_value=-2, max_value=12).map(str),
    st.sampled_from(["", "x", "a", "c", "v", "1.5", "-", "home", "initiatives", "kk", "ru", "True", "0"]),
)
callback = st.builds(
    lambda prefix, fields: ":".join([prefix, *fields])[:64],
    st.sampled_from(PREFIXES),
    st.lists(field, min_size=0, max_size=4),
)
action = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(LABELS + COMMANDS)),
    st.tuples(st.just("text"), st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != "")),
    st.tuples(st.just("press"), callback),
    st.tuples(st.just("press_last"), st.integers(min_value=0, max_value=8)),
    st.tuples(st.just("media"), st.sampled_from(["sticker", "photo", "voice", "location", "contact", "document"])),
)


APOLOGY = "Sorry, something went wrong on our side. Please try again."


async def play(actions: list[tuple[str, object]], staff: bool) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        world = await World.create(Path(tmp))
        try:
            person = await (world.staff() if staff else world.resident())
            for kind, value in actions:
                if kind == "text":
                    await person.send(str(value))
                elif kind == "press":
                    await person.press_data(str(value))
                elif kind == "press_last":
                    inline = person.last.inline
                    if inline:
                        button = inline[int(str(value)) % len(inline)]
                        if "callback_data" in button:
                            await person.press_data(button["callback_data"], message=person.last)
                    elif person.last.buttons:
                        await person.send(person.last.buttons[int(str(value)) % len(person.last.buttons)])
                elif value == "contact":
                    await person.share_contact("+7 701 123 45 67")
                else:
                    await getattr(person, f"send_{value}")()
            sorry = {world.i18n.gettext(APOLOGY, locale=lang) for lang in ("kk", "ru")}
            problems = list(world.telegram.violations)
            problems += [t for t in person.texts() if t in sorry]
            return problems
        finally:
            await world.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=st.lists(action, min_size=1, max_size=12), staff=st.booleans())
def test_any_sequence_of_updates_is_answered_without_an_internal_error(
    actions: list[tuple[str, object]], staff: bool
) -> None:
    errors = Errors()
    logging.getLogger("bot").addHandler(errors)
    try:
        problems = asyncio.run(play(actions, staff))
    finally:
        logging.getLogger("bot").removeHandler(errors)
    assert problems == [] and errors.seen == []
