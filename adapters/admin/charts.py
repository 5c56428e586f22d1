"""Inline SVG charts: no script, colours from the stylesheet, and a title and description for screen readers.

Each chart is decoration for a table of the same numbers printed next to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from adapters.admin.counts import Cell

STAGE_LABELS = {
    "eligible": "Eligible",
    "invited": "Invited",
    "opened": "Opened",
    "consented": "Consented",
    "in_progress": "In progress",
    "completed": "Completed",
    "declined": "Declined",
    "withdrawn": "Withdrawn",
    "expired": "Expired",
}


def _frame(chart_id: str, width: int, height: int, title: str, description: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def funnel_chart(counts: Mapping[str, int]) -> str:
    """One horizontal bar per stage, each against the number eligible."""
    row, label_width, bar_width = 34, 130, 380
    top = max(counts.get("eligible", 0), 1)
    body: list[str] = []
    for index, (stage, label) in enumerate(STAGE_LABELS.items()):
        value = counts.get(stage, 0)
        y = index * row + 6
        length = round(bar_width * value / top)
        body.append(f'<text class="label" x="0" y="{y + 17}">{label}</text>')
        body.append(f'<rect class="track" x="{label_width}" y="{y}" width="{bar_width}" height="22" rx="3"/>')
        if length:
            body.append(
                f'<rect class="bar bar-{stage}" x="{label_width}" y="{y}" width="{length}" height="22" rx="3"/>'
            )
        body.append(f'<text class="value" x="{label_width + bar_width + 8}" y="{y + 17}">{value}</text>')
    description = ", ".join(f"{label}: {counts.get(stage, 0)}" for stage, label in STAGE_LABELS.items())
    return _frame("funnel", label_width + bar_width + 60, row * len(STAGE_LABELS) + 6, "Funnel", description, body)


def days_chart(days: Mapping[str, Cell], min_group: int) -> str:
    """Completions per day; a hidden day is an outlined placeholder, never a bar of its true height."""
    if not days:
        return ""
    slot, height, base, bar_width = 64, 170, 140, 40
    top = max([cell.value for cell in days.values() if cell.shown == "yes"] + [min_group])
    body: list[str] = [f'<line class="axis" x1="0" y1="{base}" x2="{slot * len(days)}" y2="{base}"/>']
    for index, (day, cell) in enumerate(days.items()):
        x = index * slot + (slot - bar_width) // 2
        if cell.shown == "yes":
            bar = max(round(100 * cell.value / top), 2)
            body.append(
                f'<rect class="bar bar-completed" x="{x}" y="{base - bar}" width="{bar_width}" height="{bar}" rx="2"/>'
            )
        else:
            bar = round(100 * min_group / top)
            body.append(
                f'<rect class="hidden-bar" x="{x}" y="{base - bar}" width="{bar_width}" height="{bar}" rx="2"/>'
            )
        body.append(f'<text class="value" x="{x + bar_width // 2}" y="{base - bar - 5}" text-anchor="middle">')
        body.append(f"{escape(cell.short(min_group))}</text>")
        body.append(
            f'<text class="label small" x="{x + bar_width // 2}" y="{base + 16}" text-anchor="middle">{day[5:]}</text>'
        )
    description = "; ".join(f"{day}: {cell.text(min_group)}" for day, cell in days.items())
    return _frame("days", max(slot * len(days), 240), height, "Completed interviews per day", description, body)
