"""Charts for the report: PNG bytes plus the alt text that says what they show.

Black, greys and hatching only, so a chart printed in grey scale reads the same.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no screen: render to memory only

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

INK = "#111111"
GREYS = ("#222222", "#777777", "#bbbbbb")
HATCHES = ("", "///", "...")


@dataclass(frozen=True, slots=True)
class Chart:
    png: bytes
    alt: str
    title: str


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _short(text: str, limit: int = 48) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def prevalence_chart(title: str, labels: Sequence[str], shares: Sequence[float]) -> Chart:
    """Horizontal bars, most common theme on top, each bar labelled with its percentage."""
    height = 0.9 + 0.42 * max(1, len(labels))
    figure, axes = plt.subplots(figsize=(7.5, height))
    rows = list(range(len(labels)))[::-1]
    bars = axes.barh(rows, [s * 100 for s in shares], color=GREYS[1], edgecolor=INK, hatch=HATCHES[1])
    axes.set_yticks(rows, [_short(label) for label in labels])
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of participants who answered")
    axes.bar_label(bars, labels=[f"{s:.0%}" for s in shares], padding=3, color=INK, fontsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_title(_short(title, 80), loc="left", fontsize=11)
    alt = f"Bar chart, {title}: " + "; ".join(
        f"{label} {share:.0%}" for label, share in zip(labels, shares, strict=True)
    )
    return Chart(_png(figure), alt, title)


def saturation_chart(new: Sequence[int], cumulative: Sequence[int], saturated_at: int | None) -> Chart:
    figure, axes = plt.subplots(figsize=(7.5, 3.4))
    xs = list(range(1, len(cumulative) + 1))
    axes.step(xs, cumulative, where="post", color=INK, linewidth=2, label="themes seen so far")
    axes.bar(xs, new, color=GREYS[2], edgecolor=GREYS[1], width=1.0, label="new themes in this interview")
    if saturated_at is not None:
        axes.axvline(saturated_at, color=INK, linestyle="--", linewidth=1)
        axes.annotate(
            f"no new themes after interview {saturated_at}",
            (saturated_at, max(cumulative or [0]) * 0.5),
            xytext=(6, 0),
            textcoords="offset points",
            fontsize=9,
        )
    axes.set_xlabel("interviews, in the order they happened")
    axes.set_ylabel("themes")
    axes.legend(frameon=False, loc="lower right", fontsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    total = cumulative[-1] if cumulative else 0
    where = f"; no new theme after interview {saturated_at}" if saturated_at is not None else "; still rising"
    alt = (
        f"Saturation curve over {len(xs)} interviews: {total} themes in all; "
        f"half of them seen by interview {_half(cumulative)}{where}."
    )
    return Chart(_png(figure), alt, "Saturation")


def _half(cumulative: Sequence[int]) -> int:
    total = cumulative[-1] if cumulative else 0
    return next((n for n, value in enumerate(cumulative, 1) if value * 2 >= total), 0)


def funnel_chart(stages: Sequence[tuple[str, int]]) -> Chart:
    figure, axes = plt.subplots(figsize=(7.5, 0.9 + 0.45 * len(stages)))
    rows = list(range(len(stages)))[::-1]
    values = [value for _, value in stages]
    bars = axes.barh(rows, values, color=GREYS[0], edgecolor=INK)
    axes.set_yticks(rows, [name for name, _ in stages])
    axes.bar_label(bars, labels=[str(v) for v in values], padding=3, color=INK, fontsize=9)
    axes.set_xlabel("people")
    axes.spines[["top", "right"]].set_visible(False)
    alt = "Participation funnel: " + "; ".join(f"{name} {value}" for name, value in stages)
    return Chart(_png(figure), alt, "Participation")
