"""Multi-workspace OAuth with Redis stores, Socket Mode, and `candor serve` as a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
import yaml

from adapters.slack.stores import RedisOAuthStateStore
from bot.state.crypto import new_entry
from tests.conftest import free_port
from tests.slack_harness import SECRET, candor_settings, close_env, open_env, slack_settings
from tests.slack_standin import SlackStandIn, app_uninstalled_event, message_im_event, sign


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        yield standin


async def _install(http: aiohttp.ClientSession, url: str, slack: SlackStandIn, team: str, token: str) -> None:
    code = f"code-{team}"
    slack.add_oauth_code(code, team, token)
    async with http.get(f"{url}/slack/install", allow_redirects=False) as response:
        assert response.status in (200, 302)
        cookie = response.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie
        state = cookie.split("slack-app-oauth-state=", 1)[1].split(";", 1)[0]
    # The state cookie is Secure, so a plain-http client would not send it back: forward it by hand.
    headers = {"Cookie": f"slack-app-oauth-state={state}"}
    async with http.get(
        f"{url}/slack/oauth_redirect", params={"code": code, "state": state}, headers=headers, allow_redirects=False
    ) as response:
        assert response.status == 200, await response.text()


@pytest.mark.filterwarnings("ignore:.*BasicAuth.*:DeprecationWarning")
async def test_oauth_installs_two_workspaces_and_interviews_run_in_both(
    slack: SlackStandIn, redis_url: str, tmp_path: Path
) -> None:
    slack.add_user("U1", real_name="Ana One", team_id="T0A")
    slack.add_user("U2", real_name="Bo Two", team_id="T0B")
    config = slack_settings(slack, bot_token=None, client_id="111.222", client_secret="shh")
    env = await open_env(slack, candor_settings(redis_url, tmp_path), config)
    try:
        await _install(env.http, env.url, slack, "T0A", "xoxb-team-a")
        await _install(env.http, env.url, slack, "T0B", "xoxb-team-b")
        store = env.service.slack.installations
        assert store is not None
        assert (await store.async_find_bot(enterprise_id=None, team_id="T0A")).bot_token == "xoxb-team-a"  # type: ignore[union-attr]
        for team, user in (("T0A", "U1"), ("T0B", "U2")):
            status, _ = await env.post_event(message_im_event(team, user, "hello", channel=f"D{user}"))
            assert status == 200
        await env.drain()
        posts = slack.calls("chat.postMessage")
        assert {(c.token, c.args["channel"]) for c in posts} == {("xoxb-team-a", "DU1"), ("xoxb-team-b", "DU2")}
        assert (await env.post_event(app_uninstalled_event("T0A")))[0] == 200
        await env.drain()
        assert await store.async_find_bot(enterprise_id=None, team_id="T0A") is None
        assert await store.async_find_bot(enterprise_id=None, team_id="T0B") is not None
    finally:
        await close_env(env)


async def test_an_oauth_state_is_good_once(redis_url: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    store = RedisOAuthStateStore(client, f"state-{os.getpid()}")
    state = await store.async_issue()
    assert await store.async_consume(state) is True
    assert await store.async_consume(state) is False
    await client.aclose()


async def test_socket_mode_round_trip(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    slack.add_workspace("T0001", "xoxb-socket")
    config = slack_settings(slack, bot_token="xoxb-socket", app_token="xapp-1-test", signing_secret=None)
    env = await open_env(slack, candor_settings(redis_url, tmp_path), config)
    handler = cast(Any, AsyncSocketModeHandler(env.service.slack.app, app_token="xapp-1-test"))
    try:
        await handler.connect_async()
        await slack.wait_connected()
        envelope = slack.send_envelope(message_im_event("T0001", "U100", "hello over a socket"))
        await slack.wait_for_ack(envelope)
        intro, consent = await slack.wait_for("chat.postMessage", count=2)
        assert "anonymized" in intro.args["text"] and consent.args["blocks"]
    finally:
        await handler.close_async()
        await close_env(env)


def _serve(tmp_path: Path, slack: SlackStandIn, port: int, **extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_"))}
    env.pop("REDIS_URL", None)
    env.update(
        CANDOR_DATA_DIR=str(tmp_path / "data"),
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-proc",
        SLACK_API_BASE_URL=slack.base_url,
        CANDOR_ANSWER_WINDOW_SECONDS="0",
        CANDOR_PSEUDONYM_KEY="a-test-secret-of-enough-length",
        CANDOR_ENCRYPTION_KEYS=new_entry("proc"),
        **extra,
    )
    script = Path(sys.executable).parent / "candor"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]
    return subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _wait_ready(url: str, http: aiohttp.ClientSession) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{url}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("candor serve did not become ready")


async def test_candor_serve_runs_as_a_process(slack: SlackStandIn, tmp_path: Path) -> None:
    slack.add_workspace("T0001", "xoxb-proc")
    port = free_port()
    process = _serve(tmp_path, slack, port)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await _wait_ready(url, http)
            async with http.get(f"{url}/healthz") as response:
                assert response.status == 200 and (await response.json())["status"] == "ok"
            raw = __import__("json").dumps(message_im_event("T0001", "U100", "hello")).encode()
            headers = {**sign(SECRET, raw), "Content-Type": "application/json"}
            async with http.post(f"{url}/slack/events", data=raw, headers=headers) as response:
                assert response.status == 200
            await slack.wait_for("chat.postMessage", count=2)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "using the embedded Redis" in stderr and "set REDIS_URL" in stderr
    assert f"listening on http://127.0.0.1:{port}" in stderr


def test_serve_without_slack_settings_says_what_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_"))}
    env["CANDOR_DATA_DIR"] = str(tmp_path)
    env["CANDOR_DEVELOPMENT"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "candor: SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page"
    )


def test_slack_manifest_is_ready_to_paste() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "slack", "manifest", "--url", "https://candor.example.com/"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    manifest = yaml.safe_load(result.stdout)
    settings = manifest["settings"]
    assert settings["event_subscriptions"]["request_url"] == "https://candor.example.com/slack/events"
    assert set(settings["event_subscriptions"]["bot_events"]) == {
        "message.im",
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    }
    assert settings["interactivity"]["is_enabled"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["slash_commands"][0]["command"] == "/candor"
    assert {"chat:write", "im:history", "im:write", "users:read", "commands"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    # Waves: people by e-mail, do-not-disturb, channel members (public and private).
    assert {"users:read.email", "dnd:read", "channels:read", "groups:read"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )
    assert manifest["oauth_config"]["redirect_urls"] == ["https://candor.example.com/slack/oauth_redirect"]


@pytest.mark.filterwarnings("ignore:.*BasicAuth.*:DeprecationWarning")
async def test_revoked_bot_tokens_remove_the_bot(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> None:
    from tests.slack_standin import tokens_revoked_event

    config = slack_settings(slack, bot_token=None, client_id="111.222", client_secret="shh")
    env = await open_env(slack, candor_settings(redis_url, tmp_path), config)
    try:
        await _install(env.http, env.url, slack, "T0C", "xoxb-team-c")
        store = env.service.slack.installations
        assert store is not None and await store.async_find_bot(enterprise_id=None, team_id="T0C") is not None
        assert (await env.post_event(tokens_revoked_event("T0C", ["B0BOT"])))[0] == 200
        await env.drain()
        assert await store.async_find_bot(enterprise_id=None, team_id="T0C") is None
    finally:
        await close_env(env)


def test_serve_refuses_to_start_without_a_pseudonym_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "TEAMS_"))}
    env.update(CANDOR_DATA_DIR=str(tmp_path), SLACK_SIGNING_SECRET="s", SLACK_BOT_TOKEN="xoxb-1")
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 2 and result.stderr.startswith("candor: CANDOR_PSEUDONYM_KEY is not set")
