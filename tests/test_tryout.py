"""``python bot.py try``: a chat in the terminal against the fake Bot API server, buttons by number."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_try_walks_from_greeting_to_the_menu(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM", "MODE"))}
    result = subprocess.run(
        [sys.executable, "bot.py", "try", "--database", str(tmp_path / "try.sqlite3")],
        cwd=ROOT,
        env=env,
        input="2\n1\n1\n!quit\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bot> Сәлеметсіз бе! Здравствуйте!" in out
    assert "[2] Русский" in out
    assert "bot> Выберите своё село." in out
    assert "Согласие на обработку персональных данных" in out
    assert "[1] 💡 Инициативы" in out
