"""The file sink: dataset-format CSV, JSON per interview, exactly-once under redelivery, deletion."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bot.delivery import FileSink, Transcript, dataset_text
from bot.state import Role, Turn


def transcript(tid: str = "work_0001") -> Transcript:
    turns = (
        Turn(Role.AI, "Hello.\n\nShall we begin?", "_intro", 1_800_000_000),
        Turn(Role.USER, 'Yes, "quoted", and a comma', "_intro", 1_800_000_010),
        Turn(Role.AI, "What do you do?", "q1", 1_800_000_011),
        Turn(Role.USER, "First line\n\n\nafter a gap", "q1", 1_800_000_060),
    )
    return Transcript(tid, "ai-at-work", 1, 1_800_000_000, 1_800_000_090, "completed", turns)


def rows(root: Path) -> list[dict[str, str]]:
    with open(root / "transcripts.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


async def test_delivery_writes_json_and_a_dataset_row(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    await sink.deliver(transcript())
    document = json.loads((tmp_path / "transcripts" / "work_0001.json").read_text())
    assert document["duration_seconds"] == 90 and document["turns"][3]["question_id"] == "q1"
    assert document["started_at"] == "2027-01-15T08:00:00Z"
    [row] = rows(tmp_path)
    assert row["transcript_id"] == "work_0001"
    turns = row["text"].split("\n\n")
    assert turns == [
        "AI: Hello.\nShall we begin?",
        'User: Yes, "quoted", and a comma',
        "AI: What do you do?",
        "User: First line\nafter a gap",
    ]
    assert row["text"] == dataset_text(transcript().turns)


async def test_redelivery_is_exactly_once(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    await sink.deliver(transcript())
    await sink.deliver(transcript())
    assert len(rows(tmp_path)) == 1
    # A crash after the JSON but before the CSV row: the retry adds the missing row.
    (tmp_path / "transcripts.csv").write_text("transcript_id,text\n")
    await sink.deliver(transcript())
    assert [r["transcript_id"] for r in rows(tmp_path)] == ["work_0001"]


async def test_delete_removes_json_and_row(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    await sink.deliver(transcript("work_0001"))
    await sink.deliver(transcript("work_0002"))
    assert await sink.delete("work_0001") is True
    assert [r["transcript_id"] for r in rows(tmp_path)] == ["work_0002"]
    assert not (tmp_path / "transcripts" / "work_0001.json").exists()
    assert await sink.delete("work_0001") is False
