"""The one aiohttp server of ``candor serve``: Slack's endpoints, health and readiness."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from saq import Queue
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_sdk.signature import SignatureVerifier

from adapters.admin import mount_admin
from adapters.metrics_web import ack_timing, metrics_route, request_ids
from adapters.slack.app import SlackBot
from adapters.teams.app import TeamsApp
from bot.engine import InterviewEngine

log = logging.getLogger(__name__)


def _malformed(request_body: str, content_type: str) -> bool:
    """Bolt would answer a body it cannot parse with a 500 or a 404; Slack deserves a 400."""
    if content_type == "application/json":
        try:
            return not isinstance(json.loads(request_body), dict)
        except ValueError:
            return True
    fields = parse_qs(request_body, keep_blank_values=True)
    if "payload" in fields:
        try:
            return not isinstance(json.loads(fields["payload"][0]), dict)
        except ValueError:
            return True
    return "command" not in fields and "ssl_check" not in fields


def build_web_app(
    engine: InterviewEngine,
    slack: SlackBot | None,
    teams: TeamsApp | None = None,
    admin: web.Application | None = None,
    queue: Queue | None = None,
) -> web.Application:
    """``admin`` is the /admin sub-application (adapters/admin), when the admin page is configured."""
    app = web.Application(client_max_size=1024 * 1024, middlewares=[request_ids, ack_timing])

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    platforms = [name for name, present in (("slack", slack), ("teams", teams)) if present is not None]

    async def readyz(request: web.Request) -> web.Response:
        """Ready when Redis answers, flows are loaded and a platform is configured (with what is, as JSON)."""
        report: dict[str, Any] = {"flows": len(engine.flows), "platforms": platforms}
        try:
            await engine.store.ping()
        except Exception as exc:
            return web.json_response({"status": "not ready", "redis": str(exc), **report}, status=503)
        if not engine.flows or not platforms:
            return web.json_response({"status": "not ready", **report}, status=503)
        return web.json_response({"status": "ready", **report})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_routes([metrics_route(engine, queue)])
    if teams is not None:
        app.router.add_post("/api/messages", teams.handle)
    # Without a signing secret (Socket Mode only) no HTTP request could be verified: no Slack routes.
    if slack is not None and slack.settings.signing_secret is not None:
        app.router.add_post("/slack/events", _slack_events(slack))
        if slack.app.oauth_flow is not None:
            app.router.add_get(slack.app.oauth_flow.install_path, _slack_install(slack, callback=False))
            app.router.add_get(slack.app.oauth_flow.redirect_uri_path, _slack_install(slack, callback=True))
    if admin is not None:
        mount_admin(app, admin)
    return app


def _slack_install(slack: SlackBot, *, callback: bool) -> Any:
    """The OAuth install page and its redirect, handled by Bolt's OAuth flow (state kept in Redis)."""

    async def handle(request: web.Request) -> web.Response:
        flow = slack.app.oauth_flow
        if flow is None:
            return web.Response(status=404)
        bolt_request = await to_bolt_request(request)
        if callback:
            return await to_aiohttp_response(await flow.handle_callback(bolt_request))
        return await to_aiohttp_response(await flow.handle_installation(bolt_request))

    return handle


def _slack_events(slack: SlackBot) -> Any:
    secret = slack.settings.signing_secret.get_secret_value() if slack.settings.signing_secret else ""
    verifier = SignatureVerifier(secret)

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        text = raw.decode("utf-8", errors="replace")
        if not request.headers.get("X-Slack-Request-Timestamp", "").isdigit() or not verifier.is_valid(
            body=text,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        ):
            return web.Response(status=401, text="invalid signature or stale timestamp")
        if _malformed(text, request.content_type):
            return web.Response(status=400, text="the body is not a Slack event, command or interaction")
        bolt_request = await to_bolt_request(request)
        response = await slack.app.async_dispatch(bolt_request)
        if response.status == 404:
            # Nothing here handles it (an old button, a view closing, a new event type). A 404 would
            # make Slack retry and count failures; it is verified, so acknowledge and drop it.
            event_id = bolt_request.body.get("event_id") if isinstance(bolt_request.body, dict) else None
            if event_id:
                await slack.inbox.done(str(event_id))
            return web.Response(status=200, text="")
        return await to_aiohttp_response(response)

    return handle


@dataclass
class RunningServer:
    runner: web.AppRunner
    port: int

    async def close(self) -> None:
        await self.runner.cleanup()


async def start_server(app: web.Application, host: str, port: int) -> RunningServer:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    actual = sockets[0].getsockname()[1] if sockets else port
    return RunningServer(runner, int(actual))
