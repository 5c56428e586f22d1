"""A wave as research ops write it (``candor wave create FILE``): who, when, how often, how many.

Every field is checked when the wave is created, so a mistake is reported then, with its line,
and never halfway through a wave.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.waves.schedule import (
    SendWindow,
    parse_interval,
    parse_weekdays,
    parse_window,
    zone_or_fallback,
)

_ID = r"^[a-z0-9][a-z0-9-]{0,39}$"


class ReminderTarget(StrEnum):
    NOT_STARTED = "not_started"  # invited, never consented
    NOT_FINISHED = "not_finished"  # consented, not completed


class Sources(BaseModel):
    """Who may be invited. Any mix; a person named twice is invited once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Slack user ids (U…/W…) or Teams Azure AD object ids, depending on the wave's platform.
    users: tuple[str, ...] = ()
    # Looked up with users.lookupByEmail (Slack) or in the roster (Teams).
    emails: tuple[str, ...] = ()
    # Every member of these Slack channels (conversations.members), bots left out.
    slack_channels: tuple[str, ...] = ()
    # A CSV file with a column user, email or aad_id, and optional attribute columns (team, region, ...).
    csv: str | None = None

    @field_validator("users", "emails", "slack_channels")
    @classmethod
    def _no_blanks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for index, item in enumerate(value):
            if not item.strip():
                raise ValueError(f"entry {index} is empty; remove it")
        return tuple(item.strip() for item in value)


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(ge=1, le=1_000_000)
    seed: int = 0


class Quotas(BaseModel):
    """Completes wanted per stratum of one attribute; a stratum stops being invited once it is full."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: str = Field(min_length=1, max_length=40)
    # The same number for every value of the attribute...
    per_stratum: int | None = Field(default=None, ge=1)
    # ... or one number per value (values not named get none).
    completes: dict[str, int] = Field(default_factory=dict)
    # Invitations kept open per missing complete: 2.0 invites twice as many as still needed.
    oversample: float = Field(default=2.0, ge=1.0, le=20.0)
    # An invitation nobody has acted on for this long stops holding a place, so the stratum invites more.
    patience: str = "2d"

    @field_validator("patience")
    @classmethod
    def _patience(cls, value: str) -> str:
        parse_interval(value, what="quota patience")
        return value

    @model_validator(mode="after")
    def _one_way(self) -> Quotas:
        if (self.per_stratum is None) == (not self.completes):
            raise ValueError("give either per_stratum (one number) or completes (a number per value), not both")
        return self

    def target(self, stratum: str) -> int:
        return self.per_stratum if self.per_stratum is not None else self.completes.get(stratum, 0)


class Exclusions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Anyone who took part in any interview in this many days is left out.
    interviewed_within_days: int | None = Field(default=None, ge=1, le=3650)
    # A file of user ids or e-mails (one per line) never to invite.
    opt_out_file: str | None = None


class Reminders(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int = Field(default=0, ge=0, le=5)
    # One interval, or one per reminder ("2d", "36h"), counted from the previous message.
    every: tuple[str, ...] = ("2d",)
    to: tuple[ReminderTarget, ...] = (ReminderTarget.NOT_STARTED, ReminderTarget.NOT_FINISHED)
    text: str = Field(
        default="A gentle reminder about the short study I invited you to. Reply start whenever you have a few "
        "minutes, or not now if you'd rather not take part.",
        min_length=10,
        max_length=1000,
    )

    @field_validator("every")
    @classmethod
    def _intervals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            parse_interval(item, what="reminder interval")
        return value

    def intervals(self) -> tuple[timedelta, ...]:
        parsed = [parse_interval(item) for item in self.every] or [timedelta(days=2)]
        return tuple(parsed[min(index, len(parsed) - 1)] for index in range(self.count))


class WaveSpec(BaseModel):
    """One wave of one flow."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    flow: str = Field(pattern=_ID)
    platform: Literal["slack", "teams"]
    # The Slack team id (T…) or the Teams tenant id the participants belong to.
    workspace: str = Field(min_length=1, max_length=100)
    participants: Sources
    sample: Sample | None = None
    quotas: Quotas | None = None
    exclude: Exclusions = Field(default_factory=Exclusions)
    opens_at: datetime
    closes_at: datetime
    send_window: str = "09:30-16:30"
    weekdays: str = "mon-fri"
    holidays: tuple[date, ...] = ()  # local dates, e.g. 2026-12-24
    # For participants whose own time zone is not known (Teams, or a Slack profile without one).
    timezone: str = "UTC"
    # Slack: wait until a participant's do-not-disturb ends.
    respect_dnd: bool = True
    reminders: Reminders = Field(default_factory=Reminders)
    invitation_text: str | None = Field(default=None, min_length=10, max_length=2000)
    # The wave stops inviting once this many interviews are complete.
    target_completes: int | None = Field(default=None, ge=1)

    @field_validator("opens_at", "closes_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give a time zone offset, e.g. 2026-12-01T09:00:00+01:00 or ...Z for UTC")
        return value

    @field_validator("send_window")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: str) -> str:
        parse_weekdays(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if zone_or_fallback(value, "UTC").key != value:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin")
        return value

    @model_validator(mode="after")
    def _period(self) -> WaveSpec:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        return self

    def window(self) -> SendWindow:
        start, end = parse_window(self.send_window)
        return SendWindow(
            start=start,
            end=end,
            opens_at=self.opens_at,
            closes_at=self.closes_at,
            weekdays=parse_weekdays(self.weekdays),
            holidays=frozenset(self.holidays),
        )
