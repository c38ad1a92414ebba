"""``python -m bench._profile SCREEN [PRESSES] [RESIDENTS]``: where one screen's time goes.

The screen of ``bench/screens.py`` pressed ``PRESSES`` times (200) by the residents of a data set
of ``RESIDENTS`` (1,000) under cProfile, as the timed rounds of ``screens`` press it (the fake
Telegram's checks off, the start-up's objects frozen); printed: the update's time under the
profiler and the share of it in each part (their cumulative time).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import pstats
import sys
import tempfile
from pathlib import Path

from bench import screens
from bench._data import data_set

PARTS = [  # (part, where, the functions whose cumulative time is that part's; none named: every one there)
    ("aiogram's request and response (pydantic)", "aiogram/methods/base.py", {"emit"}),
    ("SQL", "storage/db.py", {"_run", "run"}),
    ("FSM storage", "bot/fsm.py", {"set_state", "set_data"}),
    ("keyboards", "bot/keyboards/", set()),
    ("texts: Babel dates and money", "bot/formatting.py", set()),
]


async def main(name: str, presses: int, residents: int) -> None:
    screen = next(s for s in screens.SCREENS if s.name == name)
    with tempfile.TemporaryDirectory() as tmp:
        ds = await data_set(residents, Path(tmp))
        bench = await screens.Bench.open(ds.copy_to(Path(tmp) / "profile"))
        updates = screens.Updates()
        for turn in range(5):  # warm: the caches and the FSM rows as in the timed rounds
            update, before = bench.update(updates, screen, turn)
            if before is not None:
                await bench.feed(before)
            await bench.feed(update)
        gc.freeze()
        bench.telegram.checks = False
        profile = cProfile.Profile()
        for turn in range(presses):
            update, before = bench.update(updates, screen, turn)
            if before is not None:
                await bench.feed(before)
            profile.enable()
            await bench.feed(update)
            profile.disable()
            if turn % 20 == 0:
                bench.telegram.requests.clear()
        await bench.close()
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in stats.values())
    shares: dict[str, float] = {}
    for (path, _line, function), (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        for part, where, which in PARTS:
            if where in path and (function in which or (not which and not function.startswith("<"))):
                shares[part] = shares.get(part, 0.0) + cumulative
                break
    print(f"{name}: {total / presses * 1000:.2f} ms an update under cProfile ({residents:,} residents)")
    for part, seconds in sorted(shares.items(), key=lambda item: -item[1]):
        print(f"  {100 * seconds / total:5.1f} %  {part}")


if __name__ == "__main__":
    args = sys.argv[1:]
    names = [s.name for s in screens.SCREENS]
    if not args or args[0] not in names:
        sys.exit("usage: python -m bench._profile SCREEN [PRESSES] [RESIDENTS]; screens: " + ", ".join(names))
    presses = int(args[1]) if len(args) > 1 else 200
    asyncio.run(main(args[0], presses, int(args[2]) if len(args) > 2 else 1_000))
