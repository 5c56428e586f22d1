"""The webhook sink against a local receiver that checks Standard Webhooks signatures itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from adapters.runtime import build_sinks
from bot.config import Settings
from bot.errors import ConfigError
from tests.conftest import EngineFactory, message, participant

SECRET = "whsec_" + base64.b64encode(b"a-webhook-secret-of-32-bytes!!!!").decode()


@dataclass
class Receiver:
    url: str = ""
    fail_with: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    bad_signatures: int = 0


def _valid(request_headers: Any, body: bytes) -> bool:
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{request_headers['webhook-id']}.{request_headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(part.split(",", 1)[-1] == expected for part in request_headers["webhook-signature"].split())


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    state = Receiver()

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        if not _valid(request.headers, body):
            state.bad_signatures += 1
            return web.Response(status=401)
        if state.fail_with:
            return web.Response(status=state.fail_with)
        state.events.append({"id": request.headers["webhook-id"], **json.loads(body)})
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.url = f"http://127.0.0.1:{port}/hook"
    yield state
    await runner.cleanup()


async def test_transcripts_and_deletions_are_signed_and_retried(
    make_engine: EngineFactory, receiver: Receiver, tmp_path: Path
) -> None:
    sinks = build_sinks(Settings(data_dir=tmp_path, sinks=f"file,{receiver.url}", webhook_secret=SECRET))
    engine = await make_engine(default_flow="long-test", sinks=sinks)
    receiver.fail_with = 503
    for text in ("hi", "yes", "an answer worth keeping", "stop", "keep"):
        await engine.handle(message(text))
    assert receiver.events == [] and await engine.store.outbox()  # kept for a retry
    receiver.fail_with = 0
    assert await engine.deliver_outbox(force=True) == 1
    [delivered] = receiver.events
    assert delivered["type"] == "transcript.delivered" and delivered["id"].endswith(".delivered")
    assert "an answer worth keeping" in delivered["data"]["text"] and delivered["data"]["participant"].startswith("p_")
    await engine.handle(message("withdraw"))
    assert receiver.events[-1]["type"] == "transcript.deleted"
    assert receiver.events[-1]["data"]["transcript_id"] == delivered["data"]["transcript_id"]
    assert receiver.bad_signatures == 0
    assert await engine.current(participant()) is None


def test_webhook_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CANDOR_WEBHOOK_SECRET"):
        build_sinks(Settings(data_dir=tmp_path, sinks="https://hooks.example.com/x"))
    with pytest.raises(ConfigError, match="base64"):
        build_sinks(Settings(data_dir=tmp_path, sinks="https://hooks.example.com/x", webhook_secret="whsec_!!"))
    with pytest.raises(ConfigError, match="not a sink"):
        build_sinks(Settings(data_dir=tmp_path, sinks="ftp://x"))
