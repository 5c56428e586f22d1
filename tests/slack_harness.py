"""Candor's Slack app served in process on a random port, wired to the local Slack stand-in."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from adapters.server import RunningServer, start_server
from adapters.service import Service, open_service
from adapters.slack.config import SlackSettings
from bot.config import Settings
from tests.slack_standin import SlackStandIn, form_body, interactivity_form, message_im_event, sign

SECRET = "test-signing-secret"
TEAM = "T0001"
TOKEN = "xoxb-test-token"


@dataclass
class SlackEnv:
    slack: SlackStandIn
    service: Service
    server: RunningServer
    http: aiohttp.ClientSession
    settings: Settings

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    async def post_event(
        self, body: dict[str, Any], headers: dict[str, str] | None = None, timestamp: int | None = None
    ) -> tuple[int, str]:
        raw = json.dumps(body).encode()
        signed = {**sign(SECRET, raw, timestamp), "Content-Type": "application/json", **(headers or {})}
        async with self.http.post(f"{self.url}/slack/events", data=raw, headers=signed) as response:
            return response.status, await response.text()

    async def post_raw(self, raw: bytes, content_type: str) -> tuple[int, str]:
        signed = {**sign(SECRET, raw), "Content-Type": content_type}
        async with self.http.post(f"{self.url}/slack/events", data=raw, headers=signed) as response:
            return response.status, await response.text()

    async def say(self, user: str, text: str, **kwargs: Any) -> None:
        """A DM from a user, processed to the end (replies sent) before returning."""
        status, _ = await self.post_event(message_im_event(TEAM, user, text, **kwargs))
        assert status == 200
        await self.drain()

    async def post_form(self, fields: dict[str, str]) -> tuple[int, str]:
        raw = form_body(fields)
        signed = {**sign(SECRET, raw), "Content-Type": "application/x-www-form-urlencoded"}
        async with self.http.post(f"{self.url}/slack/events", data=raw, headers=signed) as response:
            return response.status, await response.text()

    async def click(self, payload: dict[str, Any]) -> tuple[int, str]:
        return await self.post_form(interactivity_form(payload))

    async def drain(self) -> None:
        """Wait until every admitted event has been processed."""
        import asyncio

        for _ in range(500):
            if not await self.service.slack.inbox.waiting():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("Slack events were still waiting to be processed")

    def posted_texts(self, channel: str | None = None) -> list[str]:
        return [
            c.args.get("text", "")
            for c in self.slack.calls("chat.postMessage")
            if channel is None or c.args.get("channel") == channel
        ]


def candor_settings(redis_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "data_dir": data_dir,
        "redis_prefix": f"slk-{uuid.uuid4().hex[:10]}",
        "answer_window_seconds": 0,
        "pseudonym_key": "test-key",
    }
    values.update(overrides)
    return Settings(**values)


def slack_settings(slack: SlackStandIn, **overrides: Any) -> SlackSettings:
    values: dict[str, Any] = {
        "signing_secret": SECRET,
        "bot_token": TOKEN,
        "api_base_url": slack.base_url,
        "placeholder_after_seconds": 1.0,
    }
    values.update(overrides)
    return SlackSettings(**values)


async def open_env(slack: SlackStandIn, settings: Settings, slack_config: SlackSettings) -> SlackEnv:
    service = await open_service(settings, slack_config)
    server = await start_server(service.web_app, "127.0.0.1", 0)
    return SlackEnv(slack, service, server, aiohttp.ClientSession(), settings)


async def close_env(env: SlackEnv) -> None:
    await env.http.close()
    await env.server.close()
    client = aioredis.from_url(env.settings.redis_url or "")
    keys = [key async for key in client.scan_iter(f"{env.settings.redis_prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    await env.service.close()


async def running(slack: SlackStandIn, settings: Settings, slack_config: SlackSettings) -> AsyncIterator[SlackEnv]:
    env = await open_env(slack, settings, slack_config)
    try:
        yield env
    finally:
        await close_env(env)
