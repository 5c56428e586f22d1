"""Teams settings: the Azure Bot registration, token validation endpoints, and development switches."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import secrets_from_files
from bot.errors import ConfigError

PUBLIC_SERVICE_URL = "https://smba.trafficmanager.net/teams/"


# The Teams secret, which may also be given as a file (TEAMS_APP_PASSWORD_FILE=/run/secrets/...).
SECRET_FIELDS = {"app_password": ("TEAMS_APP_PASSWORD",)}


class TeamsSettings(BaseSettings):
    # An empty variable counts as unset, so an env file may list TEAMS_APP_ID= without turning Teams on.
    model_config = SettingsConfigDict(env_prefix="TEAMS_", extra="ignore", env_ignore_empty=True)

    app_id: str | None = None
    app_password: SecretStr | None = None
    certificate_file: Path | None = None
    tenant_id: str | None = None
    # Token validation endpoints: public cloud by default; set both for GCC High, DoD or China.
    jwks_url: str | None = None
    issuers: str | None = None
    service_url: str = Field(default=PUBLIC_SERVICE_URL, pattern=r"^https?://")
    # Outbound token: the MSAL authority, the scope asked for, and the audience for new chats.
    authority: str | None = None
    scopes: str | None = None
    audience: str = "https://api.botframework.com"
    # Development only: accept unauthenticated requests (refused unless bound to loopback).
    auth_disabled: bool = False
    # Tests and local development: accept http://127.0.0.1 service URLs from the channel.
    allow_loopback_service_url: bool = False

    @property
    def enabled(self) -> bool:
        return bool(self.app_id) or self.auth_disabled

    @property
    def scope_list(self) -> list[str] | None:
        return [i.strip() for i in self.scopes.split(",") if i.strip()] if self.scopes else None

    @property
    def issuer_list(self) -> list[str] | None:
        return [i.strip() for i in self.issuers.split(",") if i.strip()] if self.issuers else None

    def check(self, host: str) -> None:
        """Refuse settings that would run an insecure bot."""
        if self.auth_disabled:
            if not _is_loopback(host):
                raise ConfigError(
                    f"TEAMS_AUTH_DISABLED is for development on this machine only: bind to 127.0.0.1 (got {host!r})"
                )
            return
        if not self.app_id:
            return
        if not self.tenant_id:
            raise ConfigError("TEAMS_TENANT_ID is not set: the Azure Bot is single-tenant; use its tenant id")
        if self.app_password is None and self.certificate_file is None:
            raise ConfigError("set TEAMS_APP_PASSWORD (client secret) or TEAMS_CERTIFICATE_FILE for the Azure Bot")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_teams_settings(**overrides: Any) -> TeamsSettings:
    """Read TEAMS_* variables, and TEAMS_APP_PASSWORD_FILE for the secret."""
    try:
        return TeamsSettings(**{**secrets_from_files(SECRET_FIELDS), **overrides})
    except ValidationError as exc:
        lines = [f"TEAMS_{str(e['loc'][0]).upper()}: {e['msg']}" for e in exc.errors() if e["loc"]]
        raise ConfigError("invalid setting: " + "; ".join(lines)) from None
