"""The terminal as a chat platform: ``candor demo`` runs a whole interview here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

from bot.engine import InterviewEngine
from bot.state import Status
from bot.state.model import LIVE
from bot.textfiles import NotUtf8, utf8_text
from bot.types import Inbound, Participant, Platform, Reply

EXIT_COMPLETE = 0
EXIT_PAUSED = 3
_BOLD = re.compile(r"\*([^*\n]+)\*")


class AnswersFileError(Exception):
    """The answers file cannot be used; the message names the file and what is wrong."""


def read_answers(path: Path) -> list[str]:
    """Answers separated by blank lines; an answer may span several lines."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswersFileError(f"{path}: cannot read the answers file: {exc.strerror or exc}") from None
    try:
        text = utf8_text(raw)
    except NotUtf8 as exc:
        raise AnswersFileError(f"{path}:{exc.line}: not valid UTF-8 text; save the file as UTF-8") from None
    blocks = re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n"))
    answers = [block.strip() for block in blocks if block.strip()]
    if not answers:
        raise AnswersFileError(f"{path}:1: no answers found; write one answer per paragraph, blank lines between")
    return answers


def bar(done: int, total: int, width: int = 20) -> str:
    """A text progress bar, ``####......``, for terminals and plain logs alike (empty when total is 0)."""
    filled = round(width * done / total) if total else 0
    return "#" * filled + "." * (width - filled)


def render(reply: Reply) -> str:
    text = _BOLD.sub(r"\1", reply.text)
    if reply.choices:
        text += "  [" + " / ".join(reply.choices) + "]"
    return text


class ConsoleChat:
    """One participant at a terminal. Answers come from ``next_answer`` (None: no more for now)."""

    def __init__(self, engine: InterviewEngine, out: TextIO, *, name: str | None = None) -> None:
        self.engine = engine
        self.out = out
        self.participant = Participant(Platform.CONSOLE, "local", "demo-participant", (name,) if name else ())

    def _say(self, replies: list[Reply]) -> None:
        for reply in replies:
            print(f"AI: {render(reply)}\n", file=self.out, flush=True)

    async def run(self, next_answer: Callable[[], str | None], flow_id: str | None, echo: bool) -> int:
        current = await self.engine.current(self.participant)
        if current is not None and current.status in LIVE:
            if flow_id and flow_id != current.flow_id:
                print(
                    f"(You have an unfinished '{current.flow_id}' interview; continuing it. "
                    "Type withdraw to discard it.)\n",
                    file=self.out,
                )
            else:
                print("(Resuming your unfinished interview.)\n", file=self.out)
            self._say(await self.engine.where_we_are(self.participant))
        else:
            self._say(await self.engine.start(self.participant, flow_id))
        while True:
            answer = next_answer()
            if answer is None:
                print("(The interview is paused and saved. Run `candor demo` again to continue.)", file=self.out)
                return EXIT_PAUSED
            if echo:
                print(f"User: {answer}\n", file=self.out, flush=True)
            message = Inbound(self.participant, answer, message_id=f"console-{uuid.uuid4().hex}")
            self._say(await self.engine.handle(message))
            state = await self.engine.current(self.participant)
            if state is not None and state.status is Status.COMPLETED and state.turn_count > 0:
                print(
                    "(The transcript could not be saved yet; see the log above. It is kept in Redis and "
                    "saving is retried each time candor demo starts.)",
                    file=self.out,
                )
            if state is None or state.status is Status.COMPLETED:
                return EXIT_COMPLETE


def answers_from(items: list[str]) -> Callable[[], str | None]:
    iterator: Iterator[str] = iter(items)
    return lambda: next(iterator, None)


def answers_from_terminal(stream: TextIO, out: TextIO) -> Callable[[], str | None]:
    def ask() -> str | None:
        print("User: ", end="", file=out, flush=True)
        line = stream.readline()
        if not line:
            print(file=out)
            return None
        print(file=out)
        return line.rstrip("\n")

    return ask
