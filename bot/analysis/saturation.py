"""Saturation: how many themes not seen before each further interview brought."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.analysis.themes import Theme


@dataclass(frozen=True, slots=True)
class Saturation:
    new_per_interview: list[int]
    cumulative: list[int]
    # The interview after which ``run`` interviews in a row brought nothing new (None: not reached yet).
    saturated_at: int | None
    run: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "new_themes_per_interview": self.new_per_interview,
            "cumulative_themes": self.cumulative,
            "saturated_after_interview": self.saturated_at,
            "quiet_run_length": self.run,
        }


def saturation(order: Sequence[str], themes: Sequence[Theme]) -> Saturation:
    """``order`` is the transcript ids in the order the interviews happened.

    The quiet run asked for is a tenth of the interviews (at least 3), so "saturated" means a stretch
    of interviews that taught nothing new, not a lucky pair.
    """
    first_seen: dict[str, int] = {}
    position = {tid: n for n, tid in enumerate(order)}
    for theme in themes:
        seen_at = min((position[t] for t in theme.participants if t in position), default=None)
        if seen_at is not None:
            first_seen[theme.id] = seen_at
    new = [0] * len(order)
    for at in first_seen.values():
        new[at] += 1
    cumulative, total = [], 0
    for count in new:
        total += count
        cumulative.append(total)
    run = max(3, math.ceil(len(order) / 10))
    last_new = max((n for n, count in enumerate(new) if count), default=None)
    if last_new is None:
        return Saturation(new, cumulative, None, run)  # no theme at all: nothing to saturate
    reached = last_new + 1 + run <= len(order)
    return Saturation(new, cumulative, last_new + 1 if reached else None, run)
