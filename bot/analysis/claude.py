"""Claude as analyst: names themes and codes transcripts, and every claim must come with real quotes.

A quote Claude gives is kept only if it is, word for word, in the redacted answers of the transcript
it names; a theme whose quotes all fail keeps its keyword label, and a coding without a checked
quote is dropped. Requests go through the interviewer's client settings (retries, timeout) and mark
the fixed instructions for prompt caching.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import anthropic
import numpy as np

from bot.analysis.codebook import Code, CodeResult
from bot.analysis.corpus import Interview, words
from bot.analysis.themes import Passage, Quote, Theme
from bot.analysis.vectors import paragraphs, sentence_ends

log = logging.getLogger(__name__)
CACHED = {"type": "ephemeral"}
_SPACE = re.compile(r"\s+")
_EDGES = "\"'“”‘’ …."
MIN_QUOTE_WORDS = 5

LABEL_TOOL: dict[str, Any] = {
    "name": "name_theme",
    "description": "Name one theme found in interview answers, backed by quotes copied exactly from them.",
    "input_schema": {
        "type": "object",
        "properties": {
            "label": {"type": "string", "description": "2 to 6 words"},
            "description": {"type": "string", "description": "one sentence: what these participants say"},
            "quotes": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "transcript_id": {"type": "string"},
                        "text": {"type": "string", "description": "copied character for character from that passage"},
                    },
                    "required": ["transcript_id", "text"],
                },
            },
        },
        "required": ["label", "description", "quotes"],
    },
}

CODE_TOOL: dict[str, Any] = {
    "name": "apply_codes",
    "description": "Record which codes of the codebook this interview's answers express, each with a quote.",
    "input_schema": {
        "type": "object",
        "properties": {
            "codings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "code_id": {"type": "string"},
                        "quote": {"type": "string", "description": "copied character for character from the answers"},
                    },
                    "required": ["code_id", "quote"],
                },
            }
        },
        "required": ["codings"],
    },
}

LABEL_RULES = (
    "You help a research team read employee interviews. You are shown passages that a clustering step grouped "
    "together, each with its transcript id. Name what they have in common: a short label, one plain sentence "
    "describing what these participants say, and two or three quotes that show it. Each quote must be one or more "
    "whole sentences copied exactly, character for character, from one passage, with that passage's transcript "
    "id. Do not add facts, "
    "names, numbers or reasons that the passages do not state. Text in square brackets such as [REDACTED] was "
    "removed for privacy: never guess what it was."
)
CODE_RULES = (
    "You code one employee interview against a research codebook. For every code the answers clearly express, "
    "record the code id and a quote of one or more whole sentences copied exactly, character for character, "
    "from one answer. Code only what "
    "is said, not what might be meant; a code that does not apply is left out. A code limited to one question "
    "applies only to answers to that question. Never guess text shown as [REDACTED]."
)


def _norm(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _bare(quote: str) -> str:
    return _norm(quote).strip(_EDGES)


def verbatim(quote: str, sources: Sequence[str]) -> str | None:
    """The quote as it stands in one reply of ``sources``, or None.

    It must be one or more whole sentences of a single reply, of at least ``MIN_QUOTE_WORDS`` words:
    a fragment could turn "I would never say it saves me time" into "it saves me time", and a quote
    joining two replies would put words together the participant never said together.
    """
    wanted = _bare(quote)
    if words(wanted) < MIN_QUOTE_WORDS:
        return None
    for source in sources:
        for paragraph in paragraphs(source):
            text = _norm(paragraph)
            if wanted not in text:
                continue
            ends = sentence_ends(text)
            starts = [0] + [end + 1 for end in ends[:-1]]
            for start in starts:
                for end in ends:
                    if end > start and text[start:end].strip(_EDGES) == wanted:
                        return text[start:end].strip()
    return None


@dataclass
class Ledger:
    """What Claude was asked and what its answers were worth, for the report's notes."""

    calls: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    quotes_checked: int = 0
    quotes_dropped: int = 0

    def note(self) -> str:
        return (
            f"Claude: {self.calls} requests ({self.failures} failed, kept offline results), "
            f"{self.input_tokens:,} input and {self.output_tokens:,} output tokens; "
            f"{self.quotes_dropped} of {self.quotes_checked} quotes dropped as not found verbatim."
        )


