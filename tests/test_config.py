"""Settings: validated at start, one clear line for a missing or malformed token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def run_bot(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BOT_TOKEN", "MODE", "WEBHOOK_URL"}}
    return subprocess.run(
        [sys.executable, "bot.py", *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120
    )


def test_missing_token_is_one_clear_line() -> None:
    result = run_bot(DATABASE_PATH="/nonexistent/never-created.sqlite3")
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "error: BOT_TOKEN is not set. Get a token from @BotFather and run: BOT_TOKEN=<token> python bot.py"
    )


def test_malformed_token_is_one_clear_line() -> None:
    result = run_bot(BOT_TOKEN="not-a-token")
    assert result.returncode != 0
    assert result.stderr.strip().startswith("error: BOT_TOKEN:")
    assert "Traceback" not in result.stderr


def test_help_lists_subcommands_and_settings() -> None:
    result = run_bot("--help")
    assert result.returncode == 0
    for word in (
        "try",
        "demo",
        "add-rural-district",
        "add-village",
        "add-staff",
        "set-consent",
        "BOT_TOKEN",
        "DATABASE_PATH",
        "TELEGRAM_API_URL",
        "WEBHOOK_SECRET",
        "OPERATOR_IDS",
    ):
        assert word in result.stdout


def test_settings_defaults_and_parsing() -> None:
    settings = Settings(_env_file=None, operator_ids="1, 2,3", telegram_api_url="http://127.0.0.1:8081/")
    assert settings.operator_ids == frozenset({1, 2, 3})
    assert settings.telegram_api_url == "http://127.0.0.1:8081"
    assert settings.database_path == Path("data/bot.sqlite3")
    assert settings.mode == "polling"


def test_webhook_mode_needs_a_url() -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_URL"):
        Settings(_env_file=None, mode="webhook")
