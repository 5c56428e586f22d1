"""Handing finished transcripts to the sinks: exactly once, retried from the outbox, undone on withdrawal."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence

from bot.delivery import Sink, Transcript
from bot.engine.cache import HeaderCache
from bot.state import CommitResult, Interview, RedisStateStore, Status

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 40
BACKOFF_FIRST_SECONDS = 30.0
BACKOFF_MAX_SECONDS = 3600.0


class Delivery:
    def __init__(
        self,
        store: RedisStateStore,
        sinks: Sequence[Sink],
        cache: HeaderCache,
        pseudonym: Callable[[str, str], str],
        *,
        backoff: tuple[float, float] = (BACKOFF_FIRST_SECONDS, BACKOFF_MAX_SECONDS),
    ) -> None:
        self.backoff_first, self.backoff_max = backoff
        self.store = store
        self.sinks = tuple(sinks)
        self._cache = cache
        self._pseudonym = pseudonym

    async def deliver(self, ck: str, interview: Interview) -> int:
        """1 when every sink has the transcript; 0 when it stays in Redis and in the outbox."""
        transcript = Transcript(
            transcript_id=interview.transcript_id,
            flow_id=interview.flow_id,
            flow_version=interview.flow_version,
            # Rounded as the stored header rounds them, so a retry from Redis builds the same document.
            started_at=round(interview.started_at, 3),
            ended_at=round(interview.last_at, 3),
            ended_by=interview.ended_by,
            turns=tuple(await self.store.turns(ck)),
            usage=interview.usage,
            consented_at=None if interview.consented_at is None else round(interview.consented_at, 3),
            consent_version=interview.consent_version,
            wave=interview.wave,
            participant=self._pseudonym(interview.flow_id, ck),
        )
        if not await self._hand_to_every_sink(transcript):
            return 0
        return await self._mark_delivered(ck, interview, transcript.transcript_id)

    async def _hand_to_every_sink(self, transcript: Transcript) -> bool:
        """Each sink not yet holding it is tried, so one that is down holds back no other."""
        ledger = self.store.sink_ledger
        tid = transcript.transcript_id
        done = await ledger.confirmed(tid)
        took: list[str] = []
        ok = True
        for sink in self.sinks:
            if sink.name in done:
                continue
            try:
                await sink.deliver(transcript)
            except Exception as error:
                log.exception("delivery of %s to %s failed; it stays queued", tid, sink.name)
                await ledger.failed(sink.name, tid, error)
                ok = False
            else:
                took.append(sink.name)
        if ok:
            await ledger.forget([sink.name for sink in self.sinks], tid)
        else:
            await ledger.confirm(tid, took)
        return ok

    async def _mark_delivered(self, ck: str, interview: Interview, transcript_id: str) -> int:
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                await asyncio.sleep(random.uniform(0, 0.001 * min(attempt, 20)))
            interview.turn_count = 0
            if await self.store.mark_delivered(ck, interview) is CommitResult.OK:
                self._cache.put(ck, interview)
                return 1
            self._cache.drop(ck)
            current = await self.store.load(ck)
            if current is None or current.transcript_id != transcript_id:
                # The participant withdrew while this delivery was under way: undo it.
                await self.delete(transcript_id)
                return 0
            interview = current
        return 0

    async def delete(self, transcript_id: str) -> None:
        for sink in self.sinks:
            await sink.delete(transcript_id)
        await self.store.sink_ledger.forget([sink.name for sink in self.sinks], transcript_id)

    async def retry_outbox(self, *, force: bool = False) -> int:
        """Each waiting transcript backs off on its own: 30 s after a first failure, doubling to an hour (defaults)."""
        delivered = 0
        now = time.time()
        for ck in await self.store.outbox():
            interview = await self.store.load(ck)
            if interview is None or interview.status is not Status.COMPLETED or interview.turn_count == 0:
                continue
            if not force and now < await self._next_attempt_at(interview.transcript_id):
                continue
            delivered += await self.deliver(ck, interview)
        return delivered

    async def _next_attempt_at(self, transcript_id: str) -> float:
        ledger = self.store.sink_ledger
        failures = [await ledger.failure(sink.name, transcript_id) for sink in self.sinks]
        known = [failure for failure in failures if failure is not None]
        if not known:
            return 0.0
        attempts = max(failure.attempts for failure in known)
        last_at = max(failure.last_at for failure in known)
        backoff: float = min(self.backoff_first * 2.0 ** (attempts - 1), self.backoff_max)
        return last_at + backoff
