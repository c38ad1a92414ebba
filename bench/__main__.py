"""``python -m bench [NAME ...] [--quick]``: run benchmarks, print one table, write bench/results/NAME.json.

Each benchmark is a module ``bench/NAME.py`` with ``async def run(quick) -> dict`` (its figures,
written to ``bench/results/NAME.json``) and ``targets(figures)`` (rows of figure, value, target
and whether it holds, ``None`` for a figure without a target). With no NAME every benchmark runs,
``delivery`` included (about 6 minutes; ``--quick`` takes a smaller size of each).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results"
Row = tuple[str, Any, str, bool | None]


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


def _text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def table(rows: list[tuple[str, Row]]) -> str:
    """One table: benchmark, figure, value, target, holds."""
    lines = [("benchmark", "figure", "value", "target", "holds")]
    for name, (figure, value, target, holds) in rows:
        lines.append((name, figure, _text(value), target, "—" if holds is None else ("yes" if holds else "NO")))
    widths = [max(len(line[i]) for line in lines) for i in range(5)]
    out = []
    for k, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) if i < 4 else cell for i, cell in enumerate(line)).rstrip())
        if k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {', '.join(available())})")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    names = args.names or available()
    unknown = set(names) - set(available())
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(sorted(unknown))}; available: {', '.join(available())}")
    RESULTS.mkdir(exist_ok=True)
    rows: list[tuple[str, Row]] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        figures = asyncio.run(module.run(quick=args.quick))
        figures.setdefault("seconds", round(time.perf_counter() - started, 2))
        figures["quick"] = args.quick
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        rows += [(name, row) for row in module.targets(figures)]
        print(f"{name}: done in {figures['seconds']} s; figures in {RESULTS / name}.json", file=sys.stderr)
    print(table(rows))
    if any(holds is False for _name, (_f, _v, _t, holds) in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
