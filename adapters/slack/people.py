"""Who a Slack user is, looked up once per process (never stored): names to redact, time zone for waves."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CandorError
from bot.privacy.directory import Directory, Person
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
        self._directories: dict[str, tuple[float, Directory]] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    async def directory(self, client: AsyncWebClient, team_id: str) -> Directory | None:
        """The workspace's people (users.list), so colleagues' names are redacted too.

        Looked up once per workspace and process, then refreshed in the background every hour;
        kept in memory only. None while it cannot be read (the message still gets pattern redaction).
        """
        cached = self._directories.get(team_id)
        if cached is None:
            await self._load_directory(client, team_id)
            cached = self._directories.get(team_id)
        elif time.monotonic() - cached[0] > CACHE_SECONDS and team_id not in self._refreshing:
            task = asyncio.ensure_future(self._load_directory(client, team_id))
            self._refreshing[team_id] = task
            task.add_done_callback(lambda _: self._refreshing.pop(team_id, None))
        return cached[1] if cached else None

    async def _load_directory(self, client: AsyncWebClient, team_id: str) -> None:
        people: list[Person] = []
        cursor = ""
        try:
            for _ in range(500):  # 500 pages of 200: far beyond any workspace
                response = await client.users_list(limit=200, cursor=cursor or None)
                for member in response.get("members") or []:
                    if member.get("deleted") or member.get("is_bot"):
                        continue
                    profile = member.get("profile") or {}
                    names = (
                        member.get("name"),
                        member.get("real_name"),
                        profile.get("display_name"),
                        profile.get("real_name"),
                        profile.get("first_name"),
                        profile.get("last_name"),
                    )
                    people.append(Person(tuple(n for n in names if isinstance(n, str) and n.strip())))
                cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or ""
                if not cursor:
                    break
        except SlackApiError as exc:
            log.warning(
                "users.list failed (%s); colleagues' names are not redacted until it works", exc.response.get("error")
            )
            return
        self._directories[team_id] = (time.monotonic(), Directory(people))

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
