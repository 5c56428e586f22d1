"""Redaction quality on the labelled set in tests/data/redaction, and the hard cases one by one.

Speed is measured by ``python -m benchmarks.redaction``, not here: timings on a shared CI machine make flaky
tests, so nothing below depends on time.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from benchmarks.redaction import DATA, IDS, Candor, Score, load
from bot.privacy import Redactor
from bot.privacy.directory import Directory, Person
from bot.privacy.redact import Placeholders

SENTENCES, DIRECTORY = load()


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_sentences", DATA / "make_sentences.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_the_set_is_large_varied_and_matches_its_generator() -> None:
    generator = _generator()
    rows = generator.build()
    committed = [json.loads(line) for line in Path(DATA / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows == committed  # the committed file is exactly what the seeded generator writes
    assert len(SENTENCES) >= 500
    assert sum(1 for s in SENTENCES if not s.labels) >= 150
    assert sum(1 for r in rows if r["source"] == "hand") >= 100
    assert len(generator.ID_TEMPLATES) + len(generator.CLEAN_TEMPLATES) >= 80
    for sentence in SENTENCES:
        for start, end, _ in sentence.labels:
            piece = sentence.text[start:end]
            assert piece and piece == piece.strip(), (sentence.id, piece)


def _score() -> Score:
    candor = Candor(DIRECTORY)
    score = Score()
    for index, sentence in enumerate(SENTENCES):
        score.add(sentence, candor.find(sentence), index % 10)
    return score


def test_recall_precision_and_own_names() -> None:
    score = _score()
    recall = score.caught / score.labels
    precision = (score.predicted - score.false_positives) / score.predicted
    assert recall >= 0.98, score.misses
    assert precision >= 0.95, score.extras
    total, caught = score.by_kind["own_name"]
    assert total >= 40 and caught == total, [m for m in score.misses if m[1] == "own_name"]


@pytest.mark.parametrize("style", list(Placeholders))
def test_redacting_twice_changes_nothing(style: Placeholders) -> None:
    for sentence in SENTENCES:
        redactor = Redactor(style=style, terms=sentence.terms, ids=IDS)
        once = redactor.redact(sentence.text, sentence.own_names, DIRECTORY)
        assert redactor.redact(once, sentence.own_names, DIRECTORY) == once, sentence.id


def test_replacing_the_found_spans_is_what_redact_does() -> None:
    redactor = Redactor(ids=IDS)
    for sentence in SENTENCES[:200]:
        spans = redactor.find(sentence.text, sentence.own_names, DIRECTORY)
        expected = sentence.text
        for start, end, _ in reversed(spans):
            expected = expected[:start] + "[REDACTED]" + expected[end:]
        assert redactor.redact(sentence.text, sentence.own_names, DIRECTORY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Names that are words: words stay, names go.
        ("We may grant access next May, once Grant signs off.", "We may grant access next May, once [R] signs off."),
        ("Will said we will mark it done; Mark agreed.", "[R] said we will mark it done; [R] agreed."),
        (
            "Mark, Grant and Will approved. May and June were busy.",
            "[R], [R] and [R] approved. May and June were busy.",
        ),
        ("Hope is not a plan, but Hope thinks it is.", "Hope is not a plan, but [R] thinks it is."),
        ("Honestly, May and I rewrote it. In May we shipped.", "Honestly, [R] and I rewrote it. In May we shipped."),
        ("Will, if you read this: Will you help?", "[R], if you read this: Will you help?"),
        ("Bill from HR sent the bill.", "[R] from HR sent the bill."),
        ("I told will, and will do it again.", "I told [R], and will do it again."),
        # Possessives, apostrophes, accents, case, hyphens.
        ("James' notes and Dana’s slides", "[R]' notes and [R]’s slides"),
        ("Zoe, ZOË and zoë", "[R], [R] and [R]"),
        ("Anne-Marie Dubois's deck, Anne Marie's notes", "[R]'s deck, [R]'s notes"),
        ("O’Neil and Liam O'Neil's team", "[R] and [R]'s team"),
        # Nicknames from the table, display-name extras, handles.
        ("Bobby and Beth from Design", "[R] and [R] from Design"),
        ("Sam said her team and his team agree", "[R] said her team and his team agree"),
        (
            "Mail <dana.silva@example.com> or @dana.s, or dana.s on Teams; @here",
            "Mail <[R]> or [R], or [R] on Teams; @here",
        ),
        # Numbers: identifiers go, dates, years, versions, times and amounts stay.
        ("Call +44 (0)20 7946 0011. 2024 was calm.", "Call [R]. 2024 was calm."),
        ("From 2019-2024, on 2024-03-15, v3.11.7 at 10:30 for 1,200 users", None),
        (
            "card 4111-1111-1111-1112 fails Luhn, 4111 1111 1111 1111 does",
            "card 4111-1111-1111-1112 fails Luhn, [R] does",
        ),
    ],
)
def test_hard_cases(text: str, expected: str | None) -> None:
    out = Redactor(placeholder="[R]").redact(text, (), DIRECTORY)
    assert out == (text if expected is None else expected)


def test_own_names_that_are_words() -> None:
    names = ["Grace Holm", "grace.h"]
    text = "I'm Grace. Grace periods are short, and the grace period ended. Thanks, Grace"
    expected = "I'm [R]. Grace periods are short, and the grace period ended. Thanks, [R]"
    assert Redactor(placeholder="[R]").redact(text, names, Directory([])) == expected


def test_typed_placeholders_and_government_ids() -> None:
    text = "SSN 536-27-8841, NI AB 12 34 56 C, IBAN NL91ABNA0417164300, ip 10.0.0.1, Project Falcon's Priya"
    plain = Redactor(style=Placeholders.TYPED, terms=["Project Falcon"]).redact(text, (), DIRECTORY)
    assert plain == "SSN [PHONE], NI AB 12 34 56 C, IBAN [IBAN], ip [IP], [TERM]'s [NAME]"  # ids are off by default
    typed = Redactor(style=Placeholders.TYPED, terms=["Project Falcon"], ids=IDS).redact(text, (), DIRECTORY)
    assert typed == "SSN [ID], NI [ID], IBAN [IBAN], ip [IP], [TERM]'s [NAME]"
    with pytest.raises(ValueError, match="unknown government id"):
        Redactor(ids=["fr_insee"])


def test_directory_spans_public_api() -> None:
    directory = Directory([Person(("Priya Raman", "priya.r")), Person(("Will Turner",))])
    text = "Priya Raman's plan: Will agreed, and we will see."
    assert [text[s:e] for s, e in directory.spans(text)] == ["Priya Raman", "Will"]
