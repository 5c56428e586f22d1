"""The Slack stand-in answers the real slack_sdk clients the way Slack would, through their own code paths."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.slack_standin import (
    SlackStandIn,
    form_body,
    message_changed_event,
    message_im_event,
    sign,
    slash_command_form,
)

BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Hello*"}}]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


async def test_web_api_defaults_through_the_real_client(slack: SlackStandIn) -> None:
    client = AsyncWebClient(token="xoxb-any", base_url=slack.base_url)

    auth = await client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0001", "U0BOT", "B0BOT")

    opened = await client.conversations_open(users="U123")
    assert opened["channel"]["id"] == "D123"

    first = await client.chat_postMessage(channel="D123", text="Hello", blocks=BLOCKS)
    second = await client.chat_postMessage(channel="U123", text="Again")
    assert first["channel"] == second["channel"] == "D123"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["text"] == "Hello"

    # Form-encoded blocks (JSON inside a form field) are decoded like JSON bodies are.
    await client.api_call("chat.update", data={"channel": "D123", "ts": first["ts"], "blocks": json.dumps(BLOCKS)})

    posts = await slack.wait_for("chat.postMessage", count=2)
    assert posts[0].args["blocks"] == BLOCKS
    assert posts[0].token == "xoxb-any"
    assert posts[0].status == 200
    [update] = slack.calls("chat.update")
    assert update.args["blocks"] == BLOCKS
    assert update.token == "xoxb-any"
    assert [call.method for call in slack.calls()] == [
        "auth.test",
        "conversations.open",
        "chat.postMessage",
        "chat.postMessage",
        "chat.update",
    ]


# slack_sdk builds oauth.v2.access credentials with aiohttp.BasicAuth, which aiohttp 3.14 deprecates.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_workspaces_users_and_oauth(slack: SlackStandIn) -> None:
    slack.add_workspace("T1", "xoxb-t1", bot_user_id="U1BOT")
    slack.add_user(
        "U7", name="ada", real_name="Ada Lovelace", display_name="ada", email="ada@example.com", team_id="T1"
    )
    slack.add_oauth_code("code-1", "T9", "xoxb-t9", authed_user_id="U9")

    t1 = AsyncWebClient(token="xoxb-t1", base_url=slack.base_url)
    assert (await t1.auth_test())["team_id"] == "T1"
    user = (await t1.users_info(user="U7"))["user"]
    assert (user["real_name"], user["profile"]["display_name"], user["profile"]["email"]) == (
        "Ada Lovelace",
        "ada",
        "ada@example.com",
    )
    with pytest.raises(SlackApiError) as missing:
        await t1.users_info(user="U404")
    assert missing.value.response["error"] == "user_not_found"

    with pytest.raises(SlackApiError) as unknown:
        await AsyncWebClient(token="xoxb-t9", base_url=slack.base_url).auth_test()
    assert unknown.value.response["error"] == "invalid_auth"

    anonymous = AsyncWebClient(base_url=slack.base_url)
    installed = await anonymous.oauth_v2_access(client_id="cid", client_secret="secret", code="code-1")
    assert (installed["access_token"], installed["team"]["id"], installed["authed_user"]["id"]) == (
        "xoxb-t9",
        "T9",
        "U9",
    )
    [exchange] = slack.calls("oauth.v2.access")
    assert exchange.token is None
    assert exchange.headers["Authorization"].startswith("Basic ")
    assert (exchange.args["client_id"], exchange.args["code"]) == ("cid", "code-1")
    assert (await AsyncWebClient(token="xoxb-t9", base_url=slack.base_url).auth_test())["team_id"] == "T9"

    with pytest.raises(SlackApiError) as bad_code:
        await anonymous.oauth_v2_access(client_id="cid", client_secret="secret", code="nope")
    assert bad_code.value.response["error"] == "invalid_code"


async def test_forced_failures_and_rate_limit_retry(slack: SlackStandIn) -> None:
    slack.fail_next(
        "chat.postMessage", status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "1"}
    )
    client = AsyncWebClient(
        token="xoxb-any", base_url=slack.base_url, retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)]
    )
    posted = await client.chat_postMessage(channel="D123", text="after a pause")
    assert posted["ok"] is True
    assert [call.status for call in slack.calls("chat.postMessage")] == [429, 200]

    slack.clear()
    slack.fail_next("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    with pytest.raises(SlackApiError) as failed:
        await client.chat_postMessage(channel="D404", text="lost")
    assert failed.value.response["error"] == "channel_not_found"
    assert (await client.chat_postMessage(channel="D123", text="fine"))["ok"] is True
    assert len(slack.calls("chat.postMessage")) == 2


async def test_response_urls_are_served_and_recorded(slack: SlackStandIn) -> None:
    payload = slack.block_actions_payload("T1", "U123", "answer", "yes", channel="D123", message_ts="1.000100")
    assert payload["response_url"].startswith(f"http://127.0.0.1:{slack.port}/response/")
    form = slack.slash_command_form("T1", "U123", "/candor", "help", channel_id="D123")
    assert form["response_url"] != payload["response_url"]

    response = await AsyncWebhookClient(payload["response_url"]).send(text="Thanks!", replace_original=True)
    assert response.status_code == 200
    [call] = await slack.wait_for("response_url")
    assert call.args["text"] == "Thanks!"
    assert call.path == payload["response_url"].removeprefix(f"http://127.0.0.1:{slack.port}")


async def test_socket_mode_round_trip(slack: SlackStandIn) -> None:
    web_client = AsyncWebClient(base_url=slack.base_url)
    client = SocketModeClient(app_token="xapp-1-test", web_client=web_client)
    received: list[SocketModeRequest] = []

    async def ack(socket_client: AsyncBaseSocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        await socket_client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))

    client.socket_mode_request_listeners.append(ack)
    try:
        await client.connect()
        await slack.wait_connected()
        envelope_id = slack.send_envelope(message_im_event("T1", "U123", "hello bot"))
        ack_message = await slack.wait_for_ack(envelope_id)
        assert ack_message == {"envelope_id": envelope_id}
        assert received[0].type == "events_api"
        assert received[0].payload["event"]["text"] == "hello bot"
        [opened] = slack.calls("apps.connections.open")
        assert opened.token == "xapp-1-test"

        # Slack's periodic "disconnect" makes slack_sdk open a fresh connection, which still gets envelopes.
        slack.send_disconnect()
        await slack.wait_connected(opened=2)
        again = slack.send_envelope({"type": "block_actions"}, type="interactive", accepts_response_payload=True)
        await slack.wait_for_ack(again)
        assert received[-1].type == "interactive"
    finally:
        await client.close()
    deadline = time.monotonic() + 5
    while slack.connected and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not slack.connected


async def test_wait_for_reports_what_was_recorded_and_works_from_other_threads(slack: SlackStandIn) -> None:
    client = AsyncWebClient(token="xoxb-any", base_url=slack.base_url)
    await client.auth_test()
    with pytest.raises(AssertionError, match=r"auth\.test\(200\)"):
        await slack.wait_for("chat.postMessage", timeout=0.05)

    found: list[int] = []
    waiter = threading.Thread(target=lambda: found.append(len(slack.wait_for_sync("views.publish", timeout=5))))
    waiter.start()
    await client.views_publish(user_id="U123", view={"type": "home", "blocks": BLOCKS})
    await asyncio.to_thread(waiter.join, 5)
    assert found == [1]


def test_signature_matches_slack_sdk_verifier() -> None:
    body = form_body(slash_command_form("T1", "U123", "/candor", "start", channel_id="D123"))
    headers = sign("shh", body)
    assert set(headers) == {"X-Slack-Request-Timestamp", "X-Slack-Signature"}
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert SignatureVerifier("shh").is_valid(body, timestamp, signature)
    assert not SignatureVerifier("other").is_valid(body, timestamp, signature)
    assert sign("shh", b"{}", timestamp=1700000000)["X-Slack-Request-Timestamp"] == "1700000000"


def test_event_builders_have_slack_shapes() -> None:
    dm = message_im_event("T1", "U123", "hi")
    assert dm["type"] == "event_callback"
    assert dm["authorizations"][0] == {
        "enterprise_id": None,
        "team_id": "T1",
        "user_id": "U0BOT",
        "is_bot": True,
        "is_enterprise_install": False,
    }
    event = dm["event"]
    assert (event["channel"], event["channel_type"], event["ts"]) == ("D123", "im", event["event_ts"])
    assert "client_msg_id" in event and "subtype" not in event

    edit = message_changed_event("T1", "U123", "D123", event["ts"], "hi there", previous_text="hi")["event"]
    assert edit["subtype"] == "message_changed"
    assert (edit["message"]["ts"], edit["message"]["text"], edit["previous_message"]["text"]) == (
        event["ts"],
        "hi there",
        "hi",
    )
