"""The app under test of ``benchmarks.teams``, run in a process of its own (pinned to one core by the parent).

Usage: python -m benchmarks.teams_target {bare,candor} --port PORT --service-url URL [--redis-url URL]

``bare`` is a Microsoft 365 Agents SDK ``AgentApplication`` behind the SDK's own aiohttp route
(``jwt_authorization_decorator`` + ``start_agent_process``) whose one handler echoes each message with
``send_activity``, inside the HTTP request; ``candor`` is ``candor serve``'s service (engine, Teams app, HTTP
server) built in process as production builds it. Both validate the inbound Bot Framework JWTs for real,
against the keys the stand-in at ``--service-url`` publishes, and send their replies there with a static
outbound token (no MSAL, which would call login.microsoftonline.com). The process prints ``ready`` on stdout
once its server listens, and stops when stdin closes or on SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import uuid
import warnings
from pathlib import Path

from aiohttp import web
from azure.core.credentials_async import AsyncTokenCredential
from microsoft_agents.activity import ActivityTypes
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator, start_agent_process
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    AgentApplication,
    AgentAuthConfiguration,
    ApplicationOptions,
    ConnectionManager,
    MemoryStorage,
    OutboundHostValidator,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.authorization import _entra_issuers
from pydantic import SecretStr
from yarl import URL

from benchmarks.slack_target import Closer, wait_for_stop

APP_ID = "00000000-0000-4000-8000-00000000a11d"  # the Azure Bot's app id: the audience of inbound tokens
TENANT = "00000000-0000-4000-8000-0000000000e1"
BOTFRAMEWORK_ISSUER = "https://api.botframework.com"
OUTBOUND_TOKEN = "bench-outbound-token"


def jwks_url(service_url: str) -> str:
    """Where the stand-in publishes the token issuer's public key."""
    return f"{service_url}/v1/.well-known/keys"


class StaticTokenProvider(AccessTokenProviderBase):
    """The outbound token for the connector, without MSAL."""

    def __init__(self, config: AgentAuthConfiguration) -> None:
        self._config = config

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._config

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN

    def get_token_credential(self) -> AsyncTokenCredential:
        raise NotImplementedError


class LoopbackHostValidator(OutboundHostValidator):
    """The SDK's host validation (and serviceurl binding), plus the stand-in's http://127.0.0.1 URLs."""

    def is_allowed(self, url: str | URL) -> bool:
        return str(url).startswith("http://127.0.0.1:") or super().is_allowed(url)


def echo_agent(manager: ConnectionManager) -> AgentApplication[TurnState]:
    options = ApplicationOptions(storage=MemoryStorage(), start_typing_timer=False)
    agent = AgentApplication[TurnState](options, connection_manager=manager)

    @agent.activity(ActivityTypes.message)
    async def on_message(ctx: TurnContext, state: TurnState) -> None:
        await ctx.send_activity(f"echo: {ctx.activity.text}")

    return agent


async def start_bare(port: int, service_url: str) -> Closer:
    _entra_issuers.BOTFRAMEWORK_JWKS_URIS[BOTFRAMEWORK_ISSUER] = jwks_url(service_url)
    config = AgentAuthConfiguration(client_id=APP_ID, tenant_id=TENANT, client_secret="x", validate_issuer=True)
    manager = ConnectionManager(
        provider_factory=StaticTokenProvider, connections_configurations={"SERVICE_CONNECTION": config}
    )
    adapter = CloudAdapter(connection_manager=manager, host_validator=LoopbackHostValidator(enabled=True))
    agent = echo_agent(manager)

    @jwt_authorization_decorator  # type: ignore[untyped-decorator]
    async def messages(request: web.Request) -> web.StreamResponse | None:
        return await start_agent_process(request, agent, adapter)

    web_app = web.Application()
    web_app["agent_configuration"] = manager.get_default_connection_configuration()
    web_app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner.cleanup


async def start_candor(port: int, service_url: str, redis_url: str, data_dir: Path) -> Closer:
    from adapters.server import start_server
    from adapters.service import open_service
    from adapters.teams.config import TeamsSettings
    from bot.config import Settings

    settings = Settings(
        redis_url=redis_url,
        data_dir=data_dir,
        redis_prefix=f"bench-{uuid.uuid4().hex[:12]}",
        answer_window_seconds=0,
        pseudonym_key=SecretStr("bench-key"),
    )
    teams_settings = TeamsSettings(
        app_id=APP_ID,
        tenant_id=TENANT,
        app_password=SecretStr("x"),
        jwks_url=jwks_url(service_url),
        allow_loopback_service_url=True,
        service_url=service_url,
    )
    service = await open_service(settings, None, teams_settings, teams_token_provider=StaticTokenProvider)
    try:
        # What `candor serve` does: finish activities left in the inbox, serve, then keep checking the inbox.
        await service.recover()
        server = await start_server(service.web_app, "127.0.0.1", port)
    except BaseException:
        await service.close()
        raise
    if service.teams is not None:
        service.teams.start_recovery_loop()

    async def close() -> None:
        await server.close()
        await service.close()

    return close


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="candor-bench-") as data_dir:
        if args.app == "bare":
            close = await start_bare(args.port, args.service_url)
        else:
            close = await start_candor(args.port, args.service_url, args.redis_url, Path(data_dir))
        try:
            print("ready", flush=True)
            await wait_for_stop()
        finally:
            await close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("app", choices=("bare", "candor"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--service-url", required=True, help="the Bot Connector stand-in, e.g. http://127.0.0.1:PORT")
    parser.add_argument("--redis-url", help="Candor's Redis (required for candor)")
    args = parser.parse_args()
    if args.app == "candor" and not args.redis_url:
        parser.error("candor needs --redis-url")
    # The SDK stores str keys on aiohttp objects (request["claims_identity"], app["agent_configuration"]).
    warnings.filterwarnings("ignore", category=web.NotAppKeyWarning)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
