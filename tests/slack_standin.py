"""A local stand-in for Slack's Web API and Socket Mode, for tests of the Slack adapter.

The real ``slack_sdk`` clients talk to it over HTTP and WebSocket on 127.0.0.1, so the adapter's own
request building, error handling, retries and Socket Mode acknowledgements are exercised end to end
without the internet. The server runs in a daemon thread with its own event loop, so it works with
any test event loop and with blocking callers alike.

Typical use::

    with SlackStandIn() as slack:
        slack.add_workspace("T1", "xoxb-t1")
        client = AsyncWebClient(token="xoxb-t1", base_url=slack.base_url)
        await client.chat_postMessage(channel="D123", text="hi")
        [call] = await slack.wait_for("chat.postMessage")

Payload builders at the bottom of the module produce Events API, interactivity and slash command
bodies shaped like Slack's, to feed the bot over HTTP (signed with ``sign``) or over Socket Mode
(``SlackStandIn.send_envelope``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSCloseCode, WSMsgType, web

from tests.threaded_server import ThreadedServer

__all__ = [
    "APP_ID",
    "BOT_ID",
    "BOT_USER_ID",
    "DEFAULT_TEAM",
    "Call",
    "SlackStandIn",
    "app_home_opened_event",
    "app_uninstalled_event",
    "block_actions_payload",
    "dm_channel_id",
    "event_callback",
    "form_body",
    "interactivity_form",
    "message_changed_event",
    "message_deleted_event",
    "message_im_event",
    "next_ts",
    "sign",
    "slash_command_form",
    "tokens_revoked_event",
    "url_verification",
]

DEFAULT_TEAM = "T0001"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"
VERIFICATION_TOKEN = "legacy-verification-token"

# Form and JSON values that slack_sdk may send as JSON-encoded strings; decoded so tests assert on objects.
JSON_STRING_ARGS = ("blocks", "view", "attachments", "metadata")
# Methods that authenticate without a bot token (client credentials, app-level token, or none).
NO_BOT_TOKEN_METHODS = frozenset({"oauth.v2.access", "oauth.access", "oauth.v2.exchange", "api.test"})

Answer = Mapping[str, Any] | Callable[["Call"], Mapping[str, Any]]


# --------------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Call:
    """One request the stand-in received, recorded for assertions (failed ones included)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    token: str | None
    at: float
    status: int = 200
    path: str = ""
    # What the stand-in answered (a dict for JSON answers), e.g. the ts of a posted message.
    response: Any = None


@dataclass(frozen=True)
class _Identity:
    """Who a token belongs to, so auth.test can answer per workspace."""

    team_id: str
    team_name: str
    user_id: str
    bot_id: str | None


@dataclass(frozen=True)
class _OAuthCode:
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    authed_user_id: str
    scope: str
    user_token: str | None
    user_scope: str


@dataclass
class _Failure:
    status: int
    body: Mapping[str, Any] | str
    headers: dict[str, str]
    remaining: int


@dataclass(frozen=True)
class _Limit:
    """At most ``count`` requests in any sliding ``seconds``; a 429 says ``retry_after`` or the wait in ``unit``s."""

    count: int
    seconds: float
    retry_after: int | None
    unit: float


@dataclass
class _State:
    """Everything the handlers (server thread) and the tests (other threads) share, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[_Failure]] = field(default_factory=dict)
    identities: dict[str, _Identity] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    strict_tokens: bool = False
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    oauth_codes: dict[str, _OAuthCode] = field(default_factory=dict)
    used_codes: set[str] = field(default_factory=set)
    oauth_client: tuple[str, str] | None = None
    answers: dict[str, Answer] = field(default_factory=dict)
    envelopes: list[dict[str, Any]] = field(default_factory=list)
    acks: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    connections_opened: int = 0
    # Waves: channel members, do-not-disturb per user, each channel's posted messages (oldest first).
    channels: dict[str, list[str]] = field(default_factory=dict)
    dnd: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Optional tier limits: (method, per channel?) -> the limit; the times of the requests admitted in
    # the current window of each (method, per channel?, workspace or channel); how many were answered 429.
    limits: dict[tuple[str, bool], _Limit] = field(default_factory=dict)
    windows: dict[tuple[str, bool, str], deque[float]] = field(default_factory=dict)
    limited: Counter[str] = field(default_factory=Counter)
    # Calls per (method, HTTP status), kept as they come, so counting them never scans the calls.
    counts: Counter[tuple[str, int]] = field(default_factory=Counter)


# --------------------------------------------------------------------------------------------- helpers

_ts_lock = threading.Lock()
_last_ts_micros = 0
_ids = itertools.count(1)


def next_ts() -> str:
    """A Slack message timestamp ("seconds.micros") from the wall clock, unique and increasing in this process."""
    global _last_ts_micros
    with _ts_lock:
        _last_ts_micros = max(_last_ts_micros + 100, int(time.time() * 1_000_000))
        return f"{_last_ts_micros // 1_000_000}.{_last_ts_micros % 1_000_000:06d}"


def _short_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):04d}{uuid.uuid4().hex[:6].upper()}"


def dm_channel_id(user: str) -> str:
    """The deterministic DM channel id the stand-in uses for a user: U123 -> D123."""
    return "D" + user[1:]


def sign(signing_secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature headers for ``body``, so tests can POST to the bot as Slack would.

    Content-Type is left to the caller: JSON for events, form for interactivity and slash commands.
    """
    raw = body.encode() if isinstance(body, str) else body
    ts = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(signing_secret.encode(), b"v0:" + str(ts).encode() + b":" + raw, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def form_body(fields: Mapping[str, str]) -> bytes:
    """URL-encode form fields into the exact bytes to sign and POST."""
    return urlencode(dict(fields)).encode()


def interactivity_form(payload: Mapping[str, Any]) -> dict[str, str]:
    """The form Slack POSTs to an interactivity URL: one ``payload`` field holding JSON."""
    return {"payload": json.dumps(payload)}


def _decode_json_strings(args: dict[str, Any]) -> None:
    for key in JSON_STRING_ARGS:
        value = args.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)


