"""What a wave needs from a platform, and nothing more: find people, and message them.

The Slack and Teams adapters implement :class:`WaveChannel`; the wave jobs only see this
interface, so the scheduling, quotas and idempotency are written once for both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.state.model import Interview, Status
from bot.types import Participant, Reply, ReplyKind


@dataclass(frozen=True, slots=True)
class Person:
    """Someone a wave may invite, as the platform knows them."""

    participant: Participant
    # IANA time zone from the platform profile, or None when the platform does not say.
    timezone: str | None = None
    # Attributes from the CSV (team, region, ...), used for quotas and never shown per person.
    attributes: Mapping[str, str] = field(default_factory=dict)
    # The e-mail address, when the person was found by one (for opt-out lists); never stored.
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Unresolved:
    """An entry of the wave's participant list that names nobody: reported to research ops."""

    source: str  # e.g. "emails[3]" or "people.csv:12"
    reason: str  # e.g. "no Slack user with this e-mail address"


class Sent(StrEnum):
    SENT = "sent"  # the platform accepted the message
    BUSY = "busy"  # the person already has a live interview: not invited by this wave
    DEFERRED = "deferred"  # not now (do not disturb, rate limit): try again at ``retry_at``
    FAILED = "failed"  # the platform refused for good (no such user, app not installed)


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Sent
    retry_at: datetime | None = None  # for DEFERRED: the earliest moment worth trying again
    detail: str = ""  # an error code for logs and status; never message text or a user id


class WaveChannel(Protocol):
    """One platform's side of waves (``adapters/slack/waves.py``, ``adapters/teams/waves.py``)."""

    platform: str

    async def resolve(
        self,
        workspace: str,
        users: Sequence[str],
        emails: Sequence[str],
        channels: Sequence[str],
        rows: Sequence[Mapping[str, str]],
    ) -> tuple[list[Person], list[Unresolved]]:
        """Everyone the lists name, once each; ``rows`` are CSV rows with user, email or aad_id plus attributes."""
        ...

    async def do_not_disturb_until(self, person: Person) -> datetime | None:
        """When the person's do-not-disturb ends, if it is on now (Slack); None otherwise."""
        ...

    async def invite(self, person: Person, flow_id: str, wave_id: str, text: str | None) -> SendResult:
        """Start the interview in the INVITED state (engine.invite) and send the invitation."""
        ...

    async def was_invited(self, person: Person, wave_id: str) -> bool | None:
        """After a crash between sending and recording: does the DM already hold this wave's invitation?

        None when the platform cannot tell (the job then sends again rather than never)."""
        ...

    async def remind(self, person: Person, wave_id: str, text: str) -> SendResult:
        """A reminder in the person's DM (only sent while their interview is not finished)."""
        ...

    async def say(self, person: Person, text: str) -> SendResult:
        """A plain message in the person's DM (the polite close when a wave ends)."""
        ...


# An interview still worth a reminder: not finished, not ended.
REMINDABLE = frozenset({Status.INVITED, Status.CONSENT_PENDING, Status.IN_PROGRESS, Status.PAUSED})


def reminder(interview: Interview | None, wave_id: str, text: str) -> Reply | SendResult:
    """The reminder to send for this interview, or why none goes (a FAILED result for the job's record).

    Still invited, it carries Start / Not now again; started, it is a plain nudge."""
    if interview is None or interview.status not in REMINDABLE:
        return SendResult(Sent.FAILED, detail="finished")
    if interview.wave and interview.wave != wave_id:
        return SendResult(Sent.FAILED, detail="other_wave")
    if interview.status is Status.INVITED:
        return Reply(text, ReplyKind.INVITATION, ("Start", "Not now"))
    return Reply(text)
