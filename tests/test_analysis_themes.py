"""Themes on a synthetic set with planted themes: found again, coded again, and saturating."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from adapters.cli import main
from bot.analysis.codebook import Code, read_codebook
from bot.analysis.corpus import Interview, Reader
from bot.analysis.pipeline import Findings, analyze, code_offline
from bot.analysis.sources import read_folder
from bot.flows.loader import FlowRegistry
from tests.analysis_corpus import SyntheticSet, synthetic_set, write_folder
from tests.analysis_scoring import MATCH_F1, f1, recovery
from tests.conftest import ROOT

FLOW = FlowRegistry.from_dirs([ROOT / "interview_flows"]).get("ai-at-work")


@pytest.fixture(scope="module")
def planted() -> SyntheticSet:
    return synthetic_set(300, seed=11)


@pytest.fixture(scope="module")
def interviews(planted: SyntheticSet, tmp_path_factory: pytest.TempPathFactory) -> list[Interview]:
    folder = tmp_path_factory.mktemp("transcripts")
    write_folder(planted, folder)
    return read_folder(folder, Reader())


@pytest.fixture(scope="module")
def findings(interviews: list[Interview]) -> Findings:
    return analyze(interviews, source="synthetic", flow=FLOW)


def members_of(planted: SyntheticSet) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {t.id: set() for t in planted.themes}
    for transcript, answers in planted.planted.items():
        for themes in answers.values():
            for theme in themes:
                found[theme].add(transcript)
    return {k: frozenset(v) for k, v in found.items()}


def test_planted_themes_are_found_again(planted: SyntheticSet, findings: Findings) -> None:
    question_of = {t.id: t.question_id for t in planted.themes}
    score = recovery(planted.planted, question_of, [t for q in findings.questions for t in q.themes])
    missed = {k: round(v[1], 2) for k, v in score.best.items() if v[1] < MATCH_F1}
    assert score.recall >= 0.8, f"recall {score.recall:.2f}; missed {missed}"
    # A theme split by sub-topic is joined again: most found themes are planted ones, not pieces of them.
    assert score.precision >= 0.75, f"precision {score.precision:.2f}"
    # A recovered theme is labelled with words of its own: a planted keyword is among its keywords.
    by_id = {t.id: t for q in findings.questions for t in q.themes}
    labelled = 0
    for theme in planted.themes:
        found_id, value = score.best[theme.id]
        if value >= MATCH_F1:
            words = " ".join(by_id[found_id].keywords)
            labelled += any(keyword.lower() in words for keyword in theme.keywords)
    assert labelled >= 0.8 * sum(v >= MATCH_F1 for _, v in score.best.values())


def test_prevalence_quotes_and_order(planted: SyntheticSet, findings: Findings, interviews: list[Interview]) -> None:
    answers = {i.transcript_id: {a.question_id: a.text for a in i.answers} for i in interviews}
    for question in findings.questions:
        shares = [t.prevalence for t in question.themes]
        assert shares == sorted(shares, reverse=True)
        for theme in question.themes:
            assert len(theme.participants) >= 5
            assert 2 <= len(theme.quotes) <= 3
            assert len({q.transcript_id for q in theme.quotes}) == len(theme.quotes)
            for quote in theme.quotes:
                assert quote.text in answers[quote.transcript_id][question.id]
    assert findings.across is not None and findings.across.themes


def test_the_same_input_and_seed_give_the_same_themes(interviews: list[Interview], findings: Findings) -> None:
    again = analyze(interviews, source="synthetic", flow=FLOW)
    assert [(t.id, t.label, t.participants) for t in again.all_themes()] == [
        (t.id, t.label, t.participants) for t in findings.all_themes()
    ]


def test_saturation_levels_off_on_a_large_wave(findings: Findings) -> None:
    curve = findings.saturation
    assert curve is not None
    assert len(curve.cumulative) == 300 and curve.cumulative == sorted(curve.cumulative)
    assert curve.cumulative[-1] == sum(len(q.themes) for q in findings.questions)
    assert curve.saturated_at is not None and curve.saturated_at < 150
    assert sum(curve.new_per_interview[150:]) == 0


def test_the_codebook_round_trips_and_codes_what_a_researcher_adds(
    planted: SyntheticSet, interviews: list[Interview], findings: Findings, tmp_path: Path
) -> None:
    folder = tmp_path / "transcripts"
    write_folder(planted, folder)
    out = tmp_path / "out"
    assert main(["analyze", str(folder), "--out", str(out), "--method", "tfidf", "--offline"]) == 0
    with (out / "codebook.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and set(rows[0]) == {"id", "question", "label", "description", "keywords", "example_ids"}
    assert all(r["example_ids"].split() for r in rows)

    # The researcher renames one code, drops another and writes a new one without examples.
    rows[0]["label"] = "Renamed by a researcher"
    dropped = rows.pop(1)["id"]
    rows.append(
        {
            "id": "R1",
            "question": "memorable_moment",
            "label": "Invented facts",
            "description": "The AI made up a source, a citation or a number that did not exist",
            "keywords": "fake; citation; made up; invented",
            "example_ids": "",
        }
    )
    edited = tmp_path / "edited.csv"
    with edited.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["analyze", str(folder), "--out", str(out), "--codebook", str(edited), "--offline"]) == 0
    coded = {c["id"]: c for c in json.loads((out / "findings.json").read_text())["codes"]}
    assert dropped not in coded and coded[rows[0]["id"]]["label"] == "Renamed by a researcher"
    assert coded["R1"]["participants"] >= 5 and len(coded["R1"]["quotes"]) >= 2

    # In process: each unedited code finds the participants of the theme it came from, and the new one
    # finds the planted theme it describes.
    codes = read_codebook(edited, [q.id for q in findings.questions])
    code_offline(findings, codes)
    assert findings.codes is not None
    themes = {t.id: t for t in findings.all_themes()}
    agreement = [f1(themes[r.code.id].participants, r.participants) for r in findings.codes if r.code.id in themes]
    assert sum(agreement) / len(agreement) >= 0.8
    new = next(r for r in findings.codes if r.code.id == "R1")
    assert f1(members_of(planted)["memorable_moment.hallucination"], new.participants) >= 0.8


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("T1,workday,,no label,,", ":3: label: empty"),
        ("T0,workday,Again,,,", ":3: id: 'T0' is used twice"),
        ("bad id!,,Label,,,", ":3: id: 'bad id!' is not usable"),
        ("T2,lunch,Label,,,", ":3: question: 'lunch' is not a question here"),
    ],
)
def test_a_bad_codebook_gets_a_precise_error(tmp_path: Path, row: str, expected: str) -> None:
    path = tmp_path / "codebook.csv"
    path.write_text(f"id,question,label,description,keywords,example_ids\nT0,workday,Fine,,,\n{row}\n")
    with pytest.raises(Exception) as caught:
        read_codebook(path, ["workday", "walkthrough"])
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value)


def test_codes_smaller_than_the_minimum_group_show_no_quote(findings: Findings) -> None:
    rare = Code("rare", "workday", "Knitting", "Knits scarves from yarn", ("knitting", "yarn"), ())
    code_offline(findings, [rare])
    assert findings.codes is not None
    result = findings.codes[0].to_dict(5)
    assert result["participants"] == "fewer than 5" and result["quotes"] == []
