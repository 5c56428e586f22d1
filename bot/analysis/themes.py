"""Themes: clusters of answer passages, labelled by their words, with quotes from real answers.

A passage is a sentence or two of one answer, so one answer can touch several themes. Prevalence is
the share of participants (who answered that question) with at least one passage in the theme.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score

from bot.analysis.corpus import Interview, words
from bot.analysis.vectors import Lexicon, paragraphs, sentence_ends

ACROSS = ""  # the scope of themes across the whole interview
MIN_PASSAGE_WORDS = 5
QUOTE_CHARS = (25, 320)
# Two quotes more alike than this (cosine) say the same thing.
DISTINCT = 0.8
# Two clusters whose smaller one shares this much of its people with the other are one theme.
SAME_PEOPLE = 0.7


@dataclass(frozen=True, slots=True)
class Passage:
    transcript_id: str
    question_id: str
    text: str


def passages(interviews: Sequence[Interview]) -> list[Passage]:
    """Sentences of each answer; a short sentence joins the next so every passage says something."""
    found: list[Passage] = []
    for interview in interviews:
        for answer in interview.answers:
            for paragraph in paragraphs(answer.text):
                spans: list[tuple[int, int]] = []
                start = 0
                for end in sentence_ends(paragraph):
                    if words(paragraph[start:end]) >= MIN_PASSAGE_WORDS:
                        spans.append((start, end))
                        start = end
                if start < len(paragraph) and words(paragraph[start:]) and spans:
                    spans[-1] = (spans[-1][0], len(paragraph))  # a short last sentence joins the one before
                tid, question = interview.transcript_id, answer.question_id
                found += [Passage(tid, question, paragraph[a:b].strip()) for a, b in spans]
    return found


@dataclass(frozen=True, slots=True)
class Quote:
    transcript_id: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"transcript_id": self.transcript_id, "text": self.text}


@dataclass
class Theme:
    id: str
    scope: str  # a question id, or ACROSS
    label: str
    description: str
    keywords: list[str]
    participants: frozenset[str]
    prevalence: float  # share of the participants who answered within the scope
    quotes: list[Quote]
    # Indices of its passages (internal; not written out).
    members: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0, dtype=np.int64))
    # Who wrote the label: "keywords" offline, or "claude" when Claude's label passed the checks.
    labelled_by: str = "keywords"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope or "across the interview",
            "label": self.label,
            "description": self.description,
            "keywords": self.keywords,
            "participants": len(self.participants),
            "prevalence": round(self.prevalence, 3),
            "quotes": [q.to_dict() for q in self.quotes],
            "labelled_by": self.labelled_by,
        }


def choose_clusters(points: np.ndarray, candidates: Sequence[int], seed: int, fit_rows: int = 4000) -> np.ndarray:
    """K-means labels for the number of clusters with the best silhouette.

    Large scopes are clustered on a sample of ``fit_rows`` passages and every passage then goes to its
    nearest centre: the themes of a study show in a few thousand passages, and the cost stays flat.
    """
    count = len(points)
    usable = [k for k in candidates if 2 <= k < min(count, fit_rows)]
    if not usable:
        return np.zeros(count, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sample = points[np.sort(rng.permutation(count)[:fit_rows])] if count > fit_rows else points
    best: KMeans | None = None
    best_score = -2.0
    for k in usable:
        with warnings.catch_warnings():
            # Fewer distinct passages than k (repeated short answers): the labels say so, and are checked below.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = KMeans(n_clusters=k, random_state=seed, n_init=2).fit(sample)
        labels = model.labels_
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(sample, labels, sample_size=min(len(sample), 2000), random_state=seed))
        if score > best_score:
            best, best_score = model, score
    if best is None:
        return np.zeros(count, dtype=np.int64)
    return np.asarray(best.predict(points) if count > fit_rows else best.labels_, dtype=np.int64)


@dataclass
class Scope:
    """Passages of one question (or of all), and who answered it."""

    id: str
    indices: np.ndarray
    respondents: frozenset[str]


def find_themes(
    scope: Scope,
    found: Sequence[Passage],
    points: np.ndarray,
    lexicon: Lexicon,
    candidates: Sequence[int],
    seed: int = 0,
    core: float = 0.4,
) -> list[Theme]:
    """``core``: how similar to its theme's centre a passage must be to count (depends on the space)."""
    if len(scope.indices) < 4 or not scope.respondents:
        return []
    labels = choose_clusters(points[scope.indices], candidates, seed)
    clusters = [_core(scope.indices[labels == c], points, core) for c in sorted(set(labels.tolist()))]
    themes = []
    for members in _merged_by_people([c for c in clusters if len(c)], found, len(scope.respondents)):
        quotes = representative(members, found, points)
        if not quotes:
            continue  # nothing in it long enough to quote: asides such as "that's all", not a theme
        participants = frozenset(found[i].transcript_id for i in members)
        others = np.setdiff1d(scope.indices, members, assume_unique=True)
        keywords = lexicon.top_terms(members, others, 6)
        theme = Theme(
            id="",
            scope=scope.id,
            label=" · ".join(keywords[:3]) or "(no distinctive words)",
            description="",
            keywords=keywords,
            participants=participants,
            prevalence=len(participants) / len(scope.respondents),
            quotes=quotes,
            members=members,
        )
        theme.description = describe(theme)
        themes.append(theme)
    themes.sort(key=lambda t: -t.prevalence)
    prefix = scope.id.lstrip("_") or "all"
    for number, theme in enumerate(themes, 1):
        theme.id = f"{prefix}-{number}"
    return themes


