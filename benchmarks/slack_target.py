"""The app under test of ``benchmarks.slack``, run in a process of its own (pinned to one core by the parent).

Usage: python -m benchmarks.slack_target {bare,candor} --port PORT --api URL [--redis-url URL]

``bare`` is a Bolt ``AsyncApp`` whose one listener answers each message with ``chat.postMessage``;
``candor`` is ``candor serve``'s service (engine, Slack app, HTTP server) built in process as production
builds it. Both talk to the Web API stand-in at ``--api``. The process prints ``ready`` on stdout once
its server listens, and stops when stdin closes or on SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"

Closer = Callable[[], Awaitable[None]]


async def start_bare(port: int, api: str) -> Closer:
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=TOKEN, base_url=api))

    @app.event("message")
    async def answer(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel=event["channel"], text="ok")

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner.cleanup


async def start_candor(port: int, api: str, redis_url: str, data_dir: Path) -> Closer:
    from adapters.server import start_server
    from adapters.service import open_service
    from adapters.slack.config import SlackSettings
    from bot.config import Settings

    settings = Settings(
        redis_url=redis_url,
        data_dir=data_dir,
        redis_prefix=f"bench-{uuid.uuid4().hex[:12]}",
        answer_window_seconds=0,
        pseudonym_key=SecretStr("bench-key"),
    )
    slack_settings = SlackSettings(
        signing_secret=SecretStr(SECRET), bot_token=SecretStr(TOKEN), api_base_url=api, placeholder_after_seconds=5
    )
    service = await open_service(settings, slack_settings)
    try:
        server = await start_server(service.web_app, "127.0.0.1", port)
    except BaseException:
        await service.close()
        raise
    # What `candor serve` does next: finish events left in the inbox, then keep checking it.
    await service.slack.recover()
    service.slack.start_recovery_loop()

    async def close() -> None:
        await server.close()
        await service.close()

    return close


async def wait_for_stop() -> None:
    """Until stdin reaches its end (the parent closed it or died) or a stop signal arrives."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    eof = asyncio.ensure_future(reader.read())
    signalled = asyncio.ensure_future(stop.wait())
    await asyncio.wait({eof, signalled}, return_when=asyncio.FIRST_COMPLETED)
    for task in (eof, signalled):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="candor-bench-") as data_dir:
        if args.app == "bare":
            close = await start_bare(args.port, args.api)
        else:
            close = await start_candor(args.port, args.api, args.redis_url, Path(data_dir))
        try:
            print("ready", flush=True)
            await wait_for_stop()
        finally:
            await close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("app", choices=("bare", "candor"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api", required=True, help="the Web API stand-in's base URL, ending in /api/")
    parser.add_argument("--redis-url", help="Candor's Redis (required for candor)")
    args = parser.parse_args()
    if args.app == "candor" and not args.redis_url:
        parser.error("candor needs --redis-url")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