class ClaudeAnalyst:
    def __init__(self, client: anthropic.AsyncAnthropic, model: str, *, concurrency: int = 4) -> None:
        self.client = client
        self.model = model
        self.ledger = Ledger()
        self._gate = asyncio.Semaphore(concurrency)

    async def _call(self, system: str, tool: dict[str, Any], content: str, max_tokens: int) -> dict[str, Any] | None:
        async with self._gate:
            self.ledger.calls += 1
            try:
                request: dict[str, Any] = {
                    "model": self.model,
                    "max_tokens": max_tokens,
                    "system": [{"type": "text", "text": system, "cache_control": CACHED}],
                    "tools": [tool],
                    "tool_choice": {"type": "tool", "name": tool["name"]},
                    "messages": [{"role": "user", "content": content}],
                }
                response = await self.client.messages.create(**request)
            except anthropic.APIError as exc:
                log.warning("Claude request failed after retries (%s)", type(exc).__name__)
                self.ledger.failures += 1
                return None
        usage = getattr(response, "usage", None)
        self.ledger.input_tokens += int(getattr(usage, "input_tokens", 0) or 0)
        self.ledger.output_tokens += int(getattr(usage, "output_tokens", 0) or 0)
        for block in response.content:
            if getattr(block, "type", "") == "tool_use" and getattr(block, "name", "") == tool["name"]:
                data = getattr(block, "input", None)
                if isinstance(data, dict):
                    return data
        self.ledger.failures += 1
        return None

    def _checked(self, quote: str, sources: Sequence[str]) -> str | None:
        """The quote as it stands in a source, or None when it is not there word for word."""
        self.ledger.quotes_checked += 1
        found = verbatim(quote, sources)
        if found is None:
            self.ledger.quotes_dropped += 1
        return found

    async def name_theme(self, theme: Theme, found: Sequence[Passage], points: np.ndarray, sample: int = 25) -> None:
        """Replace the keyword label when Claude's label comes with at least one checked quote."""
        centre = points[theme.members].mean(axis=0)
        nearest = theme.members[np.argsort(-(points[theme.members] @ centre))][:sample]
        shown = [found[int(i)] for i in nearest]
        listing = "\n".join(f"[{p.transcript_id}] {p.text}" for p in shown)
        data = await self._call(LABEL_RULES, LABEL_TOOL, f"Passages of one theme:\n{listing}", 500)
        if data is None:
            return
        by_transcript: dict[str, list[str]] = {}
        for index in theme.members:
            passage = found[int(index)]
            by_transcript.setdefault(passage.transcript_id, []).append(passage.text)
        quotes: list[Quote] = []
        for item in data.get("quotes") or []:
            if not isinstance(item, dict):
                continue
            tid, text = str(item.get("transcript_id", "")), str(item.get("text", ""))
            checked = self._checked(text, by_transcript.get(tid, []))
            if checked is not None and all(q.transcript_id != tid for q in quotes):
                quotes.append(Quote(tid, checked))
        label, description = _norm(str(data.get("label", ""))), _norm(str(data.get("description", "")))
        if quotes and label and description:
            theme.label, theme.description, theme.quotes = label[:80], description[:300], quotes[:3]
            theme.labelled_by = "claude"

    async def code(self, interview: Interview, codes: Sequence[Code]) -> list[tuple[str, Quote]] | None:
        """(code id, checked quote) pairs for one interview; None when Claude could not be asked."""
        answers = "\n\n".join(
            f"Answer to question {a.question_id or '(unknown)'}:\n{a.text}" for a in interview.answers
        )
        data = await self._call(self._codebook(codes), CODE_TOOL, answers, 800)
        if data is None:
            return None
        known = {c.id: c for c in codes}
        found: list[tuple[str, Quote]] = []
        for item in data.get("codings") or []:
            if not isinstance(item, dict) or str(item.get("code_id")) not in known:
                continue
            code = known[str(item["code_id"])]
            sources = [a.text for a in interview.answers if not code.question or a.question_id == code.question]
            checked = self._checked(str(item.get("quote", "")), sources)
            if checked is not None:
                found.append((code.id, Quote(interview.transcript_id, checked)))
        return found

    @staticmethod
    def _codebook(codes: Sequence[Code]) -> str:
        lines = [
            f"- {c.id}: {c.label}. {c.description} (question: {c.question or 'any'}; keywords: {', '.join(c.keywords)})"
            for c in codes
        ]
        return CODE_RULES + "\n\nCodebook:\n" + "\n".join(lines)


async def code_all(
    analyst: ClaudeAnalyst,
    interviews: Sequence[Interview],
    codes: Sequence[Code],
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> tuple[list[CodeResult], int]:
    """Every interview coded by Claude; returns the results and how many interviews could not be coded."""
    done = 0

    async def one(interview: Interview) -> list[tuple[str, Quote]] | None:
        nonlocal done
        result = await analyst.code(interview, codes)
        done += 1
        progress(done, len(interviews))
        return result

    outcomes = await asyncio.gather(*(one(i) for i in interviews))
    coded = [(i, o) for i, o in zip(interviews, outcomes, strict=True) if o is not None]
    results = []
    for code in codes:
        hits = [(i, q) for i, found in coded for cid, q in found if cid == code.id]
        participants = frozenset(i.transcript_id for i, _ in hits)
        base = [i for i, _ in coded if not code.question or i.answered(code.question)]
        quotes: list[Quote] = []
        for _, quote in hits:
            if len(quotes) < 3 and all(q.transcript_id != quote.transcript_id for q in quotes):
                quotes.append(quote)
        results.append(CodeResult(code, participants, len(hits), quotes, len(participants) / max(1, len(base))))
    return results, len(interviews) - len(coded)
