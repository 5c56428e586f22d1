"""Correlation ids for logs: which request and which interview a line belongs to, as ids of our own.

Set where the work starts (a request, a turn); read by the JSON log formatter. They hold no platform
id and no text: the interview is a prefix of its keyed conversation hash.
"""

from __future__ import annotations

from contextvars import ContextVar

REQUEST: ContextVar[str] = ContextVar("candor_request", default="")
INTERVIEW: ContextVar[str] = ContextVar("candor_interview", default="")


def interview_tag(conversation_key: str) -> str:
    """A short, stable tag of a keyed conversation hash: enough to follow one interview through the logs."""
    return conversation_key[:12]
