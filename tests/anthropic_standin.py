"""A local stand-in for the Anthropic Messages API, so tests drive the real ``anthropic`` SDK end to end.

The real ``AsyncAnthropic(api_key="test", base_url=standin.base_url)`` posts to ``/v1/messages`` on 127.0.0.1, so its
own retry loop, timeouts, headers and response parsing run as in production, while the test scripts the answers:
tool calls, text, refusals, API errors (with ``retry-after`` / ``x-should-retry``) and slow or hanging responses.
Successful answers carry a ``usage`` block estimated from the request, including prompt-cache reads and writes, so
code that watches token spend and cache hits can be tested too. The server runs in a daemon thread with its own event
loop, so it works with any test event loop and with blocking callers alike.

Typical use::

    async with AnthropicStandIn() as api, AsyncAnthropic(api_key="test", base_url=api.base_url) as client:
        api.fail(429, retry_after=0.1)
        api.reply_tool("record_answer", {"answer": "yes"})
        message = await client.messages.create(model=MODEL, max_tokens=256, messages=[...], tools=[...])
        assert len(api.requests()) == 2

Only non-streaming ``POST /v1/messages`` is served; a request with ``"stream": true`` gets a 400 saying so.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final

from aiohttp import web

from bot.config import DEFAULT_MODEL
from tests.threaded_server import ThreadedServer

__all__ = [
    "AnthropicStandIn",
    "Planned",
    "Request",
    "Responder",
    "cache_breakpoints",
    "error",
    "estimate_tokens",
    "refusal",
    "slow",
    "system_text",
    "text",
    "tool_use",
    "tools",
    "user_texts",
]

DEFAULT_CACHE_TTL_SECONDS: Final = 300.0
ONE_HOUR_CACHE_TTL_SECONDS: Final = 3600.0
MAX_CACHE_BREAKPOINTS: Final = 4  # the real API rejects a fifth block with cache_control
HANG_SECONDS: Final = 3600.0

# Error ``type`` and message the real API uses per status, for ``fail`` without an explicit error_type.
_ERROR_TYPES: Final[dict[int, tuple[str, str]]] = {
    400: ("invalid_request_error", "Invalid request."),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "The requested resource could not be found."),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit."),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


# --------------------------------------------------------------------------------------------- records and plans


@dataclass(frozen=True)
class Request:
    """One request the stand-in received, recorded with the answer it got (validation failures included).

    Recorded when the answer is decided, i.e. before any scripted delay, so a request the client abandoned on timeout
    is still visible. ``headers`` has lower-case names (``authorization``, ``anthropic-version``,
    ``x-stainless-retry-count``, ...). ``response`` is the JSON body sent (or planned to be sent).
    """

    body: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int
    response: Any

    @property
    def api_version(self) -> str | None:
        """The ``anthropic-version`` header the SDK sent."""
        return self.headers.get("anthropic-version")

    @property
    def api_key(self) -> str | None:
        """The credential sent: ``x-api-key``, or the ``Authorization: Bearer`` token (how SDK 2.x sends api_key)."""
        return _credential(self.headers)

    @property
    def retry_count(self) -> int:
        """The SDK's ``x-stainless-retry-count`` (0 for a first attempt), to tell retries from new calls."""
        raw = self.headers.get("x-stainless-retry-count", "0")
        return int(raw) if raw.isdigit() else 0


@dataclass(frozen=True)
class Planned:
    """One scripted answer. Build it with ``tool_use``/``text``/``refusal``/``error``/``slow`` rather than by hand.

    A 200 answer is ``content`` + ``stop_reason`` wrapped in the Messages envelope with computed ``usage``; an error
    answer is ``error_type``/``message`` in the API's error JSON. ``raw_body`` (a JSON value, or a string sent as-is
    but labelled ``application/json``) replaces the body with ``status``, for answers the SDK should choke on: the
    SDK raises a bare ``json.JSONDecodeError`` for non-JSON. ``delay`` seconds pass before the answer is sent.
    """

    status: int = 200
    content: tuple[dict[str, Any], ...] = ()
    stop_reason: str | None = "end_turn"
    error_type: str | None = None
    message: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw_body: Any = None


