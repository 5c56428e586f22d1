"""Replaying real participants' answers through the engine, so an interviewer is judged on real conversations."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from bot.delivery import Transcript
from bot.engine import InterviewEngine
from bot.state import Status, Turn
from bot.types import Inbound, Participant, Platform

FILLER = "No."
MAX_EXTRA_ANSWERS = 30
_BLOCKS = re.compile(r"\n[ \t]*\n")
_LABEL = re.compile(r"^(AI|Assistant|User):[ \t]*", re.IGNORECASE)


class TranscriptFileError(ValueError):
    """A transcript source that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Source:
    """One real interview to replay: a name for the report and the participant's answers in order."""

    name: str
    answers: tuple[str, ...]


def answers_in(text: str) -> list[str]:
    """The ``User:`` turns of a dataset-format transcript. A block without a label continues the turn
    before it, since a turn may itself contain blank lines."""
    turns: list[tuple[str, list[str]]] = []
    for block in _BLOCKS.split(text.replace("\r\n", "\n").strip()):
        label = _LABEL.match(block)
        if label:
            turns.append((label.group(1).lower(), [block[label.end() :]]))
        elif turns:
            turns[-1][1].append(block)
    return [answer for role, parts in turns if role == "user" and (answer := "\n\n".join(parts).strip())]


def _source(name: str, text: str, where: str) -> Source:
    answers = answers_in(text)
    if not answers:
        raise TranscriptFileError(f"{where}: no User: turns found; expected the AI:/User: transcript format")
    return Source(name, tuple(answers))


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptFileError(f"{path}: cannot read the file: {exc}") from None


def _csv_sources(path: Path) -> list[Source]:
    reader = csv.DictReader(io.StringIO(_read(path), newline=""))
    if reader.fieldnames is None or not {"transcript_id", "text"} <= set(reader.fieldnames):
        raise TranscriptFileError(f"{path}:1: expected the columns transcript_id,text")
    return [_source(row["transcript_id"], row["text"] or "", f"{path}:{reader.line_num}") for row in reader]


def load_sources(path: Path) -> list[Source]:
    """Transcripts from a folder of ``*.txt`` and ``*.csv`` files, or from one such file."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".txt", ".csv"))
    elif path.is_file():
        files = [path]
    else:
        raise TranscriptFileError(f"{path}: no such file or folder")
    sources: list[Source] = []
    for file in files:
        if file.suffix.lower() == ".csv":
            sources.extend(_csv_sources(file))
        else:
            sources.append(_source(file.stem, _read(file), str(file)))
    if not sources:
        raise TranscriptFileError(f"{path}: no transcripts found (*.txt, or a transcript_id,text *.csv)")
    return sources


def reference_sources() -> list[Source]:
    """The four reference interviews that ship with Candor (public dataset, AI:/User: format)."""
    folder = resources.files("bot.evaluation") / "reference_data"
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".txt")), key=lambda e: e.name)
    return [_source(e.name.removesuffix(".txt"), e.read_text(encoding="utf-8"), e.name) for e in entries]


@dataclass
class CaptureSink:
    """Keeps delivered transcripts in memory: after delivery the engine drops the turns from Redis."""

    name: str = "capture"
    delivered: dict[str, Transcript] = field(default_factory=dict)

    async def deliver(self, transcript: Transcript) -> None:
        self.delivered[transcript.transcript_id] = transcript

    async def delete(self, transcript_id: str) -> bool:
        return self.delivered.pop(transcript_id, None) is not None


@dataclass(frozen=True, slots=True)
class Replayed:
    turns: tuple[Turn, ...]
    usage: tuple[int, int, int, int, float, int]
    ended_by: str
    answers_given: int
    extra_answers: int


async def replay(engine: InterviewEngine, capture: CaptureSink, source: Source, flow_id: str | None = None) -> Replayed:
    """Run one whole interview: the real answers in order, then "No." until it ends (at most 30 more)."""
    participant = Participant(Platform.CONSOLE, "eval", f"replay-{uuid.uuid4().hex}")
    await engine.start(participant, flow_id)
    given = extra = 0
    queue = list(source.answers)
    while extra < MAX_EXTRA_ANSWERS:
        state = await engine.current(participant)
        if state is None or state.status is Status.COMPLETED:
            break
        if queue:
            text, given = queue.pop(0), given + 1
        else:
            text, extra = FILLER, extra + 1
        await engine.handle(Inbound(participant, text, message_id=f"eval-{uuid.uuid4().hex}"))
    state = await engine.current(participant)
    if state is None:  # declined or withdrawn: the engine keeps nothing to measure
        return Replayed((), (0, 0, 0, 0, 0.0, 0), "not kept", given, extra)
    delivered = capture.delivered.get(state.transcript_id)
    turns = delivered.turns if delivered else tuple(await engine.store.turns(engine.key_for(participant)))
    ended_by = state.ended_by if state.status is Status.COMPLETED else f"unfinished ({state.status.value})"
    return Replayed(turns, state.usage, ended_by, given, extra)
