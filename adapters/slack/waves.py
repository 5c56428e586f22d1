"""Waves on Slack: find the people a wave names, and invite, remind and tell them in their DM.

Every Web API call goes through the shared ``RateLimiter`` (one bucket per workspace and method, plus
one per DM for chat.postMessage), so any number of worker processes stay under Slack's tiers together.
A 429 closes the bucket for everyone until Retry-After has passed; the SDK's own 429 retries are left
out of the clients used here, or the other workers would never hear of it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters import optout
from adapters.slack import render
from adapters.slack.interviews import SlackInterviews
from bot.errors import CandorError
from bot.types import Participant, Platform, Reply, ReplyKind
from bot.waves.channel import Person, SendResult, Sent, Unresolved, reminder
from bot.waves.ratelimit import Limit, Limits, RateLimited, RateLimiter, bucket_key

log = logging.getLogger(__name__)

# The invitation's message metadata, so a crashed job can find out whether it was already sent.
INVITATION_EVENT = "candor_invitation"
# How far back in the DM ``was_invited`` looks: a wave's invitation is never many messages ago.
HISTORY_LIMIT = 20
# Slack's server-side and transient errors: the same call may well work later.
TRANSIENT = frozenset({"internal_error", "fatal_error", "request_timeout", "service_unavailable", "ratelimited"})
# How long to wait before trying again after a transient failure.
TRANSIENT_RETRY = timedelta(minutes=1)
# Statuses in which a reminder still makes sense: invited, or started and not finished.
PAGE = 200
MAX_PAGES = 500


class SlackUnavailable(CandorError):
    """Slack failed in a way that may pass (5xx, timeouts): the wave job should run again later."""


@dataclass
class _Found:
    """Resolution so far: people in order, by user id, and the entries that name nobody."""

    people: dict[str, Person] = field(default_factory=dict)
    unresolved: list[Unresolved] = field(default_factory=list)
    # users.info answers so far (None: no such user), so nobody is looked up twice.
    users: dict[str, dict[str, Any] | None] = field(default_factory=dict)

    def add(self, person: Person) -> None:
        """Each person once; the first attributes seen for them win."""
        known = self.people.get(person.participant.user)
        if known is None:
            self.people[person.participant.user] = person
        elif not known.attributes and person.attributes:
            self.people[person.participant.user] = Person(
                known.participant, known.timezone, person.attributes, known.email or person.email
            )


def _retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after") or "1"
    try:
        return max(float(raw), 0.0)
    except (TypeError, ValueError):
        return 1.0


def _is_429(exc: SlackApiError) -> bool:
    return bool(exc.response.status_code == 429 or exc.response.get("error") == "ratelimited")


def _error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or f"http_{exc.response.status_code}")


def _transient(exc: SlackApiError) -> bool:
    return exc.response.status_code >= 500 or _error(exc) in TRANSIENT


def _later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def _seconds(value: Any) -> float | None:
    """A Slack epoch timestamp (a number, sometimes a string), or None."""
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _unusable(user: Mapping[str, Any]) -> str | None:
    """Why a Slack user can't take part, or None when they can."""
    if user.get("deleted"):
        return "this Slack account is deactivated"
    if user.get("is_bot") or user.get("is_app_user") or user.get("id") == "USLACKBOT":
        return "this is a bot, not a person"
    return None


