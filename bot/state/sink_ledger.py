"""Which sink failed on which transcript, and how often: what ``candor sinks status`` reports.

One Redis hash per sink, ``<prefix>:sinkfail:<sink name>``, field transcript id, value
``attempts|first failure|last failure|error class``. A field goes when that sink takes the
transcript, or when the transcript leaves Redis (withdrawal).

While a transcript waits for some sinks, ``<prefix>:sinkdone:<transcript id>`` names the sinks
that already confirmed it, so each sink progresses on its own and a retry never calls them again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis.asyncio as aioredis

# A transcript waiting longer than this for a sink is retried to every sink again (they are idempotent).
DONE_TTL_SECONDS = 90 * 86400


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

    def _done_key(self, transcript_id: str) -> str:
        return f"{self.prefix}:sinkdone:{transcript_id}"

    async def confirmed(self, transcript_id: str) -> set[str]:
        """The sinks that already hold this transcript."""
        return {_text(name) for name in await self.client.hkeys(self._done_key(transcript_id))}

    async def confirm(self, transcript_id: str, sinks: list[str]) -> None:
        """Some sinks took the transcript while another failed: remember who has it."""
        if not sinks:
            return
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self._done_key(transcript_id), mapping={name: 1 for name in sinks})
            pipe.expire(self._done_key(transcript_id), DONE_TTL_SECONDS)
            for sink in sinks:
                pipe.hdel(self._key(sink), transcript_id)
            await pipe.execute()

    async def failed(self, sink: str, transcript_id: str, error: BaseException) -> None:
        now = time.time()
        key = self._key(sink)
        previous = await self.client.hget(key, transcript_id)
        attempts, first = 0, now
        if previous:
            old = _parse(transcript_id, previous)
            attempts, first = old.attempts, old.first_at
        value = f"{attempts + 1}|{first:.3f}|{now:.3f}|{type(error).__name__}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(key, transcript_id, value)
            pipe.expire(key, DONE_TTL_SECONDS)  # renewed by every failure; a sink long healthy leaves nothing
            await pipe.execute()

    async def forget(self, sinks: list[str], transcript_id: str) -> None:
        """Every sink has it (or it was withdrawn): nothing about it stays. One round trip."""
        async with self.client.pipeline(transaction=False) as pipe:
            for sink in sinks:
                pipe.hdel(self._key(sink), transcript_id)
            pipe.delete(self._done_key(transcript_id))
            await pipe.execute()

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
