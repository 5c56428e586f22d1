"""Who a Slack user is, looked up once per process (never stored): names to redact, time zone for waves."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CandorError
from bot.types import Participant, Platform

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
CACHE_SECONDS = 3600
CACHE_SIZE = 10_000


_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "request_timeout", "service_unavailable"})


class LookupFailed(CandorError):
    """Slack would not say who a user is; going on would store their name unredacted."""


@dataclass(frozen=True, slots=True)
class Profile:
    names: tuple[str, ...]
    timezone: str | None


class People:
    def __init__(self) -> None:
        self._cache: OrderedDict[tuple[str, str], tuple[float, Profile]] = OrderedDict()
        self._dm_channels: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def profile(self, client: AsyncWebClient, team_id: str, user_id: str) -> Profile:
        cached = self._cache.get((team_id, user_id))
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if cached is not None:
                log.warning("users.info failed (%s); using the names looked up earlier", error)
                return cached[1]
            if exc.response.status_code >= 500 or error in _TRANSIENT:
                raise LookupFailed(f"users.info failed ({error}): the message waits so names can be redacted") from None
            # Asking again would give the same answer (no such user, no scope): go on, and say so.
            log.error("users.info failed (%s): this user's own name cannot be redacted", error)
            return Profile((), None)
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        candidates = (user.get("name"), user.get("real_name"), profile.get("display_name"), profile.get("real_name"))
        found = Profile(tuple(dict.fromkeys(n for n in candidates if isinstance(n, str) and n.strip())), user.get("tz"))
        _remember(self._cache, (team_id, user_id), (time.monotonic(), found))
        return found

    async def participant(self, client: AsyncWebClient, team_id: str, user_id: str) -> Participant:
        profile = await self.profile(client, team_id, user_id)
        return Participant(Platform.SLACK, team_id, user_id, profile.names)

    async def dm_channel(self, client: AsyncWebClient, team_id: str, user_id: str) -> str:
        """The DM between the bot and this user, opened once and remembered."""
        key = (team_id, user_id)
        if key not in self._dm_channels:
            response = await client.conversations_open(users=user_id)
            _remember(self._dm_channels, key, response["channel"]["id"])
        return self._dm_channels[key]

    def known_dm(self, team_id: str, user_id: str) -> str | None:
        return self._dm_channels.get((team_id, user_id))

    def remember_dm(self, team_id: str, user_id: str, channel_id: str) -> None:
        """Only for the channel of a message.im event from this user: that is the bot's DM."""
        _remember(self._dm_channels, (team_id, user_id), channel_id)


def _remember(cache: OrderedDict[K, V], key: K, value: V) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
