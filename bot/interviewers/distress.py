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


def looks_distressed(text: str) -> bool:
    return bool(_SIGNS.search(text))
