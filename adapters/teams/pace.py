"""Keeping under Teams' send limits (about 7 messages a second per conversation, 30 a second per tenant)."""

from __future__ import annotations

import asyncio
import time
from collections import deque

PER_CONVERSATION_PER_SECOND = 7
PER_TENANT_PER_SECOND = 30


class Pacer:
    """A sliding one-second window per key: ``wait`` returns once one more send fits in it."""

    def __init__(self, per_second: int) -> None:
        self.per_second = per_second
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def wait(self, key: str) -> None:
        if len(self._sent) > 10_000:
            self._prune()
        # One lock per key: a full window for one conversation must not hold up the others.
        async with self._locks.setdefault(key, asyncio.Lock()):
            window = self._sent.setdefault(key, deque())
            now = time.monotonic()
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.per_second:
                await asyncio.sleep(1.0 - (now - window[0]))
                window.popleft()
            window.append(time.monotonic())

    def _prune(self) -> None:
        """Forget keys with nothing sent in the last second, so the tables stay small."""
        now = time.monotonic()
        for key in [k for k, window in self._sent.items() if not window or now - window[-1] >= 1.0]:
            lock = self._locks.get(key)
            if lock is None or not lock.locked():
                self._sent.pop(key, None)
                self._locks.pop(key, None)
