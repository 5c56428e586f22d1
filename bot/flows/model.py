"""The shape of an interview flow, as research ops write it in ``interview_flows/*.yaml``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from bot.flows.notice import StudyInfo

_TEXT = Field(min_length=1, max_length=4000)


class Question(BaseModel):
    """One core question of the guide."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    ask: str = Field(min_length=3, max_length=600)
    # What the researcher wants to learn: guidance for the interviewer, never shown to participants.
    learn: str = Field(min_length=3, max_length=2000)
    follow_ups: int = Field(ge=0, le=3)


class Flow(BaseModel):
    """A whole study guide: what the participant is told, what they are asked, and the limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=120)
    language: Literal["auto"] | str = Field(pattern=r"^(auto|[a-z]{2}(-[A-Z]{2})?)$")
    transcript_prefix: str = Field(pattern=r"^[a-z][a-z0-9_]{0,19}$")
    estimated_minutes: int = Field(ge=1, le=180)
    time_budget_minutes: int = Field(ge=1, le=240)
    introduction: str = _TEXT
    # The facts every participant is told before consenting (see bot/flows/notice.py).
    study: StudyInfo
    consent: str = Field(min_length=3, max_length=600)
    closing_question: str = Field(min_length=3, max_length=600)
    thank_you: str = _TEXT
    questions: tuple[Question, ...] = Field(min_length=1, max_length=100)
    # Where to find help, told to a participant who seems distressed (optional).
    support: str | None = Field(default=None, max_length=1000)
    # Let the model see answers before redaction (off: the participant's identity stays here).
    model_sees_unredacted: bool = False
    # Whether the interviewer's own messages may contain links.
    links_allowed: bool = False
    # When a wave closes mid-interview: deliver the answers given so far (else they are deleted).
    partial_delivery: bool = False

    @field_validator("time_budget_minutes")
    @classmethod
    def _budget_covers_estimate(cls, value: int, info: ValidationInfo) -> int:
        estimate = info.data.get("estimated_minutes")
        if isinstance(estimate, int) and value < estimate:
            raise ValueError(f"must be at least estimated_minutes ({estimate}), got {value}")
        return value

    @field_validator("questions")
    @classmethod
    def _unique_question_ids(cls, value: tuple[Question, ...]) -> tuple[Question, ...]:
        seen: set[str] = set()
        for index, question in enumerate(value):
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} at questions[{index}] is used twice")
            seen.add(question.id)
        return value

    @property
    def time_budget_seconds(self) -> int:
        return self.time_budget_minutes * 60