async def _read_args(request: web.Request) -> dict[str, Any]:
    """Query string plus body, whichever encoding slack_sdk chose for this method."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                args[key] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "content": value.file.read(),
                }
            else:
                args[key] = value
    else:
        raw = await request.read()
        if raw.strip():
            try:
                decoded = json.loads(raw)
            except ValueError:
                decoded = {"_raw": raw.decode(errors="replace")}
            args.update(decoded if isinstance(decoded, dict) else {"_json": decoded})
    _decode_json_strings(args)
    return args


def _token_of(request: web.Request, args: dict[str, Any]) -> str | None:
    """The Bearer token, else a ``token`` argument; Basic credentials are copied into args as client id/secret."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    if scheme.lower() == "basic" and credentials:
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            client_id, _, client_secret = base64.b64decode(credentials).decode().partition(":")
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", client_secret)
    token = args.get("token")
    return token if isinstance(token, str) and token else None


def _failure_body(status: int) -> dict[str, Any]:
    if status == 429:
        return {"ok": False, "error": "ratelimited"}
    if status >= 500:
        return {"ok": False, "error": "internal_error"}
    return {"ok": False, "error": "fatal_error"}


def _respond(status: int, body: Mapping[str, Any] | str, headers: Mapping[str, str] | None = None) -> web.Response:
    if isinstance(body, str):
        return web.Response(status=status, text=body, headers=dict(headers or {}))
    return web.json_response(dict(body), status=status, headers=dict(headers or {}))


# --------------------------------------------------------------------------------------------- server


