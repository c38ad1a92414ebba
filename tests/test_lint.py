"""The tree stays clean: ruff (lint and format) and mypy over the bot's packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=280)


def test_ruff_check_and_format() -> None:
    for args in (("ruff", "check", "."), ("ruff", "format", "--check", ".")):
        result = run(*args)
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stdout}{result.stderr}"


def test_mypy() -> None:
    result = run("mypy", "-p", "bot", "-p", "handlers", "-p", "storage")
    assert result.returncode == 0, f"mypy:\n{result.stdout}{result.stderr}"
