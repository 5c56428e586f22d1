"""Values passed between adapters and the engine: who wrote, what they wrote, what to send back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # bot.privacy imports this module; at run time the annotation stays a string
    from bot.privacy.directory import Directory


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class Participant:
    """Where a participant is reached. Raw ids here are only ever hashed, never stored."""

    platform: Platform
    workspace: str
    user: str
    # The participant's own names and handles, so their text can be scrubbed of them.
    names: tuple[str, ...] = ()
    # Their own context from their profile (title, department, office): whole phrases redacted from their
    # answers only. Kept apart from names because names are also redacted word by word ("Head of Sales"
    # must not take every "of" with it).
    context: tuple[str, ...] = ()


class ReplyKind(StrEnum):
    """Lets an adapter render a reply natively (buttons for consent, a card for the end)."""

    MESSAGE = "message"
    INVITATION = "invitation"
    CONSENT = "consent"
    KEEP_OR_DELETE = "keep_or_delete"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class Inbound:
    """One participant message, with platform markup already translated to plain text."""

    participant: Participant
    text: str
    message_id: str
    # Set when the text comes from a button: the kind of question the button belonged to, so a
    # click on an old button cannot answer a later question.
    choice: ReplyKind | None = None
    # The workspace's people, so colleagues' names are redacted too (None: not known).
    directory: Directory | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    kind: ReplyKind = ReplyKind.MESSAGE
    choices: tuple[str, ...] = field(default=())
