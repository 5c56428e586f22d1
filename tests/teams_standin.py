"""A local stand-in for the Teams Bot Connector and Bot Framework token keys, for tests of the Teams adapter.

The real Microsoft 365 Agents SDK talks to it over HTTP on 127.0.0.1: inbound activities carry ``serviceUrl`` =
``TeamsStandIn.service_url``, so the SDK's own connector client sends replies, updates, deletes, creates and member
lookups here with its outbound token, and the stand-in records them. It also publishes the public keys of local
``TokenIssuer`` instances at ``jwks_url``, so the bot's inbound JWT validation runs its production code path against
tokens the test mints (valid ones and each kind of forgery). The server runs in a daemon thread with its own event
loop, so it works with any test event loop and with blocking callers alike.

Typical use::

    issuer = TokenIssuer()
    with TeamsStandIn([issuer]) as teams:
        # point the SDK's JWKS lookup at teams.jwks_url (test-only monkeypatch), then POST to the bot:
        activity = message_activity("hi", service_url=teams.service_url, app_id=APP_ID)
        token = issuer.token(app_id=APP_ID, service_url=teams.service_url)
        await http.post(bot_url, json=activity, headers=auth_header(token))
        [reply] = await teams.wait_for("reply")
        assert teams.sent_texts() == ["echo: hi"]

Activity builders at the bottom produce the Bot Framework JSON Teams sends (messages, card submits, mentions,
conversationUpdate, installationUpdate).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import unquote

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.threaded_server import ThreadedServer

__all__ = [
    "BOTFRAMEWORK_ISSUER",
    "BOT_NAME",
    "DEFAULT_AAD_OBJECT_ID",
    "DEFAULT_CONVERSATION_ID",
    "DEFAULT_KID",
    "DEFAULT_TENANT_ID",
    "DEFAULT_USER_ID",
    "DEFAULT_USER_NAME",
    "Call",
    "TeamsStandIn",
    "TokenIssuer",
    "auth_header",
    "conversation_update_activity",
    "installation_update_activity",
    "mention_entity",
    "message_activity",
    "new_activity_id",
]

BOTFRAMEWORK_ISSUER: Final = "https://api.botframework.com"
DEFAULT_KID: Final = "test-kid-1"
DEFAULT_TENANT_ID: Final = "tenant-1"
DEFAULT_USER_ID: Final = "29:user-1"
DEFAULT_AAD_OBJECT_ID: Final = "aad-user-1"
DEFAULT_USER_NAME: Final = "Dana Whitfield"
DEFAULT_CONVERSATION_ID: Final = "a:conv-1"
BOT_NAME: Final = "Candor"

# Methods whose bodies are activities the bot sent, for sent_texts / sent_activities.
SENDING_METHODS: Final = frozenset({"reply", "send"})

# (HTTP verb, path template with "*" for one id segment, recorded method name); literal parts match case-insensitively
# because the SDK's two clients disagree ("pagedmembers" vs "pagedMembers").
_ROUTES: Final[tuple[tuple[str, tuple[str, ...], str], ...]] = (
    ("GET", ("v1", ".well-known", "keys"), "jwks"),
    ("GET", ("v1", ".well-known", "openidconfiguration"), "openid"),
    ("POST", ("v3", "conversations"), "create"),
    ("POST", ("v3", "conversations", "*", "activities"), "send"),
    ("POST", ("v3", "conversations", "*", "activities", "*"), "reply"),
    ("PUT", ("v3", "conversations", "*", "activities", "*"), "update"),
    ("DELETE", ("v3", "conversations", "*", "activities", "*"), "delete"),
    ("GET", ("v3", "conversations", "*", "members"), "members"),
    ("GET", ("v3", "conversations", "*", "members", "*"), "member"),
    ("GET", ("v3", "conversations", "*", "pagedmembers"), "pagedmembers"),
)


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Call:
    """One request the stand-in received, recorded for assertions (forced failures and unknown routes included).

    ``method`` is the route name: reply, send, update, delete, create, member, members, pagedmembers, jwks, openid,
    or unknown. ``conversation_id``/``item_id`` are the decoded path ids (``item_id`` is the activity or member id).
    """

    method: str
    path: str
    body: dict[str, Any] | None
    headers: dict[str, str]
    token: str | None
    at: float
    status: int = 200
    response: Any = None
    conversation_id: str | None = None
    item_id: str | None = None
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class _Failure:
    status: int
    body: Mapping[str, Any] | str | None
    headers: dict[str, str]
    remaining: int


@dataclass
class _State:
    """Everything the handlers (server thread) and the tests (other threads) share, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------- ids and helpers

