"""The seam between the engine and whoever writes the interviewer's words (script or model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.flows import Flow, Question
from bot.state import Turn


class Decision(StrEnum):
    FOLLOW_UP = "follow_up"
    NEXT_QUESTION = "next_question"
    WRAP_UP = "wrap_up"
    # The participant seems distressed or mentions harm: respond with care, stay on this question.
    SUPPORT = "support"


@dataclass(frozen=True, slots=True)
class Situation:
    """What an interviewer may look at before choosing its move, all of it already redacted."""

    flow: Flow
    # The core question being answered; None while answering the closing question.
    question: Question | None
    answer: str
    follow_ups_asked: int
    follow_ups_allowed: int
    answers_so_far: int
    history: Sequence[Turn] = ()
    # The answer before redaction, only when the flow lets the model see it (else empty).
    raw_answer: str = ""


@dataclass(frozen=True, slots=True)
class Usage:
    """What one model call cost, in tokens and in the configured currency."""

    input_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Move:
    decision: Decision
    # The follow-up question for FOLLOW_UP; otherwise an optional short acknowledgement.
    text: str = ""
    usage: Usage | None = None
    # True when the model could not be used for this turn and the script stood in.
    fallback: bool = False


class Interviewer(Protocol):
    """Chooses the next move. The engine clamps it to the flow's limits whatever it says."""

    # True when the interviewer needs the full history in ``Situation.history`` (costs a read).
    needs_history: bool
    # The AI service that writes the questions, named in the consent notice ("" when none is used).
    processor: str

    async def next_move(self, situation: Situation) -> Move: ...
