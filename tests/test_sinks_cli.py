"""``candor sinks status`` and ``retry``: a failing sink is reported, a retry clears it, status never delivers."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import uuid
from pathlib import Path

import pytest

from adapters import sinks_cli
from adapters.runtime import open_runtime
from bot.config import Settings
from tests.conftest import message


async def _finish_one_interview(settings: Settings) -> None:
    runtime = await open_runtime(settings, answer_window_seconds=0)
    try:
        for text in ("hi", "yes", "I plan the warehouse rota", "stop", "keep"):
            await runtime.engine.handle(message(text))
    finally:
        await runtime.close()


def test_status_reports_the_failing_sink_and_retry_delivers(
    redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the sink wants a folder")
    settings = Settings(
        redis_url=redis_url,
        redis_prefix=f"test-{uuid.uuid4().hex[:12]}",
        data_dir=tmp_path / "data",
        sinks=f"file://{blocked}/transcripts",
    )
    asyncio.run(_finish_one_interview(settings))
    capsys.readouterr()

    assert sinks_cli.sinks(settings, argparse.Namespace(sinks_command="status")) == 3
    status = capsys.readouterr().out
    assert "1 transcript(s) waiting in the outbox" in status
    [file_line] = [line for line in status.splitlines() if line.startswith("file ")]
    assert file_line.split()[1] == "1" and "failed attempt(s)" in file_line
    # Status only looks: asking twice leaves the same transcript waiting.
    assert sinks_cli.sinks(settings, argparse.Namespace(sinks_command="status")) == 3
    capsys.readouterr()

    blocked.unlink()
    blocked.mkdir()
    assert sinks_cli.sinks(settings, argparse.Namespace(sinks_command="retry")) == 0
    after = capsys.readouterr().out
    assert "delivered 1 transcript(s)" in after and "0 transcript(s) waiting" in after
    [file_line] = [line for line in after.splitlines() if line.startswith("file ")]
    assert file_line.split()[1] == "0"
    [written] = (blocked / "transcripts").rglob("*.json")
    assert "warehouse rota" in written.read_text()
    shutil.rmtree(blocked)
