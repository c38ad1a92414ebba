"""Is the bot well? ``health`` for cron and monitoring, ``GET /health`` in webhook mode, one log line
per update (JSON with LOG_FORMAT=json, never a phone or a name), and the README's systemd unit."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import signal
import subprocess
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.logs import JsonFormatter
from bot.rules.clock import to_db
from storage import operations
from tests.fake_telegram import FakeBotAPIServer
from tests.harness import NOW, World
from tests.steps import free_port
from tests.test_e2e import bot_process, wait_for, walk_onboarding, webhook_env
from tests.test_operations import cli, set_up

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(path))
    monkeypatch.chdir(tmp_path)
    return path


def test_health_exits_non_zero_when_the_bot_is_not_running(database: Path) -> None:
    set_up(database)
    code, out, _ = cli("health")
    assert code == 1 and out.startswith("problem: not running")


async def test_health_is_well_while_a_sender_reports_and_unwell_when_sending_is_stuck(world: World) -> None:
    from bot import health

    await world.db.execute(
        "INSERT INTO senders (token, host, pid, started_at, beat_at) VALUES ('t', 'h', 1, ?, ?)",
        (to_db(NOW), to_db(NOW)),
    )
    found = await health.check(world.db, NOW, 30)
    assert found.well and health.as_lines(found)[0] == "ok: the bot is well"
    resident = await world.resident()
    async with world.db.transaction() as tx:
        from storage import outbox

        await outbox.enqueue(
            tx,
            rural_district_id=world.rural_district_id,
            kind="answer",
            texts={"kk": "x"},
            recipients=[await resident.person_id()],
        )
    stuck = await health.check(world.db, NOW + timedelta(minutes=11), 30 * 60)
    assert not stuck.well and "sending is stuck" in stuck.problems[0]
    # sending stopped on purpose by an operator is not a fault, and is said
    await operations.hold(world.db, operations.audit.CLI, NOW)
    held = await health.check(world.db, NOW + timedelta(minutes=11), 30 * 60)
    assert held.well and any("stopped by an operator" in line for line in health.as_lines(held))


def test_json_log_lines_carry_the_update_and_never_a_phone() -> None:
    record = logging.LogRecord("bot.updates", logging.INFO, __file__, 1, "update %s", (5,), None)
    record.update_id, record.person_id, record.handler = 5, 12, "handlers.start.language"
    line = json.loads(JsonFormatter().format(record))
    assert line["update_id"] == 5 and line["person_id"] == 12 and line["handler"] == "handlers.start.language"


async def test_webhook_mode_answers_get_health_and_logs_one_json_line_per_update(
    tmp_path: Path, server: FakeBotAPIServer
) -> None:
    port = free_port()
    async with bot_process(tmp_path, server, **webhook_env(port), LOG_FORMAT="json") as process:
        await wait_for(server.telegram, lambda r: r.method == "setWebhook")
        async with aiohttp.ClientSession() as http:
            for _ in range(600):  # the sender reports within a moment of the start (a busy machine: a minute)
                async with http.get(f"http://127.0.0.1:{port}/health") as answer:
                    body = await answer.json()
                    if answer.status == 200:
                        break
                await asyncio.sleep(0.1)
            assert answer.status == 200 and body["status"] == "ok" and body["senders_alive"] >= 1
            assert body["schema"].startswith("0") and body["version"] == "0.1.0"
        await walk_onboarding(server.telegram)
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 120)
    lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
    updates = [line for line in lines if line["logger"] == "bot.updates"]
    assert len(updates) >= 4
    assert all(line["person_id"] and line["handler"] != "-" for line in updates)
    assert any(line["handler"].startswith("handlers.start") for line in updates)
    assert "Aigerim" not in output.decode()  # the person's name, from their Telegram profile


SYSTEMD_UNIT = re.compile(r"```ini\n(# /etc/systemd/system/aul-bot\.service\n.*?)```", re.S)


def test_the_readme_has_a_systemd_unit_that_systemd_accepts(tmp_path: Path) -> None:
    found = SYSTEMD_UNIT.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md: the systemd unit"
    unit = found.group(1)
    for needed in ("Restart=on-failure", "User=aul", "DATABASE_PATH=", "ExecStart="):
        assert needed in unit
    verifier = shutil.which("systemd-analyze")
    if verifier is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing in CI (.ci/run installs it)")
        pytest.skip("systemd-analyze is not installed here (apt-get install systemd)")
    # the unit as it would be installed, its paths pointing at this checkout
    text = unit.replace("/opt/aul", str(ROOT)).replace("User=aul", "User=root").replace("Group=aul", "Group=root")
    path = tmp_path / "aul-bot.service"
    path.write_text(text, encoding="utf-8")
    result = subprocess.run([verifier, "verify", str(path)], capture_output=True, text=True, timeout=60)
    problems = [line for line in result.stderr.splitlines() if "aul-bot.service" in line]
    assert result.returncode == 0 and problems == [], result.stderr


def test_health_of_a_file_that_is_not_a_database_is_one_clear_line(database: Path) -> None:
    database.write_bytes(b"not a database" * 100)
    code, _out, err = cli("health")
    assert code == 1 and err.startswith("error: ") and "Traceback" not in err
