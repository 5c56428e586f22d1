"""Who works in a Teams tenant, from the Bot Connector's member lists, for directory-aware redaction.

A personal chat's member list holds only the participant, so the roster is read from the teams the
app is installed in: their ids are remembered (per tenant, in Redis) from any activity that comes
from a team, and each team's members are paged through with continuation tokens.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.privacy.directory import Person
from bot.privacy.directory_cache import DirectoryUnavailable

log = logging.getLogger(__name__)
PAGE_SIZE = 500
MAX_PAGES = 400
MAX_TEAMS = 50
# A team's id stays useful as long as the app is installed there; renewed on every activity from it.
TEAM_TTL_SECONDS = 90 * 86400
# Profile fields Graph and some connector responses carry; redacted from the participant's own answers.
CONTEXT_FIELDS = ("jobTitle", "department", "officeLocation")


class Rosters:
    """The teams of each tenant (by id) whose members make up the tenant's directory."""

    def __init__(self, redis: aioredis.Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = f"{prefix}:teams:rosters"

    async def remember(self, tenant: str, team_id: str) -> None:
        key = f"{self._prefix}:{tenant}"
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(key, team_id)
                pipe.expire(key, TEAM_TTL_SECONDS)
                await pipe.execute()
        except RedisError as exc:
            log.warning("could not remember a team for the directory (%s)", type(exc).__name__)

    async def teams(self, tenant: str) -> list[str]:
        members = await self._redis.smembers(f"{self._prefix}:{tenant}")
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)[:MAX_TEAMS]


async def load_people(client: Any, conversations: list[str]) -> list[Person]:
    """Every member of these conversations or teams (paged), each person once; bots left out.

    A team the app was removed from answers 403 or 404 and is skipped; any other failure fails the
    load, so a half-read roster never replaces a whole one.
    """
    seen: set[str] = set()
    people: list[Person] = []
    gone = 0
    for conversation in conversations:
        try:
            await _page_through(client, conversation, seen, people)
        except aiohttp.ClientResponseError as exc:
            if exc.status not in (403, 404):
                raise DirectoryUnavailable(f"Teams roster: HTTP {exc.status}") from None
            gone += 1
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DirectoryUnavailable(f"Teams roster: {type(exc).__name__}") from None
    if conversations and gone == len(conversations):
        raise DirectoryUnavailable("Teams roster: no team or chat would list its members (HTTP 403/404)")
    if gone:
        log.warning("%d team(s) would not list their members (the app was removed?); skipped", gone)
    return people


async def _page_through(client: Any, conversation: str, seen: set[str], people: list[Person]) -> None:
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await client.get_conversation_paged_member(conversation, PAGE_SIZE, token)
        for member in page.members or []:
            if not member.id or member.id in seen or str(member.id).startswith("28:"):
                continue
            seen.add(member.id)
            people.append(Person(member_names(member)))
        token = page.continuation_token
        if not token:
            return


def member_names(member: Any) -> tuple[str, ...]:
    """Display name, given name, surname, and the local parts of e-mail and UPN (the domain is no name)."""
    names = [getattr(member, attr, None) for attr in ("name", "given_name", "surname")]
    for attr in ("email", "user_principal_name"):
        address = getattr(member, attr, None)
        if isinstance(address, str) and "@" in address:
            names.append(address.partition("@")[0])
    return tuple(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))


def member_context(member: Any) -> tuple[str, ...]:
    """Title, department and office, when the member record carries them."""
    extra = getattr(member, "model_extra", None) or {}
    values = [extra.get(field) for field in CONTEXT_FIELDS]
    return tuple(dict.fromkeys(v.strip() for v in values if isinstance(v, str) and v.strip()))
