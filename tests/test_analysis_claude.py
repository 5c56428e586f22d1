"""The analysis with Claude, through the real anthropic SDK against the local Messages API stand-in.

The stand-in plays an analyst that sometimes invents a quote: invented quotes must never reach the
findings or the report, and a label whose quotes all fail stays the keyword label.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import main
from bot.analysis.claude import CODE_TOOL, LABEL_TOOL, verbatim
from tests.anthropic_standin import (
    AnthropicStandIn,
    Planned,
    cache_breakpoints,
    error,
    system_text,
    tool_use,
    user_texts,
)
from tests.test_analysis import all_quotes, reference_csv

FABRICATED = "I secretly ask the AI to write my performance reviews for the whole team"
PASSAGE = re.compile(r"^\[(?P<tid>[^\]]+)\] (?P<text>.+)$", re.MULTILINE)


def analyst_that_sometimes_invents(body: dict[str, Any]) -> Planned:
    tool = body["tools"][0]["name"]
    text = "\n".join(user_texts(body))
    if tool == LABEL_TOOL["name"]:
        passages = PASSAGE.findall(text)
        tid, first = passages[0]
        real = {"transcript_id": tid, "text": first}
        invented = {"transcript_id": tid, "text": FABRICATED}
        return tool_use(
            tool, {"label": "Claude label", "description": "What they say, in one line.", "quotes": [real, invented]}
        )
    answers = [part for part in re.split(r"Answer to question [^\n]*:\n", text) if part.strip()]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(answers))
    first_sentence = next(s for s in sentences if len(s.split()) >= 6)
    return tool_use(
        tool,
        {
            "codings": [
                {"code_id": "uses", "quote": first_sentence},
                {"code_id": "invented", "quote": FABRICATED},
                {"code_id": "no-such-code", "quote": first_sentence},
            ]
        },
    )


@pytest.fixture
def claude_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn() as standin:
        standin.set_default(analyst_that_sometimes_invents)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", standin.base_url)
        monkeypatch.setenv("CANDOR_MODEL_MAX_RETRIES", "1")
        monkeypatch.setenv("CANDOR_DATA_DIR", str(tmp_path / "data"))
        yield standin


def write_codebook(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "question", "label", "description", "keywords", "example_ids"])
        writer.writerow(["uses", "", "Uses AI at work", "Says where AI comes into their work", "use; help", ""])
        writer.writerow(["invented", "", "Hands reviews to AI", "Lets AI write performance reviews", "reviews", ""])
    return path


def test_claude_names_themes_and_codes_but_only_checked_quotes_survive(
    claude_api: AnthropicStandIn, tmp_path: Path
) -> None:
    source = reference_csv(tmp_path / "reference.csv")
    codebook = write_codebook(tmp_path / "codebook.csv")
    out = tmp_path / "out"
    args = ["analyze", str(source), "--out", str(out), "--flow", "ai-at-work", "--min-group", "2", "--method", "tfidf"]
    assert main([*args, "--codebook", str(codebook)]) == 0

    findings = json.loads((out / "findings.json").read_text())
    themes = [t for q in findings["questions"] for t in q["themes"]] + findings["across_the_interview"]["themes"]
    assert themes and all(t["labelled_by"] == "claude" and t["label"] == "Claude label" for t in themes)
    texts = {
        f.stem: re.sub(r"\s+", " ", f.read_text()) for f in (Path(__file__).parent / "data" / "reference").glob("*.txt")
    }
    for quote in all_quotes(findings):
        assert quote["text"] in texts[quote["transcript_id"]]
    report = (out / "report.html").read_text() + (out / "findings.json").read_text()
    assert FABRICATED not in report

    codes = {c["id"]: c for c in findings["codes"]}
    assert codes["uses"]["participants"] == 4 and len(codes["uses"]["quotes"]) >= 2
    assert codes["invented"]["participants"] == "fewer than 2" and codes["invented"]["quotes"] == []
    assert "no-such-code" not in codes
    assert findings["coded_by"].startswith("Claude")
    note = next(n for n in findings["notes"] if n.startswith("Claude:"))
    dropped = len(themes) + 4  # one invented quote per theme, one per interview
    assert f"{dropped} of " in note and "0 failed" in note

    requests = claude_api.requests()
    assert len(requests) == len(themes) + 4
    assert all(cache_breakpoints(r) >= 1 for r in requests), "the fixed instructions are marked for caching"
    coding = [r for r in requests if r.body["tools"][0]["name"] == CODE_TOOL["name"]]
    assert len(coding) == 4 and all("Hands reviews to AI" in system_text(r) for r in coding)
    for request in requests:
        sent = json.dumps(request.body)
        assert "jo.bloggs" not in sent  # nothing but redacted answers is sent


def test_when_claude_fails_the_offline_labels_stay(claude_api: AnthropicStandIn, tmp_path: Path) -> None:
    claude_api.set_default(lambda body: error(500, message="overloaded"))
    source = reference_csv(tmp_path / "reference.csv")
    out = tmp_path / "out"
    args = ["analyze", str(source), "--out", str(out), "--flow", "ai-at-work", "--min-group", "2", "--method", "tfidf"]
    assert main(args) == 0
    findings = json.loads((out / "findings.json").read_text())
    themes = [t for q in findings["questions"] for t in q["themes"]]
    assert themes and all(t["labelled_by"] == "keywords" for t in themes)
    assert any(re.search(r"Claude: \d+ requests \(\d+ failed", n) for n in findings["notes"])


def test_offline_flag_never_calls_claude(claude_api: AnthropicStandIn, tmp_path: Path) -> None:
    source = reference_csv(tmp_path / "reference.csv")
    args = ["analyze", str(source), "--out", str(tmp_path / "o"), "--min-group", "2", "--method", "tfidf", "--offline"]
    assert main(args) == 0
    assert claude_api.requests() == []


@pytest.mark.parametrize(
    ("quote", "kept"),
    [
        ("I would never say it saves me time.", True),
        ("“I would never say it saves me time”", True),  # quotation marks and the full stop may differ
        ("I would never say it saves me time. But drafts are quicker now.", True),
        ("it saves me time", False),  # a fragment that turns the meaning round
        ("I would never say it saves me", False),  # not a whole sentence
        ("But drafts are quicker now. On Mondays I use it for the agenda.", False),  # joins two replies
        ("But drafts are quicker now, honestly.", False),  # not what was said
        ("Short one.", False),
    ],
)
def test_a_quote_must_be_whole_sentences_of_one_reply(quote: str, kept: bool) -> None:
    answer = "I would never say it saves me time. But drafts are quicker now.\nOn Mondays I use it for the agenda."
    assert (verbatim(quote, [answer]) is not None) == kept
