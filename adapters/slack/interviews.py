"""What Candor does for each Slack event, command and button; called by Bolt and by inbox recovery."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters import optout
from adapters.slack import render
from adapters.slack.clients import WebClients
from adapters.slack.people import People
from bot.engine import InterviewEngine
from bot.engine.locks import KeyedLocks
from bot.engine.reception import Reception
from bot.errors import CandorError
from bot.privacy import REDACTED
from bot.privacy.directory_cache import DirectoryCache
from bot.types import Inbound, Participant, Platform, Reply, ReplyKind
from bot.waves.store import WaveStore

log = logging.getLogger(__name__)
T = TypeVar("T")

# The only message subtypes that carry something a participant wrote; the rest (deletions, joins,
# bot messages, ...) are acknowledged and dropped.
_ANSWER_SUBTYPES = frozenset({None, "file_share", "message_changed"})


class SlackInterviews:
    def __init__(
        self, engine: InterviewEngine, clients: WebClients, directories: DirectoryCache, *, placeholder_after: float
    ) -> None:
        self.engine = engine
        self.clients = clients
        self.people = People(directories)
        self.placeholder_after = placeholder_after
        # Slack events of one user are taken in arrival order: the lock is taken before any await,
        # and released once the engine has received the message (not while it waits for more).
        self._order = KeyedLocks()
        # The last message with buttons shown to each user, so typing an answer can retire them.
        self._buttons: dict[tuple[str, str], tuple[str, str, str]] = {}

    # -- events ----------------------------------------------------------------------------

    async def on_event(self, body: dict[str, Any], client: AsyncWebClient | None = None) -> None:
        event = body.get("event") or {}
        team_id = body.get("team_id") or event.get("team") or ""
        client = client or await self.clients.for_team(team_id, body.get("enterprise_id"))
        if client is None:
            return
        if event.get("type") == "message":
            await self.on_message(team_id, event, client)
        elif event.get("type") == "app_home_opened" and event.get("tab") == "home" and event.get("user"):
            await self.publish_home(client, team_id, event["user"])

    async def on_message(self, team_id: str, event: dict[str, Any], client: AsyncWebClient) -> None:
        subtype = event.get("subtype")
        if event.get("channel_type") != "im" or event.get("bot_id") or subtype not in _ANSWER_SUBTYPES:
            return
        if subtype == "message_changed":
            await self._on_edit(team_id, event, client)
            return
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:
            return
        async with self._order.hold(f"{team_id}:{user}"):
            self.people.remember_dm(team_id, user, channel)
            await self._retire_buttons(client, team_id, user)
            text = event.get("text") or ""
            if subtype == "file_share" or event.get("files"):
                await self._post(client, channel, Reply(render.FILES_NOT_READ))
                if not text.strip():
                    return
            participant = await self.people.participant(client, team_id, user)
            directory = await self.people.directory(client, team_id)
            message_id = str(event.get("ts") or event.get("client_msg_id"))
            inbound = Inbound(participant, _plain(text), message_id=message_id, directory=directory)
            placeholder = Placeholder(
                lambda: self._post(client, channel, Reply(render.ONE_MOMENT), escape=False), self.placeholder_after
            )
            reception = await placeholder.around(self.engine.receive(inbound))
        await self._answer(client, channel, reception, placeholder, (team_id, user))

    async def _on_edit(self, team_id: str, event: dict[str, Any], client: AsyncWebClient) -> None:
        edited = event.get("message") or {}
        user = edited.get("user")
        if not user or edited.get("bot_id"):
            return
        async with self._order.hold(f"{team_id}:{user}"):
            participant = await self.people.participant(client, team_id, user)
            directory = await self.people.directory(client, team_id)
            await self.engine.edit(participant, str(edited.get("ts")), _plain(edited.get("text") or ""), directory)

    # -- buttons, the slash command, App Home ---------------------------------------------------

    async def on_choice(self, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A consent / invitation / keep-or-delete button: replace the buttons, then answer with its word."""
        action = (body.get("actions") or [{}])[0]
        team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        message = body.get("message") or {}
        kind, _, choice = str(action.get("value", "")).partition(":")
        if not user or not channel or kind not in _KINDS or not choice:
            return
        label = (action.get("text") or {}).get("text") or choice.capitalize()
        async with self._order.hold(f"{team_id}:{user}"):
            self._buttons.pop((team_id, user), None)
            await self._call(
                client.chat_update,
                channel=channel,
                ts=message.get("ts"),
                **render.answered(message.get("text", ""), label),
            )
            participant = await self.people.participant(client, team_id, user)
            # The message's ts makes a second click on the same buttons a duplicate, not a new answer.
            inbound = Inbound(participant, choice, message_id=f"choice:{message.get('ts')}", choice=ReplyKind(kind))
            placeholder = Placeholder(
                lambda: self._post(client, channel, Reply(render.ONE_MOMENT), escape=False), self.placeholder_after
            )
            reception = await placeholder.around(self.engine.receive(inbound))
        await self._answer(client, channel, reception, placeholder, (team_id, user))

    async def on_opt_out(self, body: dict[str, Any], client: AsyncWebClient, waves: WaveStore) -> None:
        """ "Don't ask me again" on a wave's invitation: opt out, decline as "Not now" would, and confirm."""
        team_id = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id", "")
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        message = body.get("message") or {}
        if not user or not channel:
            return
        async with self._order.hold(f"{team_id}:{user}"):
            self._buttons.pop((team_id, user), None)
            answered = render.answered(message.get("text", ""), optout.LABEL)
            await self._call(client.chat_update, channel=channel, ts=message.get("ts"), **answered)
            participant = await self.people.participant(client, team_id, user)
            replies = await optout.opt_out(self.engine, waves, participant, f"choice:{message.get('ts')}")
            await self._send(client, channel, replies, None, (team_id, user))

    def ordered(self, team_id: str, user: str) -> AbstractAsyncContextManager[None]:
        """Hold this user's place in line (waves send to them between their own messages, never during one)."""
        return self._order.hold(f"{team_id}:{user}")

    def shown_buttons(self, team_id: str, user: str, channel: str, ts: str, text: str) -> None:
        """A message with buttons was posted to this user elsewhere (waves): a typed answer retires them too."""
        self._buttons[(team_id, user)] = (channel, ts, render.escape(text))

    async def start(self, client: AsyncWebClient, team_id: str, user: str, flow_id: str | None) -> None:
        async with self._order.hold(f"{team_id}:{user}"):
            channel = await self.people.dm_channel(client, team_id, user)
            participant = await self.people.participant(client, team_id, user)
            await self.respond(client, channel, self.engine.start(participant, flow_id), (team_id, user))

    async def withdraw_everything(self, client: AsyncWebClient, team_id: str, user: str) -> None:
        """Deleting comes first; telling the person (which needs Slack) can only follow."""
        async with self._order.hold(f"{team_id}:{user}"):
            replies = await self.engine.withdraw_everything(Participant(Platform.SLACK, team_id, user))
            try:
                channel = await self.people.dm_channel(client, team_id, user)
            except SlackApiError as exc:
                log.error("Slack conversations_open failed: %s", exc.response.get("error"))
            else:
                await self._send(client, channel, replies, None, (team_id, user))
        await self.publish_home(client, team_id, user)

    async def publish_home(self, client: AsyncWebClient, team_id: str, user: str) -> None:
        participant = Participant(Platform.SLACK, team_id, user)
        history = await self.engine.history(participant)
        view = render.home_view(history, self.engine.flows, self.engine.store.ttl_seconds / 86400)
        await self._call(client.views_publish, user_id=user, view=view)

    async def invite(
        self, team_id: str, user: str, flow_id: str | None = None, enterprise_id: str | None = None
    ) -> bool:
        """Research ops' invitation: open the DM and post it with Start / Not now. True when it was sent."""
        client = await self.clients.for_team(team_id, enterprise_id)
        if client is None:
            return False
        async with self._order.hold(f"{team_id}:{user}"):
            try:
                channel = await self.people.dm_channel(client, team_id, user)
            except SlackApiError as exc:
                log.error("Slack conversations_open failed: %s", exc.response.get("error"))
                return False
            participant = await self.people.participant(client, team_id, user)
            replies = await self.engine.invite(participant, flow_id)
            if not replies:
                return False
            if not await self._send(client, channel, replies, None, (team_id, user)):
                await self.engine.cancel_invitation(participant)  # not delivered, so not invited
                return False
        return True

    # -- sending ---------------------------------------------------------------------------------

    async def respond(
        self, client: AsyncWebClient, channel: str, work: Awaitable[list[Reply]], who: tuple[str, str]
    ) -> None:
        """Post the replies; if they take a while, show a placeholder first and turn it into the first reply."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.placeholder_after)
        placeholder = None
        if not done:
            placeholder = await self._post(client, channel, Reply(render.ONE_MOMENT), escape=False)
        try:
            replies = await task
        except CandorError as exc:
            replies = [Reply(f"Sorry: {exc}")]
        await self._send(client, channel, replies, placeholder, who)

    async def _answer(
        self, client: AsyncWebClient, channel: str, reception: Reception, placeholder: Placeholder, who: tuple[str, str]
    ) -> None:
        """Wait out the answer window (no placeholder meanwhile: the person may still be typing), then reply."""
        if not await reception.due():
            await self._send(client, channel, [], placeholder.ts, who)  # a later message answers
            return
        replies = await (reception.replies() if reception.ready_now else placeholder.around(reception.replies()))
        await self._send(client, channel, replies, placeholder.ts, who)

    async def _send(
        self, client: AsyncWebClient, channel: str, replies: list[Reply], placeholder: str | None, who: tuple[str, str]
    ) -> bool:
        """True when every reply was posted."""
        if placeholder and not replies:
            await self._call(client.chat_delete, channel=channel, ts=placeholder)
        sent = True
        for reply in replies:
            if placeholder:
                response = await self._call(
                    client.chat_update, channel=channel, ts=placeholder, **render.message(reply)
                )
                ts = placeholder if response is not None else None
                placeholder = None
            else:
                ts = await self._post(client, channel, reply)
            sent = sent and ts is not None
            if ts is not None and reply.choices:
                self._buttons[who] = (channel, ts, render.escape(reply.text))
        return sent

    async def _retire_buttons(self, client: AsyncWebClient, team_id: str, user: str) -> None:
        """A typed answer settles the last question with buttons: take its buttons away."""
        shown = self._buttons.pop((team_id, user), None)
        if shown is not None:
            channel, ts, text = shown
            await self._call(
                client.chat_update, channel=channel, ts=ts, **render.answered(text, render.ANSWERED_IN_CHAT)
            )

    async def _post(self, client: AsyncWebClient, channel: str, reply: Reply, escape: bool = True) -> str | None:
        arguments = render.message(reply) if escape else {"text": reply.text}
        response = await self._call(client.chat_postMessage, channel=channel, **arguments)
        return str(response["ts"]) if response is not None else None

    async def _call(self, method: Any, **arguments: Any) -> Any:
        """Web API errors are logged with method and error code; the interview state is already saved."""
        try:
            return await method(**arguments)
        except SlackApiError as exc:
            log.error(
                "Slack %s failed: %s (HTTP %s)",
                getattr(method, "__name__", method),
                exc.response.get("error"),
                exc.response.status_code,
            )
            return None


_KINDS = frozenset(kind.value for kind in ReplyKind)


class Placeholder:
    """Posts "One moment…" if the work it is wrapped around takes longer than ``delay``."""

    def __init__(self, post: Callable[[], Awaitable[str | None]], delay: float) -> None:
        self._post = post
        self._delay = delay
        self._posting: asyncio.Task[None] | None = None
        self.ts: str | None = None

    async def around(self, work: Awaitable[T]) -> T:
        if self._posting is not None:
            return await work
        # A timer callback rather than a task: most replies are ready long before the delay.
        timer = asyncio.get_running_loop().call_later(self._delay, self._start)
        try:
            return await work
        finally:
            timer.cancel()
            if self._posting is not None:
                await self._posting  # the post is under way: wait for its ts so the reply can replace it

    def _start(self) -> None:
        self._posting = asyncio.ensure_future(self._post_it())

    async def _post_it(self) -> None:
        self.ts = await self._post()


_MARKUP = re.compile(r"<([^<>]+)>")


def _unmark(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return REDACTED  # a mention names a colleague
    if target.startswith("#"):
        return f"#{label}" if label else "#channel"
    if target.startswith("!"):
        return f"@{label or target[1:].split('^')[0]}"
    if target.startswith("mailto:"):
        return target.removeprefix("mailto:")
    return target if not label or label == target else f"{label} ({target})"


def _plain(text: str) -> str:
    """Slack markup (mentions, channels, links) and entities turned back into what the person typed."""
    text = _MARKUP.sub(_unmark, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
