"""One interview's state, and its compact JSON form in Redis (short keys: it is stored per turn)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    INVITED = "invited"
    CONSENT_PENDING = "consent_pending"
    IN_PROGRESS = "in_progress"
    PAUSED = "paused"
    STOP_PENDING = "stop_pending"
    COMPLETED = "completed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


LIVE = frozenset({Status.INVITED, Status.CONSENT_PENDING, Status.IN_PROGRESS, Status.PAUSED, Status.STOP_PENDING})


class Role(StrEnum):
    AI = "ai"
    USER = "user"


# Question ids for the turns that are not core questions.
INTRO = "_intro"
CLOSING = "_closing"
THANKS = "_thanks"


@dataclass(slots=True)
class Turn:
    role: Role
    text: str
    question_id: str
    at: float
    # Platform message ids that make up a participant turn, and their texts when there are several,
    # so an edit to one message can replace just its part of the answer.
    message_ids: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()

    def to_json(self) -> str:
        """A positional JSON array: this is stored once per turn, so field names would be overhead."""
        data: list[Any] = [_ROLE_CODES[self.role], self.text, self.question_id, int(self.at)]
        if self.message_ids or len(self.parts) > 1:
            data.append(list(self.message_ids))
        if len(self.parts) > 1:
            data.append(list(self.parts))
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Turn:
        data = json.loads(raw)
        return cls(
            role=_ROLES[data[0]],
            text=data[1],
            question_id=data[2],
            at=float(data[3]),
            message_ids=tuple(data[4]) if len(data) > 4 else (),
            parts=tuple(data[5]) if len(data) > 5 else (),
        )


_ROLE_CODES = {Role.AI: "a", Role.USER: "u"}
_ROLES = {code: role for role, code in _ROLE_CODES.items()}


@dataclass(slots=True)
class Interview:
    """The header of an interview; its turns live in a Redis list next to it."""

    flow_id: str
    flow_version: int
    status: Status
    started_at: float
    last_at: float
    question_index: int = 0
    follow_ups: int = 0
    consented_at: float | None = None
    # Fingerprint of the words shown before consent (introduction, privacy notice, question).
    consent_version: str = ""
    active_seconds: float = 0.0
    turn_count: int = 0
    answers: int = 0
    # The pending follow-up question; other prompts come from the flow, so they are not stored twice.
    follow_up_prompt: str = ""
    transcript_id: str = ""
    ended_by: str = ""
    # The wave that invited this interview, if any (waves count their funnel from it).
    wave: str = ""
    # Model usage over the interview: tokens in, cache read, cache write, out, cost, fallbacks.
    usage: tuple[int, int, int, int, float, int] = (0, 0, 0, 0, 0.0, 0)
    # Optimistic-concurrency version and recently applied message ids (for de-duplication);
    # both are stored in front of the JSON so the commit script can check them without parsing it.
    version: int = 0
    seen: list[str] = field(default_factory=list)

    def data_json(self) -> str:
        """The fields stored in clear: the Lua scripts read the status, and none of them is text anyone wrote."""
        data: dict[str, Any] = {
            "f": self.flow_id,
            "fv": self.flow_version,
            "st": self.status.value,
            "t0": round(self.started_at, 3),
            "tl": round(self.last_at, 3),
            "qi": self.question_index,
            "fu": self.follow_ups,
            "act": round(self.active_seconds, 1),
            "n": self.turn_count,
            "na": self.answers,
        }
        if self.consented_at is not None:
            data["tc"] = round(self.consented_at, 3)
        if self.consent_version:
            data["cv"] = self.consent_version
        if any(self.usage):
            data["u"] = list(self.usage)
        if self.transcript_id:
            data["tid"] = self.transcript_id
        if self.ended_by:
            data["eb"] = self.ended_by
        if self.wave:
            data["w"] = self.wave
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def private_json(self) -> str:
        """The header's text fields (interviewer wording), which the store encrypts; "" when there are none."""
        if not self.follow_up_prompt:
            return ""
        return json.dumps({"lp": self.follow_up_prompt}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_fields(cls, data_raw: str | bytes, version: int, seen: str, private_raw: str | bytes = "") -> Interview:
        data = json.loads(data_raw)
        if private_raw:
            data.update(json.loads(private_raw))
        return cls(
            flow_id=data["f"],
            flow_version=int(data["fv"]),
            status=Status(data["st"]),
            started_at=float(data["t0"]),
            last_at=float(data["tl"]),
            question_index=int(data["qi"]),
            follow_ups=int(data["fu"]),
            consented_at=float(data["tc"]) if "tc" in data else None,
            consent_version=data.get("cv", ""),
            active_seconds=float(data["act"]),
            turn_count=int(data["n"]),
            answers=int(data["na"]),
            follow_up_prompt=data.get("lp", ""),
            usage=_usage(data.get("u")),
            transcript_id=data.get("tid", ""),
            ended_by=data.get("eb", ""),
            wave=data.get("w", ""),
            version=version,
            seen=seen.split() if seen else [],
        )


def _usage(raw: list[float] | None) -> tuple[int, int, int, int, float, int]:
    if not raw:
        return (0, 0, 0, 0, 0.0, 0)
    a, b, c, d, cost, fallbacks = raw
    return (int(a), int(b), int(c), int(d), float(cost), int(fallbacks))
