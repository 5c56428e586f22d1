"""``candor wave ...`` from the command line: create, start, list, status, pause, cancel, export."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from bot.delivery import FileSink, Transcript
from bot.state.model import INTRO, Role, Turn
from tests.conftest import ROOT

WAVE = """\
id: {wave}
flow: ai-at-work
platform: slack
workspace: T0001
participants:
  users: [U1001, U1002]
opens_at: 2026-12-01T09:00:00+01:00
closes_at: 2026-12-12T17:00:00+01:00
target_completes: 10
"""


def _candor(tmp_path: Path, redis_url: str, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "TEAMS_"))}
    env.update(REDIS_URL=redis_url, CANDOR_DATA_DIR=str(tmp_path / "data"), CANDOR_REDIS_PREFIX=prefix)
    command = [sys.executable, "-m", "adapters.cli", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_a_wave_from_file_to_export(tmp_path: Path, redis_url: str) -> None:
    prefix = f"wcli-{uuid.uuid4().hex[:8]}"
    wave = "winter-ai"
    spec = tmp_path / "wave.yaml"
    spec.write_text(WAVE.format(wave=wave))
    created = _candor(tmp_path, redis_url, prefix, "wave", "create", str(spec))
    assert created.returncode == 0, created.stderr
    assert f"created wave {wave} (draft)" in created.stdout
    again = _candor(tmp_path, redis_url, prefix, "wave", "create", str(spec))
    assert again.returncode == 1 and "already exists" in again.stderr
    assert _candor(tmp_path, redis_url, prefix, "wave", "start", wave).returncode == 0
    listed = _candor(tmp_path, redis_url, prefix, "wave", "list")
    assert wave in listed.stdout and "running" in listed.stdout and "0/10" in listed.stdout
    status = _candor(tmp_path, redis_url, prefix, "wave", "status", wave)
    assert "eligible" in status.stdout and "completion rate: -" in status.stdout
    paused = _candor(tmp_path, redis_url, prefix, "wave", "pause", wave)
    assert paused.returncode == 0 and "is now paused" in paused.stdout
    wrong = _candor(tmp_path, redis_url, prefix, "wave", "pause", wave)
    assert wrong.returncode == 1 and "pause works on a wave that is running" in wrong.stderr
    assert "is now cancelled" in _candor(tmp_path, redis_url, prefix, "wave", "cancel", wave).stdout

    sink = FileSink(tmp_path / "data")
    for number, who in ((1, wave), (2, "another-wave")):
        turns = (Turn(Role.AI, "Shall we begin?", INTRO, 0.0), Turn(Role.USER, f"yes, answer {number}", INTRO, 1.0))
        transcript = Transcript(f"work_{number:04d}", "ai-at-work", 2, 0.0, 60.0, "completed", turns, wave=who)
        asyncio.run(sink.deliver(transcript))
    dataset = _candor(tmp_path, redis_url, prefix, "wave", "export", wave, "--format", "dataset")
    assert dataset.returncode == 0, dataset.stderr
    rows = list(csv.DictReader(io.StringIO(dataset.stdout)))
    assert [row["transcript_id"] for row in rows] == ["work_0001"] and "answer 1" in rows[0]["text"]
    out = tmp_path / "export.jsonl"
    jsonl = _candor(tmp_path, redis_url, prefix, "wave", "export", wave, "--format", "jsonl", "--out", str(out))
    assert jsonl.returncode == 0 and [json.loads(line)["wave"] for line in out.read_text().splitlines()] == [wave]
    table = _candor(tmp_path, redis_url, prefix, "wave", "export", wave, "--format", "csv")
    assert table.stdout.splitlines()[0].startswith("transcript_id,flow_id,flow_version,started_at")


def test_bad_waves_are_refused_precisely(tmp_path: Path, redis_url: str) -> None:
    prefix = f"wcli-{uuid.uuid4().hex[:8]}"
    bad = _candor(tmp_path, redis_url, prefix, "wave", "create", str(ROOT / "tests/data/waves/bad.yaml"))
    assert bad.returncode == 2 and "bad.yaml:7: opens_at: give a time zone offset" in bad.stderr
    flags = _candor(tmp_path, redis_url, prefix, "wave", "create", "--id", "x", "--flow", "ai-at-work")
    assert flags.returncode == 2 and "--platform" in flags.stderr and "--opens" in flags.stderr
    unknown_flow = _candor(
        tmp_path,
        redis_url,
        prefix,
        *("wave", "create", "--id", "x", "--flow", "no-such-flow", "--platform", "slack", "--workspace", "T1"),
        *("--users", "U1", "--opens", "2026-12-01T09:00:00Z", "--closes", "2026-12-02T09:00:00Z"),
    )
    assert unknown_flow.returncode == 1 and "no interview flow with id 'no-such-flow'" in unknown_flow.stderr
    missing = _candor(tmp_path, redis_url, prefix, "wave", "status", "nope")
    assert missing.returncode == 1 and "no wave with id 'nope'" in missing.stderr
