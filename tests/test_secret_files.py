"""Secrets given as files (NAME_FILE), the Docker and Kubernetes secrets convention, and `candor health`."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters import health
from adapters.slack.config import load_slack_settings
from adapters.teams.config import load_teams_settings
from bot.config import SECRET_FIELDS, load_settings, secrets_from_files
from bot.errors import ConfigError
from tests.conftest import ROOT, free_port

SECRET = "s3cr3t-value-that-must-never-be-printed"


def secret_file(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_each_secret_setting_reads_its_file_without_the_trailing_newline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANDOR_PSEUDONYM_KEY_FILE", str(secret_file(tmp_path, "pseudonym", SECRET + "\n")))
    monkeypatch.setenv("ANTHROPIC_API_KEY_FILE", str(secret_file(tmp_path, "anthropic", "sk-ant-test\r\n")))
    monkeypatch.setenv("REDIS_URL_FILE", str(secret_file(tmp_path, "redis", "redis://:pw@redis:6379/0\n")))
    monkeypatch.setenv("CANDOR_ADMIN_TOKEN_FILE", str(secret_file(tmp_path, "admin", "a" * 40)))
    monkeypatch.setenv("CANDOR_SINKS_FILE", str(secret_file(tmp_path, "sinks", "file,postgresql://u:p@db/x\n")))
    settings = load_settings()
    assert settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value() == SECRET
    assert settings.anthropic_api_key is not None and settings.anthropic_api_key.get_secret_value() == "sk-ant-test"
    assert settings.redis_url == "redis://:pw@redis:6379/0"
    assert settings.admin_token is not None and settings.admin_token.get_secret_value() == "a" * 40
    assert settings.sinks == "file,postgresql://u:p@db/x"


def test_slack_and_teams_secrets_read_their_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SIGNING_SECRET", "BOT_TOKEN", "APP_TOKEN", "CLIENT_SECRET"):
        monkeypatch.setenv(f"SLACK_{name}_FILE", str(secret_file(tmp_path, name, f"{name.lower()}-value\n")))
    monkeypatch.setenv("SLACK_CLIENT_ID", "123.456")
    monkeypatch.setenv("TEAMS_APP_PASSWORD_FILE", str(secret_file(tmp_path, "teams", "teams-password\n")))
    slack = load_slack_settings()
    assert slack.signing_secret is not None and slack.signing_secret.get_secret_value() == "signing_secret-value"
    assert slack.bot_token is not None and slack.bot_token.get_secret_value() == "bot_token-value"
    assert slack.app_token is not None and slack.app_token.get_secret_value() == "app_token-value"
    assert slack.client_secret is not None and slack.client_secret.get_secret_value() == "client_secret-value"
    teams = load_teams_settings()
    assert teams.app_password is not None and teams.app_password.get_secret_value() == "teams-password"


def test_a_variable_and_its_file_together_are_an_error_naming_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", SECRET)
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(secret_file(tmp_path, "bot", SECRET)))
    with pytest.raises(ConfigError) as caught:
        load_slack_settings()
    message = str(caught.value)
    assert "SLACK_BOT_TOKEN and SLACK_BOT_TOKEN_FILE" in message and SECRET not in message


def test_the_alias_of_redis_url_counts_as_set_too(tmp_path: Path) -> None:
    env = {"CANDOR_REDIS_URL": "redis://a", "REDIS_URL_FILE": str(secret_file(tmp_path, "r", "redis://b"))}
    with pytest.raises(ConfigError, match="CANDOR_REDIS_URL and REDIS_URL_FILE"):
        secrets_from_files(SECRET_FIELDS, env)


@pytest.mark.parametrize("kind", ["missing", "folder", "not utf-8"])
def test_an_unreadable_file_names_the_variable_and_path_never_the_content(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "secret"
    if kind == "folder":
        path.mkdir()
    elif kind == "not utf-8":
        path.write_bytes(SECRET.encode() + b"\xff\xfe")
    with pytest.raises(ConfigError) as caught:
        secrets_from_files(SECRET_FIELDS, {"CANDOR_WEBHOOK_SECRET_FILE": str(path)})
    message = str(caught.value)
    assert "CANDOR_WEBHOOK_SECRET_FILE" in message and str(path) in message
    assert SECRET not in message and "\\xff" not in message


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An env file may list every secret empty (deploy/.env.example): none of them may become ""."""
    empty = ("CANDOR_PSEUDONYM_KEY", "ANTHROPIC_API_KEY", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "TEAMS_APP_ID")
    for name in empty:
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("CANDOR_PSEUDONYM_KEY_FILE", str(secret_file(tmp_path, "p", SECRET)))
    settings = load_settings()
    assert settings.anthropic_api_key is None
    assert settings.pseudonym_key is not None and settings.pseudonym_key.get_secret_value() == SECRET
    assert not load_slack_settings().configured
    assert not load_teams_settings().enabled


def candor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    prefixes = ("CANDOR_", "SLACK_", "TEAMS_", "ANTHROPIC_", "REDIS_URL", "PORT")
    base = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    return subprocess.run(
        [sys.executable, "-m", "adapters.cli", *args],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_candor_command_reports_a_missing_secret_file_with_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "run" / "secrets" / "pseudonym"
    result = candor({"CANDOR_PSEUDONYM_KEY_FILE": str(missing), "CANDOR_DATA_DIR": str(tmp_path)}, "flows", "list")
    assert result.returncode == 2
    assert f"CANDOR_PSEUDONYM_KEY_FILE: cannot read {missing} (No such file or directory)" in result.stderr


def test_role_of_main_process_reads_pid_1s_arguments(tmp_path: Path) -> None:
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"/usr/bin/tini\0--\0candor\0worker\0")
    assert health.role_of_main_process(cmdline) == "worker"
    cmdline.write_bytes(b"/opt/venv/bin/python\0/opt/venv/bin/candor\0serve\0")
    assert health.role_of_main_process(cmdline) == "serve"
    assert health.role_of_main_process(tmp_path / "absent") == "serve"


def test_health_of_serve_asks_healthz(tmp_path: Path) -> None:
    port = free_port()
    assert candor({}, "health", "--role", "serve", "--port", str(port), "--timeout", "1").returncode == 1
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        (tmp_path / "healthz").write_text("{}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        result = candor({"PORT": str(port)}, "health", "--role", "serve")
        assert result.returncode == 0, result.stderr
        assert "candor health (serve): ok" in result.stdout
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_health_of_a_worker_pings_its_redis(redis_url: str, tmp_path: Path) -> None:
    url_file = secret_file(tmp_path, "redis-url", redis_url + "\n")
    assert candor({"REDIS_URL_FILE": str(url_file)}, "health", "--role", "worker").returncode == 0
    unused = f"redis://127.0.0.1:{free_port()}/0"
    result = candor({"REDIS_URL": unused}, "health", "--role", "worker", "--timeout", "1")
    assert result.returncode == 1 and "Redis" in result.stderr
