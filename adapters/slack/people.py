"""Who a Slack user is, looked up once per process (never stored): names to redact, time zone for waves."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.types import Participant, Platform

log = logging.getLogger(__name__)
CACHE_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class Profile:
    names: tuple[str, ...]
    timezone: str | None


class People:
    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], tuple[float, Profile]] = {}
        self._dm_channels: dict[tuple[str, str], str] = {}

    async def profile(self, client: AsyncWebClient, team_id: str, user_id: str) -> Profile:
        cached = self._cache.get((team_id, user_id))
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
            return Profile((), None)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        candidates = (user.get("name"), user.get("real_name"), profile.get("display_name"), profile.get("real_name"))
        found = Profile(tuple(dict.fromkeys(n for n in candidates if isinstance(n, str) and n.strip())), user.get("tz"))
        self._cache[(team_id, user_id)] = (time.monotonic(), found)
        return found

    async def participant(self, client: AsyncWebClient, team_id: str, user_id: str) -> Participant:
        profile = await self.profile(client, team_id, user_id)
        return Participant(Platform.SLACK, team_id, user_id, profile.names)

    async def dm_channel(self, client: AsyncWebClient, team_id: str, user_id: str) -> str:
        """The DM between the bot and this user, opened once and remembered."""
        key = (team_id, user_id)
        if key not in self._dm_channels:
            response = await client.conversations_open(users=user_id)
            self._dm_channels[key] = response["channel"]["id"]
        return self._dm_channels[key]

    def remember_dm(self, team_id: str, user_id: str, channel_id: str) -> None:
        self._dm_channels[(team_id, user_id)] = channel_id
