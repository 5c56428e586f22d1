"""``candor analyze`` on the reference transcripts and on small sets: sources, privacy, codebook, errors."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import main
from bot.analysis.corpus import Reader, SourceError
from bot.analysis.disclosure import cells, withheld
from bot.analysis.sources import read_csv, read_folder
from bot.flows.loader import FlowRegistry
from bot.privacy.redact import Redactor
from tests.conftest import DATA, ROOT

REFERENCE = DATA / "reference"


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "data"))


def reference_csv(path: Path, extra: dict[str, str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript_id", "text", *(["team"] if extra else [])])
        for file in sorted(REFERENCE.glob("*.txt")):
            writer.writerow([file.stem, file.read_text(encoding="utf-8"), *([extra[file.stem]] if extra else [])])
    return path


def analyze(*args: str | Path) -> int:
    return main(["analyze", *(str(a) for a in args)])


def all_quotes(findings: dict[str, Any]) -> list[dict[str, str]]:
    scopes = [
        *findings["questions"],
        *([findings["across_the_interview"]] if "across_the_interview" in findings else []),
    ]
    return [q for scope in scopes for theme in scope["themes"] for q in theme["quotes"]]


def test_the_reference_transcripts_are_matched_to_the_guide_and_quoted_verbatim(tmp_path: Path) -> None:
    source = reference_csv(tmp_path / "reference.csv")
    out = tmp_path / "out"
    assert analyze(source, "--out", out, "--flow", "ai-at-work", "--min-group", "2", "--method", "tfidf") == 0
    findings = json.loads((out / "findings.json").read_text())
    assert findings["participation"]["interviews"] == 4
    assert findings["participation"]["completion_rate"] is None  # the dataset holds transcripts only
    assert 40 <= findings["participation"]["median_words_per_answer"] <= 120
    by_id = {q["id"]: q for q in findings["questions"]}
    # Three of the four reference interviews ask where AI comes into the work (the creative one asks otherwise).
    assert by_id["workday"]["respondents"] == 3
    assert by_id["workday"]["themes"], "no theme for the opening question"
    texts = {f.stem: re.sub(r"\s+", " ", f.read_text(encoding="utf-8")) for f in REFERENCE.glob("*.txt")}
    quotes = all_quotes(findings)
    assert quotes
    for quote in quotes:
        assert re.sub(r"\s+", " ", quote["text"]) in texts[quote["transcript_id"]], quote
    for scope in findings["questions"]:
        for theme in scope["themes"]:
            assert theme["participants"] >= 2 and 0 < theme["prevalence"] <= 1
            assert 2 <= len(theme["quotes"]) <= 3 or theme["participants"] == len(theme["quotes"])
    curve = findings["saturation"]["cumulative_themes"]
    assert len(curve) == 4 and curve == sorted(curve) and curve[-1] > 0
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") >= 3 and "<img" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "the report must open from disk with nothing fetched"
    assert (out / "codebook.csv").read_text().startswith("id,question,label,description,keywords,example_ids")


def test_fewer_interviews_than_the_minimum_group_show_no_theme_or_quote(tmp_path: Path) -> None:
    source = reference_csv(tmp_path / "reference.csv")
    assert analyze(source, "--out", tmp_path / "out", "--flow", "ai-at-work", "--method", "tfidf") == 0
    findings = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert findings["minimum_group_size"] == 5
    assert all_quotes(findings) == []
    assert all(not q["themes"] for q in findings["questions"])
    assert any("fewer than the minimum group size" in note for note in findings["notes"])
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<blockquote>" not in html


def test_a_group_smaller_than_the_minimum_is_withheld_everywhere(tmp_path: Path) -> None:
    teams = {"work_0823": "ops", "work_0657": "ops", "science_0003": "lab", "creativity_0014": "design"}
    source = reference_csv(tmp_path / "teams.csv", teams)
    out = tmp_path / "out"
    assert analyze(source, "--out", out, "--by", "team", "--flow", "ai-at-work", "--min-group", "2") == 0
    findings = json.loads((out / "findings.json").read_text())
    assert findings["by"] == "team"
    # design and lab have one interview each: both withheld, and together they reach the minimum.
    assert findings["groups"]["design"] == findings["groups"]["lab"] == "fewer than 2"
    assert findings["groups"]["ops"]["interviews"] == 2
    for row in findings["theme_prevalence_by_group"].values():
        assert row["design"] == row["lab"] == "fewer than 2"
    html = (out / "report.html").read_text()
    assert "fewer than 2 interviews: withheld" in html


def test_withheld_numbers_cannot_be_worked_out_from_the_total() -> None:
    sizes = {"Engineering": 24, "Operations": 18, "Sales": 13, "Legal": 5}
    # Legal alone would be total minus the rest: the next smallest group goes with it.
    assert withheld(sizes, 6) == {"Legal", "Sales"}
    assert withheld(sizes, 5) == set()
    assert withheld({"a": 2, "b": 2, "c": 9}, 3) == {"a", "b"}  # hidden together they reach 3
    bases = {"a": 20, "b": 20, "c": 20}
    # A cell of 1 person is hidden, and so is the next smallest, so the total cannot give it away.
    assert cells(bases, {"a": 1, "b": 7, "c": 12}, 5) == {"a", "b"}
    assert cells(bases, {"a": 6, "b": 7, "c": 12}, 5) == set()


def test_answers_are_redacted_before_anything_reads_them(tmp_path: Path) -> None:
    text = (
        "AI: Welcome, shall we start?\n\nUser: yes\n\n"
        "AI: Think about an ordinary workday. Where, if anywhere, does AI come into it?\n\n"
        "User: I draft replies with it, then mail them from jo.bloggs@example.com or call 020 7946 0958 after."
    )
    flows = FlowRegistry.from_dirs([ROOT / "interview_flows"])
    interview = Reader(Redactor(), flow=flows.get("ai-at-work")).from_text("t1", text, where="x")
    assert [a.question_id for a in interview.answers] == ["workday"]
    assert "example.com" not in interview.answers[0].text and "7946" not in interview.answers[0].text
    assert "[REDACTED]" in interview.answers[0].text


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("id,body\n1,hello\n", ":1: header: no transcript_id or text column"),
        ('transcript_id,text\na,"AI: hi\n\nUser: yes"\n,"AI: x\n\nUser: y"\n', ":5: transcript_id: empty"),
        ('transcript_id,text\na,"AI: hi\n\nUser: yes"\na,"AI: x\n\nUser: y"\n', ":5: transcript_id: 'a' appears twice"),
        ("transcript_id,text\na,just some words\n", ":2: text: no 'AI:' or 'User:' turns found"),
        ("transcript_id,text\n", ": no rows after the header"),
    ],
)
def test_a_bad_csv_gets_a_precise_error(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SourceError) as caught:
        read_csv(path, Reader())
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value)


def test_the_command_reports_bad_sources_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "empty").mkdir()
    assert analyze(tmp_path / "empty", "--out", tmp_path / "out") == 1
    assert "no transcript JSON files here" in capsys.readouterr().err
    (tmp_path / "empty" / "broken.json").write_text("{not json")
    assert analyze(tmp_path / "empty", "--out", tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert "broken.json: not readable as JSON" in err and "Traceback" not in err
    assert analyze(tmp_path / "missing.csv", "--out", tmp_path / "out") == 1
    assert "no such file or folder" in capsys.readouterr().err
    source = reference_csv(tmp_path / "reference.csv")
    assert analyze(source, "--out", tmp_path / "out", "--by", "department") == 1
    assert "no 'department' column for --by" in capsys.readouterr().err


def test_other_commands_start_without_loading_the_analysis_libraries() -> None:
    code = "import sys, adapters.cli; print(sorted({'sklearn', 'matplotlib', 'scipy'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", "candor health runs often in containers: it must start quickly"


@pytest.mark.parametrize("transcript", ["work_0823", "work_0657"])
def test_dataset_turns_are_matched_to_the_guide_in_order(transcript: str) -> None:
    """The reference work interviews follow a guide much like ai-at-work: each answer lands on its question."""
    flows = FlowRegistry.from_dirs([ROOT / "interview_flows"])
    text = (REFERENCE / f"{transcript}.txt").read_text(encoding="utf-8")
    interview = Reader(Redactor(), flow=flows.get("ai-at-work")).from_text(transcript, text, where=transcript)
    expected = ["workday", "kept_for_self", "colleagues_culture", "memorable_moment", "own_skills", "looking_ahead"]
    answered = [a.question_id for a in interview.answers]
    assert [q for q in answered if q in expected] == expected
    assert answered[-1] == "_closing"


def test_odd_files_get_precise_errors_or_are_read(tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b'transcript_id,text\na,"AI: hi\n\nUser: yes"\nb,"AI: x\n\nUser: caf\xe9"\n')
    with pytest.raises(SourceError, match=r"latin\.csv:7: not UTF-8 text"):
        read_csv(latin, Reader())
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b'\xef\xbb\xbftranscript_id,text\na,"AI: hi\n\nUser: yes\n\nAI: And?\n\nUser: more words here"\n')
    assert [i.transcript_id for i in read_csv(bom, Reader())] == ["a"]

    folder = tmp_path / "folder"
    folder.mkdir()
    good = {
        "transcript_id": "t1",
        "flow_id": "f",
        "turns": [{"role": "user", "text": "hello there", "question_id": "q"}],
    }
    (folder / "a.json").write_text(json.dumps(good))
    (folder / "b.json").write_text(json.dumps(good))
    with pytest.raises(SourceError, match=r"b\.json: transcript_id: 't1' is also in a\.json"):
        read_folder(folder, Reader())
    for bad, expected in [
        ({**good, "turns": [{"role": 1, "text": "x"}]}, r"turns\[1\]: role: 1; expected"),
        ({**good, "turns": [{"role": "user", "text": "x", "question_id": {"a": 1}}]}, r"question_id: .* is not text"),
        ({**good, "duration_seconds": True}, r"duration_seconds: True is not a number of seconds"),
        ({**good, "transcript_id": 7}, r"transcript_id: missing or not text"),
    ]:
        (folder / "b.json").write_text(json.dumps(bad))
        with pytest.raises(SourceError, match=expected):
            read_folder(folder, Reader())


def test_the_deployments_redaction_terms_apply_and_a_bad_out_fails_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CANDOR_REDACT_TERMS", "HueForge,OpenSSL")
    source = reference_csv(tmp_path / "reference.csv")
    out = tmp_path / "out"
    assert analyze(source, "--out", out, "--flow", "ai-at-work", "--min-group", "1", "--method", "tfidf") == 0
    for name in ("report.html", "findings.json", "codebook.csv"):
        text = (out / name).read_text(encoding="utf-8").lower()
        assert "hueforge" not in text and "openssl" not in text, name
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    assert analyze(source, "--out", blocked, "--method", "tfidf") == 2
    assert "--out" in capsys.readouterr().err
