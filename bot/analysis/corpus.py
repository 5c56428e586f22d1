"""Interviews as the analysis sees them: answers per question, redacted on the way in.

Every source (delivered JSON, the public dataset's text, a wave) is read into these few types, and the
text is passed through the redactor once here, so nothing later can quote what redaction would hide.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.errors import CandorError
from bot.flows.model import Flow
from bot.privacy.redact import Redactor
from bot.state.model import CLOSING, INTRO

SKIPPED = "[skipped]"
# Turn labels of the public dataset: "Assistant:" opens some of its transcripts.
_TURN = re.compile(r"^(AI|Assistant|User):[ \t]?", re.MULTILINE)
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


class SourceError(CandorError):
    """A precise complaint about an input: which file, which line, what to do."""


@dataclass(frozen=True, slots=True)
class Answer:
    question_id: str  # "" when the source does not say which question it answers
    text: str


@dataclass(frozen=True, slots=True)
class Interview:
    transcript_id: str
    answers: tuple[Answer, ...]
    turns: int
    # None when the source does not say (the public dataset holds finished transcripts only).
    completed: bool | None = None
    duration_seconds: float | None = None
    started_at: str = ""
    # The value of the ``--by`` attribute, "" when unknown.
    group: str = ""
    # Where the transcript can be opened (a delivered JSON file), for links in the report.
    location: str = ""
    answer_words: tuple[int, ...] = field(default=())
    flow_id: str = ""

    def answered(self, question_id: str) -> bool:
        return any(a.question_id == question_id for a in self.answers)


def words(text: str) -> int:
    return len(_WORD.findall(text))


class Reader:
    """Turns sources into interviews, redacting every answer once."""

    def __init__(self, redactor: Redactor | None = None, flow: Flow | None = None) -> None:
        self.redactor = redactor or Redactor()
        self.flow = flow
        self._matcher = _QuestionMatcher(flow) if flow is not None else None

    def _clean(self, text: str) -> str:
        return self.redactor.redact(text.strip())

    def from_document(self, document: Mapping[str, Any], *, where: str, group: str = "") -> Interview:
        """A delivered transcript (``Transcript.to_dict()``); ``where`` names it in errors."""
        tid = document.get("transcript_id")
        turns = document.get("turns")
        if not isinstance(tid, str) or not tid.strip():
            raise SourceError(f"{where}: transcript_id: missing or not text; is this a transcript Candor delivered?")
        if not isinstance(turns, list):
            raise SourceError(f"{where}: turns: missing or not a list; is this a transcript Candor delivered?")
        answers: list[Answer] = []
        for number, turn in enumerate(turns, 1):
            role, text, question = _turn(turn, f"{where}: turns[{number}]")
            if role != "user" or question == INTRO or text.strip() in ("", SKIPPED):
                continue
            answers.append(Answer(question, self._clean(text)))
        ended_by = document.get("ended_by")
        return Interview(
            transcript_id=tid,
            answers=_merged(answers),
            turns=len(turns),
            completed=ended_by == "completed" if isinstance(ended_by, str) else None,
            duration_seconds=_seconds(document.get("duration_seconds"), f"{where}: duration_seconds"),
            started_at=str(document.get("started_at") or ""),
            group=group,
            answer_words=tuple(words(a.text) for a in answers),
            flow_id=str(document.get("flow_id") or ""),
        )

    def from_text(self, transcript_id: str, text: str, *, where: str, group: str = "") -> Interview:
        """The public dataset's ``AI:``/``User:`` text; with a flow, answers are matched to its questions."""
        turns = _split_turns(text)
        if not turns:
            raise SourceError(f"{where}: text: no 'AI:' or 'User:' turns found; expected the dataset's format")
        asked = [body for role, body in turns if role == "ai"]
        questions = iter(self._matcher.align(asked) if self._matcher is not None else [""] * len(asked))
        answers: list[Answer] = []
        question = ""
        for index, (role, body) in enumerate(turns):
            if role == "ai":
                question = next(questions)
                continue
            # The reply to the opening message is consent, not an answer.
            if index == 1 and turns[0][0] == "ai" or not body.strip():
                continue
            answers.append(Answer(question, self._clean(body)))
        return Interview(
            transcript_id=transcript_id,
            answers=_merged(answers),
            turns=len(turns),
            group=group,
            answer_words=tuple(words(a.text) for a in answers),
        )


def _turn(turn: Any, where: str) -> tuple[str, str, str]:
    if not isinstance(turn, dict):
        raise SourceError(f"{where}: expected an object with role, text and question_id")
    role, text, question = turn.get("role"), turn.get("text"), turn.get("question_id")
    if role not in ("ai", "user"):
        raise SourceError(f'{where}: role: {role!r}; expected "ai" or "user"')
    if not isinstance(text, str):
        raise SourceError(f"{where}: text: missing or not text")
    if question is not None and not isinstance(question, str):
        raise SourceError(f"{where}: question_id: {question!r} is not text")
    return role, text, question or ""


