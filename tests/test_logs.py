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
