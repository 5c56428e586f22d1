"""From interviews to findings: passages, one space, themes per question and across, saturation, codes.

The minimum group size is applied here, before anything is written: a theme, code or group with
fewer participants than that is reported only as withheld.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bot.analysis.codebook import Code, CodeResult, apply_offline
from bot.analysis.corpus import Interview, Participation, participation
from bot.analysis.disclosure import cells, withheld
from bot.analysis.saturation import Saturation, saturation
from bot.analysis.themes import ACROSS, Passage, Scope, Theme, find_themes, passages
from bot.analysis.vectors import DenseSpace, LatentSpace, Lexicon
from bot.flows.model import Flow
from bot.state.model import CLOSING

Progress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Options:
    min_group: int = 5
    seed: int = 0
    question_clusters: tuple[int, ...] = tuple(range(3, 10))
    across_clusters: tuple[int, ...] = tuple(range(5, 15))


@dataclass
class QuestionFindings:
    id: str
    ask: str
    respondents: int
    themes: list[Theme]
    withheld: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ask": self.ask,
            "respondents": self.respondents,
            "themes": [t.to_dict() for t in self.themes],
            "themes_withheld_as_small": self.withheld,
        }


@dataclass
class Findings:
    source: str
    flow: str
    method: str
    options: Options
    participation: Participation
    by: str | None = None
    groups: dict[str, Participation | None] = field(default_factory=dict)
    funnel: dict[str, Any] | None = None
    questions: list[QuestionFindings] = field(default_factory=list)
    across: QuestionFindings | None = None
    saturation: Saturation | None = None
    codes: list[CodeResult] | None = None
    codes_by: str = ""
    # theme id -> group -> prevalence in that group (None where the group is too small to show).
    theme_groups: dict[str, dict[str, float | None]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    # Kept for the codebook step and Claude (not written out).
    passages: list[Passage] = field(default_factory=list, repr=False)
    points: np.ndarray | None = field(default=None, repr=False)
    space: DenseSpace | None = field(default=None, repr=False)
    interviews: list[Interview] = field(default_factory=list, repr=False)

    def all_themes(self) -> list[Theme]:
        found = [t for q in self.questions for t in q.themes]
        return found + (self.across.themes if self.across else [])

    def to_dict(self) -> dict[str, Any]:
        k = self.options.min_group
        return {
            "source": self.source,
            "flow": self.flow,
            "generated_at": self.generated_at,
            "method": self.method,
            "minimum_group_size": k,
            "participation": self.participation.to_dict(),
            **({"funnel": self.funnel} if self.funnel else {}),
            **(
                {
                    "by": self.by,
                    "groups": {g: (p.to_dict() if p else f"fewer than {k}") for g, p in self.groups.items()},
                    "theme_prevalence_by_group": {
                        t: {g: (v if v is not None else f"fewer than {k}") for g, v in row.items()}
                        for t, row in self.theme_groups.items()
                    },
                }
                if self.by
                else {}
            ),
            "questions": [q.to_dict() for q in self.questions],
            **({"across_the_interview": self.across.to_dict()} if self.across else {}),
            **({"saturation": self.saturation.to_dict()} if self.saturation else {}),
            **(
                {"codes": [c.to_dict(k) for c in self.codes], "coded_by": self.codes_by}
                if self.codes is not None
                else {}
            ),
            "notes": self.notes,
        }


def question_title(flow: Flow | None, question_id: str) -> str:
    if question_id == ACROSS:
        return "Across the interview"
    if flow is not None:
        if question_id == CLOSING:
            return flow.closing_question
        for question in flow.questions:
            if question.id == question_id:
                return question.ask
    return question_id or "(answers not matched to a question)"


def analyze(
    interviews: Sequence[Interview],
    *,
    source: str,
    flow: Flow | None = None,
    space: DenseSpace | None = None,
    options: Options = Options(),
    progress: Progress = _quiet,
) -> Findings:
    space = space or LatentSpace(seed=options.seed)
    progress("reading answers", 0, 1)
    found = passages(interviews)
    texts = [p.text for p in found]
    lexicon = Lexicon.fit(texts)
    progress("reading answers", 1, 1)
    progress("placing passages", 0, max(1, len(texts)))
    points = (
        space.fit(texts, lexicon, lambda done, total: progress("placing passages", done, total))
        if texts
        else np.zeros((0, 2), dtype=np.float32)
    )
    progress("placing passages", max(1, len(texts)), max(1, len(texts)))
    findings = Findings(
        source=source,
        flow=flow.id if flow else "",
        method=space.name,
        options=options,
        participation=participation(interviews),
        passages=found,
        points=points,
        space=space,
        interviews=list(interviews),
    )
    scopes = _scopes(interviews, found, flow)
    for number, scope in enumerate(scopes, 1):
        progress("finding themes", number - 1, len(scopes))
        candidates = options.across_clusters if scope.id == ACROSS else options.question_clusters
        themes = find_themes(scope, found, points, lexicon, candidates, options.seed, space.core_similarity)
        shown = [t for t in themes if len(t.participants) >= options.min_group]
        result = QuestionFindings(
            scope.id, question_title(flow, scope.id), len(scope.respondents), shown, len(themes) - len(shown)
        )
        if scope.id == ACROSS:
            findings.across = result
        else:
            findings.questions.append(result)
        progress("finding themes", number, len(scopes))
    findings.saturation = saturation(
        _order(interviews),
        [t for q in findings.questions for t in q.themes] or (findings.across.themes if findings.across else []),
    )
    if len(interviews) < options.min_group:
        findings.notes.append(
            f"Only {len(interviews)} interviews: fewer than the minimum group size ({options.min_group}), "
            "so no theme or quote is shown."
        )
    return findings


def _scopes(interviews: Sequence[Interview], found: Sequence[Passage], flow: Flow | None) -> list[Scope]:
    """Each question's passages and respondents, in the guide's order, then all of them."""
    order = [*(q.id for q in flow.questions), CLOSING] if flow is not None else []
    rows: dict[str, list[int]] = {}
    for index, passage in enumerate(found):
        rows.setdefault(passage.question_id, []).append(index)
    respondents = _respondents(interviews)
    scopes = [
        Scope(q, np.array(rows[q], dtype=np.int64), respondents[q])
        for q in dict.fromkeys([*order, *rows])
        if q and q in rows
    ]
    scopes.append(Scope(ACROSS, np.arange(len(found), dtype=np.int64), respondents[ACROSS]))
    return scopes


def _order(interviews: Sequence[Interview]) -> list[str]:
    """When they happened, where the source says; otherwise the source's own order."""
    if all(i.started_at for i in interviews):
        return [i.transcript_id for i in sorted(interviews, key=lambda i: i.started_at)]
    return [i.transcript_id for i in interviews]


