"""The PostgreSQL sink against a real server: table creation, one row per transcript, deletion."""

from __future__ import annotations

import json
import secrets

import psycopg
import pytest

from adapters.postgres_sink import TABLE, PostgresSink
from adapters.runtime import build_sinks
from bot.config import Settings
from bot.delivery import Transcript, dataset_text
from bot.state import Role, Turn


def transcript(tid: str) -> Transcript:
    turns = (
        Turn(Role.AI, "Shall we begin?", "_intro", 1_800_000_000),
        Turn(Role.USER, "Yes, with a comma, and “quotes”", "_intro", 1_800_000_010),
        Turn(Role.AI, "What do you do?", "q1", 1_800_000_011),
        Turn(Role.USER, "I write [EMAIL] reports", "q1", 1_800_000_060),
    )
    return Transcript(tid, "ai-at-work", 1, 1_800_000_000, 1_800_000_090, "completed", turns, participant="p_abc")


async def _rows(url: str, tid: str) -> list[tuple[object, ...]]:
    async with await psycopg.AsyncConnection.connect(url) as connection:
        cursor = await connection.execute(
            f"SELECT flow_id, flow_version, participant, ended_by, document, text FROM {TABLE}"
            " WHERE transcript_id = %s",
            (tid,),
        )
        return await cursor.fetchall()


async def test_delivery_writes_one_row_and_redelivery_changes_nothing(database_url: str) -> None:
    tid = f"work_{secrets.token_hex(6)}"
    sink = PostgresSink(database_url)
    await sink.deliver(transcript(tid))
    await sink.deliver(transcript(tid))
    rows = await _rows(database_url, tid)
    assert len(rows) == 1
    flow_id, version, participant, ended_by, document, text = rows[0]
    assert (flow_id, version, participant, ended_by) == ("ai-at-work", 1, "p_abc", "completed")
    assert isinstance(document, dict) and document == json.loads(json.dumps(transcript(tid).to_dict()))
    assert text == dataset_text(transcript(tid).turns)
    assert await sink.delete(tid) is True


async def test_delete_removes_the_row_and_reports_a_missing_one(database_url: str) -> None:
    tid = f"work_{secrets.token_hex(6)}"
    sink = PostgresSink(database_url)
    await sink.deliver(transcript(tid))
    assert await sink.delete(tid) is True
    assert await _rows(database_url, tid) == []
    assert await sink.delete(tid) is False


def test_candor_sinks_accepts_a_postgresql_url() -> None:
    sinks = build_sinks(Settings(sinks="file,postgresql://candor@db.internal:5432/research"))
    assert [sink.name for sink in sinks] == ["file", "postgres"]


async def test_an_unreachable_database_raises_so_the_transcript_stays_queued(database_url: str) -> None:
    sink = PostgresSink("postgresql://postgres@127.0.0.1:1/none")
    with pytest.raises(psycopg.OperationalError):
        await sink.deliver(transcript("work_unreachable"))
