"""A plain keyword check for distress or harm, so care never depends on a model being available."""

from __future__ import annotations

import re

_SIGNS = re.compile(
    r"\b(kill(ing)? myself|end (it|my life)|suicid\w*|self[- ]harm\w*|hurt(ing)? myself|want to die|"
    r"don'?t want to (live|be here)|can'?t go on|can'?t cope|hopeless|panic attacks?|(nervous|mental) breakdown|"
    r"(being|been|was|am) (harass|bull|abus|threaten)\w*|(sexual(ly)?|physical(ly)?) (harass|assault|abus)\w*|"
    r"unsafe at work|threatened (me|to))\b",
    re.IGNORECASE,
)


# Every pattern above contains one of these; checking for them first keeps ordinary answers cheap.
_STEMS = (
    "kill",
    "suicid",
    "harm",
    "hurt",
    "die",
    "live",
    "be here",
    "go on",
    "cope",
    "hopeless",
    "panic",
    "breakdown",
    "harass",
    "bull",
    "abus",
    "threat",
    "assault",
    "unsafe",
    "end it",
    "end my",
)


def looks_distressed(text: str) -> bool:
    lowered = text.lower()
    return any(stem in lowered for stem in _STEMS) and bool(_SIGNS.search(text))