def _merged_by_people(clusters: list[np.ndarray], found: Sequence[Passage], respondents: int) -> list[np.ndarray]:
    """Clusters mostly voiced by the same people are one theme seen from two sides: they are joined.

    K-means splits a theme by sub-topic ("guidelines" and "waiting for approved tools"); the people
    are what show it: most of the smaller cluster's participants are in the larger one too. Chance
    counts: when the larger theme is voiced by most people, the overlap must be well above that share.
    """
    people = [{found[int(i)].transcript_id for i in c} for c in clusters]
    parent = list(range(len(clusters)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(clusters)):
        for j in range(i + 1, len(clusters)):
            shared = len(people[i] & people[j]) / max(1, min(len(people[i]), len(people[j])))
            by_chance = max(len(people[i]), len(people[j])) / max(1, respondents)
            if shared >= max(SAME_PEOPLE, (1 + by_chance) / 2):
                parent[root(j)] = root(i)
    groups: dict[int, list[np.ndarray]] = {}
    for i, cluster in enumerate(clusters):
        groups.setdefault(root(i), []).append(cluster)
    return [np.sort(np.concatenate(parts)) for parts in groups.values()]


def _core(members: np.ndarray, points: np.ndarray, floor: float) -> np.ndarray:
    """The passages that are really about the cluster's subject: near enough to its centre.

    K-means puts every passage somewhere, including asides that fit nowhere; counting those would make
    a theme look more common than it is.
    """
    if len(members) < 3:
        return members
    centre = points[members].mean(axis=0)
    centre = centre / (np.linalg.norm(centre) or 1.0)
    similarity = points[members] @ centre
    return np.asarray(members[similarity >= floor], dtype=np.int64)


def describe(theme: Theme) -> str:
    words_ = theme.keywords[:4]
    listed = ", ".join(words_[:-1]) + f" and {words_[-1]}" if len(words_) > 1 else "".join(words_)
    share = f"{theme.prevalence:.0%}"
    return f"{share} of participants here talk about {listed or 'this'}."


def representative(members: np.ndarray, found: Sequence[Passage], points: np.ndarray, count: int = 3) -> list[Quote]:
    """Passages nearest the cluster's centre, from different participants, of a readable length.

    A passage that says nearly the same as one already chosen is passed over, so the quotes show the
    theme's range rather than one sentence three times.
    """
    centre = points[members].mean(axis=0)
    order = members[np.argsort(-(points[members] @ centre))]
    quotes: list[Quote] = []
    chosen: list[int] = []
    low, high = QUOTE_CHARS
    # Strictest first: no redaction marks and unlike the others; then marks allowed; then likeness allowed.
    for prefer_clean, distinct in ((True, True), (False, True), (False, False)):
        for index in order:
            passage = found[int(index)]
            if any(q.transcript_id == passage.transcript_id for q in quotes) or not low <= len(passage.text) <= high:
                continue
            if prefer_clean and "[" in passage.text:
                continue  # a quote without redaction marks reads better, when there is one
            if distinct and chosen and float(np.max(points[chosen] @ points[int(index)])) > DISTINCT:
                continue
            quotes.append(Quote(passage.transcript_id, passage.text))
            chosen.append(int(index))
            if len(quotes) == count:
                return quotes
    return quotes
