"""Web API clients: one per workspace token, all pointed at SLACK_API_BASE_URL and retrying 429s."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackSettings

log = logging.getLogger(__name__)


def web_client(settings: SlackSettings, token: str | None, session: aiohttp.ClientSession | None) -> AsyncWebClient:
    # One shared HTTP session keeps connections to Slack open; without it slack_sdk opens (and
    # closes) a new connection for every call.
    client = AsyncWebClient(token=token, base_url=settings.api_base_url, session=session)
    # Slack answers 429 with Retry-After; the SDK's handler sleeps that long and tries again.
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
    return client


class WebClients:
    """Finds the bot token for a workspace: the single SLACK_BOT_TOKEN, or the OAuth installation."""

    def __init__(self, settings: SlackSettings, installations: AsyncInstallationStore | None) -> None:
        self.settings = settings
        self.installations = installations
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        token = settings.bot_token.get_secret_value() if settings.bot_token else None
        self.default = web_client(settings, token, self.session)
        self._by_team: dict[str, AsyncWebClient] = {}

    async def for_team(self, team_id: str | None, enterprise_id: str | None = None) -> AsyncWebClient | None:
        if self.installations is None:
            return self.default
        key = f"{enterprise_id}:{team_id}"
        bot = await self.installations.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None or not bot.bot_token:
            self._by_team.pop(key, None)
            log.warning("no installation for a workspace that sent an event; was the app uninstalled?")
            return None
        cached = self._by_team.get(key)
        if cached is None or cached.token != bot.bot_token:
            cached = self._by_team[key] = web_client(self.settings, bot.bot_token, self.session)
        return cached

    async def close(self) -> None:
        await self.session.close()