Responder = Callable[[dict[str, Any]], Planned]
"""Computes an answer from a request body, for requests that find the plan queue empty."""


def tool_use(name: str, input: Mapping[str, Any], *, tool_id: str | None = None) -> Planned:
    """A ``tool_use`` answer; the id (``toolu_<n>``) is assigned when served unless given, so plans can be reused."""
    block: dict[str, Any] = {"type": "tool_use", "id": tool_id, "name": name, "input": dict(input)}
    return Planned(content=(block,), stop_reason="tool_use")


def text(value: str, *, stop_reason: str = "end_turn") -> Planned:
    """A text answer (``stop_reason="max_tokens"`` plays a truncated one)."""
    return Planned(content=({"type": "text", "text": value},), stop_reason=stop_reason)


def refusal(value: str | None = None) -> Planned:
    """``stop_reason: "refusal"`` with empty content, or one short text block when ``value`` is given."""
    content = ({"type": "text", "text": value},) if value is not None else ()
    return Planned(content=content, stop_reason="refusal")


def error(
    status: int,
    *,
    error_type: str | None = None,
    message: str | None = None,
    retry_after: float | None = None,
    should_retry: bool | None = None,
    headers: Mapping[str, str] | None = None,
) -> Planned:
    """An API error. ``error_type``/``message`` default per status (429 ``rate_limit_error``, 529
    ``overloaded_error``, 5xx ``api_error``, ...). ``retry-after`` is sent when ``retry_after`` is given;
    ``x-should-retry: true`` for 429, 529 and 5xx unless ``should_retry`` says otherwise (the SDK obeys it verbatim).
    """
    default_type, default_message = _ERROR_TYPES.get(
        status, ("api_error" if status >= 500 else "invalid_request_error", "Error")
    )
    out = dict(headers or {})
    if retry_after is not None:
        out["retry-after"] = _format_seconds(retry_after)
    if should_retry is None:
        should_retry = True if status == 429 or status >= 500 else None
    if should_retry is not None:
        out["x-should-retry"] = "true" if should_retry else "false"
    return Planned(
        status=status,
        stop_reason=None,
        error_type=error_type or default_type,
        message=message or default_message,
        headers=out,
    )


def slow(seconds: float, then: Planned | None = None) -> Planned:
    """``then`` (default: what the default responder says), sent after ``seconds``; longer than the client's timeout
    makes the SDK raise ``APITimeoutError``. A delay in progress ends early when the stand-in stops."""
    if then is None:
        return Planned(delay=seconds, raw_body=_USE_DEFAULT)
    return replace(then, delay=then.delay + seconds)


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else repr(float(seconds))


class _UseDefault:
    """Marks a ``slow`` plan whose answer comes from the default responder."""


_USE_DEFAULT: Final = _UseDefault()


def _default_responder(body: dict[str, Any]) -> Planned:
    return text("OK")


# --------------------------------------------------------------------------------------------- request helpers


def _credential(headers: Mapping[str, str]) -> str | None:
    """The API key from ``x-api-key`` or a bearer ``authorization`` header (lower-case names), None when absent."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else ""
    return headers.get("x-api-key", "").strip() or bearer or None


def _body_of(request: Request | Mapping[str, Any]) -> Mapping[str, Any]:
    return request.body if isinstance(request, Request) else request


def _blocks(content: Any) -> list[dict[str, Any]]:
    """Content as a block list: a string is shorthand for one text block, as in the API."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [block for block in content if isinstance(block, dict)]
    return []


def system_text(request: Request | Mapping[str, Any]) -> str:
    """The system prompt's text, blocks joined with newlines ("" when there is none)."""
    return "\n".join(block.get("text", "") for block in _blocks(_body_of(request).get("system")))


def tools(request: Request | Mapping[str, Any]) -> list[dict[str, Any]]:
    """The tool definitions sent (empty list when none)."""
    declared = _body_of(request).get("tools")
    return [tool for tool in declared if isinstance(tool, dict)] if isinstance(declared, list) else []


