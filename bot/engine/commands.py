"""Reading participants' plain-word commands and their yes/no and keep/delete answers."""

from __future__ import annotations

import re
from enum import StrEnum


class Command(StrEnum):
    HELP = "help"
    SKIP = "skip"
    PAUSE = "pause"
    STOP = "stop"
    WITHDRAW = "withdraw"


_COMMAND = re.compile(
    r"^[/!]?(?:please\s+)?(help|skip|pause|stop|withdraw)"
    r"(?:\s+(?:please|this|question|this question|it|now|for now|the interview|interview|me))*\s*[.!]*$",
    re.IGNORECASE,
)
_YES = re.compile(
    r"\b(yes|yeah|yep|yup|sure|ok|okay|ready|go ahead|let'?s go|let'?s begin|let'?s start|begin|start|"
    r"sounds good|happy to|of course|absolutely|fine|agree|i consent|why not)\b|👍|✅",
    re.IGNORECASE,
)
_NO = re.compile(
    r"\b(no|nope|nah|not now|not today|rather not|don'?t want|do not want|decline|no thanks|not interested|"
    r"maybe later|later)\b|👎|❌",
    re.IGNORECASE,
)
# "No questions, let's begin" is a yes: strip the harmless "no ..." phrases before deciding.
_HARMLESS_NO = re.compile(r"\bno (questions?|worries|problem)\b", re.IGNORECASE)
_KEEP = re.compile(r"^\W*(keep|keep (them|it|my answers|everything)|yes,? keep)\W*$", re.IGNORECASE)
_DELETE = re.compile(r"^\W*(delete|remove|erase|discard)( (them|it|my answers|everything))?\W*$", re.IGNORECASE)


def parse_command(text: str) -> Command | None:
    match = _COMMAND.match(text.strip())
    return Command(match.group(1).lower()) if match else None


def parse_consent(text: str) -> bool | None:
    """True for yes, False for no, None when it is not clear which."""
    stripped = _HARMLESS_NO.sub(" ", text)
    yes = [m.start() for m in _YES.finditer(stripped)]
    no = [m.start() for m in _NO.finditer(stripped)]
    if yes and no:
        # "No, I'm ready to begin" and "Sure, but maybe later": the last word on it wins.
        return yes[-1] > no[-1]
    if yes or no:
        return bool(yes)
    if stripped != text:
        return True  # "No questions." answers the invitation to ask: it means go ahead
    return None


def parse_keep_or_delete(text: str) -> bool | None:
    """True to keep, False to delete, None when unclear."""
    if _KEEP.match(text):
        return True
    if _DELETE.match(text):
        return False
    return None