class SlackWaveChannel:
    """``WaveChannel`` for Slack, on top of the app's ``SlackInterviews`` (same engine, DMs and buttons)."""

    platform = "slack"

    def __init__(
        self,
        interviews: SlackInterviews,
        limiter: RateLimiter,
        limits: Limits,
        *,
        max_wait: float = 2.0,
        retries_on_429: int = 3,
    ) -> None:
        self.interviews = interviews
        self.engine = interviews.engine
        self.limiter = limiter
        self.limits = limits
        # A send waits this long at most for room in its buckets; beyond it the job is deferred instead.
        self.max_wait = max_wait
        self.retries_on_429 = retries_on_429
        self._clients: dict[str, AsyncWebClient] = {}

    # -- calling Slack ------------------------------------------------------------------------

    async def _client(self, team: str) -> AsyncWebClient | None:
        """The workspace's client without the SDK's 429 retries: 429s must reach the shared limiter."""
        client = await self.interviews.clients.for_team(team)
        if client is None:
            return None
        key = client.token or ""
        cached = self._clients.get(key)
        if cached is None:
            handlers = [h for h in client.retry_handlers if not isinstance(h, AsyncRateLimitErrorRetryHandler)]
            cached = AsyncWebClient(
                token=client.token,
                base_url=client.base_url,
                session=client.session,
                timeout=client.timeout,
                retry_handlers=handlers,
            )
            self._clients[key] = cached
        return cached

    async def _call(
        self,
        buckets: Sequence[tuple[str, Limit]],
        call: Callable[[], Awaitable[AsyncSlackResponse]],
        max_wait: float | None = None,
    ) -> AsyncSlackResponse:
        """Take room in every bucket, then call; after a 429 close them all for Retry-After and try again.

        Raises ``RateLimited`` when room (or the penalty's end) is further away than ``max_wait``.
        """
        for attempt in range(self.retries_on_429 + 1):
            for key, limit in buckets:
                await self.limiter.acquire(key, limit.rate, limit.burst, max_wait=max_wait)
            try:
                return await call()
            except SlackApiError as exc:
                if not _is_429(exc):
                    raise
                wait = _retry_after(exc)
                for key, _ in buckets:
                    await self.limiter.penalize(key, wait)
                log.warning("Slack answered 429 to %s; its bucket is closed for %.0f s", buckets[0][0], wait)
                if attempt == self.retries_on_429 or (max_wait is not None and wait > max_wait):
                    raise RateLimited(buckets[0][0], wait) from None
        raise AssertionError("unreachable")

    def _bucket(self, method: str, team: str, limit: Limit) -> tuple[str, Limit]:
        return bucket_key("slack", method, team), limit

    async def _user(self, client: AsyncWebClient, team: str, user: str) -> dict[str, Any] | None:
        """users.info; None when Slack knows no such user. Transient failures raise ``SlackUnavailable``."""
        bucket = self._bucket("users.info", team, self.limits.slack_users_info)
        try:
            response = await self._call([bucket], lambda: client.users_info(user=user))
        except SlackApiError as exc:
            if _error(exc) in ("user_not_found", "user_not_visible"):
                return None
            raise self._unavailable("users.info", exc) from None
        found: dict[str, Any] = response.get("user") or {}
        return found

    async def _looked_up(self, client: AsyncWebClient, team: str, user: str, found: _Found) -> dict[str, Any] | None:
        if user not in found.users:
            found.users[user] = await self._user(client, team, user)
        return found.users[user]

    def _unavailable(self, method: str, exc: SlackApiError) -> CandorError:
        if _transient(exc):
            return SlackUnavailable(f"Slack {method} failed ({_error(exc)}); try again later")
        return CandorError(f"Slack {method} refused ({_error(exc)}): check the app's scopes and installation")

    # -- resolve ----------------------------------------------------------------------------------

    async def resolve(
        self,
        workspace: str,
        users: Sequence[str],
        emails: Sequence[str],
        channels: Sequence[str],
        rows: Sequence[Mapping[str, str]],
    ) -> tuple[list[Person], list[Unresolved]]:
        """Everyone the lists name, once each, in list order; rows may carry ``_source`` ("people.csv row 12")."""
        found = _Found()
        client = await self._client(workspace)
        if client is None:
            raise CandorError("Candor is not installed in this Slack workspace (or its token was revoked)")
        for index, user in enumerate(users):
            await self._resolve_user(client, workspace, user, f"users[{index}]", {}, found)
        for index, email in enumerate(emails):
            await self._resolve_email(client, workspace, email, f"emails[{index}]", {}, found)
        for index, channel in enumerate(channels):
            await self._resolve_channel(client, workspace, channel, f"channels[{index}]", found)
        for index, row in enumerate(rows):
            await self._resolve_row(client, workspace, row, index, found)
        return list(found.people.values()), found.unresolved

    async def _resolve_user(
        self,
        client: AsyncWebClient,
        team: str,
        user_id: str,
        source: str,
        attributes: Mapping[str, str],
        found: _Found,
    ) -> None:
        known = found.people.get(user_id)
        if known is not None:  # no second lookup; only attributes may still be added
            found.add(Person(known.participant, known.timezone, attributes))
            return
        user = await self._looked_up(client, team, user_id, found)
        if user is None:
            found.unresolved.append(Unresolved(source, "no Slack user with this id in the workspace"))
            return
        self._add_user(user, team, source, attributes, None, found)

    def _add_user(
        self,
        user: Mapping[str, Any],
        team: str,
        source: str,
        attributes: Mapping[str, str],
        email: str | None,
        found: _Found,
    ) -> None:
        reason = _unusable(user)
        if reason is not None:
            found.unresolved.append(Unresolved(source, reason))
            return
        tz = user.get("tz")
        participant = Participant(Platform.SLACK, team, str(user["id"]))
        found.add(Person(participant, tz if isinstance(tz, str) and tz else None, dict(attributes), email))

    async def _resolve_email(
        self,
        client: AsyncWebClient,
        team: str,
        email: str,
        source: str,
        attributes: Mapping[str, str],
        found: _Found,
    ) -> None:
        bucket = self._bucket("users.lookupByEmail", team, self.limits.slack_users_lookup_by_email)
        try:
            response = await self._call([bucket], lambda: client.users_lookupByEmail(email=email))
        except SlackApiError as exc:
            if _error(exc) == "users_not_found":
                found.unresolved.append(Unresolved(source, "no Slack user with this e-mail address"))
                return
            raise self._unavailable("users.lookupByEmail", exc) from None
        self._add_user(response.get("user") or {}, team, source, attributes, email, found)

    async def _resolve_channel(
        self, client: AsyncWebClient, team: str, channel: str, source: str, found: _Found
    ) -> None:
        """Every member of the channel (paged), bots and deactivated accounts left out without a word."""
        members: list[str] = []
        cursor = ""
        # conversations.members is Tier 4 like users.info; Limits has no field of its own for it.
        bucket = self._bucket("conversations.members", team, self.limits.slack_users_info)
        for _ in range(MAX_PAGES):
            page = partial(client.conversations_members, channel=channel, limit=PAGE, cursor=cursor or None)
            try:
                response = await self._call([bucket], page)
            except SlackApiError as exc:
                if _error(exc) in ("channel_not_found", "not_in_channel", "method_not_supported_for_channel_type"):
                    found.unresolved.append(Unresolved(source, "no such channel, or Candor can't see its members"))
                    return
                raise self._unavailable("conversations.members", exc) from None
            members += [str(member) for member in response.get("members") or []]
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or ""
            if not cursor:
                break
        for member in members:
            if member in found.people:
                continue
            user = await self._looked_up(client, team, member, found)
            if user is not None and _unusable(user) is None:
                self._add_user(user, team, source, {}, None, found)

    async def _resolve_row(
        self, client: AsyncWebClient, team: str, row: Mapping[str, str], index: int, found: _Found
    ) -> None:
        """A CSV row: ``user`` or ``email`` (either case); the other columns are the person's attributes."""
        source = row.get("_source") or f"csv row {index + 2}"  # row 1 is the header
        named = {key.strip().lower(): (value or "").strip() for key, value in row.items()}
        attributes = {
            key.strip(): (value or "").strip()
            for key, value in row.items()
            if key.strip().lower() not in ("user", "email") and not key.startswith("_")
        }
        if named.get("user"):
            await self._resolve_user(client, team, named["user"], source, attributes, found)
        elif named.get("email"):
            await self._resolve_email(client, team, named["email"], source, attributes, found)
        else:
            found.unresolved.append(Unresolved(source, "the row has neither a user nor an email"))

    # -- do not disturb -----------------------------------------------------------------------------

    async def do_not_disturb_until(self, person: Person) -> datetime | None:
        """The end of the person's do-not-disturb (schedule or snooze) if it is on now; None otherwise."""
        team, user = person.participant.workspace, person.participant.user
        client = await self._client(team)
        if client is None:
            return None
        # dnd.info is Tier 3, like conversations.open; Limits has no field of its own for it.
        bucket = self._bucket("dnd.info", team, self.limits.slack_conversations_open)
        try:
            info = await self._call([bucket], lambda: client.dnd_info(user=user))
        except SlackApiError as exc:
            log.warning("Slack dnd.info failed (%s); sending as if do-not-disturb were off", _error(exc))
            return None
        now = datetime.now(UTC).timestamp()
        ends: list[float] = []
        start, end = _seconds(info.get("next_dnd_start_ts")), _seconds(info.get("next_dnd_end_ts"))
        if info.get("dnd_enabled") and start is not None and end is not None and start <= now < end:
            ends.append(end)
        snooze = _seconds(info.get("snooze_endtime"))
        if info.get("snooze_enabled") and snooze is not None and snooze > now:
            ends.append(snooze)
        return datetime.fromtimestamp(max(ends), UTC) if ends else None

    # -- sending ------------------------------------------------------------------------------------

    async def _dm(self, client: AsyncWebClient, person: Person) -> str:
        """The DM channel with the person: remembered, or opened (rate limited)."""
        team, user = person.participant.workspace, person.participant.user
        known = self.interviews.people.known_dm(team, user)
        if known is not None:
            return known
        bucket = self._bucket("conversations.open", team, self.limits.slack_conversations_open)
        response = await self._call([bucket], lambda: client.conversations_open(users=user), self.max_wait)
        channel = str(response["channel"]["id"])
        self.interviews.people.remember_dm(team, user, channel)
        return channel

    async def _post(self, client: AsyncWebClient, person: Person, channel: str, arguments: dict[str, Any]) -> str:
        """chat.postMessage under the per-DM and per-workspace limits; the message's ts."""
        team = person.participant.workspace
        buckets = [
            # The DM's bucket is keyed by the conversation's keyed hash, never by a channel or user id.
            (
                bucket_key("slack", "chat.postMessage", self.engine.key_for(person.participant)),
                self.limits.slack_post_message_channel,
            ),
            self._bucket("chat.postMessage", team, self.limits.slack_post_message_workspace),
        ]
        response = await self._call(
            buckets, lambda: client.chat_postMessage(channel=channel, **arguments), self.max_wait
        )
        return str(response["ts"])

    async def invite(self, person: Person, flow_id: str, wave_id: str, text: str | None) -> SendResult:
        """Open the DM, record the invitation (engine.invite), post it with its buttons and metadata."""
        team, user = person.participant.workspace, person.participant.user
        client = await self._client(team)
        if client is None:
            return SendResult(Sent.FAILED, detail="not_installed")
        async with self.interviews.ordered(team, user):
            try:
                channel = await self._dm(client, person)
            except (SlackApiError, RateLimited, aiohttp.ClientError, TimeoutError) as exc:
                return _failed("conversations.open", exc)
            replies = await self.engine.invite(person.participant, flow_id, wave=wave_id, text=text)
            if not replies:
                return SendResult(Sent.BUSY, detail="busy")
            try:
                for reply in replies:
                    await self._post_reply(client, person, channel, reply, wave_id)
            except (SlackApiError, RateLimited, aiohttp.ClientError, TimeoutError) as exc:
                await self.engine.cancel_invitation(person.participant)  # not delivered, so not invited
                return _failed("chat.postMessage", exc)
        return SendResult(Sent.SENT)

    async def _post_reply(
        self, client: AsyncWebClient, person: Person, channel: str, reply: Reply, wave_id: str
    ) -> None:
        if reply.kind is not ReplyKind.INVITATION:
            await self._post(client, person, channel, render.message(reply))
            return
        arguments = render.wave_invitation(reply, optout.LABEL)
        arguments["metadata"] = {"event_type": INVITATION_EVENT, "event_payload": {"wave": wave_id}}
        ts = await self._post(client, person, channel, arguments)
        self.interviews.shown_buttons(person.participant.workspace, person.participant.user, channel, ts, reply.text)

    async def was_invited(self, person: Person, wave_id: str) -> bool | None:
        """Whether the DM's last messages hold this wave's invitation (by its metadata); None if Slack won't say."""
        team = person.participant.workspace
        client = await self._client(team)
        if client is None:
            return None
        # conversations.history is Tier 3, like conversations.open; Limits has no field of its own for it.
        bucket = self._bucket("conversations.history", team, self.limits.slack_conversations_open)
        try:
            channel = await self._dm(client, person)
            response = await self._call(
                [bucket],
                lambda: client.conversations_history(channel=channel, limit=HISTORY_LIMIT, include_all_metadata=True),
            )
        except (SlackApiError, RateLimited) as exc:
            log.warning("could not read a DM's history to look for an invitation (%s)", type(exc).__name__)
            return None
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == INVITATION_EVENT and payload.get("wave") == wave_id:
                return True
        return False

    async def remind(self, person: Person, wave_id: str, text: str) -> SendResult:
        """Only while the interview is unfinished; still invited, the reminder has Start / Not now again."""
        reply = reminder(await self.engine.current(person.participant), wave_id, text)
        return reply if isinstance(reply, SendResult) else await self._send(person, reply)

    async def say(self, person: Person, text: str) -> SendResult:
        """A plain message in the DM (the polite close at a wave's end)."""
        return await self._send(person, Reply(text))

    async def _send(self, person: Person, reply: Reply) -> SendResult:
        team, user = person.participant.workspace, person.participant.user
        client = await self._client(team)
        if client is None:
            return SendResult(Sent.FAILED, detail="not_installed")
        try:
            channel = await self._dm(client, person)
            ts = await self._post(client, person, channel, render.message(reply))
        except (SlackApiError, RateLimited, aiohttp.ClientError, TimeoutError) as exc:
            return _failed("chat.postMessage", exc)
        if reply.choices:
            self.interviews.shown_buttons(team, user, channel, ts, reply.text)
        return SendResult(Sent.SENT)


def _failed(method: str, exc: Exception) -> SendResult:
    """What a failed send means for the wave: try later (limits, outages) or give up (no such user...)."""
    if isinstance(exc, RateLimited):
        return SendResult(Sent.DEFERRED, _later(exc.retry_after), "ratelimited")
    if not isinstance(exc, SlackApiError):
        log.warning("Slack %s did not answer (%s)", method, type(exc).__name__)
        return SendResult(Sent.DEFERRED, datetime.now(UTC) + TRANSIENT_RETRY, "unreachable")
    error = _error(exc)
    log.warning("Slack %s failed: %s (HTTP %s)", method, error, exc.response.status_code)
    if _transient(exc):
        return SendResult(Sent.DEFERRED, datetime.now(UTC) + TRANSIENT_RETRY, error)
    return SendResult(Sent.FAILED, detail=error)
