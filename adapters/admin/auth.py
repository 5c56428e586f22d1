"""Who may use the admin page: a long token (form sign-in or Bearer header), or a trusted proxy's header.

Everything secret is compared in constant time. The session cookie never holds the token itself,
only an HMAC of it with the time it was issued, so a leaked cookie expires and a new token ends
every session at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from aiohttp import web

from bot.config import Settings

SESSION_COOKIE = "candor_admin"
LOGIN_COOKIE = "candor_admin_login"
COOKIE_PATH = "/admin"
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated request: how it proved itself, and what its CSRF token is bound to."""

    via: Literal["cookie", "bearer", "sso"]
    binding: str


def _same(a: str, b: str) -> bool:
    """Constant time whatever the lengths: both sides are hashed to the same size first."""
    return hmac.compare_digest(hashlib.sha256(a.encode()).digest(), hashlib.sha256(b.encode()).digest())


def is_https(request: web.Request) -> bool:
    """The proxy's X-Forwarded-Proto is trusted here only to add the Secure flag, which can do no harm."""
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


class AdminAuth:
    def __init__(
        self,
        *,
        token: str | None,
        sso_header: str | None,
        sso_users: Iterable[str],
        key: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.sso_header = sso_header or None
        self.sso_users = tuple(user.strip().casefold() for user in sso_users if user.strip())
        self._key = key
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, deployment_secret: bytes) -> AdminAuth:
        """The signing key is derived from the deployment secret, so every ``candor serve`` process agrees."""
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        return cls(
            token=token,
            sso_header=settings.admin_sso_header,
            sso_users=settings.admin_sso_users.split(","),
            key=hmac.new(deployment_secret, b"candor admin page", hashlib.sha256).digest(),
        )

    def _mac(self, *parts: str) -> str:
        return hmac.new(self._key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()

    # -- identifying a request ----------------------------------------------------------------

    def identify(self, request: web.Request) -> Identity | None:
        if self.sso_header is not None:
            value = request.headers.get(self.sso_header, "").strip().casefold()
            if value and self._sso_allowed(value):
                return Identity("sso", f"sso:{value}")
        if self.token is None:
            return None
        authorization = request.headers.get("Authorization", "")
        if authorization[:7].lower() == "bearer ":
            return Identity("bearer", "bearer") if _same(authorization[7:].strip(), self.token) else None
        cookie = request.cookies.get(SESSION_COOKIE, "")
        if cookie and self._session_valid(cookie):
            return Identity("cookie", f"cookie:{cookie}")
        return None

    def _sso_allowed(self, value: str) -> bool:
        allowed = False
        for user in self.sso_users:  # every entry is compared, so the timing does not tell which matched
            allowed |= _same(value, user)
        return allowed

    def check_token(self, given: str) -> bool:
        return self.token is not None and _same(given.strip(), self.token)

    # -- the session cookie --------------------------------------------------------------------

    def new_session(self) -> str:
        issued = str(int(self._clock()))
        return f"{issued}.{self._mac('session', issued, self.token or '')}"

    def _session_valid(self, cookie: str) -> bool:
        issued, _, mac = cookie.partition(".")
        if not issued.isdigit() or not _same(mac, self._mac("session", issued, self.token or "")):
            return False
        age = self._clock() - int(issued)
        return -60 <= age < SESSION_SECONDS

    # -- CSRF ----------------------------------------------------------------------------------

    def csrf_token(self, identity: Identity) -> str:
        return self._mac("csrf", identity.binding)

    def csrf_ok(self, identity: Identity, given: str) -> bool:
        # A Bearer header is never added by a browser on its own, so such a request cannot be forged cross-site.
        return identity.via == "bearer" or _same(given, self.csrf_token(identity))

    @staticmethod
    def new_login_nonce() -> str:
        return secrets.token_urlsafe(24)

    def login_csrf(self, nonce: str) -> str:
        """The sign-in form's token, bound to a cookie set with the form (there is no session yet)."""
        return self._mac("login", nonce)

    def login_csrf_ok(self, nonce: str, given: str) -> bool:
        return bool(nonce) and _same(given, self.login_csrf(nonce))


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
    )
