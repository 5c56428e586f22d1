"""A participant's past interviews, so they can see (and withdraw) what Candor holds about them.

Only metadata: flow, outcome, dates and the transcript id; never what was said. Declining
leaves no entry, because declining stores nothing but a count.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    flow_id: str
    status: str
    started_at: float
    ended_at: float
    transcript_id: str = ""

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "f": self.flow_id,
            "s": self.status,
            "t0": int(self.started_at),
            "t1": int(self.ended_at),
        }
        if self.transcript_id:
            data["tid"] = self.transcript_id
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> HistoryEntry:
        data = json.loads(raw)
        return cls(data["f"], data["s"], float(data["t0"]), float(data["t1"]), data.get("tid", ""))

    def withdrawn(self) -> HistoryEntry:
        return replace(self, status="withdrawn", transcript_id="")


# How many past interviews are listed per participant.
HISTORY_LIMIT = 20
