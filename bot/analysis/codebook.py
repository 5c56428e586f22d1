"""The codebook: themes written as an editable CSV, read back, and applied to every transcript.

Offline coding compares each passage with the code: its label, description and keywords, and the
passages of its example transcripts that read most like it. A passage gets the code it is nearest
to, when it is near enough.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.analysis.corpus import SourceError
from bot.analysis.themes import Passage, Quote, Theme, representative

COLUMNS = ("id", "question", "label", "description", "keywords", "example_ids")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
# Cosine similarity in the clustering space below which a passage is left uncoded.
THRESHOLD = 0.3


@dataclass(frozen=True, slots=True)
class Code:
    id: str
    question: str  # "" applies the code to every answer
    label: str
    description: str
    keywords: tuple[str, ...]
    example_ids: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join([self.label, self.description, *self.keywords])


def codebook_csv(themes: Sequence[Theme]) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for theme in themes:
        examples = " ".join(dict.fromkeys(q.transcript_id for q in theme.quotes))
        writer.writerow([theme.id, theme.scope, theme.label, theme.description, "; ".join(theme.keywords), examples])
    return out.getvalue()


def read_codebook(path: Path, questions: Sequence[str] = ()) -> list[Code]:
    """Every problem names its line and column; ``questions`` are the known question ids, if any."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the codebook ({exc})") from None
    rows = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in ("id", "label") if c not in (rows.fieldnames or [])]
    if missing:
        raise SourceError(f"{path}:1: header: needs the columns {', '.join(COLUMNS)} (missing {', '.join(missing)})")
    codes: list[Code] = []
    for row in rows:
        if not any(isinstance(v, str) and v.strip() for v in row.values()):
            continue  # a blank row, as spreadsheet tools leave them
        codes.append(_code(row, f"{path}:{rows.line_num}", {c.id for c in codes}, questions))
    if not codes:
        raise SourceError(f"{path}: no codes after the header")
    return codes


def _code(row: dict[str, str | Any], where: str, taken: set[str], questions: Sequence[str]) -> Code:
    def cell(name: str) -> str:
        value = row.get(name)
        return value.strip() if isinstance(value, str) else ""

    code_id, label, question = cell("id"), cell("label"), cell("question")
    if not _ID.fullmatch(code_id):
        raise SourceError(f"{where}: id: {code_id!r} is not usable; use letters, digits, '-', '_' or '.' (max 40)")
    if code_id in taken:
        raise SourceError(f"{where}: id: {code_id!r} is used twice; give each code its own id")
    if not label:
        raise SourceError(f"{where}: label: empty; give the code a short name")
    if question in ("across the interview", "all"):
        question = ""
    if question and questions and question not in questions:
        raise SourceError(f"{where}: question: {question!r} is not a question here; use one of {', '.join(questions)}")
    keywords = tuple(k.strip() for k in re.split(r"[;,]", cell("keywords")) if k.strip())
    return Code(code_id, question, label, cell("description"), keywords, tuple(cell("example_ids").split()))


@dataclass
class CodeResult:
    code: Code
    participants: frozenset[str]
    passages: int
    quotes: list[Quote]
    prevalence: float

    def to_dict(self, min_group: int) -> dict[str, Any]:
        shown = len(self.participants) >= min_group
        return {
            "id": self.code.id,
            "question": self.code.question or "any",
            "label": self.code.label,
            "participants": len(self.participants) if shown else f"fewer than {min_group}",
            "prevalence": round(self.prevalence, 3) if shown else None,
            "passages": self.passages if shown else None,
            "quotes": [q.to_dict() for q in self.quotes] if shown else [],
        }


def anchors(codes: Sequence[Code], found: Sequence[Passage], points: np.ndarray, code_points: np.ndarray) -> np.ndarray:
    """Each code's point: its own words, pulled towards its examples' passages that match it best."""
    by_transcript: dict[str, list[int]] = {}
    for index, passage in enumerate(found):
        by_transcript.setdefault(passage.transcript_id, []).append(index)
    result = np.array(code_points, dtype=np.float32, copy=True)
    for number, code in enumerate(codes):
        picked = []
        for tid in code.example_ids:
            rows = [i for i in by_transcript.get(tid, []) if not code.question or found[i].question_id == code.question]
            if rows:
                picked.append(rows[int(np.argmax(points[rows] @ code_points[number]))])
        if picked:
            result[number] = code_points[number] + points[picked].mean(axis=0)
    norms = np.linalg.norm(result, axis=1, keepdims=True)
    return np.asarray(result / np.where(norms == 0, 1, norms), dtype=np.float32)


def apply_offline(
    codes: Sequence[Code],
    found: Sequence[Passage],
    points: np.ndarray,
    code_points: np.ndarray,
    respondents: dict[str, frozenset[str]],
    threshold: float = THRESHOLD,
) -> list[CodeResult]:
    """``respondents`` maps a question id ("" for all) to who answered it: the denominators."""
    centres = anchors(codes, found, points, code_points)
    scores = points @ centres.T
    # Codes of one question compete for its passages; codes for any answer compete among themselves,
    # so a passage can carry one of each (as themes per question and across the interview do).
    general = np.array([not c.question for c in codes], dtype=bool)
    for number, code in enumerate(codes):
        if code.question:
            outside = np.array([p.question_id != code.question for p in found], dtype=bool)
            scores[outside, number] = -1.0
    best = np.full((len(found), len(codes)), False)
    for family in (general, ~general):
        if family.any():
            family_scores = np.where(family, scores, -2.0)
            winner = np.argmax(family_scores, axis=1)
            best[np.arange(len(found)), winner] |= family[winner]
    results = []
    for number, code in enumerate(codes):
        members = np.flatnonzero(best[:, number] & (scores[:, number] >= threshold))
        participants = frozenset(found[int(i)].transcript_id for i in members)
        base = respondents.get(code.question) or respondents.get("", frozenset())
        quotes = representative(members, found, points) if len(members) else []
        results.append(CodeResult(code, participants, len(members), quotes, len(participants) / max(1, len(base))))
    return results
