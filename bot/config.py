"""Deployment settings, read from ``CANDOR_*`` environment variables (plus ``REDIS_URL``)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

# The newest Sonnet-class model the pinned anthropic SDK lists (tests/test_claude.py checks it).
DEFAULT_MODEL = "claude-sonnet-5-5"


class Settings(BaseSettings):
    """Every knob an operator can turn. The README's configuration table mirrors this class."""

    # An empty variable counts as unset, so an env file may list a secret with no value without it becoming "".
    model_config = SettingsConfigDict(
        env_prefix="CANDOR_", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "CANDOR_REDIS_URL"))
    anthropic_api_key: SecretStr | None = Field(default=None, validation_alias="ANTHROPIC_API_KEY")
    data_dir: Path = Path("./candor-data")
    flows_dir: Path | None = None
    default_flow: str = "ai-at-work"
    answer_window_seconds: float = Field(default=1.5, ge=0, le=60)
    max_message_chars: int = Field(default=4000, ge=100, le=100_000)
    interview_ttl_days: float = Field(default=30, ge=0.01, le=3650)
    redis_prefix: str = Field(default="candor", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    redis_max_connections: int = Field(default=100, ge=2, le=10_000)
    pseudonym_key: SecretStr | None = None
    # AES-256-GCM keys for what Redis holds, "keyid:base64key,..." (first encrypts, all decrypt). Unset:
    # candor serve refuses outside development; otherwise a key is generated and kept in the data folder.
    encryption_keys: SecretStr | None = None
    # Development mode: candor serve may run with a generated pseudonym key kept in the data folder.
    development: bool = False
    # How redacted spans read: [REDACTED] (the public dataset's style) or typed ([EMAIL], [NAME], ...).
    placeholders: str = Field(default="redacted", pattern=r"^(redacted|typed)$")
    # Company, product and project code names, office locations: redacted wherever they appear.
    redact_terms: str = ""
    # Government id formats to redact, comma-separated: us_ssn, uk_nino (none by default).
    redact_ids: str = Field(default="", pattern=r"^\s*((us_ssn|uk_nino)\s*(,\s*(us_ssn|uk_nino)\s*)*)?$")
    # The workspace directory (colleagues' names to redact), cached in Redis: how long a copy lives,
    # how old it may get before one process loads it again in the background, and how often each
    # process checks Redis for a newer copy than the one it holds in memory.
    directory_ttl_seconds: int = Field(default=21600, ge=60, le=30 * 86400)
    directory_refresh_seconds: int = Field(default=3600, ge=10, le=30 * 86400)
    directory_recheck_seconds: float = Field(default=30.0, ge=0, le=3600)
    # Where transcripts go, comma-separated: "file" (the data folder), file:///path, https://, s3://, postgresql://.
    sinks: str = "file"
    # For s3:// sinks on an S3-compatible store (MinIO and others); unset means AWS.
    s3_endpoint_url: str | None = None
    # The first wait before a sink that refused a transcript is tried again; it doubles, up to an hour.
    delivery_backoff_seconds: float = Field(default=30.0, ge=0.1, le=3600)
    delivery_backoff_max_seconds: float = Field(default=3600.0, ge=0.1, le=86400)
    # How often `candor worker` looks for transcripts waiting for a sink: 1-59 seconds, or whole minutes.
    delivery_retry_seconds: int = Field(default=30, ge=1, le=3600)
    # How often `candor worker` tops up every running wave (invites more while strata need completes).
    wave_top_up_seconds: int = Field(default=60, ge=1, le=3600)
    # On SIGTERM, how long `candor serve` waits for messages it is handling before it exits.
    shutdown_grace_seconds: float = Field(default=20.0, ge=0, le=600)
    # Where `candor worker` serves /healthz and /metrics (0: not at all).
    worker_port: int = Field(default=0, ge=0, le=65535)
    # Jobs one `candor worker` runs at once.
    worker_concurrency: int = Field(default=10, ge=1, le=200)
    # Platform rate limits waves keep to, overriding defaults: "slack_conversations_open=40/min burst 4; ...".
    rate_limits: str = ""
    # A wave rehearsal: WAVE_START,REAL_START,SPEED runs wave time SPEED times faster than the wall clock.
    wave_clock: str | None = None
    # The Standard Webhooks secret (whsec_...) for webhook sinks.
    webhook_secret: SecretStr | None = None
    # The Claude interviewer (used when ANTHROPIC_API_KEY is set; ANTHROPIC_BASE_URL is read by the SDK).
    model: str = Field(default=DEFAULT_MODEL, min_length=3)
    model_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    model_max_retries: int = Field(default=2, ge=0, le=10)
    # Told to a participant who seems distressed, when the study's flow names no resources of its own.
    support_resources: str | None = Field(default=None, max_length=1000)
    # US dollars per million tokens, for the cost recorded with each transcript.
    price_input: float = Field(default=3.0, ge=0)
    price_cache_write: float = Field(default=3.75, ge=0)
    price_cache_read: float = Field(default=0.30, ge=0)
    price_output: float = Field(default=15.0, ge=0)
    log_level: str = Field(default="WARNING", pattern=r"^(?i:debug|info|warning|error)$")
    # text: one readable line per event; json: one JSON object per line, with request and interview ids.
    log_format: str = Field(default="text", pattern=r"^(text|json)$")
    # The /admin page of candor serve. Off unless a token or a trusted single sign-on header is set.
    admin_token: SecretStr | None = None
    # A header set by a trusted reverse proxy (e.g. X-Forwarded-Email) and the comma-separated values it may hold.
    admin_sso_header: str | None = Field(default=None, pattern=r"^[A-Za-z0-9-]{1,100}$")
    admin_sso_users: str = ""
    # Breakdowns (per stratum, per day) hide any number smaller than this, so no small group stands out.
    admin_min_group: int = Field(default=5, ge=1, le=1000)

    @model_validator(mode="after")
    def _refresh_before_expiry(self) -> Settings:
        if self.directory_refresh_seconds >= self.directory_ttl_seconds:
            raise ValueError(
                "CANDOR_DIRECTORY_REFRESH_SECONDS must be shorter than CANDOR_DIRECTORY_TTL_SECONDS, "
                "or the cached directory expires before it is renewed"
            )
        return self

    @model_validator(mode="after")
    def _admin_access(self) -> Settings:
        if self.admin_token is not None and len(self.admin_token.get_secret_value()) < 32:
            raise ValueError(
                "CANDOR_ADMIN_TOKEN must be at least 32 characters; python -c 'import secrets;"
                " print(secrets.token_urlsafe(32))' prints one"
            )
        if self.admin_sso_header and not self.admin_sso_users.strip():
            raise ValueError("CANDOR_ADMIN_SSO_HEADER needs CANDOR_ADMIN_SSO_USERS, the comma-separated people allowed")
        return self

    @property
    def admin_enabled(self) -> bool:
        return self.admin_token is not None or bool(self.admin_sso_header)

    @property
    def interview_ttl_seconds(self) -> int:
        return int(self.interview_ttl_days * 86400)


_ENV_NAMES = {"redis_url": "REDIS_URL", "anthropic_api_key": "ANTHROPIC_API_KEY"}

# Settings that may be given as files (NAME_FILE): every secret, plus the URLs that may carry a password.
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "redis_url": ("REDIS_URL", "CANDOR_REDIS_URL"),
    "anthropic_api_key": ("ANTHROPIC_API_KEY",),
    "pseudonym_key": ("CANDOR_PSEUDONYM_KEY",),
    "encryption_keys": ("CANDOR_ENCRYPTION_KEYS",),
    "webhook_secret": ("CANDOR_WEBHOOK_SECRET",),
    "admin_token": ("CANDOR_ADMIN_TOKEN",),
    "sinks": ("CANDOR_SINKS",),
}


