"""A message the engine has taken in; its replies may have to wait for the answer window."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.types import Reply


class Reception:
    """``due()`` waits out the answer window and says whether this message's reception answers
    (False when a later message joined the same answer); ``replies()`` then produces them."""

    def __init__(
        self, due: Callable[[], Awaitable[bool]], replies: Callable[[], Awaitable[list[Reply]]], ready_now: bool = False
    ) -> None:
        self._due = due
        self._replies = replies
        # True when the replies are already known: nothing is left to wait for.
        self.ready_now = ready_now

    @classmethod
    def ready(cls, replies: list[Reply]) -> Reception:
        async def due() -> bool:
            return True

        async def done() -> list[Reply]:
            return replies

        return cls(due, done, ready_now=True)

    async def due(self) -> bool:
        return await self._due()

    async def replies(self) -> list[Reply]:
        return await self._replies()