_id_lock = threading.Lock()
_last_id = 0


def new_activity_id() -> str:
    """A Teams-like activity id (epoch milliseconds), unique and increasing in this process."""
    global _last_id
    with _id_lock:
        _last_id = max(_last_id + 1, int(time.time() * 1000))
        return str(_last_id)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url_json(value: Mapping[str, Any]) -> str:
    return _b64url(json.dumps(dict(value), separators=(",", ":")).encode())


def auth_header(token: str) -> dict[str, str]:
    """The header the Bot Connector sends to the bot's messaging endpoint."""
    return {"Authorization": f"Bearer {token}"}


def _bearer(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _match_route(verb: str, segments: list[str]) -> tuple[str, list[str]] | None:
    lowered = [segment.lower() for segment in segments]
    for route_verb, template, name in _ROUTES:
        if route_verb != verb or len(template) != len(segments):
            continue
        if all(part == "*" or part == seg for part, seg in zip(template, lowered, strict=True)):
            return name, [seg for part, seg in zip(template, segments, strict=True) if part == "*"]
    return None


def _error_body(status: int, code: str | None = None, message: str | None = None) -> dict[str, Any]:
    """The Bot Framework ``ErrorResponse`` shape: ``{"error": {"code", "message"}}``."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return {"error": {"code": code or phrase.replace(" ", ""), "message": message or phrase}}


async def _read_body(request: web.Request) -> dict[str, Any] | None:
    raw = await request.read()
    if not raw.strip():
        return None
    try:
        decoded = json.loads(raw)
    except ValueError:
        return {"_raw": raw.decode(errors="replace")}
    return decoded if isinstance(decoded, dict) else {"_json": decoded}


def _page(members: list[dict[str, Any]], query: Mapping[str, str], cap: int | None = None) -> dict[str, Any]:
    """One page of members (all of them without ``pageSize``); ``continuationToken`` only while more remain.

    The last page omits the token rather than sending null: the SDK's ``TeamsPagedMembersResult`` rejects null.
    """
    token = query.get("continuationToken") or "0"
    start = int(token) if token.isdigit() else 0
    requested = query.get("pageSize", "")
    size = int(requested) if requested.isdigit() and int(requested) > 0 else max(len(members), 1)
    size = min(size, cap) if cap else size
    page: dict[str, Any] = {"members": members[start : start + size]}
    if start + size < len(members):
        page["continuationToken"] = str(start + size)
    return page


def _respond(status: int, body: Any, headers: Mapping[str, str] | None = None) -> web.Response:
    if body is None:
        return web.Response(status=status, headers=dict(headers or {}))
    if isinstance(body, str):
        return web.Response(status=status, text=body, headers=dict(headers or {}))
    return web.json_response(body, status=status, headers=dict(headers or {}))


# --------------------------------------------------------------------------------------------- tokens


class _Own(Enum):
    KID = "own-kid"


OWN_KID: Final = _Own.KID


class TokenIssuer:
    """A local RSA-2048 key standing in for the Bot Framework's token signer, minting inbound JWTs for tests.

    Publish it through ``TeamsStandIn([issuer])``; an issuer that is not published plays the "unknown key" attacker.
    """

    def __init__(self, kid: str = DEFAULT_KID) -> None:
        self.kid = kid
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return self._private_key

    @property
    def public_key(self) -> rsa.RSAPublicKey:
        return self._private_key.public_key()

    def jwk(self) -> dict[str, Any]:
        """The public key as the Bot Framework publishes it (with ``endorsements``, which botbuilder checks)."""
        public = dict(RSAAlgorithm.to_jwk(self.public_key, as_dict=True))
        return public | {"kid": self.kid, "use": "sig", "endorsements": ["msteams"]}

    def claims(
        self,
        *,
        app_id: str,
        service_url: str,
        issuer: str = BOTFRAMEWORK_ISSUER,
        lifetime: int = 300,
        not_before_offset: int = -10,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The claims a channel token carries; ``extra_claims`` override them, and a None value removes a claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": issuer,
            "aud": app_id,
            "serviceurl": service_url,
            "nbf": now + not_before_offset,
            "iat": now,
            "exp": now + lifetime,
        }
        for name, value in (extra_claims or {}).items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def _header(self, kid: str | None | _Own, algorithm: str) -> dict[str, Any]:
        chosen = self.kid if kid is OWN_KID else kid
        header: dict[str, Any] = {"alg": algorithm, "typ": "JWT"}
        if chosen is not None:
            header["kid"] = chosen
        return header

    def token(
        self,
        *,
        app_id: str,
        service_url: str,
        issuer: str = BOTFRAMEWORK_ISSUER,
        lifetime: int = 300,
        not_before_offset: int = -10,
        kid: str | None | _Own = OWN_KID,
        algorithm: str = "RS256",
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """A signed channel token. ``kid=None`` omits the key id; ``algorithm="HS256"`` forges an alg-confusion token
        (HMAC keyed with this issuer's public PEM), which a correct validator rejects.

        Note the Agents SDK validates with 300 s leeway, so ``lifetime=-60`` is still accepted: use ``expired_token``.
        """
        claims = self.claims(
            app_id=app_id,
            service_url=service_url,
            issuer=issuer,
            lifetime=lifetime,
            not_before_offset=not_before_offset,
            extra_claims=extra_claims,
        )
        header = self._header(kid, algorithm)
        if algorithm.upper().startswith("HS"):
            return self._hmac_with_public_key(header, claims)
        extra_header = {name: value for name, value in header.items() if name not in ("alg", "typ")}
        return jwt.encode(claims, self._private_key, algorithm=algorithm, headers=extra_header)

    def _hmac_with_public_key(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[header["alg"].upper()]
        pem = self.public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        signing_input = f"{_b64url_json(header)}.{_b64url_json(claims)}"
        return f"{signing_input}.{_b64url(hmac.new(pem, signing_input.encode(), digest).digest())}"

    def unsigned_token(
        self,
        *,
        app_id: str,
        service_url: str,
        issuer: str = BOTFRAMEWORK_ISSUER,
        lifetime: int = 300,
        not_before_offset: int = -10,
        kid: str | None | _Own = OWN_KID,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        """``alg: none`` with our ``kid`` and an empty signature: the classic "unsigned" forgery."""
        claims = self.claims(
            app_id=app_id,
            service_url=service_url,
            issuer=issuer,
            lifetime=lifetime,
            not_before_offset=not_before_offset,
            extra_claims=extra_claims,
        )
        return f"{_b64url_json(self._header(kid, 'none'))}.{_b64url_json(claims)}."

    def token_with_garbage_signature(self, *, app_id: str, service_url: str, **kwargs: Any) -> str:
        """A token with a valid header and claims whose signature is random bytes of the right length."""
        signing_input, _, signature = self.token(app_id=app_id, service_url=service_url, **kwargs).rpartition(".")
        garbage = os.urandom(len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))))
        return f"{signing_input}.{_b64url(garbage)}"

    def expired_token(self, *, app_id: str, service_url: str, **kwargs: Any) -> str:
        """Expired by 10 minutes: beyond the SDK's 300 s leeway (``lifetime=-60`` alone would still pass)."""
        return self.token(app_id=app_id, service_url=service_url, lifetime=-600, **kwargs)

    def not_yet_valid_token(self, *, app_id: str, service_url: str, **kwargs: Any) -> str:
        """``nbf`` 10 minutes ahead, beyond the 300 s leeway."""
        return self.token(app_id=app_id, service_url=service_url, not_before_offset=600, lifetime=1200, **kwargs)

    def bad_tokens(self, *, app_id: str, service_url: str, stranger: TokenIssuer | None = None) -> dict[str, str]:
        """One token per forgery the bot must refuse, by name, for parametrized tests.

        ``unknown_kid`` is signed by ``stranger`` (an issuer that must not be published; one is generated if omitted).
        ``wrong_serviceurl`` is only refused when the adapter has a host validator enabled; ``missing_kid`` makes the
        Agents SDK 1.9 decorator answer 500, not 401.
        """
        stranger = stranger or TokenIssuer(kid=f"{self.kid}-unknown")
        a, s = app_id, service_url
        return {
            "unsigned": self.unsigned_token(app_id=a, service_url=s),
            "garbage_signature": self.token_with_garbage_signature(app_id=a, service_url=s),
            "alg_confusion_hs256": self.token(app_id=a, service_url=s, algorithm="HS256"),
            "expired": self.expired_token(app_id=a, service_url=s),
            "not_yet_valid": self.not_yet_valid_token(app_id=a, service_url=s),
            "wrong_audience": self.token(app_id=f"not-{a}", service_url=s),
            "unknown_kid": stranger.token(app_id=a, service_url=s),
            "missing_kid": self.token(app_id=a, service_url=s, kid=None),
            "wrong_serviceurl": self.token(app_id=app_id, service_url="https://smba.trafficmanager.net/teams/"),
        }


# --------------------------------------------------------------------------------------------- server


class TeamsStandIn(ThreadedServer):
    """The Bot Connector (``/v3/conversations/...``) and the Bot Framework key endpoints on a local port."""

    server_name = "Teams stand-in"
    thread_name = "teams-standin"

    def __init__(self, issuers: Iterable[TokenIssuer] | None = None, *, latency_seconds: float = 0.0) -> None:
        """``issuers``: whose keys ``jwks_url`` publishes (one fresh ``TokenIssuer`` if None)."""
        super().__init__()
        self.issuers: list[TokenIssuer] = list(issuers) if issuers is not None else [TokenIssuer()]
        self.latency_seconds = latency_seconds
        # The largest page ``pagedmembers`` serves whatever ``pageSize`` asks (Teams caps it too), so tests of
        # continuation tokens need no hundreds of members.
        self.max_page_size: int | None = None
        self._state = _State()

    # ----------------------------------------------------------------------------------- lifecycle

    @property
    def service_url(self) -> str:
        """The ``serviceUrl`` to put on inbound activities, so the SDK sends its replies here (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/.well-known/keys"

    @property
    def openid_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/.well-known/openidconfiguration"

    @property
    def issuer(self) -> TokenIssuer:
        """The first published issuer, for the common one-key case."""
        if not self.issuers:
            raise RuntimeError("the Teams stand-in publishes no keys")
        return self.issuers[0]

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    # ----------------------------------------------------------------------------------- setup by tests

    def publish(self, issuer: TokenIssuer) -> None:
        """Publish another key (key rotation); the SDK's JWKS client refetches when it meets an unknown ``kid``."""
        with self._state.lock:
            self.issuers.append(issuer)

    def add_member(
        self,
        member_id: str,
        *,
        name: str,
        aad_object_id: str | None = None,
        email: str | None = None,
        given_name: str | None = None,
        surname: str | None = None,
        user_principal_name: str | None = None,
        tenant_id: str = DEFAULT_TENANT_ID,
        job_title: str | None = None,
        department: str | None = None,
        office_location: str | None = None,
    ) -> dict[str, Any]:
        """Make member lookups (in any conversation) know a user; returns the Teams channel account JSON.

        ``job_title``, ``department`` and ``office_location`` are Graph's user fields (jobTitle, ...), for
        connectors that pass them on.
        """
        account: dict[str, Any] = {
            "id": member_id,
            "name": name,
            "aadObjectId": aad_object_id,
            "email": email,
            "givenName": given_name,
            "surname": surname,
            "userPrincipalName": user_principal_name,
            "tenantId": tenant_id,
            "userRole": "user",
            "jobTitle": job_title,
            "department": department,
            "officeLocation": office_location,
        }
        account = {key: value for key, value in account.items() if value is not None}
        with self._state.lock:
            self._state.members[member_id] = account
        return dict(account)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        body: Mapping[str, Any] | str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this failure instead (queued in order, recorded too).

        ``body`` defaults to the Bot Framework error shape; 429 defaults to ``Retry-After: 1``.
        """
        default_headers = {"Retry-After": "1"} if status == 429 else {}
        failure = _Failure(status, body, dict(default_headers if headers is None else headers), times)
        with self._state.lock:
            self._state.failures.setdefault(method, []).append(failure)

    # ----------------------------------------------------------------------------------- observing

    def calls(self, method: str | None = None) -> list[Call]:
        """A copy of the recorded calls, optionally of one method only, oldest first."""
        with self._state.lock:
            return [call for call in self._state.calls if method is None or call.method == method]

    def clear(self) -> None:
        """Forget recorded calls and pending failures (members and keys stay)."""
        with self._state.lock:
            self._state.calls.clear()
            self._state.failures.clear()

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait (on whichever loop awaits this) until ``count`` calls of ``method`` were recorded; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(self._missing_calls(method, count, timeout, found))
            await asyncio.sleep(0.01)

    def wait_for_sync(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """``wait_for`` for blocking callers (never on a loop that must make the calls)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method)
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise AssertionError(self._missing_calls(method, count, timeout, found))
            time.sleep(0.01)

    def _missing_calls(self, method: str, count: int, timeout: float, found: list[Call]) -> str:
        recorded = [f"{call.method}({call.status})" for call in self.calls()]
        return f"expected {count} call(s) of {method} within {timeout}s, got {len(found)}; recorded: {recorded}"

    def sent_activities(self, conversation_id: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the reply/send calls that succeeded (typing and cards included), in order."""
        return [
            call.body
            for call in self.calls()
            if call.method in SENDING_METHODS
            and call.status < 400
            and call.body is not None
            and (conversation_id is None or call.conversation_id == conversation_id)
        ]

    def sent_texts(self, conversation_id: str | None = None) -> list[str]:
        """Texts of the message activities the bot sent successfully, in order (activities without text skipped)."""
        return [
            activity["text"]
            for activity in self.sent_activities(conversation_id)
            if activity.get("type") == "message" and isinstance(activity.get("text"), str) and activity["text"]
        ]

    # ----------------------------------------------------------------------------------- serving

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        at = time.time()
        segments = [unquote(segment) for segment in request.rel_url.raw_path.strip("/").split("/")]
        matched = _match_route(request.method, segments)
        method, ids = matched if matched is not None else ("unknown", [])
        body = await _read_body(request)
        if self.latency_seconds:
            await asyncio.sleep(self.latency_seconds)
        failure = self._take_failure(method)
        headers: dict[str, str] = {}
        if failure is not None:
            status = failure.status
            response: Any = _error_body(status) if failure.body is None else failure.body
            headers = failure.headers
        else:
            status, response = self._answer(method, ids, body, request.query)
        call = Call(
            method=method,
            path=request.path,
            body=body,
            headers=dict(request.headers),
            token=_bearer(request),
            at=at,
            status=status,
            response=response,
            conversation_id=ids[0] if ids else None,
            item_id=ids[1] if len(ids) > 1 else None,
            query=dict(request.query),
        )
        with self._state.lock:
            self._state.calls.append(call)
        return _respond(status, response, headers)

    def _take_failure(self, method: str) -> _Failure | None:
        with self._state.lock:
            queue = self._state.failures.get(method)
            if not queue:
                return None
            failure = queue[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                queue.pop(0)
            return failure

    def _answer(
        self, method: str, ids: list[str], body: dict[str, Any] | None, query: Mapping[str, str]
    ) -> tuple[int, Any]:
        """The Bot Connector's success answer for a route (or its error for bad input)."""
        if method in SENDING_METHODS or method == "update":
            if body is None or not body.get("type"):
                return 400, _error_body(400, "BadArgument", "the activity must be a JSON object with a type")
            if method == "update":
                return 200, {"id": ids[1]}
            return (200 if method == "reply" else 201), {"id": new_activity_id()}
        if method == "delete":
            return 200, None
        if method == "create":
            return 201, {
                "id": f"a:new-{uuid.uuid4().hex[:12]}",
                "serviceUrl": self.service_url,
                "activityId": new_activity_id(),
            }
        if method in ("member", "members", "pagedmembers"):
            return self._answer_members(method, ids, query)
        if method == "jwks":
            with self._state.lock:
                return 200, {"keys": [issuer.jwk() for issuer in self.issuers]}
        if method == "openid":
            return 200, {
                "issuer": BOTFRAMEWORK_ISSUER,
                "jwks_uri": self.jwks_url,
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        return 404, _error_body(404, "NotFound", "no such Bot Connector route in the Teams stand-in")

    def _answer_members(self, method: str, ids: list[str], query: Mapping[str, str]) -> tuple[int, Any]:
        with self._state.lock:
            members = [dict(member) for member in self._state.members.values()]
            found = self._state.members.get(ids[1]) if method == "member" else None
        if method == "members":
            return 200, members
        if method == "pagedmembers":
            return 200, _page(members, query, self.max_page_size)
        if found is None:
            message = f"member {ids[1]} is not in conversation {ids[0]}"
            return 404, _error_body(404, "MemberNotFoundInConversation", message)
        return 200, dict(found)


# --------------------------------------------------------------------------------------------- activities


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _base_activity(
    activity_type: str,
    *,
    service_url: str,
    app_id: str,
    user_id: str,
    aad_object_id: str | None,
    user_name: str,
    conversation_id: str,
    tenant_id: str,
    bot_id: str | None,
    activity_id: str | None,
    conversation_type: str,
) -> dict[str, Any]:
    """The envelope every Teams activity shares: who, where, which tenant, and where to reply."""
    sender: dict[str, Any] = {"id": user_id, "name": user_name}
    if aad_object_id is not None:
        sender["aadObjectId"] = aad_object_id
    conversation: dict[str, Any] = {"id": conversation_id, "conversationType": conversation_type, "tenantId": tenant_id}
    if conversation_type != "personal":
        conversation["isGroup"] = True
    return {
        "type": activity_type,
        "id": activity_id or new_activity_id(),
        "timestamp": _timestamp(),
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": sender,
        "recipient": {"id": bot_id or f"28:{app_id}", "name": BOT_NAME},
        "conversation": conversation,
        "channelData": {"tenant": {"id": tenant_id}},
        "locale": "en-US",
    }


def message_activity(
    text: str | None,
    *,
    service_url: str,
    app_id: str,
    user_id: str = DEFAULT_USER_ID,
    aad_object_id: str | None = DEFAULT_AAD_OBJECT_ID,
    user_name: str = DEFAULT_USER_NAME,
    conversation_id: str = DEFAULT_CONVERSATION_ID,
    tenant_id: str = DEFAULT_TENANT_ID,
    bot_id: str | None = None,
    activity_id: str | None = None,
    value: Any = None,
    attachments: list[dict[str, Any]] | None = None,
    entities: list[dict[str, Any]] | None = None,
    conversation_type: str = "personal",
    reply_to_id: str | None = None,
    text_format: str = "plain",
) -> dict[str, Any]:
    """A Teams ``message`` activity; a card submit is ``message_activity(None, value=data, reply_to_id=card_id)``."""
    activity = _base_activity(
        "message",
        service_url=service_url,
        app_id=app_id,
        user_id=user_id,
        aad_object_id=aad_object_id,
        user_name=user_name,
        conversation_id=conversation_id,
        tenant_id=tenant_id,
        bot_id=bot_id,
        activity_id=activity_id,
        conversation_type=conversation_type,
    )
    activity["textFormat"] = text_format
    optional = {
        "text": text,
        "value": value,
        "attachments": attachments,
        "entities": entities,
        "replyToId": reply_to_id,
    }
    activity.update({key: item for key, item in optional.items() if item is not None})
    return activity


def _accounts(members: Iterable[str | Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": member} if isinstance(member, str) else dict(member) for member in members]


def conversation_update_activity(
    *,
    service_url: str,
    app_id: str,
    members_added: Iterable[str | Mapping[str, Any]] | None = None,
    members_removed: Iterable[str | Mapping[str, Any]] | None = None,
    user_id: str = DEFAULT_USER_ID,
    aad_object_id: str | None = DEFAULT_AAD_OBJECT_ID,
    user_name: str = DEFAULT_USER_NAME,
    conversation_id: str = DEFAULT_CONVERSATION_ID,
    tenant_id: str = DEFAULT_TENANT_ID,
    bot_id: str | None = None,
    activity_id: str | None = None,
    conversation_type: str = "personal",
) -> dict[str, Any]:
    """``conversationUpdate``; by default the bot was added to a personal chat (``membersAdded`` = the bot).

    Members are ids or channel-account dicts.
    """
    activity = _base_activity(
        "conversationUpdate",
        service_url=service_url,
        app_id=app_id,
        user_id=user_id,
        aad_object_id=aad_object_id,
        user_name=user_name,
        conversation_id=conversation_id,
        tenant_id=tenant_id,
        bot_id=bot_id,
        activity_id=activity_id,
        conversation_type=conversation_type,
    )
    if members_added is None and members_removed is None:
        members_added = [{"id": activity["recipient"]["id"]}]
    if members_added is not None:
        activity["membersAdded"] = _accounts(members_added)
    if members_removed is not None:
        activity["membersRemoved"] = _accounts(members_removed)
    return activity


def installation_update_activity(
    action: str = "add",
    *,
    service_url: str,
    app_id: str,
    user_id: str = DEFAULT_USER_ID,
    aad_object_id: str | None = DEFAULT_AAD_OBJECT_ID,
    user_name: str = DEFAULT_USER_NAME,
    conversation_id: str = DEFAULT_CONVERSATION_ID,
    tenant_id: str = DEFAULT_TENANT_ID,
    bot_id: str | None = None,
    activity_id: str | None = None,
    conversation_type: str = "personal",
) -> dict[str, Any]:
    """``installationUpdate`` (action ``add``, ``remove``, ``add-upgrade``, ``remove-upgrade``): the app was installed
    or removed for a user, the moment to store (or drop) the conversation reference for proactive messages."""
    activity = _base_activity(
        "installationUpdate",
        service_url=service_url,
        app_id=app_id,
        user_id=user_id,
        aad_object_id=aad_object_id,
        user_name=user_name,
        conversation_id=conversation_id,
        tenant_id=tenant_id,
        bot_id=bot_id,
        activity_id=activity_id,
        conversation_type=conversation_type,
    )
    activity["action"] = action
    activity["channelData"]["source"] = {"name": "message"}
    return activity


def mention_entity(name: str, id: str) -> dict[str, Any]:
    """A Teams mention; the message text must contain the same ``<at>name</at>``."""
    return {"type": "mention", "mentioned": {"id": id, "name": name}, "text": f"<at>{name}</at>"}
