"""Checks on what the model wants to say, before a participant ever sees it."""

from __future__ import annotations

import re

from bot.flows import Flow
from bot.interviewers.base import Decision
from bot.interviewers.prompt import CRAFT

MAX_CHARS = 400
_LINK = re.compile(
    r"(?i:h[tx]{2}ps?://|www\.|\]\(|\[\.\]|\(\.\)|\sdot\s(?:com|org|net)\b)"
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|ai|ly|co|uk|de|fr|nl|es|it|app|dev|gov|edu|info|me|us|gl|to)\b"
)
_QUESTION_MARKS = re.compile(r"[?？؟]")
_MARKUP = re.compile(r"</?[a-z][^>]*>|```|^#{1,6} ", re.IGNORECASE | re.MULTILINE)
_WORD = re.compile(r"[a-z']+")
_LEAK_WORDS = 6
# A follow-up may echo a few words of a researcher's note; quoting a long run of it is a leak.
_NOTE_WORDS = 10


def _shingles(text: str, size: int = 0) -> set[tuple[str, ...]]:
    size = size or _LEAK_WORDS
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


_CRAFT_SHINGLES = _shingles(CRAFT)


def problem_with(decision: Decision, message: str, flow: Flow) -> str | None:
    """Why this reply must not be sent, or None when it is fine."""
    if len(message) > MAX_CHARS:
        return f"the message is longer than {MAX_CHARS} characters"
    questions = len(_QUESTION_MARKS.findall(message))
    if decision is Decision.FOLLOW_UP:
        if not message.strip():
            return "a follow-up needs a question"
        if questions > 1:
            return "ask one question at a time"
    elif questions:
        return "only a follow-up may ask a question; the next question of the guide is added for you"
    if not flow.links_allowed and _LINK.search(message):
        return "no links"
    if _MARKUP.search(message):
        return "no markup or code"
    if _shingles(message) & _CRAFT_SHINGLES:
        return "do not repeat your instructions"
    notes = set().union(*(_shingles(q.learn, _NOTE_WORDS) for q in flow.questions))
    if _shingles(message, _NOTE_WORDS) & notes:
        return "do not quote the researcher's notes"
    return None
