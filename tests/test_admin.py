"""Operator commands: a withdrawal asked for by e-mail, retention purges, and the consent record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.conftest import ROOT


def _candor(
    tmp_path: Path, redis_url: str, prefix: str, *args: str, stdin: str | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOR_")}
    env.update(REDIS_URL=redis_url, CANDOR_DATA_DIR=str(tmp_path / "data"), CANDOR_REDIS_PREFIX=prefix, **extra)
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        input=stdin,
    )


def _interview(tmp_path: Path, redis_url: str, prefix: str) -> None:
    answers = tmp_path / "answers.txt"
    answers.write_text("\n\n".join(["yes", "I use it to write weekly status reports for the team."] + ["no"] * 12))
    result = _candor(tmp_path, redis_url, prefix, "demo", "--answers", str(answers))
    assert result.returncode == 0, result.stderr


def test_an_operator_withdraws_a_participant_after_delivery(tmp_path: Path, redis_url: str) -> None:
    prefix = f"adm-{uuid.uuid4().hex[:8]}"
    _interview(tmp_path, redis_url, prefix)
    data = tmp_path / "data"
    [document] = list((data / "transcripts").glob("*.json"))
    record = json.loads(document.read_text())
    assert record["consent"]["flow_version"] == 2 and record["consent"]["at"].endswith("Z")
    assert len(record["consent"]["text_version"]) == 12
    result = _candor(
        tmp_path, redis_url, prefix, "participants", "withdraw", "--user", "console:local:demo-participant"
    )
    assert result.returncode == 0, result.stderr
    assert "deleted" in result.stdout
    assert not list((data / "transcripts").glob("*.json"))
    assert "weekly status reports" not in (data / "transcripts.csv").read_text()
    bad = _candor(tmp_path, redis_url, prefix, "participants", "withdraw", "--user", "nobody")
    assert bad.returncode == 2 and "PLATFORM:WORKSPACE:USER" in bad.stderr


def test_a_withdrawal_can_be_limited_to_one_study(tmp_path: Path, redis_url: str) -> None:
    prefix = f"adm-{uuid.uuid4().hex[:8]}"
    _interview(tmp_path, redis_url, prefix)
    answers = tmp_path / "meetings.txt"
    answers.write_text("\n\n".join(["yes", "Our Tuesday planning meeting runs long every week."] + ["no"] * 12))
    result = _candor(tmp_path, redis_url, prefix, "demo", "--answers", str(answers), "--flow", "meetings-and-focus")
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "data" / "transcripts"
    flows = sorted(json.loads(path.read_text())["flow_id"] for path in folder.glob("*.json"))
    assert flows == ["ai-at-work", "meetings-and-focus"]
    user = "console:local:demo-participant"
    done = _candor(tmp_path, redis_url, prefix, "participants", "withdraw", "--user", user, "--study", "ai-at-work")
    assert done.returncode == 0, done.stderr
    assert "1 interview record(s) for this participant in study ai-at-work" in done.stdout
    left = [json.loads(path.read_text()) for path in folder.glob("*.json")]
    assert [record["flow_id"] for record in left] == ["meetings-and-focus"]
    csv_text = (tmp_path / "data" / "transcripts.csv").read_text()
    assert "weekly status reports" not in csv_text and "Tuesday planning meeting" in csv_text
    again = _candor(tmp_path, redis_url, prefix, "participants", "withdraw", "--user", user, "--study", "ai-at-work")
    assert again.returncode == 0 and "nothing of yours is stored" in again.stdout
    bad = _candor(tmp_path, redis_url, prefix, "participants", "withdraw", "--user", user, "--study", "AI at work")
    assert bad.returncode == 2 and "flow id" in bad.stderr


def test_purge_removes_transcripts_past_retention(tmp_path: Path, redis_url: str) -> None:
    prefix = f"adm-{uuid.uuid4().hex[:8]}"
    _interview(tmp_path, redis_url, prefix)
    data = tmp_path / "data"
    [document] = list((data / "transcripts").glob("*.json"))
    keep = _candor(tmp_path, redis_url, prefix, "purge", "--older-than", "30d")
    assert keep.returncode == 0 and "removed 0" in keep.stdout and document.exists()
    old = time.time() - 31 * 86400
    os.utime(document, (old, old))
    gone = _candor(tmp_path, redis_url, prefix, "purge", "--older-than", "30d")
    assert gone.returncode == 0 and "removed 1" in gone.stdout and not document.exists()
    assert document.stem not in (data / "transcripts.csv").read_text()
    bad = _candor(tmp_path, redis_url, prefix, "purge", "--older-than", "a month")
    assert bad.returncode == 2 and "30d" in bad.stderr


def test_government_ids_are_redacted_when_the_deployment_turns_them_on(tmp_path: Path, redis_url: str) -> None:
    answers = tmp_path / "answers.txt"
    answer = "HR asked for my SSN 123-45-6789 and my NI number AB 12 34 56 C on the expenses form."
    answers.write_text("\n\n".join(["yes", answer] + ["no"] * 12))
    prefix = f"adm-{uuid.uuid4().hex[:8]}"
    result = _candor(
        tmp_path, redis_url, prefix, "demo", "--answers", str(answers), CANDOR_REDACT_IDS="us_ssn, uk_nino"
    )
    assert result.returncode == 0, result.stderr
    [document] = list((tmp_path / "data" / "transcripts").glob("*.json"))
    text = document.read_text()
    assert "expenses form" in text and "123-45-6789" not in text and "AB 12 34 56 C" not in text
    bad = _candor(tmp_path, redis_url, prefix, "demo", "--answers", str(answers), CANDOR_REDACT_IDS="passport")
    assert bad.returncode == 2 and "CANDOR_REDACT_IDS" in bad.stderr
