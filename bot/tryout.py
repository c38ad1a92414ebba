"""``python bot.py try``: the real bot against the fake Bot API server of the tests, with a chat in
this terminal. No Telegram, no internet: for an akimat evaluating the bot, and for development.

Type a message and press Enter; type a button's number to press it. ``!contact``, ``!location``,
``!photo``, ``!voice`` send those; ``!quit`` (or Ctrl-D) leaves.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import sys
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import build_app, run_polling
from bot.config import Settings
from bot.demo import fill
from bot.rules.clock import SystemClock
from tests.fake_telegram import TOKEN, FakeBotAPIServer, Request

USER_ID = 700001
BOLD, DIM, RESET = "\033[1m", "\033[2m", "\033[0m"


def render(request: Request, color: bool) -> str:
    """A message as the terminal shows it: text without tags, then numbered buttons."""
    text = request.text
    if color:
        text = re.sub(r"<b>(.*?)</b>", lambda m: BOLD + m.group(1) + RESET, text, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    kind = {"sendPhoto": "[photo] ", "sendDocument": "[document] ", "editMessageText": "[edited] "}.get(
        request.method, ""
    )
    lines = [f"bot> {kind}{text}"]
    for number, label in enumerate(request.buttons, 1):
        lines.append(f"   [{number}] {label}")
    return "\n".join(lines)


class Chat:
    """The person at the terminal, talking to the bot through the fake server."""

    def __init__(self, server: FakeBotAPIServer) -> None:
        self.server = server
        self.ids = itertools.count(1)
        self.shown = 0
        self.last_with_buttons: Request | None = None
        self.user = {"id": USER_ID, "is_bot": False, "first_name": "You", "language_code": "kk"}
        self.chat = {"id": USER_ID, "type": "private", "first_name": "You"}
        self.pushed = 0  # updates sent to the bot …
        self.handled = 0  # … and those its dispatcher has finished with
        self.progress = asyncio.Event()

    def push(self, update: dict[str, Any]) -> None:
        self.pushed += 1
        self.server.telegram.push_update(update)

    async def count_handled(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        """An outer middleware: the dispatcher is done with one more update (answered or not)."""
        try:
            return await handler(event, data)
        finally:
            self.handled += 1
            self.progress.set()

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message": {
                "message_id": next(self.ids),
                "date": int(time.time()),
                "chat": self.chat,
                "from": self.user,
                **content,
            }
        }

    def say(self, line: str) -> None:
        if line.isdigit() and self.last_with_buttons and 0 < int(line) <= len(self.last_with_buttons.buttons):
            self.press(self.last_with_buttons, int(line) - 1)
        elif line == "!contact":
            self.push(self._message(contact={"phone_number": "77011234567", "first_name": "You", "user_id": USER_ID}))
        elif line == "!location":
            self.push(self._message(location={"latitude": 43.35, "longitude": 77.0}))
        elif line == "!photo":
            file_id = self.server.telegram.new_file(b"photo")
            self.push(
                self._message(photo=[{"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600}])
            )
        elif line == "!voice":
            file_id = self.server.telegram.new_file(b"voice")
            self.push(self._message(voice={"file_id": file_id, "file_unique_id": file_id, "duration": 4}))
        else:
            content: dict[str, Any] = {"text": line}
            if line.startswith("/"):
                content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(line.split()[0])}]
            self.push(self._message(**content))

    def press(self, under: Request, index: int) -> None:
        inline = under.markup.get("inline_keyboard")
        if not inline:
            self.say(under.buttons[index])
            return
        button = [b for row in inline for b in row][index]
        if "url" in button:
            print(f"{DIM}(a link: {button['url']}){RESET}")
            return
        self.push(
            {
                "callback_query": {
                    "id": str(next(self.ids)),
                    "from": self.user,
                    "chat_instance": "try",
                    "data": button["callback_data"],
                    "message": {
                        "message_id": int(under.params.get("message_id") or 1),
                        "date": int(time.time()),
                        "chat": self.chat,
                        "text": under.text or "…",
                        "reply_markup": under.markup,
                    },
                }
            }
        )

    async def show_new(self, color: bool, settle: float = 0.4) -> None:
        """Print what the bot sent since last time: once it has handled every update sent to it
        (however long that takes on a busy machine), and the sender has been quiet for a moment."""
        while self.handled < self.pushed:
            self.progress.clear()
            await self.progress.wait()
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle:
            sent = self.server.telegram.sent_to(USER_ID)
            if len(sent) > self.shown:
                for request in sent[self.shown :]:
                    print(render(request, color))
                    if request.buttons:
                        self.last_with_buttons = request
                self.shown = len(sent)
                quiet_since = time.monotonic()
            await asyncio.sleep(0.05)


async def main(database: str, *, staff: bool = False) -> None:
    server = await FakeBotAPIServer().start()
    settings = Settings(  # type: ignore[call-arg]  # _env_file is BaseSettings' own init argument
        _env_file=None,
        bot_token=SecretStr(TOKEN),
        telegram_api_url=server.url,
        database_path=Path(database),
        tick_seconds=2.0,
        throttle_per_second=0,
    )
    if settings.web_port is not None and settings.public_url is None:  # the links the bot gives out
        settings.public_url = f"http://127.0.0.1:{settings.web_port}"
    app = await build_app(settings, clock=SystemClock())
    await fill(app.db, app.clock, staff_telegram_id=USER_ID if staff else None)
    chat = Chat(server)
    app.dp.update.outer_middleware(chat.count_handled)
    stop = asyncio.Event()  # the polling of bot.py through the inbox; it starts the public pages too
    polling = asyncio.create_task(run_polling(app, stop=stop, handle_signals=False))
    color = sys.stdout.isatty()
    if settings.web_port is not None:
        print(f"{DIM}The public pages: http://127.0.0.1:{settings.web_port}/{RESET}")
    print(
        f"{DIM}A chat with the bot, no Telegram needed (database: {database}). Type a message, or a button's "
        f"number; !contact !location !photo !voice send those; !quit leaves.{RESET}"
    )
    chat.say("/start")
    try:
        while True:
            await chat.show_new(color)
            try:
                line = await asyncio.to_thread(input, "you> ")
            except EOFError:
                break
            line = line.strip()
            if line in {"!quit", "!q"}:
                break
            if line:
                chat.say(line)
    finally:
        stop.set()
        await asyncio.gather(polling, return_exceptions=True)
        await server.stop()
