"""Platform events are written to Redis before they are acknowledged, and removed once processed.

Slack and Teams consider an acknowledged event delivered. If the process dies between the ack
and the reply, the event is still in the inbox, and a running server (this one after a restart,
or another replica) processes it. The engine's de-duplication on the message id makes a second
processing harmless.

An event carries message text, so its body is stored encrypted under the deployment's keyring
(``at \x1f ciphertext``, bound to the inbox and the event id); only the arrival time is in clear.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreUnavailable
from bot.state.crypto import Keyring

log = logging.getLogger(__name__)


def tag(event_id: str) -> str:
    """A short fingerprint of an event id for logs: platform ids (and Teams' conversation ids) stay out."""
    return hashlib.sha256(event_id.encode()).hexdigest()[:12]


# Slack retries a delivery for about five minutes; an hour of memory is ample.
SEEN_SECONDS = 3600
# A worker's claim on an event lasts this long at most; it is taken over sooner if the worker dies.
CLAIM_MILLISECONDS = 600_000
# A worker shows it is alive by refreshing its key at least this often; it expires after LIVE_SECONDS.
HEARTBEAT_SECONDS = 5.0
LIVE_SECONDS = 15
# An inbox, and the events parked in it for an operator, expire a week after the last one arrived.
INBOX_SECONDS = 7 * 86400
# After this many failed attempts an event is parked for an operator instead of retried forever.
MAX_ATTEMPTS = 5

# KEYS: claim key; ARGV: this worker's id, claim ms, prefix of worker liveness keys
# A claim held by a worker whose liveness key has expired is taken over.
_CLAIM = """
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. owner) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1
"""

# KEYS: seen key, inbox hash, claim key; ARGV: seen seconds, event id, record, worker id, claim ms, inbox ttl
# A new event is stored and, in the same step, claimed by the worker that admitted it.
_ADMIT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[6]))
  redis.call('SET', KEYS[3], ARGV[4], 'PX', tonumber(ARGV[5]))
  return 1
end
return 0
"""


class EventInbox:
    def __init__(self, client: aioredis.Redis, prefix: str, namespace: str, keyring: Keyring) -> None:
        self.client = client
        self.keyring = keyring
        self.prefix = f"{prefix}:{namespace}"
        self.key = f"{self.prefix}:inbox"
        self._admit = client.register_script(_ADMIT)
        self._claim = client.register_script(_CLAIM)
        self.worker_id = uuid.uuid4().hex
        self._last_heartbeat = 0.0
        # Events this worker admitted (and so claimed) and has not yet started to process.
        self._admitted: set[str] = set()

    async def admit(self, event_id: str, body: dict[str, Any]) -> bool:
        """Store a new event; False for a retry or duplicate of one already admitted."""
        record = self._seal(event_id, time.time(), body)
        keys = [f"{self.prefix}:seen:{event_id}", self.key, f"{self.prefix}:claim:{event_id}"]
        args: list[str | int | bytes] = [
            SEEN_SECONDS,
            event_id,
            record,
            self.worker_id,
            CLAIM_MILLISECONDS,
            INBOX_SECONDS,
        ]
        try:
            result = await self._admit(keys=keys, args=args)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"cannot store the incoming event: {exc}") from None
        if result:
            self._admitted.add(event_id)
            await self.heartbeat()
        return bool(result)

    async def claim(self, event_id: str) -> bool:
        """Only one live worker (of any replica) processes an event at a time."""
        if event_id in self._admitted:
            self._admitted.discard(event_id)
            return True  # claimed when it was admitted, a moment ago
        await self.heartbeat()
        keys = [f"{self.prefix}:claim:{event_id}"]
        args: list[str | int] = [self.worker_id, CLAIM_MILLISECONDS, f"{self.prefix}:worker:"]
        return bool(await self._claim(keys=keys, args=args))

    async def heartbeat(self) -> None:
        if time.monotonic() - self._last_heartbeat >= HEARTBEAT_SECONDS:
            await self.client.set(f"{self.prefix}:worker:{self.worker_id}", "1", ex=LIVE_SECONDS)
            self._last_heartbeat = time.monotonic()

    async def recover(
        self, process: Callable[[str, dict[str, Any]], Awaitable[None]], older_than_seconds: float = 0.0
    ) -> int:
        """Process what was acknowledged but never finished (the process died, say); failures stay."""
        waiting = await self.waiting(older_than_seconds)
        for event_id, record in waiting:
            try:
                await process(event_id, record)
            except Exception:
                log.exception("could not process stored event %s; it stays in the inbox", tag(event_id))
        return len(waiting)

    async def maintain(
        self,
        process: Callable[[str, dict[str, Any]], Awaitable[None]],
        also: Callable[[], Awaitable[Any]],
        every_seconds: float = 30.0,
    ) -> None:
        """Run while serving: finish stuck events, then ``also`` (retrying failed deliveries)."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.recover(process, older_than_seconds=every_seconds)
                await also()
            except Exception:
                log.exception("inbox recovery failed; trying again later")

    async def keep_alive(self) -> None:
        """Run for as long as this worker runs: its heartbeat must not wait behind slow work."""
        while True:
            try:
                self._last_heartbeat = 0.0
                await self.heartbeat()
            except Exception:
                pass  # Redis is down: claims may be taken over, which is the right outcome
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def retire(self) -> None:
        """This worker stops: its claims may be taken over at once."""
        await self.client.delete(f"{self.prefix}:worker:{self.worker_id}")

    async def done(self, event_id: str) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hdel(self.key, event_id)
            pipe.delete(f"{self.prefix}:claim:{event_id}", f"{self.prefix}:attempts:{event_id}")
            await pipe.execute()

    async def failed(self, event_id: str) -> bool:
        """Count a failed attempt and let the event be retried; True when it was parked instead."""
        attempts_key = f"{self.prefix}:attempts:{event_id}"
        attempts = int(await self.client.incr(attempts_key))
        await self.client.expire(attempts_key, SEEN_SECONDS * 24)
        await self.client.delete(f"{self.prefix}:claim:{event_id}")
        if attempts < MAX_ATTEMPTS:
            return False
        record = await self.client.hget(self.key, event_id)
        async with self.client.pipeline(transaction=True) as pipe:
            if record is not None:
                pipe.hset(f"{self.prefix}:failed", event_id, record)
                pipe.expire(f"{self.prefix}:failed", INBOX_SECONDS)
            pipe.hdel(self.key, event_id)
            await pipe.execute()
        return True

    async def waiting(self, older_than_seconds: float = 0.0) -> list[tuple[str, dict[str, Any]]]:
        """Events admitted but not yet processed, oldest first."""
        cutoff = time.time() - older_than_seconds
        items = []
        for raw_id, raw in (await self.client.hgetall(self.key)).items():
            event_id = raw_id.decode() if isinstance(raw_id, bytes) else raw_id
            at, sealed = (raw if isinstance(raw, bytes) else raw.encode()).split(b"\x1f", 1)
            if float(at) <= cutoff:
                items.append((float(at), event_id, sealed))
        ordered = sorted(items, key=lambda item: item[0])
        return [(event_id, self._open(event_id, sealed)) for _, event_id, sealed in ordered]

    def _aad(self, event_id: str) -> bytes:
        return f"{self.key}\x1f{event_id}".encode()

    def _seal(self, event_id: str, at: float, body: dict[str, Any]) -> bytes:
        plain = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        return f"{at:.3f}".encode() + b"\x1f" + self.keyring.encrypt(plain, self._aad(event_id))

    def _open(self, event_id: str, sealed: bytes) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.keyring.decrypt(sealed, self._aad(event_id)))
        return body