def by_group(findings: Findings, by: str) -> None:
    """Participation and theme prevalence per value of ``by``; small groups and cells are withheld."""
    k = findings.options.min_group
    members: dict[str, list[Interview]] = {}
    for interview in findings.interviews:
        members.setdefault(interview.group or "(unknown)", []).append(interview)
    findings.by = by
    hidden = withheld({g: len(items) for g, items in members.items()}, k)
    findings.groups = {g: None if g in hidden else participation(items) for g, items in sorted(members.items())}
    for theme in findings.all_themes():
        bases: dict[str, int] = {}
        counts: dict[str, int] = {}
        for group, items in members.items():
            base = [i.transcript_id for i in items if theme.scope == ACROSS or i.answered(theme.scope)]
            bases[group], counts[group] = len(base), sum(t in theme.participants for t in base)
        secret = cells(bases, counts, k) | hidden
        findings.theme_groups[theme.id] = {
            g: None if g in secret else round(counts[g] / bases[g], 3) for g in sorted(members)
        }


def code_offline(findings: Findings, codes: Sequence[Code]) -> None:
    """Deductive coding of every passage against a codebook, in the space the themes were found in."""
    if findings.space is None or findings.points is None:
        raise RuntimeError("analyze first")
    code_points = findings.space.transform([c.text for c in codes]) if codes else np.zeros((0, 1))
    respondents = _respondents(findings.interviews)
    results = apply_offline(codes, findings.passages, findings.points, code_points, respondents)
    set_codes(findings, results, "offline similarity to each code's words and examples")


def set_codes(findings: Findings, results: Sequence[CodeResult], by: str) -> None:
    """A code with fewer participants than the minimum keeps its count hidden and shows no quote."""
    k = findings.options.min_group
    findings.codes = [replace(r, quotes=[]) if len(r.participants) < k else r for r in results]
    findings.codes_by = by


def _respondents(interviews: Sequence[Interview]) -> dict[str, frozenset[str]]:
    result: dict[str, set[str]] = {"": set()}
    for interview in interviews:
        for answer in interview.answers:
            result.setdefault(answer.question_id, set()).add(interview.transcript_id)
            result[""].add(interview.transcript_id)
    return {q: frozenset(ids) for q, ids in result.items()}
