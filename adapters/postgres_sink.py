"""A PostgreSQL sink: one row per transcript, created table and all, idempotent by transcript id."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import psycopg

from bot.delivery.transcript import Transcript, dataset_text

TABLE = "candor_transcripts"
_CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    transcript_id text PRIMARY KEY,
    flow_id text NOT NULL,
    flow_version integer NOT NULL,
    participant text,
    started_at timestamptz NOT NULL,
    ended_at timestamptz NOT NULL,
    ended_by text NOT NULL,
    document jsonb NOT NULL,
    text text NOT NULL,
    delivered_at timestamptz NOT NULL DEFAULT now()
)
"""
# A redelivery of the same transcript changes nothing: the first write wins.
_INSERT = f"""
INSERT INTO {TABLE} (transcript_id, flow_id, flow_version, participant, started_at, ended_at, ended_by, document, text)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (transcript_id) DO NOTHING
"""


def _when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class PostgresSink:
    name = "postgres"

    def __init__(self, url: str) -> None:
        self.url = url
        self._ready = False

    async def _connect(self) -> psycopg.AsyncConnection[tuple[object, ...]]:
        connection = await psycopg.AsyncConnection.connect(self.url, autocommit=True, connect_timeout=10)
        if not self._ready:
            await connection.execute(_CREATE)
            self._ready = True
        return connection

    async def check(self) -> str | None:
        """For candor doctor: can we connect and is the table there (created if missing)? None when so."""
        try:
            async with await self._connect():
                return None
        except Exception as exc:
            return f"PostgreSQL: {type(exc).__name__}"

    async def deliver(self, transcript: Transcript) -> None:
        async with await self._connect() as connection:
            await connection.execute(
                _INSERT,
                (
                    transcript.transcript_id,
                    transcript.flow_id,
                    transcript.flow_version,
                    transcript.participant or None,
                    _when(transcript.started_at),
                    _when(transcript.ended_at),
                    transcript.ended_by,
                    json.dumps(transcript.to_dict(), ensure_ascii=False),
                    dataset_text(transcript.turns),
                ),
            )

    async def delete(self, transcript_id: str) -> bool:
        async with await self._connect() as connection:
            cursor = await connection.execute(f"DELETE FROM {TABLE} WHERE transcript_id = %s", (transcript_id,))
            return cursor.rowcount > 0
