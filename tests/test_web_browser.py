"""The public pages in a real browser: Debian's headless Chromium, driven by Selenium through
/usr/bin/chromedriver (nothing is downloaded), opens the index, a contest's results and a
document in each language on a 360-px phone screen, checks what a person sees, runs axe-core
(tests/data/axe-core, MPL-2.0) for accessibility, and saves screenshots in tests/artifacts/.

Without Chromium the test is skipped with the reason, except in CI (``CI=true``), where a missing
browser is a failure: CI installs it (.ci/run).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot import demo
from bot.config import Settings
from bot.i18n import build_i18n
from bot.rules.clock import FixedClock
from bot.web.app import open_app
from storage.db import Database
from tests.harness import NOW
from tests.steps import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = Path(__file__).parent / "data" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).parent / "artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
# WCAG 2.1 A and AA, and axe's best practices (one main landmark, one h1, regions...).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def _missing() -> str | None:
    absent = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        absent.append("the selenium package")
    if absent:
        return "no browser to test in: " + ", ".join(absent) + " (apt-get install chromium chromium-driver)"
    return None


def _browse(base: str, pages: list[tuple[str, str, str, list[str]]]) -> dict[str, Any]:
    """Open each page, read it as a person would, run axe, save a full-page screenshot."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in (*FLAGS, f"--user-data-dir={profile}", "--window-size=360,800", "--lang=kk"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_script_timeout(60)
    found: dict[str, Any] = {}
    axe = AXE.read_text(encoding="utf-8")

    def check() -> list[Any]:
        driver.execute_script(axe)  # through WebDriver: the page's CSP (no script) does not apply
        return driver.execute_async_script(  # type: ignore[no-any-return]
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => [v.id, v.impact, v.help,"
            " v.nodes.slice(0, 3).map(n => n.target.join(' '))])))"
            ".catch(e => done([['axe-error', 'critical', String(e), []]]));",
            AXE_TAGS,
        )

    try:
        # a planted page first: the check must find what is wrong with it, or it proves nothing
        driver.get("data:text/html,<html><body><img src='x.png'><a href='/'></a></body></html>")
        found["planted"] = {v[0] for v in check()}
        for name, lang, path, expected in pages:
            driver.set_window_size(360, 800)
            driver.get(base + path)
            seen = driver.find_element(By.TAG_NAME, "body").text
            heading = driver.find_element(By.TAG_NAME, "h1").text
            result = check()
            width = driver.execute_script("return document.documentElement.scrollWidth")
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(360, min(int(height) + 20, 6000))
            shot = ARTIFACTS / f"{name}-{lang}.png"
            driver.save_screenshot(str(shot))
            found[f"{name}-{lang}"] = {
                "lang": driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
                "title": driver.title,
                "heading": heading,
                "text": seen,
                "missing": [text for text in expected if text not in seen],
                "violations": result,
                "width": width,
                "screenshot": shot,
            }
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return found


@pytest.mark.timeout(600)
async def test_index_results_and_a_document_in_a_real_browser(tmp_path: Path) -> None:
    reason = _missing()
    if reason is not None:
        if IN_CI:
            pytest.fail(reason + "; in CI the browser test must run (.ci/run installs it)")
        pytest.skip(reason)
    path = tmp_path / "bot.sqlite3"
    db = await Database(path).connect()
    clock = FixedClock(NOW)
    rd = await demo.fill(db, clock, staff_telegram_id=424242)
    closed = await db.fetchval("SELECT id FROM contests WHERE status = 'closed'")
    programme = await db.fetchval("SELECT id FROM documents WHERE kind = 'development_programme'")
    port = free_port()
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=path, web_port=port, public_url=f"http://127.0.0.1:{port}", web_rate_per_client=0
    )
    runner = web.AppRunner(await open_app(settings, build_i18n(), clock), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ARTIFACTS.mkdir(exist_ok=True)
    pages = [
        ("index", "kk", "/kk/", ["Ауылдық округтер", "Ақсай ауылдық округі", "Қарасай ауданы"]),
        ("index", "ru", "/ru/", ["Сельские округа", "Аксайский сельский округ", "Карасайский район"]),
        (
            "results",
            "kk",
            f"/kk/{rd}/contests/{closed}",
            [
                "Абаттандыру жобалары 2026",
                "Нәтижелер",
                "1. Көше шамдары",
                "64",
                "Барлық дауыс",
                "Ботта берілген дауыс: 0",
            ],
        ),
        (
            "results",
            "ru",
            f"/ru/{rd}/contests/{closed}",
            ["Проекты благоустройства 2026", "Итоги", "1. Уличные фонари", "64", "Всего голосов", "0 голосов в боте"],
        ),
        (
            "document",
            "kk",
            f"/kk/{rd}/documents/{programme}",
            ["Жергілікті қоғамдастықтың даму бағдарламасы", "1. Мақсаты: ауылдардың тұрғындары", "1-нұсқа"],
        ),
        (
            "document",
            "ru",
            f"/ru/{rd}/documents/{programme}",
            ["Программа развития местного сообщества", "1. Цель: удобная среда для жителей сёл.", "Версия 1"],
        ),
    ]
    try:
        found = await asyncio.to_thread(_browse, f"http://127.0.0.1:{port}", pages)
    finally:
        await runner.cleanup()
        await db.close()
    assert {"image-alt", "link-name", "html-has-lang"} <= found.pop("planted")
    for key, page in found.items():
        lang = key.rsplit("-", 1)[1]
        assert page["lang"] == lang, key
        assert page["missing"] == [], (key, page["missing"], page["text"][:2000])
        assert page["violations"] == [], (key, page["violations"])
        assert page["width"] <= 360, (key, "wider than a 360-px phone", page["width"])
        assert page["screenshot"].stat().st_size > 5000, key
    assert found["results-kk"]["heading"] == "Абаттандыру жобалары 2026"
    assert found["document-ru"]["title"].startswith("Программа развития местного сообщества")
