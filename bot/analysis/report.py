"""``report.html``: one self-contained page (styles and charts inside) that opens from disk."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from html import escape
from pathlib import Path

from bot.analysis.codebook import CodeResult
from bot.analysis.corpus import Participation
from bot.analysis.pipeline import Findings, QuestionFindings
from bot.analysis.plots import Chart, funnel_chart, prevalence_chart, saturation_chart
from bot.analysis.themes import Quote, Theme

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;color:#111;max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.6rem}h2{border-bottom:2px solid #111;padding-bottom:.2rem;margin-top:2.4rem}
h3{margin-bottom:.2rem}table{border-collapse:collapse;margin:.6rem 0}
td,th{border:1px solid #999;padding:.25rem .6rem;text-align:left}th{background:#eee}
td.n{text-align:right}.meta{color:#444}.theme{margin:1rem 0 1.4rem}
blockquote{margin:.3rem 0 .3rem 1rem;padding-left:.8rem;border-left:4px solid #777}
blockquote a{font-size:.85em;color:#333}figure{margin:1rem 0}img{max-width:100%}
.small{color:#555;font-size:.9em}
"""


def _img(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode()
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(chart.alt)}">'
        f"<figcaption class=small>{escape(chart.title)}</figcaption></figure>"
    )


def _number(value: float | int | None, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:g}{suffix}" if isinstance(value, float) else f"{value}{suffix}"


def _participation_rows(p: Participation) -> list[tuple[str, str]]:
    return [
        ("Interviews", _number(p.interviews)),
        ("Completed", _number(p.completed)),
        ("Completion rate", f"{p.completion_rate:.0%}" if p.completion_rate is not None else "n/a"),
        ("Median duration", _number(p.median_duration_minutes, " min")),
        ("Median turns", _number(p.median_turns)),
        (
            "Words per answer (median / mean)",
            f"{_number(p.median_words_per_answer)} / {_number(p.mean_words_per_answer)}",
        ),
    ]


