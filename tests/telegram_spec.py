"""What Telegram refuses, checked against the Bot API spec (tests/data/bot-api-10.1.json).

Used by the recording session of the in-process tests and by the fake Bot API server alike.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).parent / "data" / "bot-api-10.1.json"
TEXT_LIMIT, CAPTION_LIMIT, CALLBACK_LIMIT = 4096, 1024, 64
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
    "tg-time",
}
BAD_AMP = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")
BAD_LT = re.compile(r"<(?!/?(?:" + "|".join(map(re.escape, sorted(ALLOWED_TAGS, key=len, reverse=True))) + r")[\s>/])")


@cache
def spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@cache
def _methods() -> dict[str, tuple[str, dict[str, Any]]]:
    """Method bodies by lower-case name, with their fields by name."""
    return {
        name.lower(): (name, {f["name"]: f for f in body.get("fields", [])}) for name, body in spec()["methods"].items()
    }


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"unsupported tag <{tag}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unbalanced </{tag}>")
        else:
            self.stack.pop()


def html_problems(text: str) -> list[str]:
    """Why Telegram's HTML parser would refuse this text (empty when it would not)."""
    problems = []
    if BAD_AMP.search(text):
        problems.append("can't parse entities: bare '&'")
    if BAD_LT.search(text):
        problems.append("can't parse entities: bare '<' or unsupported tag")
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    problems += checker.problems
    if checker.stack:
        problems.append(f"unclosed <{checker.stack[-1]}>")
    return problems


def visible(text: str, parse_mode: str | None) -> str:
    """What the person reads: with ``parse_mode`` HTML, the text without its tags and with its entities read."""
    if parse_mode == "HTML":
        return html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def _plain_length(text: str, parse_mode: str | None) -> int:
    return len(visible(text, parse_mode))


SHOWN_ENTITY = re.compile(r"&(?:amp|lt|gt|quot);")
DATE_AND_STOP = re.compile(r"\d{4}\s?[гж]\.\.")


def shown(params: dict[str, Any]) -> list[str]:
    """Every text of a request as the person reads it: a message or caption after Telegram parses
    its HTML, album captions, an alert, and every button (button labels are never parsed)."""
    parse_mode = params.get("parse_mode")
    texts = [visible(params[key], parse_mode) for key in ("text", "caption") if isinstance(params.get(key), str)]
    media = params.get("media")
    if isinstance(media, list):
        texts += [
            visible(m["caption"], m.get("parse_mode", parse_mode))
            for m in media
            if isinstance(m, dict) and isinstance(m.get("caption"), str)
        ]
    return texts + [str(button.get("text") or "") for button in _buttons(params.get("reply_markup"))]


def shown_entities(params: dict[str, Any]) -> list[str]:
    """HTML entities a person would read as such («&amp;» on the screen): the mark of a text escaped
    twice. Telegram accepts it."""
    return [found for text in shown(params) for found in SHOWN_ENTITY.findall(text)]


def doubled_stops(params: dict[str, Any]) -> list[str]:
    """A full stop right after a date that ends with one («23 декабря 2026 г..»)."""
    return [found for text in shown(params) for found in DATE_AND_STOP.findall(text)]


def _buttons(markup: Any) -> list[dict[str, Any]]:
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [button for row in rows for button in row if isinstance(button, dict)]


def problems(method: str, params: dict[str, Any]) -> list[str]:
    """Everything Telegram would answer 400 to (unknown method, missing or unknown fields, limits, HTML)."""
    known = _methods().get(method.lower())
    if known is None:
        return [f"unknown method {method}"]
    found = []
    fields = known[1]
    for name, field in fields.items():
        if field["required"] and params.get(name) in (None, ""):
            found.append(f"{method}: missing required field {name}")
    for name in params:
        if name not in fields:
            found.append(f"{method}: unknown field {name}")
    parse_mode = params.get("parse_mode")
    if isinstance(params.get("text"), str):
        text = params["text"]
        if not text.strip():
            found.append(f"{method}: message text is empty")
        if _plain_length(text, parse_mode) > TEXT_LIMIT:
            found.append(f"{method}: message is too long")
        if parse_mode == "HTML":
            found += [f"{method}: {p}" for p in html_problems(text)]
    if isinstance(params.get("caption"), str):
        if _plain_length(params["caption"], parse_mode) > CAPTION_LIMIT:
            found.append(f"{method}: caption is too long")
        if parse_mode == "HTML":
            found += [f"{method}: {p}" for p in html_problems(params["caption"])]
    for button in _buttons(params.get("reply_markup")):
        data = button.get("callback_data")
        if data is not None and len(str(data).encode()) > CALLBACK_LIMIT:
            found.append(f"{method}: BUTTON_DATA_INVALID ({len(str(data).encode())} bytes)")
        if not button.get("text"):
            found.append(f"{method}: button without text")
    return found
