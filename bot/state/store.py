"""Interview state in Redis: one list per interview, written by version-checked scripts.

Every text anyone wrote (turns, answers waiting in their window, the pending follow-up in the
header) and the history entries are stored encrypted (``bot.state.crypto``), bound to their key.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar, cast

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.exceptions import WatchError

from bot.errors import StoreUnavailable
from bot.state import scripts
from bot.state.crypto import Keyring
from bot.state.history import HISTORY_LIMIT, HistoryEntry
from bot.state.model import Interview, Turn
from bot.state.sink_ledger import SinkLedger

T = TypeVar("T")
# How long a deleted conversation still recognises re-delivered platform events.
TOMBSTONE_SECONDS = 900
COUNT_TTL_SECONDS = 400 * 86400
SEQUENCE_TTL_SECONDS = 10 * 365 * 86400
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


@dataclass(slots=True)
class RotationReport:
    """What ``candor keys rotate`` did: values rewritten under the newest key, and those already under it."""

    key_id: str
    keys: int = 0
    rewritten: int = 0
    current: int = 0
    retries: int = 0


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

    def __init__(
        self, client: aioredis.Redis, *, prefix: str, ttl_seconds: int, url_for_errors: str, keyring: Keyring
    ) -> None:
        self.client = client
        self.keyring = keyring
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

    def _header(self, ck: str, interview: Interview) -> bytes:
        """ARGV[2] of the commit script: the clear JSON, then (when there is any) the encrypted text fields."""
        data = interview.data_json().encode()
        private = interview.private_json()
        if not private:
            return data
        return data + b"\x1f" + self.keyring.encrypt(private.encode(), _header_aad(self._keys(ck)[0]))

    def _read_header(self, ck: str, raw: bytes) -> Interview:
        version, seen, rest = raw.split(b"\x1f", 2)
        data, _, sealed = rest.partition(b"\x1f")
        private = self.keyring.decrypt(sealed, _header_aad(self._keys(ck)[0])) if sealed else b""
        return Interview.from_fields(data, int(version), seen.decode(), private)

    def _seal_turn(self, ck: str, turn: Turn) -> bytes:
        return self.keyring.encrypt(turn.to_json().encode(), self._keys(ck)[0].encode())

    def _pending_entry(self, ck: str, message_id: str, at: float, text: str) -> bytes:
        """``id \\x1f time \\x1f sealed text``: the id stays clear, the scripts look entries up by it."""
        aad = _pending_aad(self._keys(ck)[1], message_id)
        return f"{message_id}\x1f{round(at, 3)}\x1f".encode() + self.keyring.encrypt(text.encode(), aad)

    def _read_pending(self, ck: str, raw: bytes) -> PendingMessage:
        message_id, at, sealed = raw.split(b"\x1f", 2)
        mid = message_id.decode()
        text = self.keyring.decrypt(sealed, _pending_aad(self._keys(ck)[1], mid)).decode()
        return PendingMessage(message_id=mid, text=text, at=float(at))

    async def load(self, ck: str) -> Interview | None:
        raw = await self._call(lambda: self.client.lindex(self._keys(ck)[0], 0))
        return self._read_header(ck, _raw(raw)) if raw is not None else None

    async def load_with_pending(self, ck: str) -> tuple[Interview | None, list[PendingMessage]]:
        keys = self._keys(ck)

        async def both() -> list[Any]:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.lindex(keys[0], 0)
                pipe.lrange(keys[1], 0, -1)
                return await pipe.execute()

        header, pending = await self._call(both)
        interview = self._read_header(ck, header) if header is not None else None
        return interview, [self._read_pending(ck, item) for item in pending]

    async def turns(self, ck: str) -> list[Turn]:
        key = self._keys(ck)[0]
        raw = await self._call(lambda: self.client.lrange(key, 1, -1))
        return [Turn.from_json(self.keyring.decrypt(_raw(item), key.encode())) for item in raw]

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
            self._header(ck, interview),
            " ".join(seen),
            self.ttl_seconds,
            mid,
            drop_pending,
            ck,
            outbox,
            secrets.randbelow(2**40) + 1,
            len(append),
            *(self._seal_turn(ck, turn) for turn in append),
        ]
        for index, turn in (replace or {}).items():
            args += [index, self._seal_turn(ck, turn)]
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
        entry = self._pending_entry(ck, mid, at, text)
        result = await self._call(lambda: self._push(keys=keys[:3], args=[mid, entry, self.ttl_seconds]))
        return PushResult(int(result))

    async def replace_pending(self, ck: str, message_id: str, text: str, at: float) -> bool:
        """Edit a message still waiting in its window; False when it is not waiting."""
        mid = _safe_id(message_id)
        entry = self._pending_entry(ck, mid, at, text)
        result = await self._call(lambda: self._replace(keys=[self._keys(ck)[1]], args=[mid, entry]))
        return bool(result)

    async def drop_pending(self, ck: str) -> None:
        await self._call(lambda: self.client.delete(self._keys(ck)[1]))

    async def recently_deleted(self, ck: str, message_id: str) -> bool:
        """Whether this message already ended (and deleted) this conversation a moment ago."""
        return bool(await self._call(lambda: self.client.exists(self._keys(ck, message_id)[2])))

    def _history_key(self, ck: str) -> str:
        return f"{self.prefix}:hist:{ck}"

    def _seal_history(self, key: str, entry: HistoryEntry) -> bytes:
        return self.keyring.encrypt(entry.to_json().encode(), key.encode())

    async def add_history(self, ck: str, entry: HistoryEntry) -> None:
        key = self._history_key(ck)

        async def push() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.lpush(key, self._seal_history(key, entry))
                pipe.ltrim(key, 0, HISTORY_LIMIT - 1)
                pipe.expire(key, self.ttl_seconds)
                await pipe.execute()

        await self._call(push)

    async def history(self, ck: str) -> list[HistoryEntry]:
        key = self._history_key(ck)
        raw = await self._call(lambda: self.client.lrange(key, 0, -1))
        return [HistoryEntry.from_json(self.keyring.decrypt(_raw(item), key.encode())) for item in raw]

    async def replace_history(self, ck: str, entries: Sequence[HistoryEntry]) -> None:
        key = self._history_key(ck)

        async def rewrite() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if entries:
                    pipe.rpush(key, *(self._seal_history(key, entry) for entry in entries))
                    pipe.expire(key, self.ttl_seconds)
                await pipe.execute()

        await self._call(rewrite)

    async def _incr(self, key: str, ttl: int) -> int:
        """INCR that also renews the key's expiry, in one round trip: no key lives forever."""

        async def both() -> int:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, ttl)
                value, _ = await pipe.execute()
                return int(value)

        return await self._call(both)

    async def count(self, flow_id: str, what: str) -> None:
        # Aggregate counts only (no person in them); kept as long as the study is active, and a year more.
        await self._incr(f"{self.prefix}:count:{flow_id}:{what}", max(self.ttl_seconds, COUNT_TTL_SECONDS))

    async def counts(self, flow_id: str, what: str) -> int:
        value = await self._call(lambda: self.client.get(f"{self.prefix}:count:{flow_id}:{what}"))
        return int(value or 0)

    async def next_transcript_number(self, transcript_prefix: str) -> int:
        # Renewed on every use and far longer than any retention: ids must never start again while
        # sinks still hold transcripts numbered from it.
        return await self._incr(f"{self.prefix}:seq:{transcript_prefix}", SEQUENCE_TTL_SECONDS)

    async def outbox(self) -> list[str]:
        members = await self._call(lambda: self.client.smembers(self.outbox_key))
        return sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members)

    async def mark_delivered(self, ck: str, interview: Interview) -> CommitResult:
        """Drop the delivered turns; the header stays as a small end marker until it expires."""
        return await self.commit(ck, interview, outbox="done")

    async def rotate(self) -> RotationReport:
        """Rewrite every encrypted value under the newest key; safe to run while the bot serves, and to re-run."""
        report = RotationReport(key_id=self.keyring.current)
        for pattern in (f"{self.prefix}:iv:*", f"{self.prefix}:hist:*"):
            async for key in self.client.scan_iter(match=pattern, count=500, _type="list"):
                await self._rotate_key(key.decode(), report)
                report.keys += 1
        return report

    async def _rotate_key(self, key: str, report: RotationReport) -> None:
        """WATCH, read, re-encrypt, MULTI/EXEC: a write to the key meanwhile aborts the EXEC and we read again."""
        async with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(key)
                    items = await pipe.lrange(key, 0, -1)
                    changed, sealed = {}, 0
                    for index, item in enumerate(items):
                        new, holds_ciphertext = self._reencrypt(key, index, _raw(item))
                        sealed += holds_ciphertext
                        if new is not None:
                            changed[index] = new
                    if changed:  # (otherwise leaving the block resets the pipeline, which unwatches)
                        pipe.multi()  # type: ignore[no-untyped-call]
                        for index, new in changed.items():
                            pipe.lset(key, index, cast(str, new))  # typed as str; bytes are sent as they are
                        await pipe.execute()
                except WatchError:
                    report.retries += 1
                    continue
                report.rewritten += len(changed)
                report.current += sealed - len(changed)
                return

    def _reencrypt(self, key: str, index: int, item: bytes) -> tuple[bytes | None, bool]:
        """One list element under the newest key (None: it already is), and whether it holds a ciphertext."""
        if key.startswith(f"{self.prefix}:hist:") or (index > 0 and not key.endswith(":p")):
            return self.keyring.reencrypt(item, key.encode()), True
        if key.endswith(":p"):
            message_id, at, sealed = item.split(b"\x1f", 2)
            new = self.keyring.reencrypt(sealed, _pending_aad(key, message_id.decode()))
            return (None if new is None else message_id + b"\x1f" + at + b"\x1f" + new), True
        version, seen, rest = item.split(b"\x1f", 2)
        data, _, sealed = rest.partition(b"\x1f")
        if not sealed:
            return None, False  # a header without text fields: nothing in it is encrypted
        new = self.keyring.reencrypt(sealed, _header_aad(key))
        return (None if new is None else b"\x1f".join((version, seen, data, new))), True


def _raw(value: bytes | str) -> bytes:
    # The store's clients never decode responses; this only satisfies the client's typing.
    return value if isinstance(value, bytes) else value.encode()


def _header_aad(interview_key: str) -> bytes:
    # Not the turns' AAD, so a turn's ciphertext cannot be passed off as the header's.
    return interview_key.encode() + b"\x1fheader"


def _pending_aad(pending_key: str, message_id: str) -> bytes:
    # The message id too: a waiting text cannot be swapped onto another waiting message.
    return f"{pending_key}\x1f{message_id}".encode()
