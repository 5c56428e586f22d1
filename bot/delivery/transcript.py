"""The delivered form of an interview: JSON for tools, and the public dataset's ``AI:``/``User:`` text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.state.model import Role, Turn

_BLANK_LINES = re.compile(r"\n\s*\n")
_LABELS = {Role.AI: "AI", Role.USER: "User"}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Transcript:
    """Carries no platform id, name or handle: only the pseudonymous transcript id."""

    transcript_id: str
    flow_id: str
    flow_version: int
    started_at: float
    ended_at: float
    ended_by: str
    turns: tuple[Turn, ...]
    # Model tokens (input, cache read, cache write, output), estimated cost, and script fallbacks.
    usage: tuple[int, int, int, int, float, int] = (0, 0, 0, 0, 0.0, 0)
    # When the participant agreed to the words shown with the flow at ``flow_version``.
    consented_at: float | None = None
    # Fingerprint of the exact words shown before consent (bot/flows/notice.py).
    consent_version: str = ""
    # A study-scoped pseudonym: compares one person's interviews across waves of one study only.
    participant: str = ""
    # The wave that invited the participant, if any.
    wave: str = ""

    @property
    def duration_seconds(self) -> int:
        return round(self.ended_at - self.started_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "transcript_id": self.transcript_id,
            **({"participant": self.participant} if self.participant else {}),
            "flow_id": self.flow_id,
            "flow_version": self.flow_version,
            **({"wave": self.wave} if self.wave else {}),
            "started_at": _iso(self.started_at),
            "ended_at": _iso(self.ended_at),
            "duration_seconds": self.duration_seconds,
            "ended_by": self.ended_by,
            **(
                {"consent": _consent_record(self.consented_at, self.flow_version, self.consent_version)}
                if self.consented_at is not None
                else {}
            ),
            **({"model_usage": _usage_dict(self.usage)} if any(self.usage) else {}),
            "turns": [
                {"role": t.role.value, "text": t.text, "question_id": t.question_id, "at": _iso(t.at)}
                for t in self.turns
            ],
        }


def _consent_record(at: float, flow_version: int, text_version: str) -> dict[str, Any]:
    record: dict[str, Any] = {"at": _iso(at), "flow_version": flow_version}
    if text_version:
        record["text_version"] = text_version
    return record


def _usage_dict(usage: tuple[int, int, int, int, float, int]) -> dict[str, Any]:
    a, b, c, d, cost, fallbacks = usage
    return {
        "input_tokens": a,
        "cache_read_input_tokens": b,
        "cache_creation_input_tokens": c,
        "output_tokens": d,
        "estimated_cost": round(cost, 6),
        "scripted_fallbacks": fallbacks,
    }


def dataset_text(turns: tuple[Turn, ...] | list[Turn]) -> str:
    """Turns separated by one blank line, so a blank line inside a turn is folded to a line break."""
    return "\n\n".join(f"{_LABELS[t.role]}: {_BLANK_LINES.sub(chr(10), t.text.strip())}" for t in turns)
