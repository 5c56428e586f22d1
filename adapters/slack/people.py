"""Who a Slack user is (looked up once per process, never stored), and who works in the workspace (cached in Redis).

Names to redact, the title to redact from their own answers, the time zone for waves.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import CandorError
from bot.privacy.directory import Directory, Person
from bot.privacy.directory_cache import DirectoryCache, DirectoryUnavailable
from bot.types import Participant, Platform

log = logging.getLogger(__name__)
K = TypeVar("K")
V = TypeVar("V")
CACHE_SECONDS = 3600
CACHE_SIZE = 10_000


_USER_ID = re.compile(r"[UW][A-Z0-9]{6,}")
_TRANSIENT = frozenset({"ratelimited", "internal_error", "fatal_error", "request_timeout", "service_unavailable"})


class LookupFailed(CandorError):
    """Slack would not say who a user is; going on would store their name unredacted."""


@dataclass(frozen=True, slots=True)
class Profile:
    names: tuple[str, ...]
    timezone: str | None
    # Their title: redacted from their own answers only (Participant.context).
    context: tuple[str, ...] = ()


class People:
    def __init__(self, directories: DirectoryCache) -> None:
        self._cache: OrderedDict[tuple[str, str, bool], tuple[float, Profile]] = OrderedDict()
        self._dm_channels: OrderedDict[tuple[str, str], str] = OrderedDict()
        self.directories = directories

    async def directory(self, client: AsyncWebClient, team_id: str) -> Directory | None:
        """The workspace's people (users.list), so colleagues' names are redacted too.

        Shared by all processes through Redis and refreshed in the background (bot/privacy/directory_cache.py).
        None while it cannot be read (the message still gets pattern redaction).
        """

        async def load() -> list[Person]:
            return await _list_people(client)

        return await self.directories.get(team_id, load)

    async def profile(self, client: AsyncWebClient, team_id: str, user_id: str, colleagues: bool = True) -> Profile:
        """Their names and title; with ``colleagues``, also the names of colleagues their profile links (a manager)."""
        cached = self._cache.get((team_id, user_id, colleagues))
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
        names = list(_names_of(user))
        if colleagues:
            for colleague in _user_fields(profile, user_id):
                try:
                    names += (await self.profile(client, team_id, colleague, colleagues=False)).names
                except LookupFailed:
                    log.warning("users.info failed for a colleague named in a profile; the directory still applies")
        title = profile.get("title")
        context = (title.strip(),) if isinstance(title, str) and title.strip() else ()
        found = Profile(tuple(dict.fromkeys(names)), user.get("tz"), context)
        _remember(self._cache, (team_id, user_id, colleagues), (time.monotonic(), found))
        return found

    async def participant(self, client: AsyncWebClient, team_id: str, user_id: str) -> Participant:
        profile = await self.profile(client, team_id, user_id)
        return Participant(Platform.SLACK, team_id, user_id, profile.names, profile.context)

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


async def _list_people(client: AsyncWebClient) -> list[Person]:
    """Every active person of the workspace (users.list, paged); deleted users and bots are left out."""
    people: list[Person] = []
    cursor = ""
    try:
        for _ in range(500):  # 500 pages of 200: far beyond any workspace
            response = await client.users_list(limit=200, cursor=cursor or None)
            for member in response.get("members") or []:
                if not member.get("deleted") and not member.get("is_bot") and member.get("id") != "USLACKBOT":
                    people.append(Person(_names_of(member)))
            cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or ""
            if not cursor:
                break
    except SlackApiError as exc:
        raise DirectoryUnavailable(f"users.list: {exc.response.get('error')}") from None
    return people


def _names_of(user: dict[str, Any]) -> tuple[str, ...]:
    """Handle, real and display names, given and family name, and the e-mail's local part.

    The whole address is left out: the e-mail pattern finds it, and its domain words ("example", "com")
    would otherwise count as names.
    """
    profile = user.get("profile") or {}
    email = profile.get("email")
    local = email.partition("@")[0] if isinstance(email, str) else None
    candidates = (
        user.get("name"),
        user.get("real_name"),
        profile.get("display_name"),
        profile.get("real_name"),
        profile.get("first_name"),
        profile.get("last_name"),
        local,
    )
    return tuple(dict.fromkeys(n.strip() for n in candidates if isinstance(n, str) and n.strip()))


def _user_fields(profile: dict[str, Any], user_id: str) -> list[str]:
    """Colleagues named in custom profile fields of type user (Manager): their ids, when Slack includes them."""
    fields = profile.get("fields")
    if not isinstance(fields, dict):
        return []
    found = []
    for field in fields.values():
        value = field.get("value") if isinstance(field, dict) else None
        if isinstance(value, str) and _USER_ID.fullmatch(value) and value != user_id:
            found.append(value)
    return found[:3]


def _remember(cache: OrderedDict[K, V], key: K, value: V) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
