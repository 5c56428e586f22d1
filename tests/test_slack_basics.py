"""Slack over real HTTP: signed requests in, Web API calls out to the local stand-in."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.slack_harness import TEAM, TOKEN, SlackEnv, candor_settings, running, slack_settings
from tests.slack_standin import SlackStandIn, message_im_event, sign


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_workspace(TEAM, TOKEN)
        standin.add_user(
            "U100", name="dana.w", real_name="Dana Whitfield", display_name="Dana", email="dana@corp.example"
        )
        yield standin


@pytest.fixture
async def env(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[SlackEnv]:
    async for running_env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
        yield running_env


async def test_a_dm_gets_the_introduction_and_consent_buttons(env: SlackEnv) -> None:
    status, _ = await env.post_event(message_im_event(TEAM, "U100", "hello"))
    assert status == 200
    intro, consent = await env.slack.wait_for("chat.postMessage", count=2)
    assert "anonymized" in intro.args["text"] and intro.args["channel"] == "D100"
    buttons = consent.args["blocks"][1]["elements"]
    assert [b["value"] for b in buttons] == ["consent:yes", "consent:no"]


async def test_url_verification_and_request_checks(env: SlackEnv) -> None:
    status, text = await env.post_event({"type": "url_verification", "challenge": "c-123", "token": "x"})
    assert status == 200 and "c-123" in text
    body = message_im_event(TEAM, "U100", "hello")
    stale = sign("test-signing-secret", b"{}", timestamp=int(time.time()) - 301)
    status, _ = await env.post_event(body, headers=stale)
    assert status == 401
    status, _ = await env.post_event(body, headers={"X-Slack-Signature": "v0=deadbeef"})
    assert status == 401
    assert env.slack.calls("chat.postMessage") == []
