"""Small-group protection for breakdowns: no one should be singled out by a count of one or two.

A number below the minimum group size is hidden. When exactly one number of a breakdown is hidden
and its total is shown elsewhere, the hidden one could be worked out by subtraction, so the next
smallest is withheld as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from bot.waves.store import FUNNEL


@dataclass(frozen=True, slots=True)
class Cell:
    value: int
    shown: Literal["yes", "small", "withheld"]

    def text(self, min_group: int) -> str:
        if self.shown == "small":
            return f"fewer than {min_group}"
        if self.shown == "withheld":
            return "withheld"
        return str(self.value)

    def short(self, min_group: int) -> str:
        """For chart labels, where the words do not fit."""
        return {"small": f"<{min_group}", "withheld": "–"}.get(self.shown, str(self.value))


def protect(values: Mapping[str, int], min_group: int) -> dict[str, Cell]:
    small = {name for name, value in values.items() if value < min_group}
    withheld: set[str] = set()
    if len(small) == 1:
        others = sorted((value, name) for name, value in values.items() if name not in small)
        if others:
            withheld.add(others[0][1])
    return {
        name: Cell(value, "small" if name in small else "withheld" if name in withheld else "yes")
        for name, value in values.items()
    }


def protect_strata(by_stratum: Mapping[str, Mapping[str, int]], min_group: int) -> dict[str, dict[str, Cell]]:
    """Column by column: each funnel stage summed over the strata is a total the page shows."""
    table: dict[str, dict[str, Cell]] = {name: {} for name in by_stratum}
    for stage in FUNNEL:
        column = protect({name: counts.get(stage, 0) for name, counts in by_stratum.items()}, min_group)
        for name, cell in column.items():
            table[name][stage] = cell
    return table
