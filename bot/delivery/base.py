"""The sink interface. Sinks must be idempotent: the engine re-delivers after a failure."""

from __future__ import annotations

from typing import Protocol

from bot.delivery.transcript import Transcript


class Sink(Protocol):
    name: str

    async def deliver(self, transcript: Transcript) -> None:
        """Store the transcript; delivering the same transcript twice must store it once."""

    async def delete(self, transcript_id: str) -> bool:
        """Remove a delivered transcript (the participant withdrew); False when it was not there."""
