"""Set-ups and steps that several test modules share (a world, a flow, reading what the bot sent)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.fake_telegram import Request
from tests.harness import World


def sent_csv(document: Request) -> list[list[str]]:
    """The rows of a CSV file the bot sent, checked to be a document in UTF-8 with a BOM (Excel reads it)."""
    assert document.method == "sendDocument"
    data = document.params["document"]
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


async def koktobe(world: World) -> int:
    """A second rural district beside the world's own (same district), with one village, Коктобе; its id."""
    return await world.add_rural_district(
        "Көктөбе ауылдық округі", "Коктобинский сельский округ", (("Көктөбе", "Коктобе"),)
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
