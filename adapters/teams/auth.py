"""Who may talk to the Teams endpoint: Bot Framework JWTs, checked with the Agents SDK's validator.

The SDK's own route decorator answers 500 for a token without a ``kid`` and only compares hosts
for the ``serviceurl`` binding; this module answers 401 for every bad token and requires the
activity's service URL to be exactly the one the token was issued for.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import jwt
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import AgentAuthConfiguration, JwtTokenValidator, OutboundHostValidator
from microsoft_agents.hosting.core.authorization import _entra_issuers
from microsoft_agents.hosting.core.authorization.authentication_constants import AuthenticationConstants
from microsoft_agents.hosting.core.authorization.claims_identity import ClaimsIdentity

log = logging.getLogger(__name__)
_MICROSOFT_HOSTS = OutboundHostValidator(enabled=True)


def use_jwks_url(url: str | None) -> None:
    """Point the SDK's Bot Framework key lookup elsewhere (sovereign clouds, tests).

    The Agents SDK has no setting for this: its validator reads this module-level dict. It is the
    only private SDK detail Candor touches; tests/test_teams.py fails loudly if an upgrade moves it.
    """
    if url:
        _entra_issuers.BOTFRAMEWORK_JWKS_URIS[AuthenticationConstants.AGENTS_SDK_TOKEN_ISSUER] = url


async def authenticate(authorization: str | None, config: AgentAuthConfiguration) -> ClaimsIdentity | None:
    """The verified claims of a request, or None (answer 401) for anything else."""
    parts = (authorization or "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return None
    token = parts[1]
    try:
        if not jwt.get_unverified_header(token).get("kid"):
            return None  # the SDK would fail with KeyError (500); a token must name its key
        return await JwtTokenValidator(config).validate_token(token)
    except Exception as exc:  # any failure to validate is a refusal, never a crash
        log.warning("Teams token refused: %s", type(exc).__name__)
        return None


def host_allowed(url: str, allow_loopback: bool) -> bool:
    """Where Candor sends its bearer token: Microsoft's https hosts (and loopback in tests)."""
    if allow_loopback and url.startswith("http://127.0.0.1:"):
        return True
    return bool(url) and _MICROSOFT_HOSTS.is_allowed(url)


def service_url_allowed(claims: ClaimsIdentity | None, activity: Activity, allow_loopback: bool) -> bool:
    """The activity's service URL is where replies go: it must be allowed, and the token's own."""
    url = activity.service_url or ""
    if not host_allowed(url, allow_loopback):
        return False
    if claims is None:
        return True
    claimed = claims.get_claim_value(AuthenticationConstants.SERVICE_URL_CLAIM)
    return bool(claimed) and _same_url(str(claimed), url)


def _same_url(a: str, b: str) -> bool:
    x, y = urlsplit(a), urlsplit(b)
    return (x.scheme.lower(), (x.netloc or "").lower(), x.path.rstrip("/")) == (
        y.scheme.lower(),
        (y.netloc or "").lower(),
        y.path.rstrip("/"),
    )
