"""SIGTERM in the middle of an interview: `candor serve` stops taking requests, finishes the turn it is on
(the model answers slowly), exits 0, and the next process carries the interview on from there."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.interviewers.prompt import TOOL_NAME
from bot.state.crypto import new_entry
from tests.anthropic_standin import AnthropicStandIn, Planned, slow, tool_use
from tests.conftest import ROOT, free_port
from tests.slack_standin import SlackStandIn, message_im_event, sign

SECRET = "shutdown-signing-secret"
TEAM, USER = "T0001", "U0STOP"


def _next_question(body: dict[str, Any]) -> Planned:
    return slow(2.0, tool_use(TOOL_NAME, {"decision": "next_question", "message": "Thanks for that."}))


@pytest.fixture
def apis() -> Iterator[tuple[SlackStandIn, AnthropicStandIn]]:
    with SlackStandIn() as slack, AnthropicStandIn() as claude:
        slack.add_workspace(TEAM, "xoxb-stop")
        slack.add_user(USER, real_name="Sasha Stop", team_id=TEAM)
        claude.set_default(_next_question)
        yield slack, claude


def _serve(tmp_path: Path, redis_url: str, prefix: str, keys: str, slack: str, claude: str, port: int) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "ANTHROPIC_"))}
    env.update(
        REDIS_URL=redis_url,
        CANDOR_REDIS_PREFIX=prefix,
        CANDOR_DATA_DIR=str(tmp_path / "data"),
        CANDOR_PSEUDONYM_KEY="a-test-secret-of-enough-length",
        CANDOR_ENCRYPTION_KEYS=keys,
        CANDOR_ANSWER_WINDOW_SECONDS="0",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-stop",
        SLACK_API_BASE_URL=slack,
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=claude,
    )
    command = [sys.executable, "-m", "adapters.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)


async def _ready(http: aiohttp.ClientSession, url: str) -> None:
    for _ in range(300):
        try:
            async with http.get(f"{url}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        time.sleep(0.1)
    raise AssertionError("candor serve did not become ready")


async def _say(http: aiohttp.ClientSession, url: str, text: str) -> None:
    raw = json.dumps(message_im_event(TEAM, USER, text)).encode()
    async with http.post(
        f"{url}/slack/events", data=raw, headers={**sign(SECRET, raw), "Content-Type": "application/json"}
    ) as r:
        assert r.status == 200


async def test_sigterm_finishes_the_turn_in_progress(
    apis: tuple[SlackStandIn, AnthropicStandIn], redis_url: str, tmp_path: Path
) -> None:
    slack, claude = apis
    prefix, keys = f"stop-{uuid.uuid4().hex[:8]}", new_entry()
    port = free_port()
    first = _serve(tmp_path, redis_url, prefix, keys, slack.base_url, claude.base_url, port)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await _ready(http, url)
            await _say(http, url, "hello")
            await slack.wait_for("chat.postMessage", count=2)  # introduction, consent question
            await _say(http, url, "yes")
            await slack.wait_for("chat.postMessage", count=3)  # the first question
            await _say(http, url, "Mostly drafting release notes and checking them against the tickets.")
            time.sleep(0.5)  # the model is thinking (two seconds)
            first.send_signal(signal.SIGTERM)
            _, stderr = first.communicate(timeout=40)
        assert first.returncode == 0, stderr
        assert "shutting down" in stderr and "still in progress" not in stderr
        posted = [call.args.get("text", "") for call in slack.calls("chat.postMessage") + slack.calls("chat.update")]
        assert any("Thanks for that." in text for text in posted), posted  # the turn was finished

        port = free_port()
        second = _serve(tmp_path, redis_url, prefix, keys, slack.base_url, claude.base_url, port)
        url = f"http://127.0.0.1:{port}"
        try:
            async with aiohttp.ClientSession() as http:
                await _ready(http, url)
                before = len(slack.calls("chat.postMessage"))
                await _say(http, url, "I keep the final wording to myself.")
                await slack.wait_for("chat.postMessage", count=before + 1)
        finally:
            second.send_signal(signal.SIGTERM)
            _, stderr = second.communicate(timeout=40)
        assert second.returncode == 0, stderr
        asked = [
            call.args.get("text", "") for call in slack.calls("chat.postMessage")[before:] + slack.calls("chat.update")
        ]
        # The second process asked the third question: the answer given before SIGTERM was kept.
        assert any("keep doing yourself" in text for text in asked), asked
    finally:
        if first.poll() is None:
            first.kill()
