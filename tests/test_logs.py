"""Logs never hold what participants wrote or who they are: a whole interview per platform, captured."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.test_claude import reference_answers

ANSWERS = reference_answers("work_0823.txt")
SECRETS = ("Dana", "Whitfield", "U100", "D100", "aad-user-1", "29:user-1", "a:conv-1", "OpenSSL", "HP server")


def _our_records(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records if r.name.startswith(("bot", "adapters"))
    )


async def test_a_slack_interview_logs_no_text_and_no_ids(
    redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.slack_harness import TEAM, TOKEN, candor_settings, running, slack_settings
    from tests.slack_standin import SlackStandIn

    caplog.set_level(logging.DEBUG)
    with SlackStandIn() as slack:
        slack.add_workspace(TEAM, TOKEN)
        slack.add_user("U100", real_name="Dana Whitfield")
        slack.fail_next("chat.postMessage", body={"ok": False, "error": "channel_not_found"})  # an error gets logged
        async for env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
            for answer in ["Hi", *ANSWERS]:
                await env.say("U100", answer)
    logged = _our_records(caplog)
    assert "channel_not_found" in logged  # the capture works
    assert not [s for s in SECRETS if s in logged]


@pytest.mark.filterwarnings("ignore::aiohttp.web.NotAppKeyWarning")
async def test_a_teams_interview_logs_no_text_and_no_ids(
    redis_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.teams_harness import candor_settings, isolate_sdk, running, teams_settings
    from tests.teams_standin import TeamsStandIn, TokenIssuer

    caplog.set_level(logging.DEBUG)
    with TeamsStandIn([TokenIssuer()]) as teams:
        isolate_sdk(monkeypatch, teams)
        teams.fail_next("reply", status=403)  # an error gets logged
        async for env in running(teams, candor_settings(redis_url, tmp_path), teams_settings(teams)):
            for answer in ["Hi", *ANSWERS]:
                await env.say(answer)
    logged = _our_records(caplog)
    assert "HTTP 403" in logged
    assert not [s for s in SECRETS if s in logged]


def test_json_logs_carry_request_and_interview_ids() -> None:
    import json
    from contextvars import copy_context

    from adapters.logs import JsonFormatter
    from bot.logcontext import INTERVIEW, REQUEST, interview_tag

    def inside() -> str:
        REQUEST.set("req123")
        INTERVIEW.set(interview_tag("0123456789abcdef0123"))
        record = logging.LogRecord(
            "bot.engine", logging.WARNING, __file__, 1, "delivery of %s failed", ("work_0001",), None
        )
        return JsonFormatter().format(record)

    event = json.loads(copy_context().run(inside))
    assert event["level"] == "warning" and event["logger"] == "bot.engine"
    assert event["message"] == "delivery of work_0001 failed"
    assert event["request"] == "req123" and event["interview"] == "0123456789ab"
    assert event["ts"].endswith("Z")


def test_the_demo_writes_json_lines(tmp_path: Path, redis_url: str) -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    answers = tmp_path / "answers.txt"
    answers.write_text("\n\n".join(["yes", "I use it to write weekly status reports for the team."] + ["no"] * 12))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOR_")}
    env.pop("REDIS_URL", None)  # the embedded Redis, which logs that it is used
    env.update(CANDOR_DATA_DIR=str(tmp_path / "data"), CANDOR_LOG_FORMAT="json", CANDOR_LOG_LEVEL="info")
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "demo", "--answers", str(answers)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert events and all({"ts", "level", "logger", "message"} <= set(event) for event in events)
    assert "weekly status reports" not in result.stderr
