"""``candor doctor`` against real Redis, PostgreSQL and the Slack and Anthropic stand-ins: a pass/fail table
with a fix for each failure, no secret printed, exit 1 when something failed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.state.crypto import new_entry
from tests.anthropic_standin import AnthropicStandIn
from tests.conftest import ROOT
from tests.slack_standin import SlackStandIn

TOKEN = "xoxb-doctor-token"


def _doctor(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "TEAMS_", "ANTHROPIC_"))}
    clean.pop("REDIS_URL", None)
    clean.update(CANDOR_DATA_DIR=str(tmp_path / "data"), **env)
    command = [sys.executable, "-m", "adapters.cli", "doctor"]
    return subprocess.run(command, env=clean, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_healthy_configuration_passes(tmp_path: Path, redis_url: str, database_url: str) -> None:
    with SlackStandIn() as slack, AnthropicStandIn() as claude:
        slack.add_workspace("T0DOC", TOKEN)
        keys = new_entry()
        result = _doctor(
            tmp_path,
            REDIS_URL=redis_url,
            CANDOR_PSEUDONYM_KEY="a-long-pseudonym-secret-for-the-doctor",
            CANDOR_ENCRYPTION_KEYS=keys,
            CANDOR_SINKS=f"file,{database_url}",
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET="doctor-signing-secret",
            SLACK_API_BASE_URL=slack.base_url,
            ANTHROPIC_API_KEY="sk-doctor-key",
            ANTHROPIC_BASE_URL=claude.base_url,
        )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    for line in ("pseudonym key", "encryption keys", "flows", "redis ", "slack token", "anthropic", "sink file"):
        assert any(row.startswith("ok") and line in row for row in out.splitlines()), (line, out)
    assert "sink postgres" in out and "all checks passed" in out
    # The test Redis keeps nothing on disk: that is a warning with its fix, not a failure.
    assert "warn  redis persistence" in out and "appendonly yes" in out
    for secret in (TOKEN, "sk-doctor-key", keys, "a-long-pseudonym-secret-for-the-doctor"):
        assert secret not in out and secret not in result.stderr


def test_failures_say_what_to_fix(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the sink's folder should be")
    with SlackStandIn() as slack, AnthropicStandIn() as claude:
        slack.add_workspace("T0DOC", TOKEN)  # so a token of no workspace is refused, as on Slack
        result = _doctor(
            tmp_path,
            REDIS_URL="redis://127.0.0.1:1/0",
            CANDOR_SINKS=f"file://{blocked / 'inside'}",
            SLACK_BOT_TOKEN="xoxb-unknown",
            SLACK_SIGNING_SECRET="doctor-signing-secret",
            SLACK_API_BASE_URL=slack.base_url,
            ANTHROPIC_API_KEY="sk-doctor-key",
            ANTHROPIC_BASE_URL=claude.base_url,
            CANDOR_MODEL="claude-nonexistent-1",
            TEAMS_APP_ID="00000000-0000-4000-8000-00000000d0c0",
            TEAMS_APP_PASSWORD="a-teams-secret",
            TEAMS_TENANT_ID="tenant-doctor",
            TEAMS_AUTHORITY="https://127.0.0.1:1/tenant-doctor",  # nothing answers: no token
        )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "FAIL  pseudonym key" in out and "CANDOR_PSEUDONYM_KEY" in out
    assert "FAIL  encryption keys" in out and "candor keys generate" in out
    assert "FAIL  redis" in out and "check REDIS_URL" in out
    assert "FAIL  slack token" in out and "invalid_auth" in out
    assert "FAIL  anthropic" in out and "no model claude-nonexistent-1" in out
    assert "FAIL  sink file" in out
    assert "FAIL  teams credentials" in out and "TEAMS_APP_PASSWORD" in out and "a-teams-secret" not in out
    assert "Traceback" not in result.stderr
