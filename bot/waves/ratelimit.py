"""One rate limit shared by every worker process: GCRA in a Lua script, timed by the Redis server's clock.

Each bucket is one Redis hash under ``<prefix>:<bucket key>`` with two fields, in microseconds of
Redis ``TIME``: ``tat`` (the GCRA theoretical arrival time) and ``pen`` (the end of a penalty set
after a 429). Deciding and recording a grant is one script call, so any number of processes can
share a bucket without locks, and their own clocks never matter. A bucket's key expires once it is
as good as new (full and unpenalised), so idle buckets cost nothing.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, fields, replace

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import CandorError, ConfigError, StoreUnavailable

MICROS = 1_000_000
# A penalised bucket's key outlives the penalty by this much, so the first request after it still
# finds the bucket empty (and not, because the key expired, full): then the workers resume at the
# plain rate instead of firing a whole burst the moment Retry-After ends.
PENALTY_MEMORY_MS = 3_600_000

# KEYS: the bucket hash. ARGV: emission interval (µs), burst.
# Returns {granted 1|0, µs to wait before a retry can succeed, server time µs}.
# Numbers are written with %.0f: Lua would otherwise turn 1.8e15 into "1.8e+15" and lose digits.
ATTEMPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'pen')
local pen = tonumber(state[2]) or 0
local tolerance = (burst - 1) * interval
-- after a penalty the bucket restarts empty: one request when it ends, then the plain rate
local tat = math.max(tonumber(state[1]) or now, now, pen + tolerance)
local allow_at = tat - tolerance
if now < allow_at then return {0, allow_at - now, now} end
tat = tat + interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((math.max(tat, pen) - now) / 1000)))
return {1, 0, now}
"""

# KEYS: the bucket hash. ARGV: emission interval (µs), burst, the longest wait accepted (µs; -1: any).
# Like ATTEMPT, but a request that may go within the wait takes the next free slot now, so waiters queue
# in Redis instead of all polling for the same slot. Returns {reserved 1|0, µs until the slot, server time µs}.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval, burst, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tat', 'pen')
local pen = tonumber(state[2]) or 0
local tolerance = (burst - 1) * interval
local tat = math.max(tonumber(state[1]) or now, now, pen + tolerance)
local wait = math.max(tat - tolerance - now, 0)
if max_wait >= 0 and wait > max_wait then return {0, wait, now} end
tat = tat + interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((math.max(tat, pen) - now) / 1000)))
return {1, wait, now}
"""

# KEYS: the bucket hash. ARGV: retry-after (µs), how long to remember the penalty after it ends (ms).
# Returns {µs since the epoch until which the bucket is closed, server time µs}.
PENALIZE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tat', 'pen')
local pen = math.max(tonumber(state[2]) or 0, now + tonumber(ARGV[1]))
redis.call('HSET', KEYS[1], 'pen', string.format('%.0f', pen))
local last = math.max(pen, tonumber(state[1]) or 0)
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((last - now) / 1000) + tonumber(ARGV[2])))
return {pen, now}
"""


class RateLimited(CandorError):
    """Waiting for the bucket would take longer than the caller allowed; try again after ``retry_after``."""

    def __init__(self, bucket_key: str, retry_after: float) -> None:
        super().__init__(f"rate limit bucket {bucket_key!r} has no room for {retry_after:.1f} s")
        self.bucket_key = bucket_key
        self.retry_after = retry_after


def _check(rate: float, burst: int) -> None:
    if not (rate > 0 and math.isfinite(rate)):
        raise ConfigError(f"rate {rate!r} must be a positive number of requests per second")
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        raise ConfigError(f"burst {burst!r} must be a whole number of at least 1")


@dataclass(frozen=True, slots=True)
class Limit:
    """A sustained rate (requests per second) and how many requests an idle bucket lets through at once."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        _check(self.rate, self.burst)

    @classmethod
    def parse(cls, text: str) -> Limit:
        """Parse ``"50/min"``, ``"1/s burst 3"`` or ``"1800/h burst 7"`` (burst defaults to 1)."""
        match = _LIMIT.fullmatch(text.strip().lower())
        if match is None:
            raise ConfigError(
                f"rate limit {text!r} is not COUNT/UNIT [burst N]: write for example 50/min, 1/s burst 3 or 1800/h"
            )
        count, unit, burst = float(match.group(1)), match.group(2), int(match.group(3) or 1)
        if count <= 0 or burst < 1:
            raise ConfigError(f"rate limit {text!r} must allow at least one request: write for example 50/min")
        return cls(count / _PER[unit], burst)


_PER = {"s": 1.0, "sec": 1.0, "min": 60.0, "h": 3600.0, "hour": 3600.0}
_LIMIT = re.compile(r"(\d+(?:\.\d+)?)\s*/\s*(s|sec|min|h|hour)(?:\s*,?\s*burst\s+(\d+))?")


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-bucket limits, a little under what Slack and Microsoft publish; override any by name.

    Slack counts per method, per workspace, per app; Teams per app per tenant, and per conversation.
    """

    # Slack Tier 3: "50+ per minute", sporadic bursts welcome. One bucket per workspace.
    # 4% under: calls reach Slack a few milliseconds apart from when they were paced, and a strict
    # window of 50 then sometimes sees 51 (benchmarks/waves.py: about 1% 429s at exactly 50/min).
    slack_conversations_open: Limit = Limit(48 / 60, 5)
    slack_users_lookup_by_email: Limit = Limit(48 / 60, 5)
    # Slack Tier 4: "100+ per minute".
    slack_users_info: Limit = Limit(96 / 60, 10)
    # Slack special tier: about one message per second per channel, short bursts allowed...
    slack_post_message_channel: Limit = Limit(1.0, 3)
    # ...plus a workspace-wide cap Slack does not publish: kept conservative, raise it if measured.
    slack_post_message_workspace: Limit = Limit(100 / 60, 10)
    # Teams: per app per tenant (30 RPS in our notes; Microsoft has also stated 50).
    teams_tenant: Limit = Limit(30.0, 30)
    # Teams, per bot per conversation: 7 per 1 s, 8 per 2 s, 60 per 30 s, 1800 per hour. A burst of
    # 7 then a rate that keeps the hour under 1800 satisfies all four.
    teams_conversation: Limit = Limit((1800 - 7) / 3600, 7)

    @classmethod
    def from_setting(cls, text: str) -> Limits:
        """``CANDOR_RATE_LIMITS``: ``name=limit`` pairs separated by semicolons; empty keeps the defaults."""
        overrides: dict[str, str | Limit] = {}
        for part in (piece.strip() for piece in text.split(";")):
            if not part:
                continue
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise ConfigError(f"CANDOR_RATE_LIMITS: {part!r} is not name=limit, e.g. slack_users_info=80/min")
            overrides[name.strip()] = value.strip()
        return cls().overridden(overrides)

    def overridden(self, overrides: Mapping[str, str | Limit]) -> Limits:
        """A copy with some limits replaced, by field name, from ``Limit`` values or strings like ``"40/min"``."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigError(f"unknown rate limit {', '.join(unknown)}: the known ones are {', '.join(sorted(known))}")
        changes = {name: value if isinstance(value, Limit) else Limit.parse(value) for name, value in overrides.items()}
        return replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Decision:
    """One attempt's outcome; ``at`` is the Redis server time of the decision, in seconds since the epoch."""

    granted: bool
    retry_after: float
    at: float


