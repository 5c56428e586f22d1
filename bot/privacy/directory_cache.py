"""The workspace directory, cached per workspace in Redis so every process shares one copy.

Listing a workspace's people (Slack users.list, a Teams roster) costs many API calls, so one
process loads it and stores it compressed under ``<prefix>:dir:<platform>:<workspace>`` with a
TTL; the others read that copy. When the copy is older than the refresh age, one process (the
one that wins a short ``SET NX EX`` lock) loads it again in the background while everyone keeps
using the old copy. Each process also keeps the decoded copy in memory and only asks Redis
whether the stamp changed every few seconds, so a message does not pay a read and a decompress.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.errors import CandorError
from bot.privacy.directory import Directory, Person

log = logging.getLogger(__name__)

Loader = Callable[[], Awaitable[Iterable[Person]]]

DEFAULT_TTL_SECONDS = 6 * 3600
DEFAULT_REFRESH_SECONDS = 3600
DEFAULT_RECHECK_SECONDS = 30.0
# Long enough for users.list of a big workspace; after a failed load it also spaces out the retries.
DEFAULT_LOCK_SECONDS = 120
# How long a first load waits for another process's load before loading itself.
FIRST_LOAD_WAIT_SECONDS = 10.0
_POLL_SECONDS = 0.1
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class DirectoryUnavailable(CandorError):
    """A loader could not list the workspace's people; the message is a reason code, never a name."""


@dataclass(frozen=True, slots=True)
class _Copy:
    stamp: float  # when the people were loaded (wall clock, shared by all processes)
    checked: float  # when this process last compared the stamp with Redis
    directory: Directory


