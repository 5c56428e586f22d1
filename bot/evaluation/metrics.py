"""Measuring a finished interview against the craft the interviewer is asked to follow.

Every figure is computed from the stored turns alone, so the same code scores the scripted interviewer,
Claude, or a transcript delivered by any sink.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.engine.texts import SUPPORT_OPTIONS
from bot.flows import Flow
from bot.state.model import THANKS, Role, Turn

Usage = tuple[int, int, int, int, float, int]

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Quoted participant words are not the interviewer's own question marks.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_QUESTION = re.compile(r"[^.!?\n]*\?")
_MIN_DISTINCTIVE = 6
# Words too common to show that a follow-up picked up what the participant said.
_COMMON = frozenset(
    """
    a about after again all also am an and any are as at be because been before being but by can could
    did do does doing don't for from had has have having how i i'm if in into is it it's its just me more
    most my no not of on or our out so some such than that that's the their them then there these they
    this those to too up very was we were what when where which while who why will with would you your
    really actually something anything everything things thing people around always usually generally
    sometimes though through should another before myself yourself little pretty
    """.split()
)
LEADING = (
    "don't you",
    "wouldn't you",
    "isn't it",
    "isn't that",
    "aren't you",
    "didn't you",
    "surely",
    "obviously",
    "of course",
    "how much do you love",
    "how much do you like",
    "how great",
    "how amazing",
    "how helpful",
    "agree that",
    "wouldn't it be",
    "you must have",
    "right?",
)
_LEADING = re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(p) for p in LEADING) + r")(?![\w'])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class InterviewMetrics:
    """One replayed interview, scored. Counts rather than ratios where a sum across interviews makes sense."""

    name: str
    ended_by: str
    core_questions: int
    questions_asked: int
    follow_ups: int
    follow_ups_referring: int
    questions_per_turn_max: int
    questions_per_turn_mean: float
    leading_flags: tuple[str, ...]
    question_words_mean: float
    turns: int
    interviewer_turns: int
    participant_turns: int
    # The denominators of the two means above, so a summary can weight them.
    asking_turns: int
    questions: int
    care_messages: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost: float
    fallbacks: int
    answers_given: int = 0
    extra_answers: int = 0

    @property
    def coverage(self) -> float:
        return self.questions_asked / self.core_questions if self.core_questions else 0.0


@dataclass(frozen=True, slots=True)
class Summary:
    """All interviews together: sums, and means weighted by the turns or questions behind them."""

    interviews: int
    completed: int
    coverage_mean: float
    coverage_min: float
    follow_ups: int
    follow_ups_referring: int
    questions_per_turn_max: int
    questions_per_turn_mean: float
    leading_flags: int
    care_messages: int
    question_words_mean: float
    turns: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    cost: float
    fallbacks: int


def words(text: str) -> list[str]:
    return _WORD.findall(text.replace("’", "'").lower())


def refers_to(follow_up: str, answer: str) -> bool:
    """True when the follow-up reuses two consecutive words, or one distinctive word, of the answer."""
    said, asked = words(answer), words(follow_up)
    pairs = {pair for pair in zip(said, said[1:], strict=False) if not set(pair) <= _COMMON}
    if any(pair in pairs for pair in zip(asked, asked[1:], strict=False)):
        return True
    distinctive = {w for w in said if len(w) >= _MIN_DISTINCTIVE and w not in _COMMON}
    return any(w in distinctive for w in asked)


def question_marks(text: str) -> int:
    return _QUOTED.sub("", text).count("?")


def leading_phrases(text: str) -> list[str]:
    return [m.group(0).lower() for m in _LEADING.finditer(text.replace("’", "'"))]


def _quotes_as_words(text: str) -> str:
    """Quoted words count towards a question's length, but their punctuation does not end it."""
    return _QUOTED.sub(lambda m: re.sub(r"[.!?]", " ", m.group(0)), text)


def _cares(turn: Turn) -> bool:
    """A care message after signs of distress: it deliberately asks nothing."""
    return turn.role is Role.AI and SUPPORT_OPTIONS in turn.text


