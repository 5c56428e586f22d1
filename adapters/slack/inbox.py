"""Slack events are written to Redis before Bolt acknowledges them, and removed once processed.

Slack considers an acknowledged event delivered. If the process dies between the ack and the
reply, the event is still in the inbox, and a running server (this one after a restart, or
another replica) processes it. The engine's de-duplication on the message's ``ts`` makes a
second processing harmless.
"""

from __future__ import annotations

import json
import time
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreUnavailable

# Slack retries a delivery for about five minutes; an hour of memory is ample.
SEEN_SECONDS = 3600

_ADMIT = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  return 1
end
return 0
"""


class SlackInbox:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = f"{prefix}:slack"
        self.key = f"{self.prefix}:inbox"
        self._admit = client.register_script(_ADMIT)

    async def admit(self, event_id: str, body: dict[str, Any]) -> bool:
        """Store a new event; False for a retry or duplicate of one already admitted."""
        record = json.dumps({"at": time.time(), "body": body}, ensure_ascii=False)
        try:
            result = await self._admit(
                keys=[f"{self.prefix}:seen:{event_id}", self.key], args=[SEEN_SECONDS, event_id, record]
            )
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"cannot store the Slack event: {exc}") from None
        return bool(result)

    async def done(self, event_id: str) -> None:
        await self.client.hdel(self.key, event_id)

    async def waiting(self, older_than_seconds: float = 0.0) -> list[tuple[str, dict[str, Any]]]:
        """Events admitted but not yet processed, oldest first."""
        cutoff = time.time() - older_than_seconds
        items = []
        for event_id, raw in (await self.client.hgetall(self.key)).items():
            record = json.loads(raw)
            if record["at"] <= cutoff:
                items.append(
                    (record["at"], event_id.decode() if isinstance(event_id, bytes) else event_id, record["body"])
                )
        return [(event_id, body) for _, event_id, body in sorted(items, key=lambda item: item[0])]
