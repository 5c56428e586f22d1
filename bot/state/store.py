"""Interview state in Redis: one hash and one list per interview, written by version-checked scripts."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.errors import StoreUnavailable
from bot.state import scripts
from bot.state.history import HISTORY_LIMIT, HistoryEntry
from bot.state.model import Interview, Turn
from bot.state.sink_ledger import SinkLedger

T = TypeVar("T")
# How long a deleted conversation still recognises re-delivered platform events.
TOMBSTONE_SECONDS = 900
# How many recent message ids each interview remembers: platform retries come within minutes,
# long before a participant has sent eight more messages.
SEEN_LIMIT = 8


class PushResult(Enum):
    STORED = 1
    WAITING = 2
    APPLIED = 0
    NOT_IN_PROGRESS = -1


class CommitResult(Enum):
    OK = "ok"
    CONFLICT = "conflict"
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class PendingMessage:
    message_id: str
    text: str
    at: float


def _safe_id(message_id: str) -> str:
    # Ids are stored space-separated, so a space inside one must not split it.
    return message_id.replace(" ", "_")[:120]


class RedisStateStore:
    """All of Candor's interview keys live under ``<prefix>:``; nothing outside it is touched."""

    def __init__(self, client: aioredis.Redis, *, prefix: str, ttl_seconds: int, url_for_errors: str) -> None:
        self.client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._url = url_for_errors
        self._commit = client.register_script(scripts.COMMIT)
        self._delete = client.register_script(scripts.DELETE)
        self._push = client.register_script(scripts.PUSH_PENDING)
        self._replace = client.register_script(scripts.REPLACE_PENDING)
        self.outbox_key = f"{prefix}:outbox"
        self.sink_ledger = SinkLedger(client, prefix)

    def _keys(self, ck: str, message_id: str = "") -> list[str]:
        """Interview list, pending list, de-dup tombstone, outbox: the KEYS of every script."""
        base = f"{self.prefix}:iv:{ck}"
        return [base, f"{base}:p", f"{self.prefix}:dd:{ck}:{_safe_id(message_id)}", self.outbox_key]

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            return await operation()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise StoreUnavailable(f"cannot reach Redis at {self._url}: {exc}") from None

    async def ping(self) -> None:
        await self._call(self.client.ping)

    async def load(self, ck: str) -> Interview | None:
        raw = await self._call(lambda: self.client.lindex(self._keys(ck)[0], 0))
        return Interview.from_header(raw) if raw is not None else None

    async def load_with_pending(self, ck: str) -> tuple[Interview | None, list[PendingMessage]]:
        keys = self._keys(ck)

        async def both() -> list[Any]:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.lindex(keys[0], 0)
                pipe.lrange(keys[1], 0, -1)
                return await pipe.execute()

        header, pending = await self._call(both)
        interview = Interview.from_header(header) if header is not None else None
        return interview, [_decode_pending(item) for item in pending]

    async def turns(self, ck: str) -> list[Turn]:
        raw = await self._call(lambda: self.client.lrange(self._keys(ck)[0], 1, -1))
        return [Turn.from_json(item) for item in raw]

    async def commit(
        self,
        ck: str,
        interview: Interview,
        *,
        message_id: str = "",
        append: Sequence[Turn] = (),
        replace: Mapping[int, Turn] | None = None,
        drop_pending: int = 0,
        outbox: str = "",
    ) -> CommitResult:
        """Write the header and new turns if nobody else wrote since ``interview.version``."""
        mid = _safe_id(message_id) if message_id else ""
        seen = interview.seen
        if mid and mid not in seen:
            seen = [*seen, mid][-SEEN_LIMIT:]
        args: list[Any] = [
            interview.version,
            interview.data_json(),
            " ".join(seen),
            self.ttl_seconds,
            mid,
            drop_pending,
            ck,
            outbox,
            secrets.randbelow(2**40) + 1,
            len(append),
            *(turn.to_json() for turn in append),
        ]
        for index, turn in (replace or {}).items():
            args += [index, turn.to_json()]
        status, version = await self._call(lambda: self._commit(keys=self._keys(ck, message_id), args=args))
        if status == 1:
            interview.version = int(version)
            interview.seen = seen
            return CommitResult.OK
        return CommitResult.CONFLICT if status == 0 else CommitResult.DUPLICATE

    async def delete(self, ck: str, interview: Interview | None, *, message_id: str = "") -> CommitResult:
        """Remove everything held for a conversation, leaving only a short-lived de-dup marker."""
        version = interview.version if interview else 0
        tombstone = TOMBSTONE_SECONDS if message_id else 0
        status, _ = await self._call(
            lambda: self._delete(keys=self._keys(ck, message_id), args=[version, tombstone, ck])
        )
        return CommitResult.OK if status == 1 else CommitResult.CONFLICT

    async def push_pending(self, ck: str, message_id: str, text: str, at: float) -> PushResult:
        """Hold an answer for the answer window, if the interview is in progress."""
        mid = _safe_id(message_id)
        keys = self._keys(ck, message_id)
        entry = _encode_pending(mid, at, text)
        result = await self._call(lambda: self._push(keys=keys[:3], args=[mid, entry, self.ttl_seconds]))
        return PushResult(int(result))

    async def replace_pending(self, ck: str, message_id: str, text: str, at: float) -> bool:
        """Edit a message still waiting in its window; False when it is not waiting."""
        mid = _safe_id(message_id)
        entry = _encode_pending(mid, at, text)
        result = await self._call(lambda: self._replace(keys=[self._keys(ck)[1]], args=[mid, entry]))
        return bool(result)

    async def drop_pending(self, ck: str) -> None:
        await self._call(lambda: self.client.delete(self._keys(ck)[1]))

    async def recently_deleted(self, ck: str, message_id: str) -> bool:
        """Whether this message already ended (and deleted) this conversation a moment ago."""
        return bool(await self._call(lambda: self.client.exists(self._keys(ck, message_id)[2])))

    def _history_key(self, ck: str) -> str:
        return f"{self.prefix}:hist:{ck}"

    async def add_history(self, ck: str, entry: HistoryEntry) -> None:
        key = self._history_key(ck)

        async def push() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.lpush(key, entry.to_json())
                pipe.ltrim(key, 0, HISTORY_LIMIT - 1)
                pipe.expire(key, self.ttl_seconds)
                await pipe.execute()

        await self._call(push)

    async def history(self, ck: str) -> list[HistoryEntry]:
        raw = await self._call(lambda: self.client.lrange(self._history_key(ck), 0, -1))
        return [HistoryEntry.from_json(item) for item in raw]

    async def replace_history(self, ck: str, entries: Sequence[HistoryEntry]) -> None:
        key = self._history_key(ck)

        async def rewrite() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if entries:
                    pipe.rpush(key, *(entry.to_json() for entry in entries))
                    pipe.expire(key, self.ttl_seconds)
                await pipe.execute()

        await self._call(rewrite)

    async def count(self, flow_id: str, what: str) -> None:
        await self._call(lambda: self.client.incr(f"{self.prefix}:count:{flow_id}:{what}"))

    async def counts(self, flow_id: str, what: str) -> int:
        value = await self._call(lambda: self.client.get(f"{self.prefix}:count:{flow_id}:{what}"))
        return int(value or 0)

    async def next_transcript_number(self, transcript_prefix: str) -> int:
        return int(await self._call(lambda: self.client.incr(f"{self.prefix}:seq:{transcript_prefix}")))

    async def outbox(self) -> list[str]:
        members = await self._call(lambda: self.client.smembers(self.outbox_key))
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    async def mark_delivered(self, ck: str, interview: Interview) -> CommitResult:
        """Drop the delivered turns; the header stays as a small end marker until it expires."""
        return await self.commit(ck, interview, outbox="done")


def _encode_pending(message_id: str, at: float, text: str) -> str:
    return f"{message_id}\x1f{round(at, 3)}\x1f{text}"


def _decode_pending(raw: bytes | str) -> PendingMessage:
    message_id, at, text = (raw.decode() if isinstance(raw, bytes) else raw).split("\x1f", 2)
    return PendingMessage(message_id=message_id, text=text, at=float(at))
