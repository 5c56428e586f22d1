"""Candor's Teams endpoint served in process, wired to the local Bot Connector stand-in."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
from microsoft_agents.hosting.core import JwtTokenValidator
from microsoft_agents.hosting.core.authorization import _entra_issuers

from adapters.server import RunningServer, start_server
from adapters.service import Service, open_service
from adapters.slack.config import SlackSettings
from adapters.teams.config import TeamsSettings
from bot.config import Settings
from tests.teams_standin import BOTFRAMEWORK_ISSUER, TeamsStandIn, auth_header, message_activity
from tests.test_teams_standin import StaticTokenProvider

APP_ID = "00000000-0000-4000-8000-00000000a11d"
TENANT = "tenant-1"


@dataclass
class TeamsEnv:
    teams: TeamsStandIn
    service: Service
    server: RunningServer
    http: aiohttp.ClientSession
    settings: Settings

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def token(self, **kwargs: Any) -> str:
        return self.teams.issuer.token(app_id=APP_ID, service_url=self.teams.service_url, **kwargs)

    async def post(self, activity: dict[str, Any], token: str | None = "valid") -> int:
        headers = {"Content-Type": "application/json"}
        if token == "valid":
            headers |= auth_header(self.token())
        elif token is not None:
            headers |= auth_header(token)
        async with self.http.post(f"{self.url}/api/messages", data=json.dumps(activity), headers=headers) as response:
            return response.status

    def message(self, text: str | None, **kwargs: Any) -> dict[str, Any]:
        return message_activity(text, service_url=self.teams.service_url, app_id=APP_ID, **kwargs)

    async def say(self, text: str | None, **kwargs: Any) -> None:
        """One message, processed to the end (replies sent) before returning."""
        assert await self.post(self.message(text, **kwargs)) == 202
        await self.drain()

    async def drain(self) -> None:
        teams_app = self.service.teams
        assert teams_app is not None
        for _ in range(1000):
            if not await teams_app.inbox.waiting() and not teams_app._processing:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("Teams activities were still waiting to be processed")

    def texts(self) -> list[str]:
        return self.teams.sent_texts()

    def cards(self) -> list[dict[str, Any]]:
        found = []
        for activity in self.teams.sent_activities():
            for attachment in activity.get("attachments") or []:
                if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    found.append(attachment["content"])
        return found


def teams_settings(teams: TeamsStandIn, **overrides: Any) -> TeamsSettings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "tenant_id": TENANT,
        "app_password": "test-secret",
        "jwks_url": teams.jwks_url,
        "allow_loopback_service_url": True,
        "service_url": teams.service_url,
    }
    values.update(overrides)
    return TeamsSettings(**values)


def candor_settings(redis_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "data_dir": data_dir,
        "redis_prefix": f"tms-{uuid.uuid4().hex[:10]}",
        "answer_window_seconds": 0,
        "pseudonym_key": "test-key",
    }
    values.update(overrides)
    return Settings(**values)


def isolate_sdk(monkeypatch: pytest.MonkeyPatch, teams: TeamsStandIn) -> None:
    """The SDK keeps its key URL and key cache process-wide: restore the one and renew the other per test."""
    monkeypatch.setitem(_entra_issuers.BOTFRAMEWORK_JWKS_URIS, BOTFRAMEWORK_ISSUER, teams.jwks_url)
    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", type(JwtTokenValidator._jwk_client_manager)())


async def open_env(
    teams: TeamsStandIn, settings: Settings, config: TeamsSettings, slack: SlackSettings | None = None
) -> TeamsEnv:
    service = await open_service(settings, slack, config, teams_token_provider=StaticTokenProvider)
    server = await start_server(service.web_app, "127.0.0.1", 0)
    return TeamsEnv(teams, service, server, aiohttp.ClientSession(), settings)


async def close_env(env: TeamsEnv) -> None:
    await env.http.close()
    await env.server.close()
    client = aioredis.from_url(env.settings.redis_url or "")
    keys = [key async for key in client.scan_iter(f"{env.settings.redis_prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()
    await env.service.close()


async def running(teams: TeamsStandIn, settings: Settings, config: TeamsSettings) -> AsyncIterator[TeamsEnv]:
    env = await open_env(teams, settings, config)
    try:
        yield env
    finally:
        await close_env(env)