class SlackStandIn(ThreadedServer):
    """Slack's Web API (``/api/{method}``), Socket Mode (``/link``) and response URLs on a local port."""

    server_name = "Slack stand-in"
    thread_name = "slack-standin"

    def __init__(self, *, app_id: str = APP_ID, latency_seconds: float = 0.0) -> None:
        super().__init__()
        self.app_id = app_id
        self.latency_seconds = latency_seconds
        self._state = _State()
        self._response_urls = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []  # touched only on the server loop
        self._defaults: dict[str, Callable[[Call], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "oauth.v2.access": self._oauth_v2_access,
            "apps.connections.open": self._apps_connections_open,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "dnd.info": self._dnd_info,
        }

    # ----------------------------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` to slack_sdk's Web API clients."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def socket_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self._handle_api)
        app.router.add_get("/api/{method}", self._handle_api)
        app.router.add_post("/response/{n}", self._handle_response_url)
        app.router.add_get("/link", self._handle_socket)

    async def on_shutdown(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"stand-in stopping")

    # ----------------------------------------------------------------------------------- setup by tests

    def add_workspace(
        self,
        team_id: str,
        bot_token: str,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        team_name: str = "Example",
    ) -> None:
        """Register a bot token; from then on only registered tokens authenticate (others get invalid_auth)."""
        identity = _Identity(team_id, team_name, bot_user_id, bot_id)
        with self._state.lock:
            self._state.identities[bot_token] = identity
            self._state.revoked.discard(bot_token)
            self._state.strict_tokens = True

    def remove_workspace(self, team_id: str) -> None:
        """Revoke every token of a team (as after app_uninstalled): they then get ``token_revoked``."""
        with self._state.lock:
            for token, identity in list(self._state.identities.items()):
                if identity.team_id == team_id:
                    del self._state.identities[token]
                    self._state.revoked.add(token)

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str = "",
        display_name: str = "",
        email: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int = 0,
        team_id: str = DEFAULT_TEAM,
        is_bot: bool = False,
        deleted: bool = False,
        title: str | None = None,
        fields: Mapping[str, str] | None = None,
    ) -> None:
        """Make users.info (and users.lookupByEmail) know a user.

        ``fields`` are custom profile fields by field id; a user-typed one (Manager) holds a user id.
        """
        profile: dict[str, Any] = {
            "display_name": display_name,
            "display_name_normalized": display_name,
            "real_name": real_name,
            "real_name_normalized": real_name,
        }
        if email is not None:
            profile["email"] = email
        if title is not None:
            profile["title"] = title
        if fields is not None:
            profile["fields"] = {field_id: {"value": value, "alt": ""} for field_id, value in fields.items()}
        user = {
            "id": user_id,
            "team_id": team_id,
            "name": name if name is not None else user_id.lower(),
            "deleted": deleted,
            "real_name": real_name,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": tz_offset,
            "is_bot": is_bot,
            "profile": profile,
        }
        with self._state.lock:
            self._state.users[user_id] = user

    def add_channel(self, channel_id: str, members: Iterable[str]) -> None:
        """A channel whose members conversations.members lists (two per page, so clients follow the cursor)."""
        with self._state.lock:
            self._state.channels[channel_id] = list(members)

    def set_dnd(
        self,
        user_id: str,
        *,
        enabled: bool = True,
        start: float | None = None,
        end: float | None = None,
        snooze_end: float | None = None,
    ) -> None:
        """What dnd.info says of a user: a scheduled window [start, end) and/or a snooze until ``snooze_end``."""
        info: dict[str, Any] = {"dnd_enabled": enabled}
        if start is not None and end is not None:
            info |= {"next_dnd_start_ts": int(start), "next_dnd_end_ts": int(end)}
        if snooze_end is not None:
            info |= {"snooze_enabled": True, "snooze_endtime": int(snooze_end), "snooze_remaining": 0}
        else:
            info["snooze_enabled"] = False
        with self._state.lock:
            self._state.dnd[user_id] = info

    def limit(
        self,
        method: str,
        *,
        per_minute: int | None = None,
        per_second: int | None = None,
        retry_after: int | None = None,
        per_channel: bool = False,
        speed: float = 1.0,
    ) -> None:
        """Enforce a tier limit on ``method``: past that many requests in a sliding minute (or second), answer 429.

        The limit counts per workspace, or per channel with ``per_channel`` (chat.postMessage's one a second
        per channel); a method may have one of each. ``speed`` runs the limit faster for benchmarks: the
        window is a minute (or second) divided by it. The 429 carries Retry-After: ``retry_after`` if given,
        else the time until a request would pass, rounded up to whole seconds (divided by ``speed``).
        """
        if (per_minute is None) == (per_second is None):
            raise ValueError("give per_minute or per_second")
        if not speed > 0:
            raise ValueError("speed must be positive")
        count, window = (per_minute, 60.0) if per_minute is not None else (per_second or 0, 1.0)
        with self._state.lock:
            self._state.limits[(method, per_channel)] = _Limit(count, window / speed, retry_after, 1.0 / speed)

    def call_count(self, method: str, status: int = 200) -> int:
        """How many calls of ``method`` were answered with ``status``; cheap enough to poll during a load test."""
        with self._state.lock:
            return self._state.counts[(method, status)]

    def rate_limited(self, method: str) -> int:
        """How many requests of ``method`` were answered 429 by an enforced limit."""
        with self._state.lock:
            return self._state.limited[method]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages posted to a channel (with their metadata), oldest first."""
        with self._state.lock:
            return [dict(message) for message in self._state.history.get(channel, [])]

    def add_oauth_code(
        self,
        code: str,
        team_id: str,
        bot_token: str,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
        authed_user_id: str = "U0INSTALLER",
        *,
        team_name: str = "Example",
        scope: str = "chat:write,im:history,im:write,users:read",
        user_token: str | None = None,
        user_scope: str = "",
    ) -> None:
        """A one-time code that oauth.v2.access exchanges for ``bot_token`` (registering that workspace)."""
        entry = _OAuthCode(
            team_id,
            team_name,
            bot_token,
            bot_user_id,
            bot_id,
            authed_user_id,
            scope,
            user_token,
            user_scope,
        )
        with self._state.lock:
            self._state.oauth_codes[code] = entry
            self._state.used_codes.discard(code)

    def set_oauth_client(self, client_id: str, client_secret: str) -> None:
        """Require these credentials on oauth.v2.access (by default any are accepted)."""
        with self._state.lock:
            self._state.oauth_client = (client_id, client_secret)

    def set_answer(self, method: str, answer: Answer | None) -> None:
        """Replace the answer of a method with a fixed body or a function of the Call (None restores the default).

        Token checks still apply first; ``fail_next`` still takes precedence.
        """
        with self._state.lock:
            if answer is None:
                self._state.answers.pop(method, None)
            else:
                self._state.answers[method] = answer

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        body: Mapping[str, Any] | str | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this status/body/headers instead (queued in order).

        ``body`` defaults to ``ratelimited`` for 429, ``internal_error`` for 5xx, else ``fatal_error``.
        Use method ``"response_url"`` for the response URLs.
        """
        failure = _Failure(status, _failure_body(status) if body is None else body, dict(headers or {}), times)
        with self._state.lock:
            self._state.failures.setdefault(method, []).append(failure)

    def new_response_url(self) -> str:
        """A fresh response URL served by the stand-in; POSTs to it are recorded as method ``"response_url"``."""
        return f"http://127.0.0.1:{self.port}/response/{next(self._response_urls)}"

    # ----------------------------------------------------------------------------------- observing

    def calls(self, method: str | None = None) -> list[Call]:
        """A copy of the recorded calls, optionally of one method only, oldest first."""
        with self._state.lock:
            return [call for call in self._state.calls if method is None or call.method == method]

    def clear(self) -> None:
        """Forget recorded calls, envelopes and acknowledgements (setup such as workspaces stays)."""
        with self._state.lock:
            self._state.calls.clear()
            self._state.envelopes.clear()
            self._state.acks.clear()

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
        """``wait_for`` for blocking callers (do not use it on a loop that must make the calls)."""
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

    # ----------------------------------------------------------------------------------- Web API

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = _token_of(request, args)
        call = Call(method, args, dict(request.headers), token, time.time(), path=request.path)
        return await self._answer_call(call)

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        args = await _read_args(request)
        call = Call("response_url", args, dict(request.headers), None, time.time(), path=request.path)
        return await self._answer_call(call)

    async def _answer_call(self, call: Call) -> web.Response:
        """Forced failure or answer, record the call with its status, then answer after any latency."""
        failure = self._take_failure(call.method)
        wait = self._over_limit(call) if failure is None else None
        if failure is not None:
            status, body, headers = failure.status, failure.body, failure.headers
        elif wait is not None:
            status, body, headers = 429, _failure_body(429), {"Retry-After": wait}
        else:
            status, body, headers = 200, self._answer(call), {}
        with self._state.lock:
            self._state.calls.append(replace(call, status=status, response=body))
            self._state.counts[(call.method, status)] += 1
        if self.latency_seconds > 0:
            await asyncio.sleep(self.latency_seconds)
        return _respond(status, body, headers)

    def _over_limit(self, call: Call) -> str | None:
        """None when every enforced limit admits this request (it is counted by each), else the Retry-After."""
        scopes = (False, self._identity(call.token).team_id), (True, self._message_channel(call) or "")
        now = time.monotonic()
        with self._state.lock:
            admitted: list[deque[float]] = []
            for per_channel, scope in scopes:
                limit = self._state.limits.get((call.method, per_channel))
                if limit is None:
                    continue
                window = self._state.windows.setdefault((call.method, per_channel, scope), deque())
                while window and now - window[0] >= limit.seconds:
                    window.popleft()
                if len(window) >= limit.count:
                    self._state.limited[call.method] += 1
                    if limit.retry_after is not None:
                        return str(limit.retry_after)
                    steps = max(1, math.ceil((limit.seconds - (now - window[0])) / limit.unit))
                    return str(steps) if limit.unit == 1.0 else f"{steps * limit.unit:.3f}"
                admitted.append(window)
            for window in admitted:
                window.append(now)
            return None

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

    def _answer(self, call: Call) -> Mapping[str, Any]:
        if call.method == "response_url":
            return {"ok": True}
        error = self._token_error(call)
        if error is not None:
            return {"ok": False, "error": error}
        with self._state.lock:
            custom = self._state.answers.get(call.method)
        if custom is not None:
            return custom(call) if callable(custom) else custom
        default = self._defaults.get(call.method)
        return default(call) if default is not None else {"ok": True}

    def _token_error(self, call: Call) -> str | None:
        """Slack's token checks: none given, wrong token type, revoked, or unknown once workspaces are registered."""
        if call.method in NO_BOT_TOKEN_METHODS:
            return None
        token = call.token
        if token is None:
            return "not_authed"
        if call.method == "apps.connections.open":
            return None if token.startswith("xapp-") else "not_allowed_token_type"
        if token.startswith("xapp-"):
            return "not_allowed_token_type"
        with self._state.lock:
            if token in self._state.revoked:
                return "token_revoked"
            if self._state.strict_tokens and token not in self._state.identities:
                return "invalid_auth"
        return None

    def _identity(self, token: str | None) -> _Identity:
        with self._state.lock:
            known = self._state.identities.get(token or "")
        return known or _Identity(DEFAULT_TEAM, "Example", BOT_USER_ID, BOT_ID)

    def _auth_test(self, call: Call) -> dict[str, Any]:
        identity = self._identity(call.token)
        answer: dict[str, Any] = {
            "ok": True,
            "url": "https://example.slack.com/",
            "team": identity.team_name,
            "user": "candor",
            "team_id": identity.team_id,
            "user_id": identity.user_id,
            "is_enterprise_install": False,
        }
        if identity.bot_id is not None:
            answer["bot_id"] = identity.bot_id
        return answer

    def _conversations_open(self, call: Call) -> dict[str, Any]:
        channel = call.args.get("channel")
        users = [user.strip() for user in str(call.args.get("users", "")).split(",") if user.strip()]
        if channel:
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel}}
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        channel_id = dm_channel_id(users[0]) if len(users) == 1 else "G" + "".join(user[1:] for user in users)
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": channel_id}}

    def _message_channel(self, call: Call) -> str | None:
        """The channel a message goes to; a user id means the DM with that user, as on Slack."""
        channel = call.args.get("channel")
        if not channel:
            return None
        channel = str(channel)
        return dm_channel_id(channel) if channel[:1] in ("U", "W") else channel

    def _chat_post_message(self, call: Call) -> dict[str, Any]:
        channel = self._message_channel(call)
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not any(call.args.get(key) for key in ("text", "blocks", "attachments", "markdown_text")):
            return {"ok": False, "error": "no_text"}
        identity = self._identity(call.token)
        ts = next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "text": call.args.get("text", ""),
            "user": identity.user_id,
            "bot_id": identity.bot_id,
            "team": identity.team_id,
            "ts": ts,
        }
        if call.args.get("blocks"):
            message["blocks"] = call.args["blocks"]
        if call.args.get("thread_ts"):
            message["thread_ts"] = call.args["thread_ts"]
        metadata = call.args.get("metadata")
        if isinstance(metadata, dict):
            if not isinstance(metadata.get("event_type"), str) or not isinstance(metadata.get("event_payload"), dict):
                return {"ok": False, "error": "invalid_metadata_format"}
            message["metadata"] = metadata
        with self._state.lock:
            self._state.history.setdefault(channel, []).append(json.loads(json.dumps(message)))
        shown = {key: value for key, value in message.items() if key != "metadata"}
        return {"ok": True, "channel": channel, "ts": ts, "message": shown}

    def _chat_update(self, call: Call) -> dict[str, Any]:
        channel, ts = self._message_channel(call), call.args.get("ts")
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        if not ts:
            return {"ok": False, "error": "message_not_found"}
        text = call.args.get("text", "")
        message: dict[str, Any] = {"text": text, "ts": ts}
        if call.args.get("blocks"):
            message["blocks"] = call.args["blocks"]
        return {"ok": True, "channel": channel, "ts": ts, "text": text, "message": message}

    def _chat_post_ephemeral(self, call: Call) -> dict[str, Any]:
        if not call.args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if not call.args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        return {"ok": True, "message_ts": next_ts()}

    def _views_publish(self, call: Call) -> dict[str, Any]:
        view = call.args.get("view")
        if not call.args.get("user_id") or not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        identity = self._identity(call.token)
        published = {**view, "id": _short_id("V"), "team_id": identity.team_id, "app_id": self.app_id}
        return {"ok": True, "view": published}

    def _users_info(self, call: Call) -> dict[str, Any]:
        with self._state.lock:
            user = self._state.users.get(str(call.args.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": json.loads(json.dumps(user))}

    def _users_list(self, call: Call) -> dict[str, Any]:
        """Every registered user of the token's team, two per page, so clients must follow the cursor."""
        team = self._identity(call.token).team_id
        with self._state.lock:
            members = [json.loads(json.dumps(u)) for u in self._state.users.values() if u.get("team_id") == team]
        start = int(str(call.args.get("cursor") or "0"))
        page = members[start : start + 2]
        cursor = str(start + 2) if start + 2 < len(members) else ""
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def _users_lookup_by_email(self, call: Call) -> dict[str, Any]:
        email = call.args.get("email")
        with self._state.lock:
            matches = [user for user in self._state.users.values() if user["profile"].get("email") == email]
        if not matches:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": json.loads(json.dumps(matches[0]))}

    def _conversations_members(self, call: Call) -> dict[str, Any]:
        """Two member ids per page, so clients must follow the cursor."""
        with self._state.lock:
            members = self._state.channels.get(str(call.args.get("channel", "")))
        if members is None:
            return {"ok": False, "error": "channel_not_found"}
        start = int(str(call.args.get("cursor") or "0"))
        cursor = str(start + 2) if start + 2 < len(members) else ""
        return {"ok": True, "members": members[start : start + 2], "response_metadata": {"next_cursor": cursor}}

    def _conversations_history(self, call: Call) -> dict[str, Any]:
        """Newest first, at most ``limit``; metadata only with include_all_metadata, as on Slack."""
        channel = self._message_channel(call)
        with self._state.lock:
            posted = [json.loads(json.dumps(m)) for m in self._state.history.get(channel or "", [])]
        limit = int(str(call.args.get("limit") or "100"))
        with_metadata = str(call.args.get("include_all_metadata", "")).lower() in ("1", "true")
        messages = list(reversed(posted))[:limit]
        if not with_metadata:
            for message in messages:
                message.pop("metadata", None)
        return {"ok": True, "messages": messages, "has_more": len(posted) > limit}

    def _dnd_info(self, call: Call) -> dict[str, Any]:
        user = str(call.args.get("user", ""))
        with self._state.lock:
            known = user in self._state.users
            info = dict(self._state.dnd.get(user) or {"dnd_enabled": False, "snooze_enabled": False})
        if not known:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, **info}

    def _oauth_v2_access(self, call: Call) -> dict[str, Any]:
        code = str(call.args.get("code", ""))
        with self._state.lock:
            expected = self._state.oauth_client
            entry = self._state.oauth_codes.get(code)
            if expected is not None and expected[0] != call.args.get("client_id"):
                return {"ok": False, "error": "invalid_client_id"}
            if expected is not None and expected[1] != call.args.get("client_secret"):
                return {"ok": False, "error": "bad_client_secret"}
            if entry is None:
                return {"ok": False, "error": "invalid_code"}
            if code in self._state.used_codes:
                return {"ok": False, "error": "code_already_used"}
            self._state.used_codes.add(code)
        self.add_workspace(entry.team_id, entry.bot_token, entry.bot_user_id, entry.bot_id, entry.team_name)
        authed_user: dict[str, Any] = {"id": entry.authed_user_id, "scope": entry.user_scope, "token_type": "user"}
        if entry.user_token is not None:
            authed_user["access_token"] = entry.user_token
            with self._state.lock:
                self._state.identities[entry.user_token] = _Identity(
                    entry.team_id, entry.team_name, entry.authed_user_id, None
                )
        return {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": authed_user,
            "scope": entry.scope,
            "token_type": "bot",
            "access_token": entry.bot_token,
            "bot_user_id": entry.bot_user_id,
            "team": {"id": entry.team_id, "name": entry.team_name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, call: Call) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url}

    # ----------------------------------------------------------------------------------- Socket Mode

    async def _handle_socket(self, request: web.Request) -> web.StreamResponse:
        """One Socket Mode connection: hello, then record acknowledgements until the client leaves."""
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        with self._state.lock:
            count = self._state.connections + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "connection_info": {"app_id": self.app_id},
            "debug_info": {},
        }
        try:
            await ws.send_json(hello)
        except ConnectionError:
            return ws  # the client left before hello
        # Registered only after hello, so an envelope can never overtake it.
        self._sockets.append(ws)
        with self._state.lock:
            self._state.connections += 1
            self._state.connections_opened += 1
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._record_client_message(message.data)
        finally:
            self._sockets.remove(ws)
            with self._state.lock:
                self._state.connections -= 1
        return ws

    def _record_client_message(self, text: str) -> None:
        with contextlib.suppress(ValueError):
            message = json.loads(text)
            if isinstance(message, dict) and "envelope_id" in message:
                with self._state.lock:
                    self._state.acks.append(message)

    @property
    def connected(self) -> bool:
        """Whether a Socket Mode client is connected."""
        return self.connection_count > 0

    @property
    def connection_count(self) -> int:
        with self._state.lock:
            return self._state.connections

    @property
    def connections_opened(self) -> int:
        """How many Socket Mode connections were ever accepted (reconnections count)."""
        with self._state.lock:
            return self._state.connections_opened

    async def wait_connected(self, timeout: float = 10.0, *, opened: int = 1) -> None:
        """Wait until a client is connected and at least ``opened`` connections were ever accepted.

        After a reconnection, wait with ``opened`` = previous count + 1 so envelopes go to the new connection.
        """
        deadline = time.monotonic() + timeout
        while not (self.connected and self.connections_opened >= opened):
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"no Socket Mode client connected within {timeout}s "
                    f"(open: {self.connection_count}, ever opened: {self.connections_opened}, wanted {opened})"
                )
            await asyncio.sleep(0.01)

    def send_envelope(
        self,
        payload: Mapping[str, Any],
        *,
        type: str = "events_api",
        retry_attempt: int = 0,
        retry_reason: str = "",
        accepts_response_payload: bool = False,
    ) -> str:
        """Deliver an envelope to the most recently connected client (as Slack picks one); returns its id.

        ``type`` is ``events_api``, ``interactive`` or ``slash_commands``. Callable from any thread but the
        stand-in's own; raises RuntimeError when no client is connected.
        """
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": dict(payload),
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        self._call_in_loop(self._send_to_client(envelope))
        with self._state.lock:
            self._state.envelopes.append(envelope)
        return envelope_id

    def send_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does periodically (slack_sdk then opens a new connection)."""
        self._call_in_loop(self._send_to_client({"type": "disconnect", "reason": reason, "debug_info": {}}))

    def drop_connections(self) -> None:
        """Close every Socket Mode connection from the server side, like a network drop."""
        self._call_in_loop(self._close_sockets())

    async def _send_to_client(self, message: dict[str, Any]) -> None:
        open_sockets = [ws for ws in self._sockets if not ws.closed]
        if not open_sockets:
            raise RuntimeError("no Socket Mode client is connected to the Slack stand-in")
        await open_sockets[-1].send_json(message)

    async def _close_sockets(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"dropped by the stand-in")

    def envelopes(self) -> list[dict[str, Any]]:
        """The envelopes sent so far, oldest first."""
        with self._state.lock:
            return list(self._state.envelopes)

    def acks(self) -> list[dict[str, Any]]:
        """The acknowledgements received so far (``{"envelope_id": ..., "payload"?: ...}``), oldest first."""
        with self._state.lock:
            return list(self._state.acks)

    async def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the client acknowledged ``envelope_id``; returns the acknowledgement."""
        deadline = time.monotonic() + timeout
        while True:
            for ack in self.acks():
                if ack.get("envelope_id") == envelope_id:
                    return ack
            if time.monotonic() >= deadline:
                received = [ack.get("envelope_id") for ack in self.acks()]
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s; acks received: {received}")
            await asyncio.sleep(0.01)

    # ----------------------------------------------------------------------------------- payloads

    def block_actions_payload(
        self, team_id: str, user: str, action_id: str, value: str, **kwargs: Any
    ) -> dict[str, Any]:
        """``block_actions_payload`` with a response URL served (and recorded) by this stand-in."""
        return block_actions_payload(team_id, user, action_id, value, **self._served_response_url(kwargs))

    def slash_command_form(self, team_id: str, user: str, command: str, text: str, **kwargs: Any) -> dict[str, str]:
        """``slash_command_form`` with a response URL served (and recorded) by this stand-in."""
        return slash_command_form(team_id, user, command, text, **self._served_response_url(kwargs))

    def _served_response_url(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """``kwargs`` with a fresh served ``response_url`` unless the caller gave one."""
        if kwargs.get("response_url") is None:
            kwargs["response_url"] = self.new_response_url()
        return kwargs


# --------------------------------------------------------------------------------------------- payload builders


def event_callback(
    team_id: str,
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
) -> dict[str, Any]:
    """The Events API body (``type: event_callback``) around one event, as Slack POSTs it or puts in an envelope."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or _short_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


def message_im_event(
    team_id: str,
    user: str,
    text: str,
    *,
    channel: str | None = None,
    ts: str | None = None,
    event_id: str | None = None,
    subtype: str | None = None,
    bot_id: str | None = None,
    files: list[dict[str, Any]] | None = None,
    api_app_id: str = APP_ID,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A direct message to the bot. Files make it ``file_share`` unless a subtype is given; bot messages carry
    ``bot_id`` and no ``client_msg_id``, as on Slack."""
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel or dm_channel_id(user),
        "user": user,
        "text": text,
        "ts": ts,
        "team": team_id,
        "event_ts": ts,
        "channel_type": "im",
    }
    if bot_id is None:
        event["client_msg_id"] = str(uuid.uuid4())
    else:
        event["bot_id"] = bot_id
    if files:
        event["files"] = files
        event["upload"] = False
        subtype = subtype or "file_share"
    if subtype is not None:
        event["subtype"] = subtype
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event_callback(team_id, event, event_id=event_id, api_app_id=api_app_id)


