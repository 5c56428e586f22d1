"""The Teams bot: turns an activity into engine calls, and engine replies into Teams messages and cards."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import aiohttp
from microsoft_agents.activity import Activity, ActivityTypes, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.core import CardFactory, ConnectorClientBase, MessageFactory, TurnContext
from redis.exceptions import RedisError

from adapters import optout
from adapters.teams import cards
from adapters.teams.references import References
from adapters.teams.roster import MAX_PAGES, PAGE_SIZE, Rosters, load_people, member_context, member_names
from adapters.teams.text import plain_text
from bot.engine import InterviewEngine
from bot.errors import CandorError, StoreUnavailable
from bot.privacy.directory import Directory, Person
from bot.privacy.directory_cache import DirectoryCache, DirectoryUnavailable
from bot.types import Inbound, Participant, Platform, Reply, ReplyKind
from bot.waves.channel import SendResult, Sent
from bot.waves.store import WaveStore

log = logging.getLogger(__name__)
T = TypeVar("T")
GREETING = (
    "Hello, I'm Candor. I run short research interviews here in a private chat, for the research team. "
    "Your answers are anonymized before anyone reads them. Send me any message when you'd like to hear about "
    "the current study."
)
TEXT_ONLY = "Thanks. I can only read text here, so I can't see files or images. Could you describe it in words?"
PERSONAL_ONLY = "I run interviews in a private chat only, so nobody else sees your answers. Open a chat with me there."
RETRIES_ON_429 = 3


class LookupFailed(CandorError):
    """Teams would not say who a user is just now; the activity is processed again later."""


class TeamsBot:
    """Implements the SDK's agent interface (``on_turn``); everything else is Candor's."""

    def __init__(
        self,
        engine: InterviewEngine,
        references: References,
        app_id: str,
        directories: DirectoryCache,
        rosters: Rosters,
        typing_after: float = 0.5,
        waves: WaveStore | None = None,
    ) -> None:
        self.engine = engine
        # The opt-out list of "Don't ask me again" (None: wave invitations are not offered it).
        self.waves = waves
        # A reply that takes longer than this gets a typing indicator first.
        self.typing_after = typing_after
        self.references = references
        self.app_id = app_id
        self.directories = directories
        self.rosters = rosters
        # Per (tenant, member): when looked up, their names, and their own context (title, department, office).
        self._names: dict[tuple[str, str], tuple[float, tuple[str, ...], tuple[str, ...]]] = {}
        # Set once the engine has received the activity, so the next one of the conversation may start.
        self.received: dict[str, asyncio.Event] = {}

    async def on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        try:
            team = _team(activity)
            if team:
                await self.rosters.remember(_tenant(activity), team)  # its members join the tenant's directory
            if activity.type == ActivityTypes.message:
                await self._on_message(context)
            elif activity.type in (ActivityTypes.conversation_update, ActivityTypes.installation_update):
                await self._on_update(context)
        finally:
            self._mark_received(activity)

    # -- incoming --------------------------------------------------------------------------

    async def _on_message(self, context: TurnContext) -> None:
        activity = context.activity
        conversation = activity.conversation
        if conversation is None or (conversation.conversation_type or "personal") != "personal":
            if _mentions(activity, activity.recipient):
                await self._send_activity(context, MessageFactory.text(PERSONAL_ONLY))
            return
        if activity.from_property is None or not activity.from_property.id:
            return  # nobody to interview
        participant = await self._participant(context)
        await self.references.remember(activity, participant.workspace, participant.user)
        try:
            await self._answer(context, participant)
        finally:
            # A refresh started by this turn uses its connector client, which closes when the turn ends.
            await self.directories.settle(participant.workspace)

    async def _answer(self, context: TurnContext, participant: Participant) -> None:
        activity = context.activity
        value = activity.value if isinstance(activity.value, dict) else None
        if value and value.get("verb") == cards.CARD_VERB and value.get("choice") == cards.OPT_OUT:
            await self._opt_out(context, participant, value)
            return
        if value and value.get("verb") == cards.CARD_VERB:
            inbound = await self._card_choice(context, participant, value)
            if inbound is None:
                return
        else:
            text = plain_text(activity.text, _own_mentions(activity))
            if not text:
                if activity.attachments:
                    await self._send_activity(context, MessageFactory.text(TEXT_ONLY))
                return
            directory = await self._directory(context, participant.workspace)
            inbound = Inbound(participant, text, message_id=str(activity.id), directory=directory)
        typing = Typing(lambda: self._send_activity(context, Activity(type=ActivityTypes.typing)), self.typing_after)
        reception = await typing.around(self.engine.receive(inbound))
        self._mark_received(activity)
        if await reception.due():
            try:
                replies = await typing.around(reception.replies())
            except StoreUnavailable:
                raise  # the activity stays in the inbox and is tried again
            except CandorError as exc:
                replies = [Reply(f"Sorry: {exc}")]
            await self.send_replies(context, replies)

    async def _opt_out(self, context: TurnContext, participant: Participant, value: dict[str, Any]) -> None:
        """ "Don't ask me again" on a wave's invitation: opt out, decline as "Not now" would, and confirm."""
        if self.waves is None or value.get("kind") != ReplyKind.INVITATION.value:
            return
        await self._answered(context, value, ReplyKind.INVITATION, cards.OPT_OUT)
        card_id = context.activity.reply_to_id
        message_id = f"choice:{card_id}" if card_id else str(context.activity.id)
        replies = await optout.opt_out(self.engine, self.waves, participant, message_id)
        self._mark_received(context.activity)
        await self.send_replies(context, replies)

    async def _answered(self, context: TurnContext, value: dict[str, Any], kind: ReplyKind, choice: str) -> None:
        """Replace the card so its buttons can't be pressed twice."""
        card_id = context.activity.reply_to_id
        if not card_id:
            return
        done = cards.answered_card(str(value.get("text") or ""), cards.label(kind, choice))
        updated = MessageFactory.attachment(CardFactory.adaptive_card(done))
        updated.id = card_id
        try:
            await context.update_activity(updated)
        except aiohttp.ClientResponseError as exc:
            log.error("Teams update_activity failed: HTTP %s", exc.status)

    async def _card_choice(
        self, context: TurnContext, participant: Participant, value: dict[str, Any]
    ) -> Inbound | None:
        kind, choice = str(value.get("kind", "")), str(value.get("choice", ""))
        if kind not in {k.value for k in ReplyKind} or not choice:
            return None
        await self._answered(context, value, ReplyKind(kind), choice)
        card_id = context.activity.reply_to_id
        # The card's id makes a second press of the same card a duplicate, not a new answer.
        message_id = f"choice:{card_id}" if card_id else str(context.activity.id)
        return Inbound(participant, choice, message_id=message_id, choice=ReplyKind(kind))

    async def _on_update(self, context: TurnContext) -> None:
        activity = context.activity
        conversation = activity.conversation
        if conversation is None or (conversation.conversation_type or "personal") != "personal":
            return  # group chats and channels: the bot speaks only when @mentioned there
        added = activity.members_added or []
        installed = activity.type == ActivityTypes.installation_update and activity.action in (None, "add")
        bot_added = any(m.id == (activity.recipient.id if activity.recipient else None) for m in added)
        if not (installed or bot_added):
            return
        user = activity.from_property
        tenant = _tenant(activity)
        if user is not None:
            await self.references.remember(activity, tenant, user.aad_object_id or user.id)
        greet = await self.references.first_greeting(conversation.id)
        if greet and not await self._send_activity(context, MessageFactory.text(GREETING)):
            await self.references.forget_greeting(conversation.id)  # greet next time instead

    async def _participant(self, context: TurnContext) -> Participant:
        activity = context.activity
        user = activity.from_property or ChannelAccount(id="unknown")
        tenant = _tenant(activity)
        user_id = user.aad_object_id or user.id
        names, own = await self._names_of(context, tenant, user)
        return Participant(Platform.TEAMS, tenant, user_id, names, own)

    async def _directory(self, context: TurnContext, tenant: str) -> Directory | None:
        """The tenant's people: the members of the teams the app is in (else of this chat), cached in Redis."""
        client = _connector(context)
        conversation = context.activity.conversation
        if client is None or conversation is None or not hasattr(client, "get_conversation_paged_member"):
            return None

        async def load() -> list[Person]:
            try:
                teams = await self.rosters.teams(tenant)
            except RedisError as exc:
                raise DirectoryUnavailable(f"Redis: {type(exc).__name__}") from None
            return await load_people(client, teams or [conversation.id])

        return await self.directories.get(tenant, load)

    async def _names_of(
        self, context: TurnContext, tenant: str, user: ChannelAccount
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The member's names and own context from the connector (once per hour), so the engine can redact them."""
        key = (tenant, user.id)
        cached = self._names.get(key)
        if cached is not None and time.monotonic() - cached[0] < 3600:
            return cached[1], cached[2]
        names: list[str] = [user.name or ""]
        own: tuple[str, ...] = ()
        # The turn's connector client (a TeamsConnectorClient on Teams) has the member lookup.
        client = _connector(context)
        conversation = context.activity.conversation
        if client is not None and conversation is not None and hasattr(client, "get_conversation_member"):
            try:
                member = await client.get_conversation_member(conversation.id, user.id)
                names += member_names(member)
                own = member_context(member)
            except aiohttp.ClientResponseError as exc:
                if exc.status == 429 or exc.status >= 500:
                    # Going on would store the given name and surname unredacted: try the activity again later.
                    raise LookupFailed(f"Teams member lookup failed (HTTP {exc.status})") from None
                log.warning("Teams member lookup failed (HTTP %s); using the name on the message", exc.status)
                return tuple(n for n in names if n.strip()), ()
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise LookupFailed(f"Teams member lookup failed ({type(exc).__name__})") from None
        found = tuple(dict.fromkeys(n for n in names if n.strip()))
        self._names[key] = (time.monotonic(), found, own)
        return found, own

    # -- outgoing ----------------------------------------------------------------------------

    async def send_replies(self, context: TurnContext, replies: list[Reply]) -> bool:
        sent = True
        for reply in replies:
            sent = await self._send_activity(context, _activity(reply)) and sent
        return sent

    async def deliver(self, context: TurnContext, replies: list[Reply], *, opt_out: bool = False) -> SendResult:
        """Proactive sends for waves: one attempt each, and a 429 becomes DEFERRED for the shared limiter.

        ``opt_out``: invitation cards get the "Don't ask me again" button.
        """
        for reply in replies:
            label = optout.LABEL if opt_out and reply.kind is ReplyKind.INVITATION else None
            try:
                await context.send_activity(_activity(reply, label))
            except aiohttp.ClientResponseError as exc:
                log.error("Teams proactive send failed: HTTP %s", exc.status)
                return send_failure(exc)
        return SendResult(Sent.SENT)

    async def _send_activity(self, context: TurnContext, activity: Activity) -> bool:
        """Connector throttling (429) is retried after Retry-After; other errors are logged."""
        for attempt in range(RETRIES_ON_429 + 1):
            try:
                await context.send_activity(activity)
                return True
            except aiohttp.ClientResponseError as exc:
                if exc.status != 429 or attempt == RETRIES_ON_429:
                    log.error("Teams send_activity failed: HTTP %s", exc.status)
                    return False
                await asyncio.sleep(_retry_after(exc))
        return False

    def _mark_received(self, activity: Activity) -> None:
        event = self.received.pop(turn_key(activity), None)
        if event is not None:
            event.set()

    # -- invitations -------------------------------------------------------------------------

    def invitation_callback(
        self,
        participant: Participant,
        flow_id: str | None,
        outcome: list[SendResult],
        *,
        wave: str = "",
        text: str | None = None,
    ) -> Callable[[TurnContext], Awaitable[None]]:
        """Record the invitation and send it; a wave's card also offers "Don't ask me again"."""

        async def callback(context: TurnContext) -> None:
            # Nothing may escape: the SDK would post its "sorry" to someone who never wrote to the bot.
            try:
                replies = await self.engine.invite(participant, flow_id, wave=wave, text=text)
                if not replies:
                    outcome.append(SendResult(Sent.BUSY, detail="busy"))
                    return
                result = await self.deliver(context, replies, opt_out=bool(wave) and self.waves is not None)
            except Exception as exc:
                log.error("Teams invitation failed: %s", type(exc).__name__)
                result = SendResult(Sent.FAILED, detail=type(exc).__name__)
            outcome.append(result)
            if result.outcome is not Sent.SENT:
                with contextlib.suppress(Exception):
                    await self.engine.cancel_invitation(participant)  # not delivered, so not invited

        return callback

    def message_callback(
        self, replies: list[Reply], outcome: list[SendResult]
    ) -> Callable[[TurnContext], Awaitable[None]]:
        """Send replies into a continued conversation (a wave's reminder or closing message)."""

        async def callback(context: TurnContext) -> None:
            try:
                outcome.append(await self.deliver(context, replies))
            except Exception as exc:
                log.error("Teams proactive message failed: %s", type(exc).__name__)
                outcome.append(SendResult(Sent.FAILED, detail=type(exc).__name__))

        return callback


def turn_key(activity: Activity) -> str:
    """Activity ids are only unique within a conversation (Teams uses timestamps)."""
    conversation = activity.conversation.id if activity.conversation else ""
    return f"{conversation}|{activity.id}"


def _tenant(activity: Activity) -> str:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id")
    if not tenant and activity.conversation is not None:
        tenant = activity.conversation.tenant_id
    return str(tenant or "")


def _team(activity: Activity) -> str | None:
    """The team an activity comes from (a channel, or the app added to a team); None for chats."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = (data.get("team") or {}).get("id")
    return str(team) if team else None


def _connector(context: TurnContext) -> Any:
    """The turn's connector client (a TeamsConnectorClient on Teams), or None."""
    return cast(Any, context.services).get(ConnectorClientBase) if context.services else None


def _own_mentions(activity: Activity) -> set[str]:
    """How the bot itself appears in ``<at>`` tags of this message, so only those mentions are dropped."""
    bot = activity.recipient
    names = {bot.name} if bot is not None and bot.name else set()
    for entity in activity.entities or []:
        data = entity.model_dump(by_alias=True) if hasattr(entity, "model_dump") else dict(entity)
        mentioned = data.get("mentioned") or {}
        if data.get("type") == "mention" and bot is not None and mentioned.get("id") == bot.id:
            names.add(re.sub(r"</?at[^>]*>", "", str(data.get("text") or mentioned.get("name") or "")))
    return names


def _mentions(activity: Activity, who: ChannelAccount | None) -> bool:
    if who is None:
        return False
    for entity in activity.entities or []:
        data = entity.model_dump(by_alias=True) if hasattr(entity, "model_dump") else dict(entity)
        if data.get("type") == "mention" and (data.get("mentioned") or {}).get("id") == who.id:
            return True
    return False


async def member_emails(context: TurnContext, conversation: str) -> dict[str, str]:
    """E-mail address and UPN (lower case) -> AAD object id of a team's or chat's members (paged)."""
    client = _connector(context)
    found: dict[str, str] = {}
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = await client.get_conversation_paged_member(conversation, PAGE_SIZE, token)
        for member in page.members or []:
            aad = getattr(member, "aad_object_id", None)
            for address in (getattr(member, "email", None), getattr(member, "user_principal_name", None)):
                if aad and isinstance(address, str) and "@" in address:
                    found.setdefault(address.strip().lower(), str(aad))
        token = page.continuation_token
        if not token:
            break
    return found


def _activity(reply: Reply, opt_out: str | None = None) -> Activity:
    if reply.choices:
        card: Activity = MessageFactory.attachment(CardFactory.adaptive_card(cards.choice_card(reply, opt_out)))
        return card
    text: Activity = MessageFactory.text(reply.text)
    return text


def send_failure(exc: aiohttp.ClientResponseError) -> SendResult:
    """What a Bot Connector error means for a wave: throttled or down (try later), or refused for good."""
    now = datetime.now(UTC)
    if exc.status == 429:
        return SendResult(Sent.DEFERRED, now + timedelta(seconds=_retry_after(exc)), "throttled")
    if exc.status >= 500:
        return SendResult(Sent.DEFERRED, now + timedelta(minutes=1), f"http_{exc.status}")
    codes = {401: "unauthorized", 403: "forbidden", 404: "conversation_not_found"}
    return SendResult(Sent.FAILED, detail=codes.get(exc.status, f"http_{exc.status}"))


def _retry_after(exc: aiohttp.ClientResponseError) -> float:
    raw = exc.headers.get("Retry-After", "1") if exc.headers else "1"
    try:
        return min(max(float(raw), 0.0), 30.0)
    except ValueError:
        return 1.0


def conversation_parameters(app_id: str, tenant_id: str, user_id: str) -> ConversationParameters:
    return ConversationParameters.model_validate(
        {
            "isGroup": False,
            "bot": {"id": f"28:{app_id}"},
            "members": [{"id": user_id}],
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}},
        }
    )


class Typing:
    """Sends Teams' typing indicator if the work it is wrapped around takes longer than ``delay``."""

    def __init__(self, send: Callable[[], Awaitable[bool]], delay: float) -> None:
        self._send = send
        self._delay = delay
        self._sending: asyncio.Task[bool] | None = None

    async def around(self, work: Awaitable[T]) -> T:
        timer = asyncio.get_running_loop().call_later(self._delay, self._start)
        try:
            return await work
        finally:
            timer.cancel()
            if self._sending is not None:
                await self._sending  # keep the indicator ahead of the reply

    def _start(self) -> None:
        if self._sending is None:
            self._sending = asyncio.ensure_future(self._send())