def bucket_key(platform: str, method: str, scope: str) -> str:
    """``platform:method:scope``. Scope is opaque here: a team or tenant id, or a keyed hash for a channel."""
    for name, part in (("platform", platform), ("method", method), ("scope", scope)):
        if not part:
            raise ConfigError(f"rate limit bucket needs a {name}")
    return f"{platform}:{method}:{scope}"


class RateLimiter:
    """Shares each bucket's budget across every process using the same Redis and prefix."""

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "candor:rl",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self._sleep = sleep
        self._attempt = client.register_script(ATTEMPT)
        self._penalize = client.register_script(PENALIZE)
        self._reserve = client.register_script(RESERVE)

    def key(self, bucket_key: str) -> str:
        return f"{self.prefix}:{bucket_key}"

    async def _run(self, script: AsyncScript, bucket_key: str, *args: int) -> list[int]:
        try:
            result: list[int] = await script(keys=[self.key(bucket_key)], args=list(args))
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"cannot reach Redis for rate limit {bucket_key!r}: {exc}") from None
        return result

    async def attempt(self, bucket_key: str, rate: float, burst: int) -> Decision:
        """Take one request's room if there is some now; otherwise say how long until there may be.

        A refusal reserves nothing, so a penalty set meanwhile applies to the retry as well.
        """
        _check(rate, burst)
        interval = math.ceil(MICROS / rate)  # rounded up: never faster than asked
        granted, wait, now = await self._run(self._attempt, bucket_key, interval, burst)
        return Decision(granted == 1, wait / MICROS, now / MICROS)

    async def try_acquire(self, bucket_key: str, rate: float, burst: int) -> float:
        """0.0 when a request may go now (its room is taken); else seconds to wait before trying again."""
        return (await self.attempt(bucket_key, rate, burst)).retry_after

    async def acquire(self, bucket_key: str, rate: float, burst: int, *, max_wait: float | None = None) -> float:
        """Wait until a request may go, and return how long that took.

        One script call reserves the next free slot, then the caller sleeps until it: waiters queue
        instead of all polling Redis for the same slot, and each gets its turn on time. A penalty set
        while one sleeps still holds: the slot is given up and a later one reserved. With ``max_wait``,
        raises ``RateLimited`` instead of waiting longer, so a job can be deferred rather than hold a worker.
        """
        _check(rate, burst)
        interval = math.ceil(MICROS / rate)
        waited = 0.0
        while True:
            left = -1 if max_wait is None else max(0, math.floor((max_wait - waited) * MICROS))
            reserved, wait, now = await self._run(self._reserve, bucket_key, interval, burst, left)
            if not reserved:
                raise RateLimited(bucket_key, wait / MICROS)
            if wait <= 0:
                return waited
            await self._sleep(wait / MICROS)
            waited += wait / MICROS
            if not await self._penalized_at(bucket_key, now + wait):
                return waited

    async def _penalized_at(self, bucket_key: str, slot: int) -> bool:
        """Whether a 429 since the reservation closed the bucket past the reserved slot (Redis µs)."""
        try:
            pen = await self.client.hget(self.key(bucket_key), "pen")
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"cannot reach Redis for rate limit {bucket_key!r}: {exc}") from None
        return pen is not None and int(pen) > slot

    async def penalize(self, bucket_key: str, retry_after_seconds: float) -> float:
        """After a 429: close the bucket for everyone until Retry-After has passed.

        Returns the Redis time (epoch seconds) the bucket reopens. After that it starts empty, so
        the workers resume at the plain rate instead of all bursting at once.
        """
        if not (retry_after_seconds >= 0 and math.isfinite(retry_after_seconds)):
            raise ConfigError(f"retry-after {retry_after_seconds!r} must be a non-negative number of seconds")
        retry_after = math.ceil(retry_after_seconds * MICROS)
        until, _now = await self._run(self._penalize, bucket_key, retry_after, PENALTY_MEMORY_MS)
        return until / MICROS
