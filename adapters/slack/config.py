"""Slack settings, read explicitly so Bolt never picks up a stray ``SLACK_*`` variable on its own."""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import secrets_from_files
from bot.errors import ConfigError

# dnd:read, channels:read and groups:read are for waves (do-not-disturb, members of a channel);
# users:read.email finds people by e-mail and im:history checks a DM for a wave's invitation.
DEFAULT_SCOPES = (
    "chat:write",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
    "users:read.email",
    "commands",
    "dnd:read",
    "channels:read",
    "groups:read",
)


# The Slack secrets, which may also be given as files (SLACK_BOT_TOKEN_FILE=/run/secrets/...).
SECRET_FIELDS = {
    name: (f"SLACK_{name.upper()}",) for name in ("signing_secret", "bot_token", "app_token", "client_secret")
}


class SlackSettings(BaseSettings):
    # An empty variable counts as unset: an env file listing SLACK_BOT_TOKEN= must not configure Slack.
    model_config = SettingsConfigDict(env_prefix="SLACK_", extra="ignore", env_ignore_empty=True)

    signing_secret: SecretStr | None = None
    bot_token: SecretStr | None = None
    app_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    scopes: str = ",".join(DEFAULT_SCOPES)
    redirect_uri: str | None = None
    api_base_url: str = Field(default="https://slack.com/api/", pattern=r"^https?://.+/$")
    # Seconds to wait before showing "one moment" while a reply is prepared.
    placeholder_after_seconds: float = Field(default=1.0, ge=0, le=30)

    @model_validator(mode="after")
    def _oauth_needs_both(self) -> SlackSettings:
        if bool(self.client_id) != bool(self.client_secret):
            raise ValueError("set both SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for multi-workspace OAuth, or neither")
        return self

    @property
    def configured(self) -> bool:
        """Whether any Slack setting is present (so Slack is meant to run)."""
        return any((self.signing_secret, self.bot_token, self.app_token, self.client_id))

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def scope_list(self) -> list[str]:
        return [scope.strip() for scope in self.scopes.split(",") if scope.strip()]

    def check_for_http(self) -> None:
        """The settings `candor serve` needs to take Slack's HTTP requests."""
        if self.signing_secret is None:
            raise ConfigError("SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page")
        if not self.oauth and self.bot_token is None:
            raise ConfigError(
                "set SLACK_BOT_TOKEN (one workspace), or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET "
                "(OAuth, many workspaces)"
            )

    def check_for_socket_mode(self) -> None:
        if self.app_token is None or not self.app_token.get_secret_value().startswith("xapp-"):
            raise ConfigError("socket mode needs SLACK_APP_TOKEN, an app-level token (xapp-...) with connections:write")
        if self.bot_token is None:
            raise ConfigError("socket mode serves one workspace: set SLACK_BOT_TOKEN")


def load_slack_settings(**overrides: Any) -> SlackSettings:
    """Read SLACK_* variables, and SLACK_*_FILE for the secrets."""
    try:
        return SlackSettings(**{**secrets_from_files(SECRET_FIELDS), **overrides})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = f"SLACK_{str(err['loc'][0]).upper()}" if err["loc"] else "SLACK settings"
            lines.append(f"{name}: {err['msg'].removeprefix('Value error, ')}")
        raise ConfigError("invalid setting: " + "; ".join(lines)) from None
