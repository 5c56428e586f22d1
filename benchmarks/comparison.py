"""Side-by-side figures for two apps run in alternation: medians (or sums) over rounds, and ratios per round."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def figures_of(results: Sequence[Any], app: str, scenario: str) -> list[Any]:
    """One scenario's figures for one app, in round order (results carry ``app`` and ``scenarios``)."""
    return [r.scenarios[scenario] for r in results if r.app == app]


def combine(runs: Sequence[Any], key: str, summed: Iterable[str]) -> float:
    values = [float(getattr(f, key)) for f in runs]
    return sum(values) if key in set(summed) else statistics.median(values)


def per_round_ratios(results: Sequence[Any], scenario: str, key: str) -> list[float]:
    bare, candor = figures_of(results, "bare", scenario), figures_of(results, "candor", scenario)
    return [
        round(getattr(c, key) / getattr(b, key), 3) if getattr(b, key) else float("nan")
        for b, c in zip(bare, candor, strict=True)
    ]


def summary(
    results: Sequence[Any],
    scenario_names: Iterable[str],
    rows: Sequence[tuple[str, str]],
    summed: Iterable[str],
    ratios: Mapping[str, str],
) -> dict[str, Any]:
    """Per scenario: each row's bare and candor figure, and the per-round ratio of each ``ratios`` key."""
    table: dict[str, Any] = {}
    for name in scenario_names:
        table[name] = {
            "rows": {
                key: {app: combine(figures_of(results, app, name), key, summed) for app in ("bare", "candor")}
                for _, key in rows
            },
            **{label: per_round_ratios(results, name, key) for label, key in ratios.items()},
        }
    return table
