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


@dataclass(frozen=True, slots=True)
class Move:
    decision: Decision
    # The follow-up question for FOLLOW_UP; otherwise an optional short acknowledgement.
    text: str = ""


class Interviewer(Protocol):
    """Chooses the next move. The engine clamps it to the flow's limits whatever it says."""

    # True when the interviewer needs the full history in ``Situation.history`` (costs a read).
    needs_history: bool

    async def next_move(self, situation: Situation) -> Move: ...
