"""The offline interviewer: deterministic, and its follow-ups quote what the participant said."""

from __future__ import annotations

import re

from bot.interviewers.base import Decision, Move, Situation
from bot.interviewers.distress import looks_distressed
from bot.interviewers.phrases import salient_phrase

_NOTHING = re.compile(
    r"^\W*(no[,.!]*\s*)?(i think\s+)?(no|nope|nah|none|nothing|not really|no thanks|no thank you|n/?a|"
    r"nothing else|nothing (else )?to add|i don'?t know|don'?t know|no idea|not sure|that'?s all|"
    r"that'?s (about )?it|all good)?[\s,.!]*((thanks|thank you)( (so much|again))?)?\W*$",
    re.IGNORECASE,
)
_FOLLOW_UPS = (
    "You mentioned “{p}”. Could you walk me through a specific time when that came up?",
    "When you say “{p}”, what does that look like in practice?",
    "You brought up “{p}”. What's behind that for you?",
    "Could you tell me a bit more about “{p}”, and what happened next?",
)
_ACKNOWLEDGEMENTS = ("Thank you.", "Thanks, that's helpful to know.", "Understood, thank you.", "Thanks.")
# A first follow-up needs a little substance to build on; later ones need more.
_MIN_WORDS_FIRST = 6
_MIN_WORDS_LATER = 15


def is_non_answer(text: str) -> bool:
    return bool(_NOTHING.match(text.strip()))


class ScriptedInterviewer:
    """Needs no network and no history: the answer in hand is enough to choose a move."""

    needs_history = False
    processor = ""

    async def next_move(self, situation: Situation) -> Move:
        if looks_distressed(situation.answer):
            return Move(Decision.SUPPORT, "Thank you for telling me. That sounds really hard.")
        if situation.question is None:
            return Move(Decision.WRAP_UP)
        words = len(situation.answer.split())
        rotation = situation.answers_so_far
        acknowledgement = "Okay." if is_non_answer(situation.answer) else _ACKNOWLEDGEMENTS[rotation % 4]
        needed = _MIN_WORDS_FIRST if situation.follow_ups_asked == 0 else _MIN_WORDS_LATER
        if (
            situation.follow_ups_asked >= situation.follow_ups_allowed
            or words < needed
            or is_non_answer(situation.answer)
        ):
            return Move(Decision.NEXT_QUESTION, acknowledgement)
        phrase = salient_phrase(situation.answer)
        if not phrase:
            return Move(Decision.NEXT_QUESTION, acknowledgement)
        template = _FOLLOW_UPS[(rotation + situation.follow_ups_asked) % len(_FOLLOW_UPS)]
        return Move(Decision.FOLLOW_UP, template.format(p=phrase))
