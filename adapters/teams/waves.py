"""Waves on Teams: people by AAD object id or e-mail, invitations and reminders as proactive messages.

Sends are paced by the shared ``RateLimiter``: one bucket per tenant (Teams counts per app per tenant)
and one per conversation. A 429 from the Bot Connector closes the tenant's bucket for every worker.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from adapters.teams.app import TeamsApp
from bot.types import Participant, Platform, Reply
from bot.waves.channel import Person, SendResult, Sent, Unresolved, reminder
from bot.waves.ratelimit import Limits, RateLimited, RateLimiter, bucket_key

log = logging.getLogger(__name__)
NOT_FOUND = "no Teams member with this e-mail address in the teams Candor is installed in"


@dataclass
class _Found:
    """Resolution so far: people in order, by AAD object id; entries naming nobody; the tenant's e-mails."""

    tenant: str
    people: dict[str, Person] = field(default_factory=dict)
    unresolved: list[Unresolved] = field(default_factory=list)
    directory: dict[str, str] | None = None

    def add(self, aad: str, attributes: Mapping[str, str], email: str | None) -> None:
        """Each person once; the first attributes seen for them win."""
        known = self.people.get(aad)
        if known is None:
            self.people[aad] = Person(Participant(Platform.TEAMS, self.tenant, aad), None, dict(attributes), email)
        elif not known.attributes and attributes:
            self.people[aad] = Person(known.participant, None, dict(attributes), known.email or email)


class TeamsWaveChannel:
    """``WaveChannel`` for Teams, on top of the app's ``TeamsApp`` (same engine, references and cards)."""

    platform = "teams"

    def __init__(self, app: TeamsApp, limiter: RateLimiter, limits: Limits, *, max_wait: float = 2.0) -> None:
        self.app = app
        self.engine = app.bot.engine
        self.limiter = limiter
        self.limits = limits
        # A send waits this long at most for room in its buckets; beyond it the job is deferred instead.
        self.max_wait = max_wait

    # -- resolve ----------------------------------------------------------------------------------

    async def resolve(
        self,
        workspace: str,
        users: Sequence[str],
        emails: Sequence[str],
        channels: Sequence[str],
        rows: Sequence[Mapping[str, str]],
    ) -> tuple[list[Person], list[Unresolved]]:
        """Everyone the lists name, once each. Teams has no time zones: the wave's default applies.

        ``users`` are AAD object ids, taken as given (Teams can only tell by trying to reach them).
        E-mails are matched against the members of the tenant's teams Candor was seen in.
        """
        found = _Found(workspace)
        for user in users:
            found.add(user.strip(), {}, None)
        for index, email in enumerate(emails):
            await self._add_by_email(found, email, f"emails[{index}]", {})
        for index, _ in enumerate(channels):
            found.unresolved.append(Unresolved(f"channels[{index}]", "channels are a Slack source, not a Teams one"))
        for index, row in enumerate(rows):
            source = row.get("_source") or f"csv row {index + 2}"  # row 1 is the header
            named = {key.strip().lower(): (value or "").strip() for key, value in row.items()}
            attributes = {
                key.strip(): (value or "").strip()
                for key, value in row.items()
                if key.strip().lower() not in ("aad_id", "email") and not key.startswith("_")
            }
            if named.get("aad_id"):
                found.add(named["aad_id"], attributes, None)
            elif named.get("email"):
                await self._add_by_email(found, named["email"], source, attributes)
            else:
                found.unresolved.append(Unresolved(source, "the row has neither an aad_id nor an email"))
        return list(found.people.values()), found.unresolved

    async def _add_by_email(self, found: _Found, email: str, source: str, attributes: Mapping[str, str]) -> None:
        if found.directory is None:  # read once per resolve, and only when an e-mail needs it
            found.directory = await self.app.members_by_email(found.tenant)
        aad = found.directory.get(email.strip().lower())
        if aad is None:
            found.unresolved.append(Unresolved(source, NOT_FOUND))
        else:
            found.add(aad, attributes, email)

    async def do_not_disturb_until(self, person: Person) -> datetime | None:
        """Teams tells bots nothing about presence or quiet hours."""
        return None

    # -- sending ------------------------------------------------------------------------------------

    async def _room(self, person: Person) -> SendResult | None:
        """Take room in the tenant's and the conversation's buckets; a DEFERRED result when there is none soon."""
        tenant = person.participant.workspace
        buckets = [
            (bucket_key("teams", "send", tenant), self.limits.teams_tenant),
            # Keyed by the conversation's keyed hash, never by a user id.
            (bucket_key("teams", "send", self.engine.key_for(person.participant)), self.limits.teams_conversation),
        ]
        try:
            for key, limit in buckets:
                await self.limiter.acquire(key, limit.rate, limit.burst, max_wait=self.max_wait)
        except RateLimited as exc:
            return SendResult(Sent.DEFERRED, _after(exc.retry_after), "ratelimited")
        return None

    async def _settle(self, person: Person, result: SendResult) -> SendResult:
        """After a 429, close the tenant's bucket for every worker until Retry-After has passed."""
        if result.outcome is Sent.DEFERRED and result.detail == "throttled" and result.retry_at is not None:
            wait = max((result.retry_at - datetime.now(UTC)).total_seconds(), 0.0)
            await self.limiter.penalize(bucket_key("teams", "send", person.participant.workspace), wait)
        return result

    async def invite(self, person: Person, flow_id: str, wave_id: str, text: str | None) -> SendResult:
        """Continue or create the 1:1 chat, record the invitation, and send its card (with the opt-out)."""
        blocked = await self._room(person)
        if blocked is not None:
            return blocked
        tenant, user = person.participant.workspace, person.participant.user
        result = await self.app.send_invitation(tenant, user, flow_id, wave=wave_id, text=text)
        return await self._settle(person, result)

    async def was_invited(self, person: Person, wave_id: str) -> bool | None:
        """Always None: the Bot Connector has no API to read a chat's history, so the job sends again."""
        return None

    async def remind(self, person: Person, wave_id: str, text: str) -> SendResult:
        """Only while the interview is unfinished; still invited, the card has Start / Not now again."""
        reply = reminder(await self.engine.current(person.participant), wave_id, text)
        return reply if isinstance(reply, SendResult) else await self._send(person, reply)

    async def say(self, person: Person, text: str) -> SendResult:
        """A plain message in the person's chat with Candor (the polite close at a wave's end)."""
        return await self._send(person, Reply(text))

    async def _send(self, person: Person, reply: Reply) -> SendResult:
        blocked = await self._room(person)
        if blocked is not None:
            return blocked
        tenant, user = person.participant.workspace, person.participant.user
        return await self._settle(person, await self.app.send_message(tenant, user, [reply]))


def _after(seconds: float) -> datetime:
    return datetime.fromtimestamp(datetime.now(UTC).timestamp() + seconds, UTC)
