"""The Teams endpoint (``POST /api/messages``): authenticate, store, acknowledge, then process.

Teams gives a turn about 15 seconds. Candor answers 202 as soon as the activity is stored in
Redis and runs the turn in the background, replying through the connector afterwards, so a slow
interviewer never makes Teams give up and a crash never loses an acknowledged message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import redis.asyncio as aioredis
from aiohttp import web
from microsoft_agents.activity import Activity, ConversationReference
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    ConnectionManager,
    JwtTokenValidator,
    MessageFactory,
    OutboundHostValidator,
    TurnContext,
)
from microsoft_agents.hosting.core.authorization.claims_identity import ClaimsIdentity
from pydantic import ValidationError

from adapters.inbox import EventInbox, tag
from adapters.teams.auth import authenticate, host_allowed, service_url_allowed, use_jwks_url
from adapters.teams.bot import TeamsBot, conversation_parameters, member_emails, send_failure, turn_key
from adapters.teams.config import TeamsSettings
from adapters.teams.pace import PER_CONVERSATION_PER_SECOND, PER_TENANT_PER_SECOND, Pacer
from adapters.teams.references import References
from adapters.teams.roster import Rosters
from bot.engine import InterviewEngine
from bot.engine.locks import KeyedLocks
from bot.errors import CandorError
from bot.privacy.directory_cache import DirectoryCache
from bot.types import Participant, Platform, Reply
from bot.waves.channel import SendResult, Sent
from bot.waves.store import WaveStore

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong on my side. I'll try your last message again in a moment."


class TeamsApp:
    def __init__(
        self,
        engine: InterviewEngine,
        settings: TeamsSettings,
        redis: aioredis.Redis,
        prefix: str,
        secret: bytes,
        directories: DirectoryCache,
        token_provider_factory: Any = None,
    ) -> None:
        self.settings = settings
        use_jwks_url(settings.jwks_url)
        self.config = AgentAuthConfiguration(
            client_id=settings.app_id,
            tenant_id=settings.tenant_id,
            client_secret=settings.app_password.get_secret_value() if settings.app_password else None,
            cert_pfx_file=str(settings.certificate_file) if settings.certificate_file else None,
            issuers=settings.issuer_list,
            authority=settings.authority,
            scopes=settings.scope_list,
            validate_issuer=True,
            anonymous_allowed=settings.auth_disabled,
        )
        connections = {"SERVICE_CONNECTION": self.config}
        manager: ConnectionManager
        if token_provider_factory is not None:  # tests: a static outbound token, no MSAL
            manager = ConnectionManager(provider_factory=token_provider_factory, connections_configurations=connections)
        else:
            manager = MsalConnectionManager(connections_configurations=connections)
        # Outbound calls may only go to Microsoft's hosts (loopback only in tests and development).
        validator = OutboundHostValidator(enabled=not settings.allow_loopback_service_url)
        self.adapter = CloudAdapter(connection_manager=manager, host_validator=validator)
        self.adapter.on_turn_error = self._on_turn_error
        references = References(redis, prefix, secret)
        # The wave store only for "Don't ask me again": the opt-out list every wave consults.
        waves = WaveStore(redis, prefix, engine.store.keyring)
        app_id = settings.app_id or ""
        self.bot = TeamsBot(engine, references, app_id, directories, Rosters(redis, prefix), waves=waves)
        self.inbox = EventInbox(redis, prefix, "teams", engine.store.keyring)
        self._order = KeyedLocks()
        self._processing: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._tenant_pace = Pacer(PER_TENANT_PER_SECOND)
        # An invitation is a new message in its conversation: keep each one under Teams' per-chat limit too.
        self._conversation_pace = Pacer(PER_CONVERSATION_PER_SECOND)
        self._failed_turns: dict[str, Exception] = {}

    # -- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        if self.settings.auth_disabled:
            claims: ClaimsIdentity | None = JwtTokenValidator(self.config).get_anonymous_claims()
        else:
            claims = await authenticate(request.headers.get("Authorization"), self.config)
            if claims is None:
                return web.json_response({"error": "unauthorized"}, status=401)
        try:
            body = await request.json()
            activity = Activity.model_validate(body)
        except (ValueError, ValidationError):
            return web.json_response({"error": "the body is not a Bot Framework activity"}, status=400)
        if not activity.type or activity.conversation is None or not activity.conversation.id:
            return web.json_response({"error": "an activity needs a type and conversation.id"}, status=400)
        checked = None if self.settings.auth_disabled else claims
        if not service_url_allowed(checked, activity, self.settings.allow_loopback_service_url):
            return web.json_response({"error": "serviceUrl not allowed for this token"}, status=401)
        if activity.type == "invoke":
            return web.json_response({}, status=200)  # Candor uses no invoke activities
        event_id = f"{activity.conversation.id}|{activity.id or uuid.uuid4().hex}"
        record = {"activity": body, "claims": claims.claims if claims else {}}
        try:
            admitted = await self.inbox.admit(event_id, record)
        except CandorError as exc:
            log.error("%s", exc)
            return web.json_response({"error": "try again"}, status=503)  # not stored, so not acknowledged
        if admitted:
            self._spawn(self.process(event_id, record))
        return web.Response(status=202)

    # -- processing --------------------------------------------------------------------------

    async def process(self, event_id: str, record: dict[str, Any]) -> None:
        """Run one stored activity's turn, once, in its conversation's order."""
        if event_id in self._processing:
            return
        self._processing.add(event_id)
        try:
            if not await self.inbox.claim(event_id):
                return
            try:
                await self._turn(record)
            except Exception:
                if await self.inbox.failed(event_id):
                    log.error("gave up on Teams activity %s after repeated failures; parked", tag(event_id))
                raise
            await self.inbox.done(event_id)
        finally:
            self._processing.discard(event_id)

    async def _turn(self, record: dict[str, Any]) -> None:
        activity = Activity.model_validate(record["activity"])
        # Records come back from Redis: check where replies would go once more before any token is sent.
        if not host_allowed(activity.service_url or "", self.settings.allow_loopback_service_url):
            log.error("stored Teams activity has a service URL that is not allowed; dropped")
            return
        claims = ClaimsIdentity(record["claims"], authentication_type="Bearer" if record["claims"] else None)
        key = turn_key(activity)
        received = asyncio.Event()
        self.bot.received[key] = received
        try:
            async with self._order.hold(activity.conversation.id if activity.conversation else ""):
                turn = asyncio.ensure_future(self.adapter.process_activity(claims, activity, self.bot.on_turn))
                waiting = asyncio.ensure_future(received.wait())
                try:
                    await asyncio.wait({turn, waiting}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiting.cancel()
            await turn
        finally:
            self.bot.received.pop(key, None)
        error = self._failed_turns.pop(key, None)
        if error is not None:
            raise error  # so the inbox counts a failed attempt and the activity is retried

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        """The SDK's default posts the exception text to the user; Candor logs it, says sorry, and retries."""
        log.error("Teams turn failed: %s", type(error).__name__, exc_info=error)
        self._failed_turns[turn_key(context.activity)] = error
        with contextlib.suppress(Exception):
            await context.send_activity(MessageFactory.text(SORRY))

    async def recover(self, older_than_seconds: float = 0.0) -> int:
        return await self.inbox.recover(self.process, older_than_seconds)

    def start_recovery_loop(self, every_seconds: float = 30.0) -> None:
        """Finish activities that were acknowledged but never processed; keep this worker's heartbeat."""
        self._spawn(self.inbox.keep_alive())
        self._spawn(self.inbox.maintain(self.process, self.bot.engine.deliver_outbox, every_seconds))

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Teams activity failed; it stays in the inbox for a retry", exc_info=task.exception())

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bot.directories.close()
        with contextlib.suppress(Exception):
            await self.inbox.retire()

    # -- invitations -------------------------------------------------------------------------

    async def invite(
        self,
        tenant_id: str,
        user_id: str,
        flow_id: str | None = None,
        service_url: str | None = None,
        *,
        wave: str = "",
        text: str | None = None,
    ) -> bool:
        """Research ops' invitation: continue the stored conversation, or create the 1:1 chat.

        ``user_id`` is the user's Azure AD object id. The app must be installed for the user.
        True when the invitation card was delivered.
        """
        await self._tenant_pace.wait(tenant_id)  # bulk invitations stay under Teams' per-tenant limit
        await self._conversation_pace.wait(f"{tenant_id}:{user_id}")
        result = await self.send_invitation(tenant_id, user_id, flow_id, service_url, wave=wave, text=text)
        return result.outcome is Sent.SENT

    async def send_invitation(
        self,
        tenant_id: str,
        user_id: str,
        flow_id: str | None = None,
        service_url: str | None = None,
        *,
        wave: str = "",
        text: str | None = None,
    ) -> SendResult:
        """``invite`` without this process's pacing (waves pace with the shared limiter), saying what happened."""
        participant = Participant(Platform.TEAMS, tenant_id, user_id)
        outcome: list[SendResult] = []
        callback = self.bot.invitation_callback(participant, flow_id, outcome, wave=wave, text=text)
        app_id = self.settings.app_id or ""
        allow_loopback = self.settings.allow_loopback_service_url
        try:
            reference = await self.bot.references.find(tenant_id, user_id)
            if reference is not None:
                if not host_allowed(reference.service_url or "", allow_loopback):
                    log.error("stored Teams reference points at a service URL that is not allowed")
                    return SendResult(Sent.FAILED, detail="service_url_not_allowed")
                await self.adapter.continue_conversation(app_id, reference.get_continuation_activity(), callback)
                return outcome[0] if outcome else SendResult(Sent.FAILED, detail="not_sent")
            url = service_url or await self.bot.references.service_url(tenant_id) or self.settings.service_url
            if not host_allowed(url, allow_loopback):
                log.error("refusing to create a Teams chat through a service URL that is not Microsoft's")
                return SendResult(Sent.FAILED, detail="service_url_not_allowed")

            async def created(context: TurnContext) -> None:
                await self.bot.references.save(context.activity.get_conversation_reference(), tenant_id, user_id)
                await callback(context)

            parameters = conversation_parameters(app_id, tenant_id, user_id)
            audience = self.settings.audience
            await self.adapter.create_conversation(app_id, "msteams", url, audience, parameters, created)
        except Exception as exc:
            log.error("Teams invitation failed: %s", type(exc).__name__)
            await self.bot.engine.cancel_invitation(participant)
            if isinstance(exc, aiohttp.ClientResponseError):
                return send_failure(exc)
            return SendResult(Sent.DEFERRED, datetime.now(UTC) + timedelta(minutes=1), type(exc).__name__)
        return outcome[0] if outcome else SendResult(Sent.FAILED, detail="not_sent")

    async def send_message(self, tenant_id: str, user_id: str, replies: list[Reply]) -> SendResult:
        """A proactive message in the person's existing chat with Candor (reminders, a wave's close)."""
        reference = await self.bot.references.find(tenant_id, user_id)
        if reference is None:
            return SendResult(Sent.FAILED, detail="no_conversation")
        if not host_allowed(reference.service_url or "", self.settings.allow_loopback_service_url):
            log.error("stored Teams reference points at a service URL that is not allowed")
            return SendResult(Sent.FAILED, detail="service_url_not_allowed")
        outcome: list[SendResult] = []
        callback = self.bot.message_callback(replies, outcome)
        try:
            await self.adapter.continue_conversation(
                self.settings.app_id or "", reference.get_continuation_activity(), callback
            )
        except Exception as exc:
            log.error("Teams proactive message failed: %s", type(exc).__name__)
            return SendResult(Sent.DEFERRED, datetime.now(UTC) + timedelta(minutes=1), type(exc).__name__)
        return outcome[0] if outcome else SendResult(Sent.FAILED, detail="not_sent")

    async def members_by_email(self, tenant_id: str) -> dict[str, str]:
        """E-mail address and UPN (lower case) -> AAD object id, for the members of the tenant's teams Candor is in.

        The Bot Connector has no lookup by e-mail: the rosters of the teams the app was seen in are read
        (paged) through a proactive turn in each team.
        """
        teams = await self.bot.rosters.teams(tenant_id)
        url = await self.bot.references.service_url(tenant_id) or self.settings.service_url
        if not teams or not host_allowed(url, self.settings.allow_loopback_service_url):
            return {}
        found: dict[str, str] = {}
        for team in teams:
            reference = ConversationReference.model_validate(
                {"channelId": "msteams", "serviceUrl": url, "conversation": {"id": team, "tenantId": tenant_id}}
            )

            failures: list[Exception] = []

            async def read(context: TurnContext, team: str = team, failures: list[Exception] = failures) -> None:
                # Nothing may escape: the SDK's turn error handler would post a "sorry" into the team.
                try:
                    for address, aad in (await member_emails(context, team)).items():
                        found.setdefault(address, aad)
                except Exception as exc:
                    failures.append(exc)

            await self.adapter.continue_conversation(
                self.settings.app_id or "", reference.get_continuation_activity(), read
            )
            for failure in failures:
                if isinstance(failure, aiohttp.ClientResponseError) and failure.status in (403, 404):
                    log.warning("a team would not list its members (HTTP %s; the app was removed?)", failure.status)
                else:
                    raise CandorError(f"Teams roster could not be read ({type(failure).__name__}); try again later")
        return found
