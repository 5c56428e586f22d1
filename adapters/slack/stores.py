"""Redis-backed OAuth stores for Bolt: installations per workspace, and one-time OAuth states."""

from __future__ import annotations

import json
import logging
import uuid
from logging import Logger
from typing import Any, cast

import redis.asyncio as aioredis
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore

log = logging.getLogger(__name__)
STATE_SECONDS = 600


def _workspace(enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False) -> str:
    team = "-" if is_enterprise_install else (team_id or "-")
    return f"{enterprise_id or '-'}:{team}"


def _dump(obj: Bot | Installation) -> str:
    return json.dumps({k: v for k, v in obj.__dict__.items() if v is not None}, default=str)


def _load(raw: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(raw)
    return data


# An installation unused for this long (no event, no token lookup) is forgotten: the workspace reinstalls.
INSTALLATION_SECONDS = 400 * 86400


class RedisInstallationStore(AsyncInstallationStore):
    """One hash per workspace: the bot, the latest installation, and per-user installations."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:slack:install"

    @property
    def logger(self) -> Logger:
        return log

    def _key(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False) -> str:
        return f"{self.prefix}:{_workspace(enterprise_id, team_id, is_enterprise_install)}"

    async def async_save(self, installation: Installation) -> None:
        key = self._key(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)
        data = _dump(installation)
        await self._write(key, {"installation": data, f"user:{installation.user_id}": data})
        await self.async_save_bot(installation.to_bot())

    async def async_save_bot(self, bot: Bot) -> None:
        key = self._key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        await self._write(key, {"bot": _dump(bot)})

    async def _write(self, key: str, fields: dict[str, str]) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=cast(Any, fields))  # redis-py types the mapping with invariant keys
            pipe.expire(key, INSTALLATION_SECONDS)
            await pipe.execute()

    async def _read(self, key: str, field: str) -> Any:
        """A workspace that keeps using Candor keeps its installation: every read renews the expiry."""
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.hget(key, field)
            pipe.expire(key, INSTALLATION_SECONDS)
            raw, _ = await pipe.execute()
        return raw

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        raw = await self._read(self._key(enterprise_id, team_id, is_enterprise_install), "bot")
        return Bot(**_load(raw)) if raw else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        field = f"user:{user_id}" if user_id else "installation"
        raw = await self._read(self._key(enterprise_id, team_id, is_enterprise_install), field)
        return Installation(**_load(raw)) if raw else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.client.hdel(self._key(enterprise_id, team_id), "bot")

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        key = self._key(enterprise_id, team_id)
        if user_id:
            await self.client.hdel(key, f"user:{user_id}")
            return
        await self.client.delete(key)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self.client.delete(self._key(enterprise_id, team_id))


class RedisOAuthStateStore(AsyncOAuthStateStore):
    """A state can be consumed once, within ten minutes (GETDEL makes consume atomic)."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:slack:oauth-state"

    @property
    def logger(self) -> Logger:
        return log

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = uuid.uuid4().hex
        await self.client.set(f"{self.prefix}:{state}", "1", ex=STATE_SECONDS)
        return state

    async def async_consume(self, state: str) -> bool:
        return bool(await self.client.getdel(f"{self.prefix}:{state}"))