def secrets_from_files(
    fields: Mapping[str, tuple[str, ...]], environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Read secrets mounted as files (Docker and Kubernetes secrets), keyed by field name.

    ``fields`` maps a field to its variable names, the first naming the ``_FILE`` variable. The file's
    content, less its trailing newline, is the value. Errors name variables and paths, never content.
    """
    env = os.environ if environ is None else environ
    values: dict[str, str] = {}
    for field, names in fields.items():
        file_var = f"{names[0]}_FILE"
        path = env.get(file_var, "")
        if not path:
            continue
        both = [name for name in names if env.get(name)]
        if both:
            raise ConfigError(f"invalid setting: {both[0]} and {file_var} are both set; set only one of them")
        try:
            text = Path(path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ConfigError(f"invalid setting: {file_var}: {path} is not UTF-8 text") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ConfigError(f"invalid setting: {file_var}: cannot read {path} ({reason})") from None
        values[field] = text.rstrip("\r\n")
    return values


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning pydantic's report into one line per bad variable (never a secret's value)."""
    values = {**secrets_from_files(SECRET_FIELDS), **overrides}
    try:
        return Settings(**values)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            if not err["loc"]:  # a check across settings names them itself
                lines.append(str(err["msg"]).removeprefix("Value error, "))
                continue
            name = str(err["loc"][0])
            env = _ENV_NAMES.get(name, f"CANDOR_{name.upper()}")
            got = "" if name in SECRET_FIELDS else f" (got {err.get('input')!r})"
            lines.append(f"{env}: {err['msg']}{got}")
        raise ConfigError("invalid setting: " + "; ".join(lines)) from None
