"""Slack edge cases found in review: each test reproduces a failure that once happened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.delivery import FileSink
from tests.slack_harness import TEAM, TOKEN, SlackEnv, candor_settings, running, slack_settings
from tests.slack_standin import (
    SlackStandIn,
    app_uninstalled_event,
    event_callback,
    message_im_event,
    sign,
)

USER, DM = "U100", "D100"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_workspace(TEAM, TOKEN)
        standin.add_user(USER, name="dana.w", real_name="Dana Whitfield", display_name="Dana")
        yield standin


@pytest.fixture
async def env(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[SlackEnv]:
    async for running_env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
        yield running_env


@pytest.fixture
async def windowed(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[SlackEnv]:
    settings = candor_settings(redis_url, tmp_path, answer_window_seconds=0.4)
    async for running_env in running(slack, settings, slack_settings(slack)):
        yield running_env


async def _turns(env: SlackEnv) -> list[str]:
    from bot.types import Participant, Platform

    engine = env.service.runtime.engine
    return [t.text for t in await engine.store.turns(engine.key_for(Participant(Platform.SLACK, TEAM, USER)))]


async def test_quick_messages_form_one_answer_without_a_placeholder(windowed: SlackEnv) -> None:
    await windowed.say(USER, "hi")
    await windowed.say(USER, "yes")
    first = asyncio.create_task(windowed.post_event(message_im_event(TEAM, USER, "We use it for release notes,")))
    await asyncio.sleep(0.1)
    await windowed.post_event(message_im_event(TEAM, USER, "and for summarising incident reports."))
    await first
    await asyncio.sleep(0.6)
    await windowed.drain()
    assert "We use it for release notes,\nand for summarising incident reports." in await _turns(windowed)
    assert not any("One moment" in text for text in windowed.posted_texts())
    assert len(windowed.posted_texts(DM)) == 4  # introduction, consent, first question, one follow-up


async def test_an_old_button_cannot_answer_a_later_question(env: SlackEnv) -> None:
    await env.say(USER, "hi")
    consent = env.slack.calls("chat.postMessage")[-1]
    await env.say(USER, "yes")  # typed instead of clicked: the buttons are retired
    [retired] = env.slack.calls("chat.update")
    assert retired.args["ts"] == consent.response["ts"] and "answered in the chat" in str(retired.args["blocks"])
    old_no = env.slack.block_actions_payload(
        TEAM, USER, "candor:choice:1", "consent:no", button_text="No", channel=DM, message_ts=consent.response["ts"]
    )
    await env.click(old_no)
    await env.slack.wait_for("chat.postMessage", count=4)
    assert "already been answered" in env.posted_texts(DM)[-1]
    assert "no" not in await _turns(env)


async def test_a_failed_user_lookup_waits_instead_of_storing_names(env: SlackEnv) -> None:
    env.slack.fail_next("users.info", status=500)
    await env.post_event(message_im_event(TEAM, USER, "hello, Dana Whitfield here"))
    await asyncio.sleep(0.3)
    assert len(await env.service.slack.inbox.waiting()) == 1  # kept for a retry, nothing stored
    assert env.slack.calls("chat.postMessage") == []
    assert await env.service.slack.recover() == 1
    assert len(env.posted_texts(DM)) == 2


async def test_an_event_is_processed_once_even_if_two_workers_try(env: SlackEnv) -> None:
    body = message_im_event(TEAM, USER, "", files=[{"id": "F1"}])
    assert await env.service.slack.inbox.admit(body["event_id"], body)
    await asyncio.gather(env.service.slack.process(body), env.service.slack.process(body))
    assert sum("only read text" in t for t in env.posted_texts(DM)) == 1


async def test_a_recovered_uninstall_is_still_applied(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> None:
    config = slack_settings(slack, bot_token=None, client_id="1.2", client_secret="s")
    async for env in running(slack, candor_settings(redis_url, tmp_path), config):
        from slack_sdk.oauth.installation_store import Bot

        store = env.service.slack.installations
        assert store is not None
        await store.async_save_bot(
            Bot(team_id="T0Z", bot_token="xoxb-z", bot_id="B1", bot_user_id="U1", installed_at=1.0)
        )
        body = app_uninstalled_event("T0Z")
        await env.service.slack.inbox.admit(body["event_id"], body)
        assert await env.service.slack.recover() == 1
        assert await store.async_find_bot(enterprise_id=None, team_id="T0Z") is None


async def test_withdraw_happens_even_if_slack_cannot_open_the_dm(env: SlackEnv) -> None:
    await env.say(USER, "hi")
    await env.say(USER, "yes")
    await env.say(USER, "An answer to withdraw about our hiring process.")
    env.service.interviews.people._dm_channels.clear()
    env.slack.fail_next("conversations.open", status=500)
    withdraw = env.slack.block_actions_payload(TEAM, USER, "candor:home:withdraw", "", channel=DM, message_ts="1.0")
    await env.click(withdraw)
    await env.slack.wait_for("views.publish")
    assert await _turns(env) == []


async def test_start_in_a_colleagues_dm_goes_to_our_dm(env: SlackEnv) -> None:
    status, text = await env.post_form(
        env.slack.slash_command_form(TEAM, USER, "/candor", "start", channel_id="D0COLLEAGUE")
    )
    assert status == 200 and "direct messages with Candor" in text
    await env.slack.wait_for("chat.postMessage", count=2)
    assert {c.args["channel"] for c in env.slack.calls("chat.postMessage")} == {DM}


async def test_anything_unhandled_is_acknowledged_with_200(env: SlackEnv) -> None:
    unknown_button = env.slack.block_actions_payload(TEAM, USER, "some_old_button", "x", channel=DM, message_ts="1.0")
    assert (await env.click(unknown_button))[0] == 200
    view_closed = {"type": "view_closed", "user": {"id": USER}, "team": {"id": TEAM}, "view": {"id": "V1"}}
    assert (await env.click(view_closed))[0] == 200
    no_type = event_callback(TEAM, {"user": USER})
    assert (await env.post_event(no_type))[0] == 200
    await env.drain()


async def test_a_missing_timestamp_is_401(env: SlackEnv) -> None:
    import json

    raw = json.dumps(message_im_event(TEAM, USER, "hello")).encode()
    headers = {
        "X-Slack-Signature": sign("test-signing-secret", raw)["X-Slack-Signature"],
        "Content-Type": "application/json",
    }
    async with env.http.post(f"{env.url}/slack/events", data=raw, headers=headers) as response:
        assert response.status == 401
    headers["X-Slack-Request-Timestamp"] = "soon"
    async with env.http.post(f"{env.url}/slack/events", data=raw, headers=headers) as response:
        assert response.status == 401


async def test_a_button_that_cannot_be_done_says_why(env: SlackEnv, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    env.service.runtime.engine.sinks = (FileSink(blocked),)
    env.service.runtime.engine._delivery.sinks = (FileSink(blocked),)
    for text in ("hi", "yes", "An answer.", "stop", "keep"):
        await env.say(USER, text)
    start = env.slack.block_actions_payload(TEAM, USER, "candor:home:start", "", channel=DM, message_ts="1.0")
    assert (await env.click(start))[0] == 200
    await env.slack.wait_for("views.publish")
    assert "could not be saved yet" in env.posted_texts(DM)[-1]


async def test_an_invitation_that_could_not_be_posted_can_be_sent_again(env: SlackEnv) -> None:
    env.slack.fail_next("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    assert await env.service.interviews.invite(TEAM, USER) is False
    assert await env.service.interviews.invite(TEAM, USER) is True