def _seconds(value: Any, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise SourceError(f"{where}: {value!r} is not a number of seconds")
    return float(value)


def _merged(answers: Sequence[Answer]) -> tuple[Answer, ...]:
    """One answer per question: follow-up replies join the answer they continue."""
    texts: dict[str, list[str]] = {}
    for answer in answers:
        texts.setdefault(answer.question_id, []).append(answer.text)
    return tuple(Answer(q, "\n".join(parts)) for q, parts in texts.items())


def _split_turns(text: str) -> list[tuple[str, str]]:
    marks = list(_TURN.finditer(text))
    if not marks:
        return []
    turns = []
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following is not None else len(text)
        role = "user" if mark.group(1) == "User" else "ai"
        turns.append((role, text[mark.end() : end].strip()))
    return turns


class _QuestionMatcher:
    """Finds which guide question an interviewer's turn asks; a turn like none of them is a follow-up.

    Words are weighted by how few of the guide's questions use them, so "AI" or "work", which every
    question of a study about AI at work shares, decide nothing. Interviews follow their guide, so a
    turn can only move on to a later question, never back.
    """

    THRESHOLD = 0.1

    def __init__(self, flow: Flow) -> None:
        asks = [(q.id, _bag(q.ask)) for q in flow.questions] + [(CLOSING, _bag(flow.closing_question))]
        share = Counter(word for _, bag in asks for word in bag)
        self.weight = {word: math.log((1 + len(asks)) / count) for word, count in share.items()}
        self.questions = asks

    def _score(self, bag: set[str], ask: set[str]) -> float:
        total = sum(self.weight[w] for w in ask)
        return sum(self.weight[w] for w in bag & ask) / total if total else 0.0

    def align(self, turns: Sequence[str]) -> list[str]:
        """The guide question each interviewer turn belongs to ("" before the first), in guide order.

        Moving on to a later question earns the turn's similarity to it minus ``THRESHOLD``; staying
        earns nothing. The best path over the whole interview (dynamic programming) keeps one
        stray word from dragging every later turn to the wrong question.
        """
        size = len(self.questions)
        gains = [
            [self._score(_bag(" ".join(_QUESTION.findall(t))), ask) - self.THRESHOLD for _, ask in self.questions]
            for t in turns
        ]
        # best[q]: the best total with the current turn on question q (index size: none yet).
        best = [-math.inf] * size + [0.0]
        back: list[list[int]] = []
        for gain in gains:
            nxt, came = list(best), list(range(size + 1))  # staying where we are
            leader, leader_at = best[size], size  # the best state before question q
            for q in range(size):
                if leader + gain[q] > nxt[q]:
                    nxt[q], came[q] = leader + gain[q], leader_at
                if best[q] > leader:
                    leader, leader_at = best[q], q
            best = nxt
            back.append(came)
        state = max(range(size + 1), key=lambda q: best[q])
        path = []
        for came in reversed(back):
            path.append(state)
            state = came[state]
        return [self.questions[q][0] if q < size else "" for q in reversed(path)]


_QUESTION = re.compile(r"[^.!?\n]*\?")
_COMMON = frozenset(
    "a an and are as at be by can do does for from has have how i if in is it its me my of on or so that the "
    "this to was what when where which who why with would you your yours there their them they we our "
    "about into any anything some something could tell think thing things just like more".split()
)


def _bag(text: str) -> set[str]:
    return {_stem(w) for w in (m.lower() for m in _WORD.findall(text)) if w not in _COMMON}


def _stem(word: str) -> str:
    """A crude stem, enough for "skills" to meet "skill" and "looking" to meet "look"."""
    for suffix in ("ingly", "ing", "ly", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class Participation:
    interviews: int
    completed: int | None
    completion_rate: float | None
    median_duration_minutes: float | None
    median_turns: float | None
    median_words_per_answer: float | None
    mean_words_per_answer: float | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def participation(interviews: Iterable[Interview]) -> Participation:
    items = list(interviews)
    known = [i.completed for i in items if i.completed is not None]
    completed = sum(known) if known else None
    durations = [i.duration_seconds / 60 for i in items if i.duration_seconds is not None]
    answer_words = [n for i in items for n in i.answer_words]
    return Participation(
        interviews=len(items),
        completed=completed,
        completion_rate=round(completed / len(known), 3) if known and completed is not None else None,
        median_duration_minutes=round(statistics.median(durations), 1) if durations else None,
        median_turns=statistics.median([i.turns for i in items]) if items else None,
        median_words_per_answer=statistics.median(answer_words) if answer_words else None,
        mean_words_per_answer=round(statistics.fmean(answer_words), 1) if answer_words else None,
    )