def user_texts(request: Request | Mapping[str, Any]) -> list[str]:
    """The text of each user turn (text blocks joined with newlines), oldest first; turns carrying only tool results
    are skipped, so the last item is what the participant last said."""
    found: list[str] = []
    for message in _body_of(request).get("messages") or []:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        texts = [block.get("text", "") for block in _blocks(message.get("content")) if block.get("type") == "text"]
        if texts:
            found.append("\n".join(texts))
    return found


def cache_breakpoints(request: Request | Mapping[str, Any]) -> int:
    """How many blocks (tools, system blocks, message content blocks) carry ``cache_control``; a top-level
    ``cache_control`` is not a block and is not counted."""
    return sum(1 for _kind, block in _prompt_blocks(_body_of(request)) if block.get("cache_control"))


def estimate_tokens(value: Any) -> int:
    """ceil(len/4) of a string, or of the compact JSON of anything else: the stand-in's token estimate."""
    rendered = value if isinstance(value, str) else _canonical(value)
    return math.ceil(len(rendered) / 4)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _prompt_blocks(body: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every cacheable block in the API's prefix order: tools, then system, then messages. The kind tag keeps the
    position (message index and role) so equal text in different places does not hash alike."""
    blocks: list[tuple[str, dict[str, Any]]] = [("tool", tool) for tool in tools(body)]
    blocks += [("system", block) for block in _blocks(body.get("system"))]
    for index, message in enumerate(body.get("messages") or []):
        if isinstance(message, dict):
            tag = f"message:{index}:{message.get('role')}"
            blocks += [(tag, block) for block in _blocks(message.get("content"))]
    return blocks


def _block_tokens(kind: str, block: Mapping[str, Any]) -> int:
    bare = {key: value for key, value in block.items() if key != "cache_control"}
    if kind != "tool" and bare.get("type") == "text":
        return estimate_tokens(str(bare.get("text", "")))
    return estimate_tokens(bare)


# --------------------------------------------------------------------------------------------- prompt cache


@dataclass(frozen=True)
class _Segment:
    tokens: int  # cumulative, up to and including this block
    digest: str  # hash of the canonical prefix up to and including this block
    ttl: float | None  # set when this block is a cache breakpoint


def _segments(body: Mapping[str, Any]) -> list[_Segment]:
    blocks = _prompt_blocks(body)
    top_level = body.get("cache_control")
    segments: list[_Segment] = []
    running = hashlib.sha256()
    total = 0
    for position, (kind, block) in enumerate(blocks):
        bare = {key: value for key, value in block.items() if key != "cache_control"}
        running.update(_canonical([kind, bare]).encode())
        total += _block_tokens(kind, block)
        marker = block.get("cache_control")
        if not marker and isinstance(top_level, dict) and position == len(blocks) - 1:
            marker = top_level
        segments.append(_Segment(total, running.copy().hexdigest(), _ttl(marker) if marker else None))
    return segments


def _ttl(marker: Any) -> float:
    if isinstance(marker, dict) and marker.get("ttl") == "1h":
        return ONE_HOUR_CACHE_TTL_SECONDS
    return DEFAULT_CACHE_TTL_SECONDS


@dataclass
class _PromptCache:
    """Cached prefixes per model (digest -> expiry), accounting one request at a time like the real API."""

    min_tokens: int
    clock: Callable[[], float]
    entries: dict[str, dict[str, float]] = field(default_factory=dict)

    def account(self, body: Mapping[str, Any]) -> tuple[int, int, int]:
        """(input_tokens, cache_creation_input_tokens, cache_read_input_tokens), writing new prefixes to the cache.

        The longest prefix already cached, up to the last breakpoint, is read; from there to the last breakpoint is
        written (when that prefix reaches ``min_tokens``); the remainder is plain input.
        """
        segments = _segments(body)
        total = segments[-1].tokens if segments else 0
        breakpoints = [index for index, segment in enumerate(segments) if segment.ttl is not None]
        if not breakpoints:
            return total, 0, 0
        now = self.clock()
        cached = self.entries.setdefault(str(body.get("model")), {})
        for digest in [digest for digest, expires in cached.items() if expires <= now]:
            del cached[digest]
        last = breakpoints[-1]
        hit = next((index for index in range(last, -1, -1) if segments[index].digest in cached), None)
        read = segments[hit].tokens if hit is not None else 0
        if hit is not None:  # a hit refreshes the entry's lifetime, as in the real API
            cached[segments[hit].digest] = max(cached[segments[hit].digest], now + DEFAULT_CACHE_TTL_SECONDS)
        created = 0
        for index in breakpoints:
            segment = segments[index]
            if (hit is None or index > hit) and segment.tokens >= self.min_tokens and segment.ttl is not None:
                cached[segment.digest] = now + segment.ttl
                created = segment.tokens - read
        return total - read - created, created, read


# --------------------------------------------------------------------------------------------- server


@dataclass
class _State:
    """What the handler (server thread) and the tests (other threads) share, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[Request] = field(default_factory=list)
    plans: deque[Planned] = field(default_factory=deque)
    default: Responder = _default_responder
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    tool_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    request_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class AnthropicStandIn(ThreadedServer):
    """``POST /v1/messages`` on a local port, answering from a per-test plan queue, then from a default responder."""

    server_name = "Anthropic stand-in"
    thread_name = "anthropic-standin"
    client_max_size = 64 * 1024 * 1024

    # The request helpers, also reachable from an instance.
    system_text = staticmethod(system_text)
    tools = staticmethod(tools)
    user_texts = staticmethod(user_texts)
    cache_breakpoints = staticmethod(cache_breakpoints)

    def __init__(self, *, min_cacheable_tokens: int = 1024, clock: Callable[[], float] = time.monotonic) -> None:
        """``min_cacheable_tokens``: shorter prefixes are never cached (1024 as for Sonnet; Haiku uses 2048).
        ``clock`` drives the cache TTL, so a test can age the cache without sleeping."""
        super().__init__()
        self._state = _State()
        self._cache = _PromptCache(min_tokens=min_cacheable_tokens, clock=clock)
        self._stopping: asyncio.Event | None = None
        # The models GET /v1/models/{id} knows (the messages route takes any model name).
        self.models: set[str] = {DEFAULT_MODEL}

    # ----------------------------------------------------------------------------------- lifecycle

    def stop(self) -> None:
        """End scripted delays, close the server, stop its loop and join the thread (idempotent)."""
        try:
            super().stop()
        finally:
            self._stopping = None

    @property
    def base_url(self) -> str:
        """What to pass as ``AsyncAnthropic(base_url=...)``; the SDK appends ``/v1/messages``."""
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/{tail:.*}", self._handle)

    async def on_startup(self) -> None:
        self._stopping = asyncio.Event()

    async def on_shutdown(self) -> None:
        if self._stopping is not None:
            self._stopping.set()  # ends scripted delays in progress

    # ----------------------------------------------------------------------------------- scripting

    def plan(self, planned: Planned) -> None:
        """Queue one answer; queued answers are consumed in order, one per valid request (retries included)."""
        with self._state.lock:
            self._state.plans.append(planned)

    def plan_many(self, *planned: Planned | Iterable[Planned]) -> None:
        """Queue several answers at once (plans or iterables of plans, flattened in order)."""
        flat: list[Planned] = []
        for item in planned:
            flat.extend([item] if isinstance(item, Planned) else item)
        with self._state.lock:
            self._state.plans.extend(flat)

    def reply_tool(self, name: str, input: Mapping[str, Any]) -> None:
        """Queue a ``tool_use`` answer (``stop_reason: "tool_use"``)."""
        self.plan(tool_use(name, input))

    def malformed_tool(self, name: str, input: Mapping[str, Any]) -> None:
        """Queue a ``tool_use`` whose ``input`` the caller made violate the tool's schema; nothing is validated here,
        as the real model can also return such input."""
        self.plan(tool_use(name, input))

    def reply_text(self, value: str, *, stop_reason: str = "end_turn") -> None:
        """Queue a text answer."""
        self.plan(text(value, stop_reason=stop_reason))

    def refusal(self, value: str | None = None) -> None:
        """Queue a refusal (``stop_reason: "refusal"``)."""
        self.plan(refusal(value))

    def fail(
        self,
        status: int,
        *,
        error_type: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        should_retry: bool | None = None,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Queue ``times`` API errors; see ``error`` for the defaults."""
        failure = error(
            status,
            error_type=error_type,
            message=message,
            retry_after=retry_after,
            should_retry=should_retry,
            headers=headers,
        )
        self.plan_many([failure] * times)

    def slow(self, seconds: float, then: Planned | None = None) -> None:
        """Queue an answer sent after ``seconds`` (``then``, or the default responder's answer)."""
        self.plan(slow(seconds, then))

    def delay(self, seconds: float) -> None:
        """Delay the most recently queued answer by ``seconds`` more, or queue a delayed default answer."""
        with self._state.lock:
            if self._state.plans:
                self._state.plans.append(slow(seconds, self._state.plans.pop()))
                return
        self.slow(seconds)

    def hang(self, seconds: float = HANG_SECONDS) -> None:
        """Queue an answer that never comes in test time, for timeout tests (ends when the stand-in stops)."""
        self.slow(seconds)

    def set_default(self, responder: Responder | None) -> None:
        """Answer requests that find the queue empty with ``responder(body)``; None restores the built-in "OK" text.

        It runs on the stand-in's thread; an exception it raises becomes a 500 ``api_error`` carrying its message.
        """
        with self._state.lock:
            self._state.default = responder or _default_responder

    def pending(self) -> int:
        """How many queued answers are still unused."""
        with self._state.lock:
            return len(self._state.plans)

    def clear_cache(self) -> None:
        """Forget every cached prompt prefix (as after the TTL)."""
        with self._state.lock:
            self._cache.entries.clear()

    # ----------------------------------------------------------------------------------- observing

    def requests(self) -> list[Request]:
        """A copy of the recorded requests, oldest first."""
        with self._state.lock:
            return list(self._state.requests)

    def last_request(self) -> Request:
        """The newest recorded request; raises AssertionError when there is none."""
        with self._state.lock:
            if not self._state.requests:
                raise AssertionError("the Anthropic stand-in has received no request")
            return self._state.requests[-1]

    def clear(self) -> None:
        """Forget recorded requests and unused plans, and restore the default responder (the cache stays)."""
        with self._state.lock:
            self._state.requests.clear()
            self._state.plans.clear()
            self._state.default = _default_responder

    async def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[Request]:
        """Wait (on whichever loop awaits this) until ``count`` requests were recorded; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.requests()
            if len(found) >= count:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(f"expected {count} requests to the Anthropic stand-in, got {len(found)}")
            await asyncio.sleep(0.01)

    # ----------------------------------------------------------------------------------- handling

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        headers = {name.lower(): value for name, value in request.headers.items()}
        if request.method == "GET" and request.path.startswith("/v1/models/"):
            return self._model(request.path.removeprefix("/v1/models/"), headers)
        raw = await request.read()
        try:
            decoded = json.loads(raw) if raw.strip() else {}
        except ValueError:
            decoded = None
        body: dict[str, Any] = decoded if isinstance(decoded, dict) else {}
        rejection = self._reject(request, headers, decoded)
        planned = rejection or self._next_plan(body)
        status, payload, extra_headers = self._render(planned, body)
        with self._state.lock:
            self._state.requests.append(Request(body, headers, time.time(), status, payload))
        if planned.delay > 0 and self._stopping is not None:
            with contextlib.suppress(TimeoutError):  # a delay ends early when the stand-in stops
                await asyncio.wait_for(self._stopping.wait(), planned.delay)
        if isinstance(payload, str):
            # labelled JSON even when it is not, so the SDK tries to decode it, as it would a broken API answer
            return web.Response(status=status, text=payload, content_type="application/json", headers=extra_headers)
        return web.json_response(payload, status=status, headers=extra_headers)

    def _model(self, model_id: str, headers: Mapping[str, str]) -> web.Response:
        """GET /v1/models/{id}, as the API answers it: authenticated, 404 for a model it does not serve."""
        if not _credential(headers):
            status, body, _ = self._render(
                error(401, error_type="authentication_error", message="invalid x-api-key"), {}
            )
            return web.json_response(body, status=status)
        if model_id not in self.models:
            status, body, _ = self._render(error(404, error_type="not_found_error", message=f"model: {model_id}"), {})
            return web.json_response(body, status=status)
        return web.json_response(
            {"type": "model", "id": model_id, "display_name": model_id, "created_at": "2026-01-01T00:00:00Z"}
        )

    def _reject(self, request: web.Request, headers: Mapping[str, str], decoded: Any) -> Planned | None:
        """The API's own checks, in its order: route, authentication, then the request body."""
        if request.method != "POST" or request.path.rstrip("/") != "/v1/messages":
            return error(404, error_type="not_found_error", message=f"Not found: {request.method} {request.path}")
        if not _credential(headers):
            return error(
                401, error_type="authentication_error", message="x-api-key or Authorization: Bearer header is required"
            )
        if not isinstance(decoded, dict):
            return error(400, message="The request body is not valid JSON.")
        for name in ("model", "max_tokens", "messages"):
            if decoded.get(name) is None:
                return error(400, message=f"{name}: Field required")
        if not isinstance(decoded["messages"], list) or not decoded["messages"]:
            return error(400, message="messages: at least one message is required")
        if decoded.get("stream"):
            return error(400, message="The Anthropic stand-in does not serve streaming requests.")
        marked = cache_breakpoints(decoded) + (1 if decoded.get("cache_control") else 0)
        if marked > MAX_CACHE_BREAKPOINTS:
            return error(
                400,
                message=f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. "
                f"Found {marked}.",
            )
        return None

    def _next_plan(self, body: dict[str, Any]) -> Planned:
        with self._state.lock:
            planned = self._state.plans.popleft() if self._state.plans else None
            default = self._state.default
        if planned is not None and planned.raw_body is not _USE_DEFAULT:
            return planned
        try:
            answer = default(body)
        except Exception as exc:  # the test's responder is broken: surface it to the client, not the server log
            answer = error(500, error_type="api_error", message=f"stand-in responder failed: {exc!r}")
        return replace(answer, delay=answer.delay + planned.delay) if planned is not None else answer

    def _render(self, planned: Planned, body: Mapping[str, Any]) -> tuple[int, Any, dict[str, str]]:
        """Status, JSON body and headers for a plan; successful answers are accounted against the prompt cache."""
        with self._state.lock:
            request_id = f"req_{next(self._state.request_ids):024d}"
        out_headers = {"request-id": request_id, **planned.headers}
        if planned.raw_body is not None and planned.raw_body is not _USE_DEFAULT:
            return planned.status, planned.raw_body, out_headers
        if planned.status >= 400:
            failure = {"type": planned.error_type, "message": planned.message}
            return planned.status, {"type": "error", "error": failure, "request_id": request_id}, out_headers
        with self._state.lock:
            content = [self._with_tool_id(block) for block in planned.content]
            message_id = f"msg_{next(self._state.message_ids)}"
            input_tokens, created, read = self._cache.account(body)
        payload = {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": body.get("model"),
            "content": content,
            "stop_reason": planned.stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "cache_creation_input_tokens": created,
                "cache_read_input_tokens": read,
                "output_tokens": estimate_tokens(content),
            },
        }
        return planned.status, payload, out_headers

    def _with_tool_id(self, block: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of the block, with a fresh ``toolu_<n>`` id on a tool_use that has none (caller holds the lock)."""
        copied = json.loads(json.dumps(block))
        if copied.get("type") == "tool_use" and not copied.get("id"):
            copied["id"] = f"toolu_{next(self._state.tool_ids)}"
        return dict(copied)
