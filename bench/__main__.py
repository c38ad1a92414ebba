"""``python -m bench [NAME ...] [--quick]``: run benchmarks, print a table, write bench/results/NAME.json."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def available() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))


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
    rows = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        started = time.perf_counter()
        figures = asyncio.run(module.run(quick=args.quick))
        figures.setdefault("seconds", round(time.perf_counter() - started, 2))
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        rows += [(name, key, value) for key, value in figures.items()]
    width = max(len(f"{n}.{k}") for n, k, _ in rows) if rows else 10
    print(f"{'benchmark.figure':<{width}}  value")
    for name, key, value in rows:
        print(f"{name + '.' + key:<{width}}  {value}")


if __name__ == "__main__":
    main()