def _asks(turn: Turn) -> bool:
    """Interviewer turns that are meant to ask something: all but care messages and the closing thank-you."""
    return turn.role is Role.AI and turn.question_id != THANKS and not _cares(turn)


def _follow_ups(flow: Flow, turns: Sequence[Turn]) -> list[tuple[str, str]]:
    """(follow-up, the participant answer just before it) for every follow-up the interviewer asked."""
    asks = {q.id: q.ask for q in flow.questions}
    found, last_answer = [], ""
    for turn in turns:
        if turn.role is Role.USER:
            last_answer = turn.text
        elif turn.question_id in asks and asks[turn.question_id] not in turn.text and not _cares(turn):
            found.append((turn.text, last_answer))
    return found


def measure(
    name: str, flow: Flow, turns: Sequence[Turn], usage: Usage, ended_by: str, answers_given: int = 0, extra: int = 0
) -> InterviewMetrics:
    asked = {
        q.id for q in flow.questions for t in turns if t.role is Role.AI and t.question_id == q.id and q.ask in t.text
    }
    follow_ups = _follow_ups(flow, turns)
    asking = [t for t in turns if _asks(t)]
    marks = [question_marks(t.text) for t in asking]
    lengths = [len(words(q)) for t in asking for q in _QUESTION.findall(_quotes_as_words(t.text))]
    flags = tuple(f"{phrase}: {t.text[:80]}" for t in turns if t.role is Role.AI for phrase in leading_phrases(t.text))
    fresh, read, write, out, cost, fallbacks = usage
    return InterviewMetrics(
        name=name,
        ended_by=ended_by,
        core_questions=len(flow.questions),
        questions_asked=len(asked),
        follow_ups=len(follow_ups),
        follow_ups_referring=sum(refers_to(f, a) for f, a in follow_ups),
        questions_per_turn_max=max(marks, default=0),
        questions_per_turn_mean=sum(marks) / len(marks) if marks else 0.0,
        leading_flags=flags,
        question_words_mean=sum(lengths) / len(lengths) if lengths else 0.0,
        turns=len(turns),
        interviewer_turns=sum(t.role is Role.AI for t in turns),
        participant_turns=sum(t.role is Role.USER for t in turns),
        asking_turns=len(asking),
        questions=len(lengths),
        care_messages=sum(_cares(t) for t in turns),
        input_tokens=fresh,
        cache_read_tokens=read,
        cache_write_tokens=write,
        output_tokens=out,
        cost=cost,
        fallbacks=fallbacks,
        answers_given=answers_given,
        extra_answers=extra,
    )


def _weighted(pairs: Sequence[tuple[float, int]]) -> float:
    total = sum(n for _, n in pairs)
    return sum(value * n for value, n in pairs) / total if total else 0.0


def summarize(results: Sequence[InterviewMetrics]) -> Summary:
    return Summary(
        interviews=len(results),
        completed=sum(m.ended_by == "completed" for m in results),
        coverage_mean=sum(m.coverage for m in results) / len(results) if results else 0.0,
        coverage_min=min((m.coverage for m in results), default=0.0),
        follow_ups=sum(m.follow_ups for m in results),
        follow_ups_referring=sum(m.follow_ups_referring for m in results),
        questions_per_turn_max=max((m.questions_per_turn_max for m in results), default=0),
        questions_per_turn_mean=_weighted([(m.questions_per_turn_mean, m.asking_turns) for m in results]),
        leading_flags=sum(len(m.leading_flags) for m in results),
        care_messages=sum(m.care_messages for m in results),
        question_words_mean=_weighted([(m.question_words_mean, m.questions) for m in results]),
        turns=sum(m.turns for m in results),
        input_tokens=sum(m.input_tokens for m in results),
        cache_read_tokens=sum(m.cache_read_tokens for m in results),
        cache_write_tokens=sum(m.cache_write_tokens for m in results),
        output_tokens=sum(m.output_tokens for m in results),
        cost=round(sum(m.cost for m in results), 6),
        fallbacks=sum(m.fallbacks for m in results),
    )
