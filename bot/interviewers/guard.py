"""Checks on what the model wants to say, before a participant ever sees it."""

from __future__ import annotations

import re

from bot.flows import Flow
from bot.interviewers.base import Decision
from bot.interviewers.prompt import CRAFT

MAX_CHARS = 400
_LINK = re.compile(r"https?://|www\.|\]\(|\b[\w-]+\.(com|org|net|io|ai)\b", re.IGNORECASE)
_MARKUP = re.compile(r"</?[a-z][^>]*>|```|^#{1,6} ", re.IGNORECASE | re.MULTILINE)
_WORD = re.compile(r"[a-z']+")
_LEAK_WORDS = 6


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + _LEAK_WORDS]) for i in range(len(words) - _LEAK_WORDS + 1)}


_CRAFT_SHINGLES = _shingles(CRAFT)


def problem_with(decision: Decision, message: str, flow: Flow) -> str | None:
    """Why this reply must not be sent, or None when it is fine."""
    if len(message) > MAX_CHARS:
        return f"the message is longer than {MAX_CHARS} characters"
    if decision is Decision.FOLLOW_UP:
        if not message.strip():
            return "a follow-up needs a question"
        if message.count("?") > 1:
            return "ask one question at a time"
    if not flow.links_allowed and _LINK.search(message):
        return "no links"
    if _MARKUP.search(message):
        return "no markup or code"
    hidden = _CRAFT_SHINGLES | set().union(*(_shingles(q.learn) for q in flow.questions))
    if _shingles(message) & hidden:
        return "do not repeat your instructions or the researcher's notes"
    return None
