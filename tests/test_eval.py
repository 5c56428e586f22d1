"""``candor eval``: real answers replayed through the real engine on a real Redis, then measured."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from bot.engine.texts import SUPPORT_DEFAULT, SUPPORT_OPTIONS
from bot.evaluation import CaptureSink, load_sources, measure, reference_sources, replay
from bot.evaluation.metrics import leading_phrases, question_marks, refers_to
from bot.evaluation.replay import TranscriptFileError, answers_in
from bot.flows import FlowRegistry, packaged_flows_dir
from bot.interviewers.prompt import TOOL_NAME
from bot.state.model import CLOSING, INTRO, THANKS, Role, Turn
from tests.anthropic_standin import AnthropicStandIn, Planned, tool_use
from tests.conftest import DATA, EngineFactory

FLOW = FlowRegistry.from_dirs([packaged_flows_dir()]).get("ai-at-work")
REFERENCE = sorted(p.stem for p in (DATA / "reference").glob("*.txt"))


def candor(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "candor"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=180)


def environment(redis_url: str | None, **extra: str) -> dict[str, str]:
    drop = ("CANDOR_", "ANTHROPIC_", "REDIS_URL")
    env = {key: value for key, value in os.environ.items() if not key.startswith(drop)}
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def eval_keys(redis_url: str) -> list[bytes]:
    client = redis.Redis.from_url(redis_url)
    try:
        return list(client.scan_iter("candor-eval-*"))
    finally:
        client.close()


# -- metrics and parsing ------------------------------------------------------------------------------------------


def test_the_shipped_reference_data_matches_the_test_copies() -> None:
    shipped = {s.name: s.answers for s in reference_sources()}
    assert sorted(shipped) == REFERENCE
    for name in REFERENCE:
        assert list(shipped[name]) == answers_in((DATA / "reference" / f"{name}.txt").read_text())
    assert shipped["work_0657"][0] == "No questions"


def test_transcript_text_keeps_blank_lines_inside_a_turn() -> None:
    text = "Assistant: Hello.\n\nShall we?\n\nUser: Yes.\n\nAI: First question?\n\nUser: One.\n\nTwo.\n"
    assert answers_in(text) == ["Yes.", "One.\n\nTwo."]


def test_sources_from_a_folder_of_text_and_csv(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("AI: Hi?\n\nUser: Sure.\n")
    with open(tmp_path / "more.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript_id", "text"])
        writer.writerow(["work_0001", "AI: Hi?\n\nUser: Yes\n\nAI: Q?\n\nUser: An answer."])
    sources = load_sources(tmp_path)
    assert [(s.name, s.answers) for s in sources] == [("a", ("Sure.",)), ("work_0001", ("Yes", "An answer."))]


@pytest.mark.parametrize(
    ("content", "problem"),
    [("AI: only the interviewer\n", "no User: turns"), ("id,body\n1,x\n", "transcript_id,text")],
)
def test_unusable_transcripts_are_named(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / ("t.csv" if "," in content else "t.txt")
    path.write_text(content)
    with pytest.raises(TranscriptFileError, match=problem):
        load_sources(path)
    with pytest.raises(TranscriptFileError, match="no such file"):
        load_sources(tmp_path / "missing")


def test_follow_ups_refer_by_a_phrase_or_a_distinctive_word() -> None:
    answer = "Mostly I draft incident reports for the on-call rotation."
    assert refers_to("What goes into an incident report?", answer)  # "incident"
    assert refers_to("When you draft them, who reads them?", answer) is False  # "draft" is short and alone
    assert refers_to("How does the on-call rotation work?", answer)
    assert refers_to("What is it like for you?", "It is what it is, for the most part.") is False


def test_question_marks_leading_words_and_quotes() -> None:
    assert question_marks("You said “why me?”. What happened next?") == 1
    assert question_marks("What happened? And then?") == 2
    assert leading_phrases("Don’t you think AI is great? Surely it helps.") == ["don't you", "surely"]
    assert leading_phrases("What do you think of it?") == []


def test_measure_counts_what_the_interviewer_did() -> None:
    ask = [q.ask for q in FLOW.questions]
    turns = [Turn(Role.AI, f"{FLOW.introduction}\n\n{FLOW.consent}", INTRO, 0), Turn(Role.USER, "yes", INTRO, 0)]
    turns += [
        Turn(Role.AI, ask[0], "workday", 0),
        Turn(Role.USER, "I write release notes with it daily.", "workday", 0),
    ]
    turns += [Turn(Role.AI, "Obviously the release notes are better now, aren't they? Why?", "workday", 0)]
    turns += [Turn(Role.USER, "No.", "workday", 0), Turn(Role.AI, f"Thanks.\n\n{ask[1]}", "walkthrough", 0)]
    turns += [Turn(Role.USER, "skip", "walkthrough", 0), Turn(Role.AI, FLOW.closing_question, CLOSING, 0)]
    turns += [Turn(Role.USER, "No.", CLOSING, 0), Turn(Role.AI, FLOW.thank_you, THANKS, 0)]
    m = measure("t", FLOW, turns, (100, 50, 10, 20, 0.01, 1), "completed")
    assert (m.questions_asked, m.coverage) == (2, 2 / 7)
    assert (m.follow_ups, m.follow_ups_referring) == (1, 1)
    assert m.questions_per_turn_max == 2 and m.asking_turns == 5 and m.questions_per_turn_mean == 6 / 5
    assert [flag.split(":")[0] for flag in m.leading_flags] == ["obviously"]
    assert (m.turns, m.input_tokens, m.cost, m.fallbacks, m.care_messages) == (11, 100, 0.01, 1, 0)


def test_a_care_message_is_neither_a_follow_up_nor_a_question() -> None:
    care = f"Thank you for telling me.\n\n{SUPPORT_DEFAULT}\n\n{SUPPORT_OPTIONS}"
    turns = [Turn(Role.AI, FLOW.questions[0].ask, "workday", 0), Turn(Role.USER, "I can't cope lately.", "workday", 0)]
    turns += [Turn(Role.AI, care, "workday", 0)]
    m = measure("t", FLOW, turns, (0, 0, 0, 0, 0.0, 0), "completed")
    assert (m.care_messages, m.follow_ups, m.asking_turns, m.questions_per_turn_mean) == (1, 0, 1, 1.0)


# -- replaying ----------------------------------------------------------------------------------------------------


async def test_replay_feeds_answers_then_no_until_the_interview_completes(make_engine: EngineFactory) -> None:
    capture = CaptureSink()
    engine = await make_engine(sinks=[capture])
    source = next(s for s in reference_sources() if s.name == "science_0003")
    done = await replay(engine, capture, source)
    assert done.ended_by == "completed" and done.answers_given == len(source.answers)
    assert 0 < done.extra_answers <= 30
    said = [t.text for t in done.turns if t.role is Role.USER]
    assert len(said) == done.answers_given + done.extra_answers and said[-1] == "No."
    assert said[0] == source.answers[0] and said[2] == source.answers[2]
    m = measure(source.name, FLOW, done.turns, done.usage, done.ended_by)
    assert m.coverage == 1.0 and m.questions_per_turn_max == 1 and m.follow_ups >= 1


def test_eval_with_the_scripted_interviewer_over_the_reference_interviews(redis_url: str, tmp_path: Path) -> None:
    result = candor("eval", "--json", "report.json", env=environment(redis_url), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Replayed 4 interviews with the ai-at-work flow (v2)."
    assert re.match(r"transcript\s+ended\s+coverage\s+follow-ups", lines[2])
    for name in REFERENCE:
        assert re.search(rf"^{name}\s+completed\s+1\.00\s", result.stdout, re.MULTILINE), name
    assert re.search(r"^overall\s+4/4\s+1\.00\s", result.stdout, re.MULTILINE)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["interviewer"] == "scripted"
    assert [m["name"] for m in report["interviews"]] == REFERENCE
    for m in report["interviews"]:
        assert m["coverage"] == 1.0 and m["questions_per_turn_max"] == 1 and m["questions_per_turn_mean"] == 1.0
        assert m["follow_ups"] > 0 and m["leading_flags"] == [] and m["cost"] == 0
    assert report["overall"]["questions_per_turn_max"] == 1 and report["overall"]["completed"] == 4
    assert eval_keys(redis_url) == []  # nothing left behind on the shared server
    assert not (tmp_path / "candor-data").exists()  # and nothing written where it ran


def test_eval_reads_a_csv_on_an_embedded_redis_with_another_flow(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    with open(folder / "export.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["transcript_id", "text"])
        writer.writerow(["work_0657", (DATA / "reference" / "work_0657.txt").read_text()])
    result = candor(
        "eval", "--transcripts", str(folder), "--flow", "meetings-and-focus", env=environment(None), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Replayed 1 interviews with the meetings-and-focus flow" in result.stdout
    assert re.search(r"^work_0657\s+completed\s+1\.00\s", result.stdout, re.MULTILINE)
    bad = candor("eval", "--transcripts", str(tmp_path / "nope"), env=environment(None), cwd=tmp_path)
    assert bad.returncode == 2 and "no such file or folder" in bad.stderr


def _answer(body: dict[str, Any]) -> str:
    return re.sub(r"</?participant_answer>", "", body["messages"][-1]["content"][0]["text"])


def interviewer_like_claude(body: dict[str, Any]) -> Planned:
    """Follows up on long answers while the guide allows, picking up the participant's words."""
    words = _answer(body).split()
    allowed = re.search(r"still allowed: (\d+)", body["messages"][-1]["content"][1]["text"])
    if len(words) >= 12 and allowed is not None and int(allowed.group(1)) > 0:
        quoted = max(words, key=len).strip(".,;:!?\"'()")
        return tool_use(TOOL_NAME, {"decision": "follow_up", "message": f"You mentioned “{quoted}”. How so?"})
    return tool_use(TOOL_NAME, {"decision": "next_question", "message": "Thanks."})


def test_eval_with_claude_against_the_stand_in_reports_tokens_and_cost(redis_url: str, tmp_path: Path) -> None:
    with AnthropicStandIn() as api:
        api.set_default(interviewer_like_claude)
        env = environment(redis_url, ANTHROPIC_API_KEY="test", ANTHROPIC_BASE_URL=api.base_url)
        result = candor("eval", "--json", "claude.json", env=env, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert len(api.requests()) > 20 and all(r.status == 200 for r in api.requests())
    report = json.loads((tmp_path / "claude.json").read_text())
    assert report["interviewer"] == "claude" and report["model"]
    for m in report["interviews"]:
        assert m["input_tokens"] + m["cache_read_tokens"] > 0 and m["output_tokens"] > 0 and m["cost"] > 0
        assert m["fallbacks"] == 0 and m["coverage"] == 1.0 and m["questions_per_turn_max"] == 1
        assert m["follow_ups"] > 0 and m["follow_ups_referring"] == m["follow_ups"]
    assert report["overall"]["cost"] > 0 and report["overall"]["output_tokens"] > 0
    assert re.search(r"^overall\s+4/4\s+1\.00\s", result.stdout, re.MULTILINE)
    assert eval_keys(redis_url) == []
