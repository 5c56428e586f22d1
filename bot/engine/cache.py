"""A bounded in-process copy of recently used interview headers.

Redis stays the truth: every write is checked against the stored version, and a stale copy
only costs one reload. With the copy a normal turn needs a single Redis round trip.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

from bot.state import Interview


class HeaderCache:
    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[str, Interview] = OrderedDict()

    def get(self, key: str) -> Interview | None:
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return _copy(item)

    def put(self, key: str, interview: Interview) -> None:
        self._items[key] = _copy(interview)
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def drop(self, key: str) -> None:
        self._items.pop(key, None)


def _copy(interview: Interview) -> Interview:
    clone = copy.copy(interview)
    clone.seen = list(interview.seen)
    return clone
