"""Set-ups and steps that several test modules share (a world, a flow, reading what the bot sent)."""

from __future__ import annotations

import csv
import io
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.keyboards.contests import Act, ContestCb
from bot.rules.clock import to_db
from storage import contests, documents
from storage.db import Database
from tests.fake_telegram import Request
from tests.harness import NOW, Person, World


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def scratch_db(path: Path) -> AsyncIterator[Database]:
    """A migrated database file of its own with a table ``t (x INTEGER)`` to write to, closed at the end."""
    db = await Database(path).connect()
    try:
        await db.execute("CREATE TABLE t (x INTEGER)")
        yield db
    finally:
        await db.close()


def sent_csv(document: Request) -> list[list[str]]:
    """The rows of a CSV file the bot sent, checked to be a document in UTF-8 with a BOM (Excel reads it)."""
    assert document.method == "sendDocument"
    data = document.params["document"]
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def with_phone(person: Person, phone: str) -> None:
    """The person's phone number as if they had shared their contact."""
    await person.world.db.execute("UPDATE people SET phone = ? WHERE telegram_id = ?", (phone, person.user_id))


async def vote(person: Person, contest_id: int, project_id: int) -> None:
    """The two taps of a vote: «Vote» on the project, then «Yes» on the confirmation."""
    await person.press_data(ContestCb(act=Act.ASK, contest=contest_id, project=project_id).pack())
    await person.press_data(ContestCb(act=Act.VOTE, contest=contest_id, project=project_id).pack())


async def stored_vote(
    world: World,
    contest_id: int,
    project_id: int,
    person_id: int,
    *,
    village: int,
    phone: str,
    now: datetime,
    choices: list[int] | None = None,
) -> tuple[str, contests.Project]:
    """A vote written straight through storage (no chat) by a person of the world's village number ``village``."""
    return await contests.cast_vote(
        world.db,
        contest_id=contest_id,
        project_id=project_id,
        person_id=person_id,
        rural_district_id=world.rural_district_id,
        village_id=world.village_ids[village],
        phone=phone,
        now=now,
        choices=choices,
    )


async def voted(world: World, name: str, phone: str, contest_id: int, project_id: int) -> Person:
    """A resident (reading Russian) with this phone number, who voted for the project."""
    person = await world.resident(name, lang="ru")
    await with_phone(person, phone)
    await vote(person, contest_id, project_id)
    return person


async def make_chair(world: World, person: Person) -> None:
    """The person becomes the chair of the meeting of the world's rural district."""
    await world.db.execute(
        "INSERT INTO roles (person_id, rural_district_id, role) VALUES (?, ?, 'chair')",
        (await person.person_id(), world.rural_district_id),
    )


async def koktobe(world: World) -> int:
    """A second rural district beside the world's own (same district), with one village, Коктобе; its id."""
    return await world.add_rural_district(
        "Көктөбе ауылдық округі", "Коктобинский сельский округ", (("Көктөбе", "Коктобе"),)
    )


async def published_document(
    world: World, *, rural_district_id: int | None = None, minutes: int = 0, **fields: Any
) -> int:
    """A document written straight through storage (no chat), ``minutes`` after NOW, in the world's
    district unless another is named: a gathering's protocol with a Kazakh text unless ``fields``
    (storage.documents.publish's own) say otherwise."""
    fields = {"kind": "protocol_gathering", "title_kk": "Жиын хаттамасы", "title_ru": "", "text_kk": "Мәтін", **fields}
    async with world.db.transaction() as tx:
        return await documents.publish(
            tx,
            rural_district_id=rural_district_id or world.rural_district_id,
            now=to_db(NOW + timedelta(minutes=minutes)),
            **fields,
        )


class operator_world:
    """A world whose Telegram id 777 is an operator; no request Telegram would refuse."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    async def __aenter__(self) -> World:
        self.world = await World.create(self.tmp_path, operator_ids=frozenset({777}))
        return self.world

    async def __aexit__(self, *exc: object) -> None:
        await self.world.close()
        assert not self.world.telegram.violations, self.world.telegram.violations
