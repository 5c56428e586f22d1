"""Which sink failed on which transcript, and how often: what ``candor sinks status`` reports.

One Redis hash per sink, ``<prefix>:sinkfail:<sink name>``, field transcript id, value
``attempts|first failure|last failure|error class``. A field goes when that sink takes the
transcript, or when the transcript leaves Redis (withdrawal).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis


@dataclass(frozen=True, slots=True)
class SinkFailure:
    transcript_id: str
    attempts: int
    first_at: float
    last_at: float
    error: str


class SinkLedger:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, sink: str) -> str:
        return f"{self.prefix}:sinkfail:{sink}"

    async def failed(self, sink: str, transcript_id: str, error: BaseException) -> None:
        now = time.time()
        key = self._key(sink)
        previous = await self.client.hget(key, transcript_id)
        attempts, first = 0, now
        if previous:
            old = _parse(transcript_id, previous)
            attempts, first = old.attempts, old.first_at
        value = f"{attempts + 1}|{first:.3f}|{now:.3f}|{type(error).__name__}"
        await self.client.hset(key, transcript_id, value)

    async def succeeded(self, sink: str, transcript_id: str) -> None:
        await self.client.hdel(self._key(sink), transcript_id)

    async def forget(self, sinks: list[str], transcript_id: str) -> None:
        for sink in sinks:
            await self.succeeded(sink, transcript_id)

    async def failure(self, sink: str, transcript_id: str) -> SinkFailure | None:
        raw = await self.client.hget(self._key(sink), transcript_id)
        return _parse(transcript_id, raw) if raw else None

    async def failures(self, sink: str) -> list[SinkFailure]:
        raw = await self.client.hgetall(self._key(sink))
        found = [_parse(_text(field), value) for field, value in raw.items()]
        return sorted(found, key=lambda failure: failure.first_at)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _parse(transcript_id: str, value: bytes | str) -> SinkFailure:
    attempts, first, last, error = _text(value).split("|", 3)
    return SinkFailure(transcript_id, int(attempts), float(first), float(last), error)
