"""Redaction quality and speed on the labelled test set: Candor's Redactor against Presidio (patterns only).

    python -m benchmarks.redaction [--json FILE] [--repeats 5] [--misses]

The set is ``tests/data/redaction/sentences.jsonl`` with the workspace in ``people.json``. Every sentence is
redacted with the whole workspace directory, the participant's own names and the study's terms, with US SSN
and UK NINO detection turned on (as a deployment would enable them).

Span-level scoring: a labelled span is caught only if redactions cover every character of it; a redacted span
that overlaps no label is a false positive. Sentence ``i`` belongs to pseudo-transcript ``i mod T`` with
``T = ceil(N / 10)``; a transcript leaks if any of its labels is not caught. Speed is the median over
``--repeats`` timed passes of the whole set (after one warm-up pass), in milliseconds per KB of UTF-8 text:
``Redactor.redact`` for Candor, ``AnalyzerEngine.analyze`` for Presidio (it finds, but does not replace).

Presidio runs offline with ``NoOpNlpEngine`` (no spaCy model, so no PERSON recogniser), its predefined
pattern recognisers plus ``UkNinoRecognizer``, asked for the entities that match our kinds.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import platform
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.privacy.directory import Directory, Person
from bot.privacy.redact import Redactor

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "redaction"
IDS = ("us_ssn", "uk_nino")
PRESIDIO_ENTITIES = [
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "URL",
    "IP_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "UK_NINO",
]

Span = tuple[int, int]


@dataclass(frozen=True)
class Sentence:
    id: str
    text: str
    own_names: tuple[str, ...]
    terms: tuple[str, ...]
    labels: tuple[tuple[int, int, str], ...]


@dataclass
class Score:
    """Counts for one system over the whole set."""

    labels: int = 0
    caught: int = 0
    predicted: int = 0
    false_positives: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    leaking: set[int] = field(default_factory=set)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    extras: list[tuple[str, str]] = field(default_factory=list)

    def add(self, sentence: Sentence, found: Sequence[Span], transcript: int) -> None:
        covered = set()
        for start, end in found:
            covered.update(range(start, end))
        for start, end, kind in sentence.labels:
            hit = all(k in covered for k in range(start, end))
            self.labels += 1
            self.caught += hit
            self.by_kind[kind][0] += 1
            self.by_kind[kind][1] += hit
            if not hit:
                self.leaking.add(transcript)
                self.misses.append((sentence.id, kind, sentence.text[start:end]))
        for start, end in found:
            self.predicted += 1
            if not any(start < e and end > s for s, e, _ in sentence.labels):
                self.false_positives += 1
                self.extras.append((sentence.id, sentence.text[start:end]))


def load() -> tuple[list[Sentence], Directory]:
    raw = json.loads((DATA / "people.json").read_text(encoding="utf-8"))
    directory = Directory(Person(tuple(p["names"])) for p in raw["people"])
    sentences = []
    for line in (DATA / "sentences.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        labels = tuple((int(s), int(e), str(k)) for s, e, k in row["spans"])
        sentences.append(Sentence(row["id"], row["text"], tuple(row["own_names"]), tuple(row["terms"]), labels))
    return sentences, directory


class Candor:
    """Candor's Redactor, one per study (the terms differ), as the engine would hold them."""

    name = "Candor Redactor"

    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._redactors: dict[tuple[str, ...], Redactor] = {}

    def _redactor(self, terms: tuple[str, ...]) -> Redactor:
        if terms not in self._redactors:
            self._redactors[terms] = Redactor(terms=terms, ids=IDS)
        return self._redactors[terms]

    def find(self, sentence: Sentence) -> list[Span]:
        spans = self._redactor(sentence.terms).find(sentence.text, sentence.own_names, self.directory)
        return [(s, e) for s, e, _ in spans]

    def timed(self, sentence: Sentence) -> object:
        return self._redactor(sentence.terms).redact(sentence.text, sentence.own_names, self.directory)


class Presidio:
    """Presidio's AnalyzerEngine offline: pattern recognisers only."""

    name = "Presidio (patterns only)"

    def __init__(self) -> None:
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import UkNinoRecognizer

        logging.getLogger("tldextract").setLevel(logging.CRITICAL)
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}])
        engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.load_predefined_recognizers(languages=["en"], nlp_engine=engine)
        registry.add_recognizer(UkNinoRecognizer())
        self.engine = AnalyzerEngine(nlp_engine=engine, registry=registry, supported_languages=["en"])

    def find(self, sentence: Sentence) -> list[Span]:
        results = self.engine.analyze(sentence.text, language="en", entities=PRESIDIO_ENTITIES)
        return sorted((r.start, r.end) for r in results)

    def timed(self, sentence: Sentence) -> object:
        return self.engine.analyze(sentence.text, language="en", entities=PRESIDIO_ENTITIES)


