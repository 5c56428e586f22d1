"""The scripted interviewer: follow-ups built from the participant's own words, never after a no."""

from __future__ import annotations

import re

import pytest

from bot.flows import FlowRegistry, packaged_flows_dir
from bot.interviewers import Decision, ScriptedInterviewer, Situation
from bot.interviewers.phrases import salient_phrase
from tests.conftest import DATA

FLOW = FlowRegistry.from_dirs([packaged_flows_dir()]).get("ai-at-work")


def reference_answers(name: str) -> list[str]:
    text = (DATA / "reference" / name).read_text()
    turns = re.split(r"\n\s*\n(?=(?:AI|User|Assistant):)", text.strip())
    return [t.removeprefix("User:").strip() for t in turns if t.startswith("User:")]


def situation(answer: str, asked: int = 0, allowed: int = 2) -> Situation:
    return Situation(
        flow=FLOW,
        question=FLOW.questions[0],
        answer=answer,
        follow_ups_asked=asked,
        follow_ups_allowed=allowed,
        answers_so_far=0,
    )


@pytest.mark.parametrize("name", ["work_0823.txt", "work_0657.txt", "creativity_0014.txt", "science_0003.txt"])
async def test_follow_ups_quote_words_the_participant_used(name: str) -> None:
    interviewer = ScriptedInterviewer()
    for answer in reference_answers(name)[1:]:
        move = await interviewer.next_move(situation(answer))
        if move.decision is Decision.FOLLOW_UP:
            quoted = re.search(r"“(.+?)”", move.text)
            assert quoted and quoted.group(1) in answer, (move.text, answer)


async def test_distinct_answers_get_distinct_follow_ups() -> None:
    interviewer = ScriptedInterviewer()
    answers = reference_answers("work_0823.txt")[1:6]
    texts = {(await interviewer.next_move(situation(a))).text for a in answers}
    assert len(texts) == len(answers)


@pytest.mark.parametrize(
    "answer", ["no", "No.", "nothing", "Nothing else.", "nope", "N/A", "not really", "I don't know"]
)
async def test_no_follow_up_after_a_bare_no(answer: str) -> None:
    move = await ScriptedInterviewer().next_move(situation(answer))
    assert move.decision is Decision.NEXT_QUESTION


async def test_limits_and_closing() -> None:
    interviewer = ScriptedInterviewer()
    long = reference_answers("work_0823.txt")[1]
    assert (await interviewer.next_move(situation(long, asked=2, allowed=2))).decision is Decision.NEXT_QUESTION
    assert (await interviewer.next_move(situation(long, allowed=0))).decision is Decision.NEXT_QUESTION
    closing = Situation(
        flow=FLOW, question=None, answer=long, follow_ups_asked=0, follow_ups_allowed=0, answers_so_far=5
    )
    assert (await interviewer.next_move(closing)).decision is Decision.WRAP_UP


def test_salient_phrase_prefers_specific_content() -> None:
    assert salient_phrase("Typically, I use it for advanced troubleshooting and coding.") == "advanced troubleshooting"
    assert salient_phrase("I, um, well, yes.") == ""
    assert "[REDACTED]" not in salient_phrase("I asked [REDACTED] about the quarterly budget review")