def _hidden_message_event(subtype: str, channel: str, ts: str, **fields: Any) -> dict[str, Any]:
    """The head of a hidden DM message event (an edit or a deletion) at ``ts``, then ``fields`` in order."""
    head = {"type": "message", "subtype": subtype, "hidden": True, "channel": channel, "channel_type": "im", "ts": ts}
    return head | fields


def _previous_message(team_id: str, user: str, text: str, ts: str) -> dict[str, Any]:
    """The ``previous_message`` of an edit or a deletion: what the user had posted at ``ts``."""
    return {"type": "message", "user": user, "text": text, "ts": ts, "team": team_id}


def message_changed_event(
    team_id: str,
    user: str,
    channel: str,
    original_ts: str,
    new_text: str,
    *,
    previous_text: str = "",
    ts: str | None = None,
    event_id: str | None = None,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    """An edit of an earlier message (``subtype: message_changed``); note there is no top-level ``user``."""
    ts = ts or next_ts()
    event = _hidden_message_event(
        "message_changed",
        channel,
        ts,
        event_ts=ts,
        message={
            "type": "message",
            "user": user,
            "text": new_text,
            "ts": original_ts,
            "team": team_id,
            "edited": {"user": user, "ts": ts},
            "source_team": team_id,
            "user_team": team_id,
        },
        previous_message=_previous_message(team_id, user, previous_text, original_ts),
    )
    return event_callback(team_id, event, event_id=event_id, api_app_id=api_app_id)


def message_deleted_event(
    team_id: str,
    user: str,
    channel: str,
    deleted_ts: str,
    *,
    previous_text: str = "",
    ts: str | None = None,
    event_id: str | None = None,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    """A deletion of an earlier message (``subtype: message_deleted``)."""
    ts = ts or next_ts()
    event = _hidden_message_event(
        "message_deleted",
        channel,
        ts,
        deleted_ts=deleted_ts,
        event_ts=ts,
        previous_message=_previous_message(team_id, user, previous_text, deleted_ts),
    )
    return event_callback(team_id, event, event_id=event_id, api_app_id=api_app_id)


def app_home_opened_event(
    team_id: str,
    user: str,
    tab: str = "home",
    *,
    channel: str | None = None,
    event_id: str | None = None,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    """The user opened the app's Home (or Messages) tab."""
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or dm_channel_id(user),
        "tab": tab,
        "event_ts": next_ts(),
    }
    return event_callback(team_id, event, event_id=event_id, api_app_id=api_app_id)


def app_uninstalled_event(team_id: str, *, event_id: str | None = None, api_app_id: str = APP_ID) -> dict[str, Any]:
    """The app was removed from a workspace; its tokens are dead from now on."""
    event = {"type": "app_uninstalled", "event_ts": next_ts()}
    return event_callback(team_id, event, event_id=event_id, api_app_id=api_app_id)


def tokens_revoked_event(
    team_id: str,
    bot_ids: list[str],
    *,
    oauth_user_ids: list[str] | None = None,
    event_id: str | None = None,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    """Tokens were revoked: ``bot`` lists bot user ids, ``oauth`` lists users whose user tokens went."""
    event = {
        "type": "tokens_revoked",
        "tokens": {"oauth": list(oauth_user_ids or []), "bot": list(bot_ids)},
        "event_ts": next_ts(),
    }
    return event_callback(team_id, event, event_id=event_id, api_app_id=api_app_id)


def url_verification(challenge: str) -> dict[str, Any]:
    """The handshake Slack POSTs when the Events URL is configured; the bot must echo ``challenge``."""
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def block_actions_payload(
    team_id: str,
    user: str,
    action_id: str,
    value: str,
    *,
    channel: str,
    message_ts: str,
    response_url: str | None = None,
    trigger_id: str = "T.1",
    block_id: str = "actions",
    message_text: str = "",
    api_app_id: str = APP_ID,
    button_text: str | None = None,
) -> dict[str, Any]:
    """The interactivity ``payload`` of a button click on a bot message (wrap with ``interactivity_form`` for HTTP).

    Without ``response_url`` a placeholder is used; ``SlackStandIn.block_actions_payload`` gives a served one.
    """
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": trigger_id,
        "team": {"id": team_id, "domain": "example"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "directmessage"},
        "message": {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "ts": message_ts,
            "text": message_text,
            "team": team_id,
            "blocks": [],
        },
        "state": {"values": {}},
        "response_url": response_url or f"https://hooks.slack.com/actions/{team_id}/1/placeholder",
        "actions": [
            {
                "action_id": action_id,
                "block_id": block_id,
                "text": {"type": "plain_text", "text": button_text or value, "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": next_ts(),
            }
        ],
    }


def slash_command_form(
    team_id: str,
    user: str,
    command: str,
    text: str,
    *,
    channel_id: str,
    channel_name: str = "directmessage",
    response_url: str | None = None,
    trigger_id: str = "T.1",
    api_app_id: str = APP_ID,
) -> dict[str, str]:
    """The form fields Slack POSTs for a slash command (``form_body`` turns them into the bytes to sign)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": "example",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url or f"https://hooks.slack.com/commands/{team_id}/1/placeholder",
        "trigger_id": trigger_id,
    }