class DirectoryCache:
    """One platform's directories, keyed by workspace (Slack team, Teams tenant)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        platform: str,
        *,
        ttl_seconds: int = DEFAULT_TTL_SECONDS,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        recheck_seconds: float = DEFAULT_RECHECK_SECONDS,
        lock_seconds: int = DEFAULT_LOCK_SECONDS,
        first_load_wait: float = FIRST_LOAD_WAIT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if refresh_seconds >= ttl_seconds:
            raise ValueError("the refresh age must be shorter than the TTL, or the copy expires before it is renewed")
        self._redis = redis
        self._prefix = f"{prefix}:dir:{platform}"
        self.ttl_seconds = ttl_seconds
        self.refresh_seconds = refresh_seconds
        self.recheck_seconds = recheck_seconds
        self.lock_seconds = lock_seconds
        self.first_load_wait = first_load_wait
        self._clock = clock
        self._local: dict[str, _Copy] = {}
        self._first_loads: dict[str, asyncio.Task[_Copy | None]] = {}
        self._refreshing: dict[str, asyncio.Task[None]] = {}
        # After a refresh attempt that did nothing (lock held elsewhere, or the load failed), this
        # process waits this long before trying again, so a failing API is not called per message.
        self._not_before: dict[str, float] = {}

    def key(self, workspace: str) -> str:
        return f"{self._prefix}:{workspace}"

    def _lock_key(self, workspace: str) -> str:
        return f"{self._prefix}:{workspace}:lock"

    async def get(self, workspace: str, loader: Loader) -> Directory | None:
        """The workspace's directory: from memory, else Redis, else loaded now. None while it cannot be loaded."""
        now = self._clock()
        copy = self._local.get(workspace)
        if copy is None or now - copy.checked >= self.recheck_seconds:
            copy = await self._read(workspace, copy, now)
        if copy is None:
            if now < self._not_before.get(workspace, 0.0):
                return None  # the last load failed a moment ago: don't make every message wait for another
            copy = await self._first_load(workspace, loader)
            return copy.directory if copy is not None else None
        if now - copy.stamp >= self.refresh_seconds:
            self._start_refresh(workspace, loader, now)
        return copy.directory

    async def settle(self, workspace: str) -> None:
        """Wait for a background refresh of this workspace, for loaders that only work while a request lasts."""
        task = self._refreshing.get(workspace)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def close(self) -> None:
        tasks = [*self._refreshing.values(), *self._first_loads.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- reading -------------------------------------------------------------------------------

    async def _read(self, workspace: str, copy: _Copy | None, now: float) -> _Copy | None:
        """The Redis copy when its stamp differs from ours; ours when it is the same or Redis has none."""
        try:
            raw_stamp = await self._redis.hget(self.key(workspace), "stamp")
            if raw_stamp is None:
                return copy  # expired or never stored: keep what this process has, a refresh follows
            stamp = float(raw_stamp)
            if copy is not None and stamp == copy.stamp:
                fresh = _Copy(copy.stamp, now, copy.directory)
            else:
                blob = await self._redis.hget(self.key(workspace), "people")
                fresh = _Copy(stamp, now, Directory(_decode(blob)))
        except RedisError as exc:
            log.warning("could not read a cached directory from Redis (%s); using this process's copy", _why(exc))
            return copy
        except (ValueError, TypeError, zlib.error):
            log.warning("a cached directory in Redis is unreadable; it is loaded again")
            return copy
        self._local[workspace] = fresh
        return fresh

    # -- loading -------------------------------------------------------------------------------

    async def _first_load(self, workspace: str, loader: Loader) -> _Copy | None:
        """Nothing cached anywhere: load it now (one load per workspace and process)."""
        task = self._first_loads.get(workspace)
        if task is None:
            task = asyncio.ensure_future(self._load_first(workspace, loader))
            self._first_loads[workspace] = task
            task.add_done_callback(lambda _: self._first_loads.pop(workspace, None))
        return await asyncio.shield(task)

    async def _load_first(self, workspace: str, loader: Loader) -> _Copy | None:
        token = await self._lock(workspace)
        if token is None:
            # Another process is loading it: wait a little for its copy rather than list the workspace twice.
            deadline = time.monotonic() + self.first_load_wait
            while time.monotonic() < deadline:
                await asyncio.sleep(_POLL_SECONDS)
                copy = await self._read(workspace, None, self._clock())
                if copy is not None:
                    return copy
        copy = await self._load(workspace, loader, token)
        if copy is None:
            self._not_before[workspace] = self._clock() + self.recheck_seconds
            if token is not None:
                await self._unlock(workspace, token)  # nothing is cached: let any process try again soon
        return copy

    def _start_refresh(self, workspace: str, loader: Loader, now: float) -> None:
        if workspace in self._refreshing or now < self._not_before.get(workspace, 0.0):
            return
        self._not_before[workspace] = now + self.recheck_seconds
        task = asyncio.ensure_future(self._refresh(workspace, loader))
        self._refreshing[workspace] = task
        task.add_done_callback(lambda _: self._refreshing.pop(workspace, None))

    async def _refresh(self, workspace: str, loader: Loader) -> None:
        token = await self._lock(workspace)
        if token is None:
            return  # another process refreshes it; this one keeps the copy it has
        current = await self._read(workspace, self._local.get(workspace), self._clock())
        if current is not None and self._clock() - current.stamp < self.refresh_seconds:
            await self._unlock(workspace, token)  # refreshed elsewhere meanwhile
            return
        await self._load(workspace, loader, token)

    async def _load(self, workspace: str, loader: Loader, token: str | None) -> _Copy | None:
        """Call the loader and store its people. A failure keeps the lock until it expires, as a back-off."""
        try:
            people = [person for person in await loader() if person.names]
        except Exception as exc:
            log.warning(
                "could not list a workspace's people (%s); colleagues' names are redacted from the cached copy, "
                "if any, until it works",
                _why(exc),
            )
            return None
        stamp = self._clock()
        copy = _Copy(stamp, stamp, Directory(people))
        self._local[workspace] = copy
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(self.key(workspace), mapping={"stamp": repr(stamp), "people": _encode(people)})
                pipe.expire(self.key(workspace), self.ttl_seconds)
                await pipe.execute()
            if token is not None:
                await self._unlock(workspace, token)
        except RedisError as exc:
            log.warning("could not store a workspace directory in Redis (%s); kept in this process", _why(exc))
        return copy

    async def _lock(self, workspace: str) -> str | None:
        """A token when this process may load the workspace now; None while another one does."""
        token = uuid.uuid4().hex
        try:
            taken = await self._redis.set(self._lock_key(workspace), token, nx=True, ex=self.lock_seconds)
        except RedisError as exc:
            log.warning("could not take the directory lock in Redis (%s); loading without it", _why(exc))
            return token
        return token if taken else None

    async def _unlock(self, workspace: str, token: str) -> None:
        with contextlib.suppress(RedisError):
            await self._redis.eval(_RELEASE, 1, self._lock_key(workspace), token)


def _encode(people: Iterable[Person]) -> bytes:
    """Only the name tuples, as compact JSON, compressed: a 10,000-person workspace fits in a few hundred KB."""
    raw = json.dumps([list(person.names) for person in people], ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(raw.encode(), 6)


def _decode(blob: bytes | str | None) -> list[Person]:
    if not isinstance(blob, bytes):
        raise ValueError("no people stored")
    rows = json.loads(zlib.decompress(blob))
    if not isinstance(rows, list):
        raise ValueError("not a list of people")
    return [Person(tuple(str(name) for name in row)) for row in rows if isinstance(row, list)]


def _why(exc: BaseException) -> str:
    """A reason for the log: our own reason codes, else the exception's type (its text may quote data)."""
    return str(exc) if isinstance(exc, DirectoryUnavailable) else type(exc).__name__
