"""Answers as vectors: TF-IDF words for labels, and a dense space (LSA or embeddings) for clustering."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import sparse
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.preprocessing import normalize

# Words every interview about work uses, and the redactor's marks: they would label every theme.
_FILLER = {
    "redacted",
    "email",
    "phone",
    "url",
    "just",
    "really",
    "like",
    "think",
    "lot",
    "bit",
    "thing",
    "things",
    "stuff",
    "kind",
    "sort",
    "actually",
    "honestly",
    "pretty",
    "maybe",
    "probably",
    "yeah",
    "yes",
    "don",
    "doesn",
    "didn",
    "isn",
    "wasn",
    "ve",
    "ll",
    "re",
    "d",
    "m",
    "s",
    "t",
}
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | _FILLER)
_TOKEN = r"(?u)\b[^\W\d_][^\W\d_'’-]+\b"
_SENTENCE = re.compile(r"(?<=[.!?…])[ \t]+(?=[\"'“(\[]?[A-Z0-9])")


def paragraphs(text: str) -> list[str]:
    """Lines of an answer (a follow-up reply starts a new one); a quote never spans two."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def sentence_ends(paragraph: str) -> list[int]:
    """Where each sentence of ``paragraph`` ends, so passages can be cut from it unchanged."""
    return [m.start() for m in _SENTENCE.finditer(paragraph)] + [len(paragraph)]


Tick = Callable[[int, int], None]


def _no_tick(done: int, total: int) -> None:
    return None


class DenseSpace(Protocol):
    """Where clustering happens: rows are L2-normalised, and new texts land in the same space."""

    name: str
    # How close to a theme's centre a passage must be to count as part of it, in this space's cosine.
    core_similarity: float

    def fit(self, texts: Sequence[str], lexicon: Lexicon, progress: Tick = _no_tick) -> np.ndarray: ...

    def transform(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass
class Lexicon:
    """TF-IDF over every passage; labels and keywords are read from it whatever the dense space is."""

    matrix: sparse.csr_matrix
    terms: np.ndarray
    vectorizer: TfidfVectorizer | None = None

    @classmethod
    def fit(cls, texts: Sequence[str]) -> Lexicon:
        min_df = 2 if len(texts) >= 20 else 1
        vectorizer = TfidfVectorizer(
            stop_words=STOP_WORDS,
            token_pattern=_TOKEN,
            lowercase=True,
            sublinear_tf=True,
            min_df=min_df,
            max_df=0.4 if len(texts) >= 50 else 1.0,
            ngram_range=(1, 2),
            dtype=np.float32,
        )
        try:
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # nothing but stop words: an empty vocabulary
            return cls(sparse.csr_matrix((len(texts), 1), dtype=np.float32), np.array(["—"]))
        return cls(sparse.csr_matrix(matrix), vectorizer.get_feature_names_out(), vectorizer)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        if self.vectorizer is None:
            return sparse.csr_matrix((len(texts), self.matrix.shape[1]), dtype=np.float32)
        return sparse.csr_matrix(self.vectorizer.transform(texts))

    def top_terms(self, inside: np.ndarray, outside: np.ndarray, count: int) -> list[str]:
        """Terms frequent in ``inside`` rows and rarer elsewhere; a bigram replaces the words it contains."""
        mean_in = np.asarray(self.matrix[inside].mean(axis=0)).ravel()
        mean_out = np.asarray(self.matrix[outside].mean(axis=0)).ravel() if len(outside) else 0.0
        score = mean_in - mean_out
        chosen: list[str] = []
        for index in np.argsort(-score)[: count * 4]:
            if score[index] <= 0:
                break
            term = str(self.terms[index])
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
            if len(chosen) == count:
                break
        return chosen


class LatentSpace:
    """TF-IDF reduced by SVD (latent semantic analysis): fast, offline, no model to ship."""

    name = "TF-IDF + SVD (offline)"
    # Measured on the planted-theme set: 0.3 recovers 94% of planted themes, 0.4 recovers 97%.
    core_similarity = 0.4

    def __init__(self, dimensions: int = 100, seed: int = 0, fit_rows: int = 8000) -> None:
        self.dimensions = dimensions
        self.fit_rows = fit_rows
        self.seed = seed
        self._lexicon: Lexicon | None = None
        self._svd: TruncatedSVD | None = None

    def fit(self, texts: Sequence[str], lexicon: Lexicon, progress: Tick = _no_tick) -> np.ndarray:
        self._lexicon = lexicon
        rows, columns = lexicon.matrix.shape
        width = min(self.dimensions, columns - 1, rows - 1)
        if width < 2:
            self._svd = None
            return _unit(lexicon.matrix.toarray())
        # The axes are learnt from a sample (the cost grows with rows); every passage is then projected.
        sample = np.random.default_rng(self.seed).permutation(rows)[: self.fit_rows]
        self._svd = TruncatedSVD(n_components=width, random_state=self.seed, n_iter=4)
        self._svd.fit(lexicon.matrix[np.sort(sample)])
        return _unit(self._svd.transform(lexicon.matrix))

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        if self._lexicon is None:
            raise RuntimeError("fit the space before placing new texts in it")
        matrix = self._lexicon.transform(texts)
        return _unit(self._svd.transform(matrix) if self._svd is not None else matrix.toarray())


class EmbeddingSpace:
    """Sentence embeddings (``candor[analysis]``): passages that mean the same land close, whatever words."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.name = f"sentence embeddings: {getattr(encoder, 'name', type(encoder).__name__)}"
        # Measured on the planted-theme set (1,250 transcripts): recall 0.88 at 0.3 and 0.4, 0.91 at 0.5,
        # 0.97 at 0.6 (at 400 transcripts, every planted theme from 0.3 to 0.6).
        self.core_similarity = 0.6

    def fit(self, texts: Sequence[str], lexicon: Lexicon, progress: Tick = _no_tick) -> np.ndarray:
        """Encoded in chunks, so a long encoding shows its progress."""
        chunks = []
        for start in range(0, len(texts), 1024):
            progress(start, len(texts))
            chunks.append(self.transform(texts[start : start + 1024]))
        progress(len(texts), len(texts))
        return np.vstack(chunks) if chunks else np.zeros((0, 1), dtype=np.float32)

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        return _unit(np.asarray(self.encoder.encode(list(texts)), dtype=np.float32))


def _unit(rows: Any) -> np.ndarray:
    return np.asarray(normalize(np.asarray(rows, dtype=np.float32)), dtype=np.float32)
