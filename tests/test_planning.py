"""``candor flows plan`` (Claude drafts a flow, against the local stand-in) and ``candor flows review``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import anthropic
import pytest

from adapters.cli import main
from bot.config import DEFAULT_MODEL
from bot.engine.texts import COMMANDS_HINT
from bot.flows import Flow, load_flow_file, packaged_flows_dir
from bot.flows.planning import HEADER, TOOL_NAME, PlanFailed, draft_flow, draft_yaml
from tests.anthropic_standin import AnthropicStandIn, tool_use, user_texts
from tests.conftest import DATA, TEST_STUDY

GOALS = "We want to learn how support engineers hand over on-call shifts. Participants: support engineers. 10 minutes."
VALID: dict[str, Any] = {
    "id": "on-call-handover",
    "version": 1,
    "title": "On-call handovers",
    "language": "en",
    "transcript_prefix": "handover",
    "estimated_minutes": 10,
    "time_budget_minutes": 13,
    "introduction": "Thanks for joining.\n\nWe are studying on-call handovers. It takes about 10 minutes.\n"
    "Your answers are anonymized. You can skip any question and stop at any time.",
    "consent": "Are you happy to go ahead?",
    "closing_question": "Is there anything else you would like to add?",
    "thank_you": "Thank you: your answers will be read together with others'.",
    "questions": [
        {
            "id": "last_handover",
            "ask": "Think of your last on-call handover. How did it go?",
            "learn": "The concrete steps and artefacts of a real handover.",
            "follow_ups": 2,
        },
        {
            "id": "gaps",
            "ask": "What, if anything, gets lost between shifts?",
            "learn": "Where context goes missing, and what it costs.",
            "follow_ups": 1,
        },
    ],
    "model_sees_unredacted": True,  # never taken from the model
}


def candor(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed command, with none of this machine's Candor, Anthropic or Redis settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "ANTHROPIC_", "REDIS_URL"))}
    script = Path(sys.executable).parent / "candor"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]
    return subprocess.run([*command, *args], capture_output=True, text=True, env=clean | env, cwd=cwd, timeout=60)


INVALID = {**VALID, "time_budget_minutes": 5, "questions": [{**VALID["questions"][0], "follow_ups": 7}]}


@pytest.fixture
async def api() -> AsyncIterator[AnthropicStandIn]:
    async with AnthropicStandIn() as standin:
        yield standin


@pytest.fixture
async def client(api: AnthropicStandIn) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(api_key="test", base_url=api.base_url, max_retries=0) as sdk:
        yield sdk


async def test_a_valid_draft_on_the_first_try(api: AnthropicStandIn, client: anthropic.AsyncAnthropic) -> None:
    api.plan(tool_use(TOOL_NAME, VALID))
    draft = await draft_flow(client, "claude-test", GOALS, study=TEST_STUDY)
    assert draft.attempts == 1 and draft.flow.id == "on-call-handover" and len(draft.flow.questions) == 2
    assert draft.flow.model_sees_unredacted is False and draft.flow.links_allowed is False
    body = api.last_request().body
    assert body["model"] == "claude-test" and body["tool_choice"] == {"type": "tool", "name": TOOL_NAME}
    schema = body["tools"][0]["input_schema"]
    assert "$ref" not in json.dumps(schema) and "$defs" not in schema
    assert set(schema["required"]) >= {"id", "introduction", "consent", "questions", "closing_question"}
    assert schema["properties"]["questions"]["items"]["properties"]["follow_ups"]["maximum"] == 3
    assert "model_sees_unredacted" not in schema["properties"] and "links_allowed" not in schema["properties"]
    assert f"<research_goals>\n{GOALS}\n</research_goals>" in user_texts(body)[-1]


async def test_an_invalid_draft_is_retried_once_with_the_errors(
    api: AnthropicStandIn, client: anthropic.AsyncAnthropic
) -> None:
    api.plan_many(tool_use(TOOL_NAME, INVALID), tool_use(TOOL_NAME, VALID))
    draft = await draft_flow(client, "claude-test", GOALS, study=TEST_STUDY, flow_id="handovers")
    assert draft.attempts == 2 and draft.flow.id == "handovers"
    first, second = (r.body for r in api.requests())
    assert "Use the flow id handovers." in user_texts(first)[-1]
    assert second["messages"][:1] == first["messages"]
    assert second["messages"][1]["role"] == "assistant" and second["messages"][1]["content"][0]["type"] == "tool_use"
    [result] = second["messages"][2]["content"]
    assert result["type"] == "tool_result" and result["is_error"] is True
    assert result["tool_use_id"] == second["messages"][1]["content"][0]["id"]
    assert "time_budget_minutes: must be at least estimated_minutes (10), got 5" in result["content"]
    assert "questions[0].follow_ups: Input should be less than or equal to 3" in result["content"]


async def test_twice_invalid_fails_with_the_errors(api: AnthropicStandIn, client: anthropic.AsyncAnthropic) -> None:
    api.plan_many(tool_use(TOOL_NAME, INVALID), tool_use(TOOL_NAME, {**VALID, "consent": ""}))
    with pytest.raises(PlanFailed) as failure:
        await draft_flow(client, "claude-test", GOALS, study=TEST_STUDY)
    assert failure.value.problems == ["consent: String should have at least 3 characters"]
    assert len(api.requests()) == 2


async def test_a_reply_without_the_tool_is_asked_again(api: AnthropicStandIn, client: anthropic.AsyncAnthropic) -> None:
    api.reply_text("Here are some questions you could ask...")
    api.plan(tool_use(TOOL_NAME, VALID))
    draft = await draft_flow(client, "claude-test", GOALS, study=TEST_STUDY)
    assert draft.attempts == 2
    assert "no write_flow call" in user_texts(api.last_request().body)[-1]


async def test_a_bad_id_is_refused_before_asking(api: AnthropicStandIn, client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(PlanFailed, match="--id 'On Call'"):
        await draft_flow(client, "claude-test", GOALS, study=TEST_STUDY, flow_id="On Call")
    assert api.requests() == []


def test_the_yaml_round_trips_and_is_marked_draft(tmp_path: Path) -> None:
    fields = {k: v for k, v in VALID.items() if k != "model_sees_unredacted"}
    flow = Flow.model_validate({**fields, "study": TEST_STUDY})
    text = draft_yaml(flow, date(2026, 3, 4))
    assert text.startswith(HEADER.format(day="2026-03-04"))
    assert "introduction: |" in text and "model_sees_unredacted" not in text
    path = tmp_path / "draft.yaml"
    path.write_text(text)
    assert load_flow_file(path) == flow
    shipped = load_flow_file(packaged_flows_dir() / "ai-at-work.yaml")
    path.write_text(draft_yaml(shipped, date.today()))
    assert load_flow_file(path) == shipped


# -- the command ----------------------------------------------------------------------------------------------------


def test_plan_writes_a_draft_flow_file(tmp_path: Path) -> None:
    (tmp_path / "goals.md").write_text(GOALS)
    with AnthropicStandIn() as standin:
        standin.set_default(lambda body: tool_use(TOOL_NAME, VALID))
        env = {"ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": standin.base_url}
        result = candor("flows", "plan", "--goals", "goals.md", "--out", "draft.yaml", cwd=tmp_path, **env)
        assert result.returncode == 0, result.stderr
        assert GOALS in user_texts(standin.last_request().body)[-1]  # read from the file
        assert standin.last_request().body["model"] == DEFAULT_MODEL
        standin_schema_properties = standin.last_request().body["tools"][0]["input_schema"]["properties"]
    assert "wrote draft.yaml: DRAFT on-call-handover, 2 questions (first try)" in result.stdout
    assert "study facts (who, contact, storage, retention) were copied from ai-at-work" in result.stdout
    text = (tmp_path / "draft.yaml").read_text()
    assert text.splitlines()[0] == (
        f"# DRAFT for human review: written by Claude from research goals on {date.today().isoformat()}; "
        "check every question before use."
    )
    flow = load_flow_file(tmp_path / "draft.yaml")
    assert flow.id == "on-call-handover" and flow.questions[1].ask == "What, if anything, gets lost between shifts?"
    assert flow.study == load_flow_file(packaged_flows_dir() / "ai-at-work.yaml").study
    assert "study" not in standin_schema_properties
    validated = candor("flows", "validate", "draft.yaml", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr


def test_plan_exits_1_with_the_errors_when_still_invalid(tmp_path: Path) -> None:
    with AnthropicStandIn() as standin:
        standin.set_default(lambda body: tool_use(TOOL_NAME, INVALID))
        env = {"ANTHROPIC_API_KEY": "test", "ANTHROPIC_BASE_URL": standin.base_url}
        long_goals = " ".join([GOALS] * 4)  # longer than a file name may be: still taken as text
        result = candor("flows", "plan", "--goals", long_goals, "--out", "draft.yaml", cwd=tmp_path, **env)
        assert len(standin.requests()) == 2
        assert long_goals in user_texts(standin.requests()[0].body)[-1]
    assert result.returncode == 1
    assert "candor: Claude's draft is not a valid flow:" in result.stderr
    assert "time_budget_minutes: must be at least estimated_minutes (10), got 5" in result.stderr
    assert not (tmp_path / "draft.yaml").exists()


def test_plan_needs_an_api_key(tmp_path: Path) -> None:
    result = candor("flows", "plan", "--goals", GOALS, "--out", "draft.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("candor: flows plan needs ANTHROPIC_API_KEY")
    assert len(result.stderr.strip().splitlines()) == 1


def test_review_shows_the_participant_view_then_the_notes(capsys: pytest.CaptureFixture[str]) -> None:
    path = packaged_flows_dir() / "ai-at-work.yaml"
    flow = load_flow_file(path)
    assert main(["flows", "review", str(path)]) == 0
    out = capsys.readouterr().out
    seen, notes = out.split("RESEARCHER NOTES")
    flat = " ".join(seen.split())
    for text in (flow.introduction, COMMANDS_HINT, flow.consent, flow.closing_question, flow.thank_you):
        assert " ".join(text.split()) in flat
    positions = [flat.index(f"{n}. {' '.join(q.ask.split())}") for n, q in enumerate(flow.questions, 1)]
    assert positions == sorted(positions)
    assert flat.index(COMMANDS_HINT) < flat.index(flow.consent) < positions[0]
    assert flow.questions[0].learn.split(".")[0] not in seen  # what to learn is never in the participant's view
    flat_notes = " ".join(notes.split())
    for question in flow.questions:
        assert f"{question.id}: up to {question.follow_ups} follow-up" in flat_notes
        assert " ".join(question.learn.split()) in flat_notes


def test_review_of_an_invalid_file_reports_like_validate(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "flows" / "bad-several.yaml"
    assert main(["flows", "validate", str(path)]) == 1
    expected = capsys.readouterr().err
    assert main(["flows", "review", str(path)]) == 1
    captured = capsys.readouterr()
    assert captured.err == expected and captured.out == ""
    assert re.search(r"bad-several\.yaml:7: time_budget_minutes: ", captured.err)
