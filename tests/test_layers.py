"""The house has one direction of imports; this test reads them (``ast``, nothing is run).

    bot.py ─▶ bot/ (assembly) ─▶ handlers (only through ``handlers.routers()``, in ``bot/app.py``)
                    │                 │
                    ▼                 ▼
                 storage/ ─────▶ bot/rules/ ◀── everything may use the rules

- ``bot/rules``: the standard library, Babel, tzdata and ``holidays``, and itself. Nothing else.
- ``storage``: itself, ``bot.rules``, aiosqlite, asyncpg and the standard library; never ``handlers``,
  ``bot`` outside ``bot.rules``, or aiogram.
- ``handlers``: no SQL text and no aiosqlite (they call storage); a feature imports
  ``handlers.common`` and itself, not another feature.
- Nothing outside ``handlers`` imports it but the composition point, ``bot/app.py``, and that
  only as ``import handlers``.
- aiogram's and aiosqlite's private attributes only in ``bot/_aiogram.py`` and ``storage/_aiosqlite.py``.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names)
RULES_MAY_IMPORT = STDLIB | {"babel", "tzdata", "holidays", "bot.rules"}
STORAGE_MAY_IMPORT = STDLIB | {"aiosqlite", "asyncpg", "storage", "bot.rules"}
COMPOSITION_POINT = "bot/app.py"
PRIVATE_PARTS = {"bot/_aiogram.py": "_parent_router", "storage/_aiosqlite.py": "_execute"}
SQL = re.compile(r"\b(SELECT\b.+\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.S)
AIOGRAM_PRIVATE = re.compile(r"^_(?!_)")


@dataclass(frozen=True)
class Violation:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(tree: ast.AST, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            yield node.lineno, name
            for alias in node.names:  # ``from bot import operator`` imports bot.operator
                yield node.lineno, f"{name}.{alias.name}"


def _allowed(name: str, allowed: set[str]) -> bool:
    return any(name == a or name.startswith(a + ".") for a in allowed)


def _top_level(name: str) -> str:
    return name.split(".")[0]


def violations(root: Path = ROOT) -> list[Violation]:
    """Every arrow that runs the wrong way in the tree at ``root``."""
    found: list[Violation] = []
    files = [p for folder in ("bot", "handlers", "storage") for p in sorted((root / folder).rglob("*.py"))]
    files += [p for p in (root / "bot.py",) if p.exists()]
    for path in files:
        rel = path.relative_to(root).as_posix()
        module = _module_name(path, root) if rel != "bot.py" else "__main__"
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        for lineno, name in _imports(tree, module, path.name == "__init__.py"):
            where = f"{rel}:{lineno}"
            top = _top_level(name)
            if rel.startswith("bot/rules/"):
                # ``from bot.rules import x`` also yields ``bot.rules`` itself: fine.
                if not _allowed(name, RULES_MAY_IMPORT) and top not in STDLIB:
                    found.append(Violation(where, f"bot/rules imports {name}"))
            elif rel.startswith("storage/"):
                if top == "bot" and not _allowed(name, {"bot.rules"}):
                    found.append(Violation(where, f"storage imports {name} (bot outside bot/rules)"))
                elif top in {"handlers", "aiogram"} or (not _allowed(name, STORAGE_MAY_IMPORT) and top not in {"bot"}):
                    found.append(Violation(where, f"storage imports {name}"))
            elif rel.startswith("handlers/"):
                if top == "aiosqlite":
                    found.append(Violation(where, f"handlers import {name}"))
                feature = rel.split("/")[1].removesuffix(".py")
                if top == "handlers" and rel != "handlers/__init__.py":
                    other = name.split(".")[1] if "." in name else ""
                    if other and other not in {"common", feature}:
                        found.append(Violation(where, f"handlers/{feature} imports another feature, {name}"))
            outside = top == "handlers" and not rel.startswith("handlers/")
            if outside and (rel != COMPOSITION_POINT or name != "handlers"):
                found.append(Violation(where, f"{rel} imports {name}; only {COMPOSITION_POINT} composes handlers"))
        if rel.startswith("handlers/"):
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                    found.append(Violation(f"{rel}:{node.lineno}", "SQL text in a handler"))
        if rel not in PRIVATE_PARTS:
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Attribute)
                    and AIOGRAM_PRIVATE.match(node.attr)
                    and node.attr in {"_parent_router", "_execute", "_conn"}
                    and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
                ):
                    found.append(Violation(f"{rel}:{node.lineno}", f"private attribute {node.attr}"))
    return found


def test_every_import_runs_the_one_direction() -> None:
    assert [str(v) for v in violations()] == []


PLANTED = {
    "bot/rules/bad.py": "from aiogram import Bot\n",
    "storage/bad.py": "from bot.formatting import escape\nfrom handlers import common\nimport aiogram\n",
    "handlers/bad.py": (
        'import aiosqlite\nQUERY = "SELECT id FROM people WHERE id = ?"\nfrom handlers.contests import x\n'
    ),
    "bot/jobs/bad.py": "from handlers.common import target\n",
    "bot/bad.py": "def f(conn):\n    return conn._conn\n",
}


def test_a_planted_violation_of_each_rule_fails(tmp_path: Path) -> None:
    for folder in ("bot/rules", "bot/jobs", "storage", "handlers"):
        (tmp_path / folder).mkdir(parents=True)
    for rel, source in PLANTED.items():
        (tmp_path / rel).write_text(source)
    found = {str(v) for v in violations(tmp_path)}
    expected = {
        "bot/rules/bad.py:1: bot/rules imports aiogram",
        "bot/rules/bad.py:1: bot/rules imports aiogram.Bot",
        "storage/bad.py:1: storage imports bot.formatting (bot outside bot/rules)",
        "storage/bad.py:2: storage imports handlers",
        "storage/bad.py:3: storage imports aiogram",
        "handlers/bad.py:1: handlers import aiosqlite",
        "handlers/bad.py:2: SQL text in a handler",
        "handlers/bad.py:3: handlers/bad imports another feature, handlers.contests",
        "bot/jobs/bad.py:1: bot/jobs/bad.py imports handlers.common; only bot/app.py composes handlers",
        "bot/bad.py:2: private attribute _conn",
    }
    assert expected <= found, sorted(found)


def test_a_router_can_be_composed_twice() -> None:
    """Pins what ``bot/_aiogram.py`` relies on: a detached router can be included again."""
    from aiogram import Dispatcher, Router

    from bot._aiogram import detached

    router = Router(name="feature")
    Dispatcher().include_router(router)
    with pytest.raises(RuntimeError):
        Dispatcher().include_router(router)
    Dispatcher().include_routers(*detached(router))
    assert router.parent_router is not None