def evaluate(system: Candor | Presidio, sentences: list[Sentence], repeats: int) -> dict[str, Any]:
    transcripts = math.ceil(len(sentences) / 10)
    score = Score()
    for index, sentence in enumerate(sentences):
        score.add(sentence, system.find(sentence), index % transcripts)
    size_kb = sum(len(s.text.encode()) for s in sentences) / 1024
    timings = [_pass(system.timed, sentences) for _ in range(repeats + 1)][1:]
    ms = statistics.median(timings) * 1000
    return {
        "system": system.name,
        "sentences": len(sentences),
        "labels": score.labels,
        "recall": score.caught / score.labels,
        "precision": (score.predicted - score.false_positives) / score.predicted if score.predicted else 1.0,
        "false_positives": score.false_positives,
        "transcripts": transcripts,
        "leaking_transcripts": len(score.leaking),
        "leak_rate": len(score.leaking) / transcripts,
        "ms_per_kb": ms / size_kb,
        "ms_per_kb_runs": [round(t * 1000 / size_kb, 3) for t in timings],
        "kb": round(size_kb, 1),
        "recall_by_kind": {k: {"labels": v[0], "recall": v[1] / v[0]} for k, v in sorted(score.by_kind.items())},
        "misses": score.misses,
        "false_positive_spans": score.extras,
    }


def _pass(call: Callable[[Sentence], object], sentences: list[Sentence]) -> float:
    started = time.perf_counter()
    for sentence in sentences:
        call(sentence)
    return time.perf_counter() - started


def table(results: list[dict[str, Any]]) -> str:
    names = [r["system"] for r in results]
    rows = [
        ("recall", lambda r: f"{r['recall']:.3f}"),
        ("precision", lambda r: f"{r['precision']:.3f}"),
        ("false positives", lambda r: str(r["false_positives"])),
        ("transcripts leaking ≥1 identifier", lambda r: f"{r['leaking_transcripts']}/{r['transcripts']}"),
        ("ms per KB", lambda r: f"{r['ms_per_kb']:.2f}"),
    ]
    kinds = sorted({k for r in results for k in r["recall_by_kind"]})
    for kind in kinds:
        count = results[0]["recall_by_kind"].get(kind, {}).get("labels", 0)
        rows.append(
            (
                f"recall: {kind} ({count})",
                lambda r, k=kind: f"{r['recall_by_kind'][k]['recall']:.3f}" if k in r["recall_by_kind"] else "-",
            )
        )
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    lines += [f"| {label} | " + " | ".join(cell(r) for r in results) + " |" for label, cell in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--repeats", type=int, default=5, help="timed passes over the set (median reported)")
    parser.add_argument("--misses", action="store_true", help="list every missed label and false positive")
    parser.add_argument("--candor-only", action="store_true", help="skip Presidio")
    args = parser.parse_args(argv)
    sentences, directory = load()
    systems: list[Candor | Presidio] = [Candor(directory)]
    note = ""
    if not args.candor_only:
        try:
            systems.append(Presidio())
        except ImportError as exc:
            note = f"Presidio not run: {exc} (pip install -e '.[bench]')"
    results = [evaluate(system, sentences, args.repeats) for system in systems]
    clean = sum(1 for s in sentences if not s.labels)
    print(
        f"{len(sentences)} sentences ({clean} with nothing to redact), {results[0]['labels']} labelled spans,", end=""
    )
    print(f" {results[0]['kb']} KB; Python {platform.python_version()}, {platform.machine()}")
    print(table(results))
    if note:
        print(note, file=sys.stderr)
    if args.misses:
        for result in results:
            print(f"\n{result['system']}: missed")
            for sid, kind, text in result["misses"]:
                print(f"  {sid} {kind}: {text!r}")
            print(f"{result['system']}: false positives")
            for sid, text in result["false_positive_spans"]:
                print(f"  {sid}: {text!r}")
    if args.json:
        args.json.write_text(json.dumps({"python": platform.python_version(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
