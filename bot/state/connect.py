"""Connecting to Redis from a URL: plain (``redis://``), TLS (``rediss://``), a unix socket, or Sentinel.

``redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/SERVICE[/DB]`` (``rediss+sentinel://`` for TLS)
asks the sentinels which server is the master of ``SERVICE`` and asks again after a failover, so a
deployment keeps going when its master is replaced. The password, if any, is the data servers' and
the sentinels'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel

from bot.errors import ConfigError

SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")


@dataclass(frozen=True, slots=True)
class SentinelTarget:
    hosts: tuple[tuple[str, int], ...]
    service: str
    db: int
    password: str | None
    tls: bool


def is_sentinel(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SENTINEL_SCHEMES


def parse_sentinel(url: str) -> SentinelTarget:
    """The sentinels, the service name and the database; a precise error for a URL that names none."""
    parts = urlsplit(url)
    shown = f"{parts.scheme}://…@{parts.netloc.rpartition('@')[2]}{parts.path}"
    hosts: list[tuple[str, int]] = []
    for item in parts.netloc.rpartition("@")[2].split(","):
        host, _, port = item.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"REDIS_URL {shown}: write each sentinel as HOST:PORT, e.g. 10.0.0.5:26379")
        hosts.append((host.strip("[]"), int(port)))
    path = [piece for piece in parts.path.split("/") if piece]
    if not path:
        raise ConfigError(f"REDIS_URL {shown}: name the Sentinel service after the hosts, e.g. /mymaster")
    if len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ConfigError(f"REDIS_URL {shown}: the path is /SERVICE or /SERVICE/DB (a number)")
    password = unquote(parts.password) if parts.password else None
    return SentinelTarget(
        tuple(hosts), path[0], int(path[1]) if len(path) == 2 else 0, password, parts.scheme.startswith("rediss")
    )


def redis_client(url: str, **options: Any) -> aioredis.Redis:
    """An asyncio client for any supported URL; ``options`` are connection settings (timeouts, pool size)."""
    if not is_sentinel(url):
        return aioredis.Redis.from_url(url, **options)
    target = parse_sentinel(url)
    auth = {"password": target.password} if target.password else {}
    sentinel = AsyncSentinel(  # type: ignore[no-untyped-call]
        list(target.hosts),
        sentinel_kwargs={**auth, "socket_timeout": options.get("socket_connect_timeout", 3)},
        ssl=target.tls,
        **auth,
    )
    kept = {k: v for k, v in options.items() if k not in ("max_connections", "timeout")}
    client = cast(_SentinelRedis, sentinel.master_for(target.service, redis_class=_SentinelRedis, db=target.db, **kept))
    client.sentinels = list(sentinel.sentinels)
    return client


class _SentinelRedis(aioredis.Redis):
    """The master's client, which also closes its connections to the sentinels when it is closed."""

    sentinels: list[aioredis.Redis]

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        for sentinel in getattr(self, "sentinels", []):
            await sentinel.aclose()


def sync_client(url: str, timeout: float) -> redis.Redis:
    """A blocking client, for the health check."""
    if not is_sentinel(url):
        return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    target = parse_sentinel(url)
    auth = {"password": target.password} if target.password else {}
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.hosts), sentinel_kwargs={**auth, "socket_timeout": timeout}, socket_timeout=timeout, **auth
    )
    master = sentinel.master_for(target.service, db=target.db, ssl=target.tls)  # type: ignore[no-untyped-call]
    return cast(redis.Redis, master)
