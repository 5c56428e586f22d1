"""Picking a short phrase from an answer, so a scripted follow-up can quote the participant's words."""

from __future__ import annotations

import re

_CLAUSE = re.compile(r"[.,;:!?()\[\]\n\"“”—–]+|\s-\s")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’+#/&.-]*[A-Za-z0-9+#]|[A-Za-z0-9]")

# Function words plus words too vague to be worth quoting back.
_STOP = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her here
    here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself
    let's me more most mustn't my myself no nor not of off on once only or other ought our ours ourselves out
    over own same shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this those through
    to too under until up very was wasn't we we'd we'll we're we've were weren't what what's when when's
    where where's which while who who's whom why why's will with won't would wouldn't you you'd you'll
    you're you've your yours yourself yourselves
    just really actually basically probably maybe quite pretty lot lots much many thing things stuff way
    ways kind sort bit something anything everything nothing someone anyone everyone usually typically
    often sometimes always never generally mostly mainly like think thought feel felt know knew guess mean
    said say says get gets got getting make makes made use uses used using go goes going went come
    yes yeah ok okay well sure though although however even still already yet ever again also etc
    one two three first second time times day days today now year years recently example instance
    good great nice fine bad better best worse worst able want wanted need needed try tried
    rather lets ready anyway overall whole um uh hmm er ah oh
    """.split()
)
_PLACEHOLDER = re.compile(r"\[[A-Z_]+\]")
MAX_WORDS = 4


def salient_phrase(answer: str) -> str:
    """The most specific run of content words in the answer; "" when there is none."""
    best, best_score = "", 0.6
    clauses = [c for c in _CLAUSE.split(_PLACEHOLDER.sub(" . ", answer)) if c.strip()]
    for position, clause in enumerate(clauses):
        for run in _content_runs(clause):
            score = _score(run) - 0.15 * position
            if score > best_score:
                best, best_score = " ".join(run), score
    return best


def _content_runs(clause: str) -> list[list[str]]:
    runs: list[list[str]] = []
    current: list[str] = []
    for word in _WORD.findall(clause):
        if word.lower().replace("’", "'") in _STOP or word.isdigit() and len(word) > 4:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(word)
    if current:
        runs.append(current)
    return [run[:MAX_WORDS] for run in runs]


def _score(run: list[str]) -> float:
    score = float(len(run))
    if len(run) == 1 and len(run[0]) < 5:
        score -= 0.5
    if any(word[:1].isupper() or any(ch.isdigit() for ch in word) for word in run):
        score += 0.4
    return score
