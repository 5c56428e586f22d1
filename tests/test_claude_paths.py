"""A whole interview with the Claude interviewer (against the stand-in) on the console, Slack and Teams paths."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import anthropic
import pytest

from bot.config import DEFAULT_MODEL
from bot.interviewers import ScriptedInterviewer
from bot.interviewers.claude import ClaudeInterviewer, Prices
from tests.anthropic_standin import AnthropicStandIn
from tests.test_claude import interviewer_like_claude, reference_answers

REFERENCE = ["work_0823.txt", "work_0657.txt", "creativity_0014.txt", "science_0003.txt"]


@pytest.fixture
def claude_api() -> Iterator[AnthropicStandIn]:
    with AnthropicStandIn() as standin:
        standin.set_default(interviewer_like_claude)
        yield standin


def _claude(api: AnthropicStandIn) -> ClaudeInterviewer:
    client = anthropic.AsyncAnthropic(api_key="test-key", base_url=api.base_url, max_retries=1, timeout=5.0)
    return ClaudeInterviewer(client, DEFAULT_MODEL, Prices(), fallback=ScriptedInterviewer())


def _row(data_dir: Path) -> dict[str, str]:
    with open(data_dir / "transcripts.csv", newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    return row


@pytest.mark.parametrize("name", REFERENCE)
def test_console_demo_uses_claude_when_a_key_is_set(
    name: str, claude_api: AnthropicStandIn, redis_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "ANTHROPIC_"))}
    env.update(
        REDIS_URL=redis_url,
        CANDOR_DATA_DIR=str(tmp_path / "data"),
        CANDOR_REDIS_PREFIX=f"cl-{uuid.uuid4().hex[:8]}",
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=claude_api.base_url,
    )
    answers = tmp_path / "answers.txt"
    answers.write_text("\n\n".join(reference_answers(name) + ["No."] * 25) + "\n")
    script = Path(sys.executable).parent / "candor"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]
    result = subprocess.run(
        [*command, "demo", "--answers", str(answers)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert claude_api.requests() and "You mentioned" in result.stdout
    row = _row(tmp_path / "data")
    assert "You mentioned" in row["text"]


@pytest.mark.parametrize("name", REFERENCE)
async def test_slack_interview_with_claude(
    name: str, claude_api: AnthropicStandIn, redis_url: str, tmp_path: Path
) -> None:
    from tests.slack_harness import TEAM, TOKEN, candor_settings, running, slack_settings
    from tests.slack_standin import SlackStandIn

    with SlackStandIn() as slack:
        slack.add_workspace(TEAM, TOKEN)
        slack.add_user("U100", real_name="Dana Whitfield")
        async for env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
            env.service.runtime.engine.interviewer = _claude(claude_api)
            try:
                for answer in ["Hi", *reference_answers(name)]:
                    await env.say("U100", answer)
                for _ in range(25):
                    if (tmp_path / "transcripts.csv").exists():
                        break
                    await env.say("U100", "No.")
                assert any("You mentioned" in t for t in env.posted_texts("D100"))
                assert "You mentioned" in _row(tmp_path)["text"]
            finally:
                await env.service.runtime.engine.interviewer.close()  # type: ignore[attr-defined]


@pytest.mark.filterwarnings("ignore::aiohttp.web.NotAppKeyWarning")
@pytest.mark.parametrize("name", REFERENCE)
async def test_teams_interview_with_claude(
    name: str, claude_api: AnthropicStandIn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.teams_harness import candor_settings, isolate_sdk, running, teams_settings
    from tests.teams_standin import TeamsStandIn, TokenIssuer

    with TeamsStandIn([TokenIssuer()]) as teams:
        isolate_sdk(monkeypatch, teams)
        async for env in running(teams, candor_settings(redis_url, tmp_path), teams_settings(teams)):
            env.service.runtime.engine.interviewer = _claude(claude_api)
            try:
                for answer in ["Hi", *reference_answers(name)]:
                    await env.say(answer)
                for _ in range(25):
                    if (tmp_path / "transcripts.csv").exists():
                        break
                    await env.say("No.")
                assert any("You mentioned" in t for t in env.texts())
                assert "You mentioned" in _row(tmp_path)["text"]
            finally:
                await env.service.runtime.engine.interviewer.close()  # type: ignore[attr-defined]


async def test_the_deployments_support_resources_are_used_when_the_flow_names_none(
    claude_api: AnthropicStandIn, make_engine: object
) -> None:
    from bot.engine import EngineOptions
    from tests.anthropic_standin import tool_use
    from tests.conftest import message

    engine = await make_engine(interviewer=_claude(claude_api))  # type: ignore[operator]
    engine.options = EngineOptions(default_flow="ai-at-work", support_resources="Call the EAP line on 0800 555 0100.")
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    claude_api.plan(tool_use("next_move", {"decision": "support", "message": "I'm sorry it has been so hard."}))
    reply = (await engine.handle(message("It has been awful, I can't sleep and I feel hopeless about it all.")))[0]
    assert "EAP line" in reply.text and re.search(r"pause|stop", reply.text)
    await engine.interviewer.close()