class Report:
    def __init__(self, findings: Findings, out_dir: Path) -> None:
        self.findings = findings
        self.out_dir = out_dir
        self.k = findings.options.min_group
        self.locations = {i.transcript_id: i.location for i in findings.interviews if i.location}

    def html(self) -> str:
        f = self.findings
        title = f"Findings: {f.flow or 'interviews'}"
        parts = [
            f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{escape(title)}</title>",
            f"<style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f"<p class=meta>Source: {escape(f.source)} · {f.participation.interviews} interviews · "
            f"themes by {escape(f.method)} · generated {escape(f.generated_at)} · "
            f"groups and themes under {self.k} people are withheld.</p>",
            *(f"<p><strong>Note:</strong> {escape(note)}</p>" for note in f.notes),
            self._participation(),
        ]
        if f.across is not None:
            parts.append("<h2>Themes across the interview</h2>" + self._themes(f.across))
        if f.questions:
            parts.append("<h2>Themes per question</h2>")
            parts += [self._question(q) for q in f.questions]
        parts.append(self._saturation())
        if f.codes is not None:
            parts.append(self._codes(f.codes))
        parts.append(
            "<p class=small>Quotes are passages of the redacted transcripts, unchanged. "
            "codebook.csv beside this page lists the themes; edit it and run "
            "<code>candor analyze ... --codebook codebook.csv</code> to code every transcript against it.</p>"
        )
        parts.append("</body></html>")
        return "\n".join(parts)

    def _participation(self) -> str:
        f = self.findings
        rows = "".join(
            f"<tr><th>{name}</th><td class=n>{escape(value)}</td></tr>"
            for name, value in _participation_rows(f.participation)
        )
        html = f"<h2>Participation</h2><table>{rows}</table>"
        if f.funnel:
            stages = [(name, int(f.funnel.get(name, 0))) for name in ("invited", "opened", "consented", "completed")]
            html += _img(funnel_chart(stages))
        elif f.participation.completed is not None:
            p = f.participation
            html += _img(funnel_chart([("transcripts", p.interviews), ("completed", p.completed or 0)]))
        if f.by:
            html += self._groups()
        return html

    def _groups(self) -> str:
        f = self.findings
        head = "".join(f"<th>{escape(name)}</th>" for name, _ in _participation_rows(f.participation))
        body = []
        for group, p in f.groups.items():
            cells = (
                "".join(f"<td class=n>{escape(v)}</td>" for _, v in _participation_rows(p))
                if p is not None
                else f"<td colspan=6>fewer than {self.k} interviews: withheld</td>"
            )
            body.append(f"<tr><th>{escape(group)}</th>{cells}</tr>")
        return f"<h3>By {escape(f.by or '')}</h3><table><tr><th></th>{head}</tr>{''.join(body)}</table>"

    def _question(self, q: QuestionFindings) -> str:
        return f"<h3>{escape(q.ask)}</h3><p class=meta>{q.respondents} answered.</p>" + self._themes(q)

    def _themes(self, q: QuestionFindings) -> str:
        withheld = (
            f"<p class=small>{q.withheld} smaller theme(s) with fewer than {self.k} participants withheld.</p>"
            if q.withheld
            else ""
        )
        if not q.themes:
            return "<p>No theme shared by enough participants to show.</p>" + withheld
        chart = prevalence_chart(
            q.ask if q.id else "Themes across the interview",
            [t.label for t in q.themes],
            [t.prevalence for t in q.themes],
        )
        return _img(chart) + "".join(self._theme(t) for t in q.themes) + withheld

    def _theme(self, theme: Theme) -> str:
        groups = self.findings.theme_groups.get(theme.id)
        by = ""
        if groups:
            cells = ", ".join(
                f"{escape(g)} {v:.0%}" if v is not None else f"{escape(g)}: fewer than {self.k}"
                for g, v in groups.items()
            )
            by = f"<p class=small>By {escape(self.findings.by or '')}: {cells}</p>"
        return (
            f"<div class=theme id='{escape(theme.id)}'><h4>{escape(theme.label)} "
            f"<span class=small>({len(theme.participants)} participants, {theme.prevalence:.0%}"
            f"{'; named by Claude' if theme.labelled_by == 'claude' else ''})</span></h4>"
            f"<p>{escape(theme.description)}</p>{by}{self._quotes(theme.quotes)}</div>"
        )

    def _quotes(self, quotes: Sequence[Quote]) -> str:
        return "".join(f"<blockquote>“{escape(q.text)}” {self._link(q.transcript_id)}</blockquote>" for q in quotes)

    def _link(self, transcript_id: str) -> str:
        location = self.locations.get(transcript_id)
        if not location:
            return f"<span class=small>— {escape(transcript_id)}</span>"
        href = Path(os.path.relpath(Path(location).resolve(), self.out_dir.resolve())).as_posix()
        return f"<a href='{escape(href)}'>— {escape(transcript_id)}</a>"

    def _saturation(self) -> str:
        s = self.findings.saturation
        if s is None or not s.cumulative:
            return ""
        if not s.cumulative[-1]:
            return "<h2>Saturation</h2><p>No theme was shared by enough participants to show, so there is no curve.</p>"
        if s.saturated_at is not None:
            text = (
                f"The last new theme came with interview {s.saturated_at}; the {len(s.cumulative) - s.saturated_at} "
                f"after it brought none (a quiet run of at least {s.run} is asked for)."
            )
        else:
            text = (
                f"New themes were still appearing within the last {s.run} interviews: more interviews may teach more."
            )
        chart = saturation_chart(s.new_per_interview, s.cumulative, s.saturated_at)
        return f"<h2>Saturation</h2><p>{escape(text)}</p>{_img(chart)}"

    def _codes(self, codes: Sequence[CodeResult]) -> str:
        rows = []
        for result in codes:
            count = (
                f"{len(result.participants)} ({result.prevalence:.0%})"
                if len(result.participants) >= self.k
                else f"fewer than {self.k}"
            )
            rows.append(
                f"<tr><th>{escape(result.code.id)}</th><td>{escape(result.code.label)}</td>"
                f"<td>{escape(result.code.question or 'any')}</td><td class=n>{escape(count)}</td></tr>"
            )
        shown = [r for r in codes if len(r.participants) >= self.k]
        chart = (
            prevalence_chart("Codes", [r.code.label for r in shown], [r.prevalence for r in shown]) if shown else None
        )
        quotes = "".join(
            f"<div class=theme><h4>{escape(r.code.id)}: {escape(r.code.label)}</h4>{self._quotes(r.quotes)}</div>"
            for r in shown
        )
        return (
            f"<h2>Codes ({escape(self.findings.codes_by)})</h2><table><tr><th>id</th><th>label</th><th>question</th>"
            f"<th>participants</th></tr>{''.join(rows)}</table>{_img(chart) if chart else ''}{quotes}"
        )
