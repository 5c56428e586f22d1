"""``candor serve``: the engine, the Slack app and the HTTP server, started and stopped together."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import dataclass, field
from typing import Any, cast

import redis.asyncio as aioredis
from aiohttp import web

from adapters.admin import build_admin
from adapters.runtime import Runtime, open_runtime
from adapters.server import RunningServer, build_web_app, start_server
from adapters.slack.app import SlackBot
from adapters.slack.clients import WebClients
from adapters.slack.config import SlackSettings
from adapters.slack.interviews import SlackInterviews
from adapters.teams.app import TeamsApp
from adapters.teams.config import TeamsSettings
from adapters.worker import job_queue
from bot.config import Settings
from bot.errors import CandorError
from bot.privacy.directory_cache import DirectoryCache
from bot.waves.store import WaveStore

log = logging.getLogger(__name__)


@dataclass
class Service:
    """The platforms that are configured, sharing one engine, one Redis and one HTTP server."""

    runtime: Runtime
    slack: SlackBot | None
    teams: TeamsApp | None
    web_app: web.Application
    _extra: list[Any] = field(default_factory=list)

    @property
    def interviews(self) -> SlackInterviews:
        if self.slack is None:
            raise CandorError("Slack is not configured")
        return self.slack.interviews

    async def recover(self) -> int:
        """Finish events acknowledged before a restart, before new ones are taken."""
        recovered = 0
        if self.slack is not None:
            recovered += await self.slack.recover()
        if self.teams is not None:
            recovered += await self.teams.recover()
        return recovered

    async def close(self) -> None:
        for closable in reversed(self._extra):
            await closable.close()
        if self.teams is not None:
            await self.teams.close()
        if self.slack is not None:
            await self.slack.close()
            await self.slack.interviews.people.directories.close()
            await self.slack.interviews.clients.close()
        await self.runtime.close()


async def open_service(
    settings: Settings,
    slack_settings: SlackSettings | None,
    teams_settings: TeamsSettings | None = None,
    *,
    teams_token_provider: Any = None,
) -> Service:
    runtime = await open_runtime(settings)
    closers: list[Any] = []
    try:
        slack = None
        if slack_settings is not None:
            clients = WebClients(slack_settings, None)
            interviews = SlackInterviews(
                runtime.engine,
                clients,
                directory_cache(settings, runtime.client, "slack"),
                placeholder_after=slack_settings.placeholder_after_seconds,
            )
            slack = SlackBot(interviews, slack_settings, runtime.client, settings.redis_prefix)
            # With OAuth, tokens come from the installation store the Bolt app was built with.
            clients.installations = slack.installations
        teams = None
        if teams_settings is not None and teams_settings.enabled:
            teams = TeamsApp(
                runtime.engine,
                teams_settings,
                runtime.client,
                settings.redis_prefix,
                runtime.secret,
                directory_cache(settings, runtime.client, "teams"),
                token_provider_factory=teams_token_provider,
            )
        admin = None
        # The job queue: waves started from /admin are queued on it, and /metrics reports its depth.
        queue = job_queue(runtime.connect_url, settings.redis_prefix)
        closers.append(_Closer(queue.disconnect))
        if settings.admin_enabled:
            store = WaveStore(runtime.client, settings.redis_prefix, keyring=runtime.engine.store.keyring)
            admin = build_admin(settings, store, queue, runtime.engine.flows, runtime.secret)
        web_app = build_web_app(runtime.engine, slack, teams, admin, queue)
    except BaseException:
        for closer in closers:
            await closer.close()
        await runtime.close()
        raise
    return Service(runtime, slack, teams, web_app, closers)


def directory_cache(settings: Settings, client: aioredis.Redis, platform: str) -> DirectoryCache:
    """The platform's workspace directories, shared with every other process through Redis."""
    return DirectoryCache(
        client,
        settings.redis_prefix,
        platform,
        ttl_seconds=settings.directory_ttl_seconds,
        refresh_seconds=settings.directory_refresh_seconds,
        recheck_seconds=settings.directory_recheck_seconds,
    )


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def serve(
    settings: Settings,
    slack_settings: SlackSettings | None,
    teams_settings: TeamsSettings | None,
    host: str,
    port: int,
    socket_mode: bool,
) -> None:
    """Run until SIGINT or SIGTERM."""
    service = await open_service(settings, slack_settings, teams_settings)
    server: RunningServer | None = None
    try:
        if service.runtime.embedded is not None:
            _say(
                f"candor: using the embedded Redis at {service.runtime.redis_url}: fine for one process on one "
                "machine; set REDIS_URL to a shared Redis in production"
            )
        # Events acknowledged before a restart go first, so they stay ahead of newer ones.
        recovered = await service.recover()
        if recovered:
            _say(f"candor: finished {recovered} event(s) acknowledged before a restart")
        server = await start_server(service.web_app, host, port)
        routes = [
            *(["Slack: /slack/events"] if service.slack else []),
            *(["Teams: /api/messages"] if service.teams else []),
            *(["admin: /admin/"] if settings.admin_enabled else []),
        ]
        _say(f"candor: listening on http://{host}:{server.port} ({', '.join(routes)}; health: /healthz, /readyz)")
        if socket_mode and service.slack is not None and slack_settings is not None:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            app_token = slack_settings.app_token.get_secret_value() if slack_settings.app_token else None
            handler = AsyncSocketModeHandler(service.slack.app, app_token=app_token)
            await cast(Any, handler).connect_async()
            service._extra.append(_Closer(handler.close_async))
            _say("candor: connected to Slack in Socket Mode")
        if service.slack is not None:
            service.slack.start_recovery_loop()
        if service.teams is not None:
            service.teams.start_recovery_loop()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        _say("candor: shutting down")
    finally:
        if server is not None:
            await server.close()  # no new requests from here on
        left = await service.runtime.engine.drain(settings.shutdown_grace_seconds)
        if left:
            _say(f"candor: {left} message(s) still in progress; they stay in the inbox for the next process")
        await service.close()


class _Closer:
    def __init__(self, close: Any) -> None:
        self._close = close

    async def close(self) -> None:
        await self._close()
