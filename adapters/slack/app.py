"""The Bolt ``AsyncApp``: request checks, the persist-before-ack inbox, and the listeners."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

import redis.asyncio as aioredis
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from adapters.inbox import EventInbox, tag
from adapters.slack import render
from adapters.slack.config import SlackSettings
from adapters.slack.interviews import SlackInterviews
from adapters.slack.stores import RedisInstallationStore, RedisOAuthStateStore
from bot.errors import CandorError, FlowNotFound
from bot.waves.store import WaveStore

log = logging.getLogger(__name__)
COMMAND = "/candor"
COMMAND_HELP = (
    "`/candor start` begins an interview here (or `/candor start FLOW` for a particular study: {flows}). "
    "In the interview you can type help, skip, pause, stop or withdraw at any time."
)
IN_CHANNEL = (
    "Interviews happen in a direct message with me, so nobody else sees your answers. "
    "Open Candor under Apps and send me a message, or type /candor start there."
)


def _who(body: dict[str, Any]) -> tuple[str, str]:
    """(team, user) of an interaction or a slash command."""
    if "user_id" in body:
        return str(body.get("team_id", "")), str(body["user_id"])
    user = body.get("user") or {}
    return str((body.get("team") or {}).get("id") or user.get("team_id", "")), str(user.get("id", ""))


class SlackBot:
    """Owns the Bolt app and the Candor pieces behind it; ``dispatch`` handles one Bolt request."""

    def __init__(
        self, interviews: SlackInterviews, settings: SlackSettings, redis: aioredis.Redis, prefix: str
    ) -> None:
        self.interviews = interviews
        self.settings = settings
        self.inbox = EventInbox(redis, prefix, "slack", interviews.engine.store.keyring)
        # Only for "Don't ask me again": the opt-out list every wave consults.
        self.waves = WaveStore(redis, prefix, interviews.engine.store.keyring)
        self.installations = RedisInstallationStore(redis, prefix) if settings.oauth else None
        self.app = self._build(RedisOAuthStateStore(redis, prefix))
        self._tasks: set[asyncio.Task[None]] = set()
        self._processing: set[str] = set()

    def _build(self, state_store: RedisOAuthStateStore) -> AsyncApp:
        settings = self.settings
        secret = settings.signing_secret.get_secret_value() if settings.signing_secret else ""
        client = self.interviews.clients.default
        # adapters/server.py verifies every HTTP request before Bolt sees it, and Socket Mode requests
        # carry no signature, so Bolt's own check would only compute the same HMAC again.
        if self.installations is None:
            app = AsyncApp(
                signing_secret=secret, client=client, process_before_response=False, request_verification_enabled=False
            )
        else:
            oauth = AsyncOAuthSettings(
                client_id=settings.client_id,
                client_secret=settings.client_secret.get_secret_value() if settings.client_secret else None,
                scopes=settings.scope_list,
                user_scopes=[],
                redirect_uri=settings.redirect_uri,
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
                installation_store=self.installations,
                state_store=state_store,
            )
            authorize = AsyncInstallationStoreAuthorize(
                logger=log,
                installation_store=self.installations,
                client_id=settings.client_id,
                client_secret=oauth.client_secret,
                bot_only=True,
                cache_enabled=True,
                client=client,
            )
            app = AsyncApp(
                signing_secret=secret,
                client=client,
                installation_store=self.installations,
                authorize=cast(Any, authorize),
                oauth_settings=oauth,
                process_before_response=False,
                request_verification_enabled=False,
            )
        app.middleware(self._persist_before_ack)
        self._listen(app)
        return app

    async def _persist_before_ack(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Store every event before Bolt acknowledges it; a retry of a stored event is acknowledged only."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            try:
                if not await self.inbox.admit(event_id, body):
                    return BoltResponse(status=200, body="")
            except CandorError as exc:
                log.error("%s", exc)
                return BoltResponse(status=503, body="")  # not stored, so not acknowledged: Slack retries
        await next()
        return None

    def _listen(self, app: AsyncApp) -> None:
        for kind in ("message", "app_home_opened", "app_uninstalled", "tokens_revoked"):
            app.event(kind)(self._on_event)
        app.action(re.compile(rf"^{re.escape(render.CHOICE_ACTION)}:"))(self._on_choice)
        app.action(render.OPT_OUT_ACTION)(self._on_opt_out)
        app.action(render.HOME_START)(self._on_home_start)
        app.action(render.HOME_WITHDRAW)(self._on_home_withdraw)
        app.command(COMMAND)(self._on_command)
        # Last: any other event is acknowledged and dropped (Bolt would answer 404, and Slack retry).
        app.event(re.compile(".*"))(self._on_other_event)

    async def _on_event(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        await self.process(body, client)

    async def process(self, body: dict[str, Any], client: AsyncWebClient | None = None) -> None:
        """Handle one admitted event, once across all replicas, then take it out of the inbox.

        A failure leaves it in the inbox for the recovery loop, until it has failed too often.
        """
        event_id = body.get("event_id")
        if not event_id:
            await self._route(body, client)
            return
        if event_id in self._processing:
            return  # this worker has it already
        self._processing.add(event_id)
        try:
            if not await self.inbox.claim(event_id):
                return  # another worker has it
            try:
                await self._route(body, client)
            except Exception:
                if await self.inbox.failed(event_id):
                    log.error(
                        "gave up on Slack event %s after repeated failures; parked for an operator", tag(event_id)
                    )
                raise
            await self.inbox.done(event_id)
        finally:
            self._processing.discard(event_id)

    async def _on_other_event(self, body: dict[str, Any]) -> None:
        await self.inbox.done(body.get("event_id", ""))

    async def _route(self, body: dict[str, Any], client: AsyncWebClient | None) -> None:
        kind = (body.get("event") or {}).get("type")
        if kind == "app_uninstalled":
            await self._uninstall(body)
        elif kind == "tokens_revoked":
            await self._revoke(body)
        elif kind in ("message", "app_home_opened"):
            await self.interviews.on_event(body, client)

    async def _uninstall(self, body: dict[str, Any]) -> None:
        """With OAuth the workspace's installation is removed; with one token there is only a log line."""
        team_id, enterprise_id = body.get("team_id"), body.get("enterprise_id")
        log.warning("Candor was uninstalled from a workspace")
        if self.installations is not None:
            await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)

    async def _revoke(self, body: dict[str, Any]) -> None:
        team_id, enterprise_id = body.get("team_id"), body.get("enterprise_id")
        tokens = (body.get("event") or {}).get("tokens") or {}
        log.warning("Slack revoked tokens of a workspace")
        if self.installations is None:
            return
        if tokens.get("bot"):
            # The bot token is also inside the installation records: remove them all.
            await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
            return
        for user_id in tokens.get("oauth") or []:
            await self.installations.async_delete_installation(
                enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
            )

    async def _on_choice(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._guarded(self.interviews.on_choice(body, client), body, client)

    async def _on_opt_out(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await self._guarded(self.interviews.on_opt_out(body, client, self.waves), body, client)

    async def _on_home_start(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team_id, user = _who(body)
        await self._guarded(self.interviews.start(client, team_id, user, None), body, client)
        await self.interviews.publish_home(client, team_id, user)

    async def _on_home_withdraw(self, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        team_id, user = _who(body)
        await self._guarded(self.interviews.withdraw_everything(client, team_id, user), body, client)

    async def _guarded(self, work: Awaitable[None], body: dict[str, Any], client: AsyncWebClient) -> None:
        """A button was acknowledged already: if Candor can't do it, say why in the DM instead."""
        try:
            await work
        except CandorError as exc:
            log.error("%s", exc)
            team_id, user = _who(body)
            try:
                channel = await self.interviews.people.dm_channel(client, team_id, user)
                await client.chat_postMessage(channel=channel, text=render.escape(f"Sorry: {exc}"))
            except Exception:
                log.exception("could not tell the participant about the failure")

    async def _on_command(
        self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        words = (command.get("text") or "").split()
        channel = command.get("channel_id", "")
        if not channel.startswith("D") and command.get("channel_name") != "directmessage":
            await ack(text=IN_CHANNEL)
            return
        if not words or words[0].lower() != "start":
            await ack(text=COMMAND_HELP.format(flows=", ".join(f.id for f in self.interviews.engine.flows)))
            return
        flow_id = words[1] if len(words) > 1 else None
        try:
            if flow_id:
                self.interviews.engine.flows.get(flow_id)
        except FlowNotFound as exc:
            await ack(text=f"Sorry: {exc}.")
            return
        team_id, user = command["team_id"], command["user_id"]
        # A /candor typed in a DM with a colleague arrives from that DM: the interview goes to ours.
        if self.interviews.people.known_dm(team_id, user) == channel:
            await ack()
        else:
            await ack(text=render.STARTING_IN_DM)
        await self._guarded(self.interviews.start(client, team_id, user, flow_id), command, client)

    # -- recovery ----------------------------------------------------------------------------

    async def recover(self, older_than_seconds: float = 0.0) -> int:
        """Process events that were acknowledged but never finished (the process died, say)."""
        return await self.inbox.recover(self._process_stored, older_than_seconds)

    async def _process_stored(self, event_id: str, body: dict[str, Any]) -> None:
        await self.process(body)

    def start_recovery_loop(self, every_seconds: float = 30.0) -> None:
        """Finish stuck events and retry transcripts whose delivery failed, every so often."""
        loop = self.inbox.maintain(self._process_stored, self.interviews.engine.deliver_outbox, every_seconds)
        for work in (self.inbox.keep_alive(), loop):
            task = asyncio.ensure_future(work)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self.inbox.retire()
        except Exception:
            log.warning("could not retire this worker's Slack claims; they expire on their own")
