"""How well found themes recover planted ones: shared by the tests and ``benchmarks/analysis.py``.

A planted theme counts as recovered when some theme found for the same question covers the same
participants: the F1 of the two participant sets is at least ``MATCH_F1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.analysis.themes import Theme

MATCH_F1 = 0.6


@dataclass(frozen=True)
class Recovery:
    recall: float
    precision: float  # share of found themes that match some planted theme
    best: dict[str, tuple[str, float]]  # planted id -> (found theme id, F1)


def f1(a: frozenset[str], b: frozenset[str]) -> float:
    shared = len(a & b)
    return 2 * shared / (len(a) + len(b)) if a or b else 0.0


def recovery(
    planted: Mapping[str, Mapping[str, Sequence[str]]], question_of: Mapping[str, str], found: Sequence[Theme]
) -> Recovery:
    """``planted``: transcript -> question -> theme ids; ``question_of``: theme id -> its question."""
    members: dict[str, set[str]] = {theme: set() for theme in question_of}
    for transcript, answers in planted.items():
        for themes in answers.values():
            for theme in themes:
                members[theme].add(transcript)
    best: dict[str, tuple[str, float]] = {}
    matched: set[str] = set()
    for theme, people in members.items():
        candidates = [t for t in found if t.scope == question_of[theme]]
        scored = [(t.id, f1(frozenset(people), t.participants)) for t in candidates]
        best[theme] = max(scored, key=lambda pair: pair[1], default=("", 0.0))
        if best[theme][1] >= MATCH_F1:
            matched.add(best[theme][0])
    recall = sum(score >= MATCH_F1 for _, score in best.values()) / max(1, len(best))
    scoped = [t for t in found if t.scope in set(question_of.values())]
    precision = len(matched) / max(1, len(scoped))
    return Recovery(recall, precision, best)
