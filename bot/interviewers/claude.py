"""The Claude interviewer: one tool-use call per answer, checked, cached, and backed by the script."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anthropic

from bot.interviewers.base import Decision, Interviewer, Move, Situation, Usage
from bot.interviewers.guard import problem_with
from bot.interviewers.prompt import CRAFT, DECISION_TOOL, TOOL_NAME, situation_note, study_guide
from bot.state.model import INTRO, Role, Turn

log = logging.getLogger(__name__)
CACHED = {"type": "ephemeral"}
# The request stays bounded: past this many earlier messages, the oldest are dropped in one chunk,
# so the cached prefix only changes at those rare points.
MAX_HISTORY_MESSAGES = 40
TRIM_CHUNK = 20


@dataclass(frozen=True, slots=True)
class Prices:
    """US dollars per million tokens."""

    input: float = 3.0
    cache_write: float = 3.75
    cache_read: float = 0.30
    output: float = 15.0


class ClaudeInterviewer:
    """Claude writes the words; the engine keeps the guide. Any failure falls back to the script."""

    needs_history = True
    processor = "Claude, an AI model made by Anthropic"

    def __init__(
        self, client: anthropic.AsyncAnthropic, model: str, prices: Prices, fallback: Interviewer, max_tokens: int = 400
    ) -> None:
        self.client = client
        self.model = model
        self.prices = prices
        self.fallback = fallback
        self.max_tokens = max_tokens
        self.fallbacks = 0
        # Seconds a whole turn may take, retries included, before the script takes over.
        self.turn_deadline = 45.0

    async def next_move(self, situation: Situation) -> Move:
        request = self._request(situation)
        spent: list[Usage] = []
        wanted_support = False
        try:
            # A whole turn has a deadline too: retries may follow long retry-after values.
            async with asyncio.timeout(self.turn_deadline):
                for attempt in range(2):
                    response = await self.client.messages.create(**request)
                    spent.append(self._usage(getattr(response, "usage", None)))
                    decision, message, problem = _read(response)
                    wanted_support = wanted_support or decision is Decision.SUPPORT
                    if problem is None and decision is not None:
                        problem = problem_with(decision, message, situation.flow)
                    if problem is None and decision is not None:
                        return Move(decision, message.strip(), usage=_total(spent))
                    log.warning("Claude's reply was rejected (%s)%s", problem, "; asking again" if attempt == 0 else "")
                    request = _asking_again(request, problem or "call the next_move tool")
        except Exception as exc:  # API errors after the SDK's retries, timeouts, odd responses
            log.warning("Claude unavailable for this turn (%s); the script stands in", type(exc).__name__)
        self.fallbacks += 1
        if wanted_support:
            # Claude saw distress but its words failed the checks: care comes first, not the script.
            return Move(Decision.SUPPORT, "Thank you for telling me.", usage=_total(spent), fallback=True)
        scripted = await self.fallback.next_move(situation)
        return Move(scripted.decision, scripted.text, usage=_total(spent), fallback=True)

    def _request(self, situation: Situation) -> dict[str, Any]:
        question = situation.question
        answer = situation.raw_answer or situation.answer
        final = [
            {"type": "text", "text": _wrapped(answer), "cache_control": CACHED},
            {
                "type": "text",
                "text": situation_note(
                    question.ask if question else situation.flow.closing_question,
                    situation.follow_ups_asked,
                    situation.follow_ups_allowed,
                    question is not None and question == situation.flow.questions[-1],
                ),
            },
        ]
        return {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": [
                {"type": "text", "text": CRAFT},
                {"type": "text", "text": study_guide(situation.flow), "cache_control": CACHED},
            ],
            "tools": [DECISION_TOOL],
            "tool_choice": {"type": "tool", "name": TOOL_NAME},
            "messages": [*_history(situation.history), {"role": "user", "content": final}],
        }

    def _usage(self, usage: Any) -> Usage:
        if usage is None:
            return Usage()
        read = int(getattr(usage, "cache_read_input_tokens", 0) or 0)
        write = int(getattr(usage, "cache_creation_input_tokens", 0) or 0)
        fresh, out = int(getattr(usage, "input_tokens", 0) or 0), int(getattr(usage, "output_tokens", 0) or 0)
        p = self.prices
        cost = (fresh * p.input + write * p.cache_write + read * p.cache_read + out * p.output) / 1_000_000
        return Usage(fresh, read, write, out, cost)

    async def close(self) -> None:
        await self.client.close()


def _wrapped(answer: str) -> str:
    # The tags mark participant text as data; escaping < and > means no answer can close them early.
    clean = answer.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<participant_answer>{clean}</participant_answer>"


def _history(turns: Sequence[Turn]) -> list[dict[str, Any]]:
    """Earlier turns as alternating messages. The last participant answer keeps its cache breakpoint,
    so this turn's request starts with exactly the prefix the previous one cached."""
    messages: list[dict[str, Any]] = []
    for turn in turns:
        if turn.question_id == INTRO:
            continue  # the introduction and the consent answer teach the model nothing about the topic
        role = "assistant" if turn.role is Role.AI else "user"
        text = turn.text if role == "assistant" else _wrapped(turn.text)
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"][-1]["text"] += "\n\n" + text
        else:
            messages.append({"role": role, "content": [{"type": "text", "text": text}]})
    trimmed = len(messages) > MAX_HISTORY_MESSAGES
    if trimmed:
        drop = TRIM_CHUNK * ((len(messages) - MAX_HISTORY_MESSAGES) // TRIM_CHUNK + 1)
        messages = messages[drop:]
    if messages and messages[0]["role"] == "assistant":
        note = "(The participant has agreed to take part" + ("; earlier turns are omitted.)" if trimmed else ".)")
        messages.insert(0, {"role": "user", "content": [{"type": "text", "text": note}]})
    for message in reversed(messages):
        if message["role"] == "user" and len(messages) > 1:
            message["content"][-1]["cache_control"] = CACHED
            break
    return messages


def _read(response: Any) -> tuple[Decision | None, str, str | None]:
    if getattr(response, "stop_reason", None) == "refusal":
        return None, "", "the model refused"
    for block in getattr(response, "content", None) or []:
        if getattr(block, "type", None) == "tool_use" and block.name == TOOL_NAME:
            data = block.input if isinstance(block.input, dict) else {}
            try:
                decision = Decision(str(data.get("decision")))
            except ValueError:
                return None, "", "decision must be follow_up, next_question, wrap_up or support"
            message = data.get("message")
            if not isinstance(message, str):
                return None, "", "message must be text"
            return decision, message, None
    return None, "", "call the next_move tool"


def _asking_again(request: dict[str, Any], problem: str) -> dict[str, Any]:
    """One more try, telling the model what was wrong (kept after the cached prefix)."""
    messages = [dict(m) for m in request["messages"]]
    last = dict(messages[-1])
    last["content"] = [*last["content"], {"type": "text", "text": f"Your previous choice was not usable: {problem}."}]
    messages[-1] = last
    return {**request, "messages": messages}


def _total(parts: list[Usage]) -> Usage:
    return Usage(
        sum(u.input_tokens for u in parts),
        sum(u.cache_read_tokens for u in parts),
        sum(u.cache_write_tokens for u in parts),
        sum(u.output_tokens for u in parts),
        sum(u.cost for u in parts),
    )
