"""The interview state machine: given the state and one participant message, what happens next.

Pure with respect to storage: it mutates the ``Interview`` it is given and returns what to
append and say; the engine decides whether the write succeeded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.engine import texts
from bot.engine.commands import Command, parse_command, parse_consent, parse_keep_or_delete
from bot.engine.hygiene import Problem
from bot.flows import Flow, Question, consent_version, privacy_notice
from bot.interviewers import Decision, Interviewer, Move, Situation
from bot.interviewers.distress import looks_distressed
from bot.metrics import FALLBACKS, count_usage
from bot.state.model import CLOSING, INTRO, THANKS, Interview, Role, Status, Turn
from bot.types import Reply, ReplyKind

log = logging.getLogger(__name__)

# Gaps longer than this (lunch, a meeting, a pause) do not count against the time budget.
MAX_COUNTED_GAP_SECONDS = 300.0
SKIPPED_MARK = "[skipped]"
_RESUME_WORDS = 4
_GREETING = re.compile(
    r"\b(back|continue|resume|ready|ok|okay|hi|hello|hey|here|again|sorry|go on|carry on|let'?s go|yes|sure)\b",
    re.IGNORECASE,
)


def _is_greeting(text: str) -> bool:
    """A short "I'm back"-style message, as opposed to an answer to the pending question."""
    return len(text.split()) <= _RESUME_WORDS and bool(_GREETING.search(text))


class End(StrEnum):
    COMPLETE = "complete"
    DELETE = "delete"
    DECLINE = "decline"
    EXPIRE = "expire"


@dataclass(slots=True)
class Outcome:
    replies: list[Reply] = field(default_factory=list)
    append: list[Turn] = field(default_factory=list)
    end: End | None = None

    def say(self, text: str, kind: ReplyKind = ReplyKind.MESSAGE, choices: tuple[str, ...] = ()) -> Outcome:
        self.replies.append(Reply(text, kind, choices))
        return self


def _join(*parts: str) -> str:
    return "\n\n".join(p for p in parts if p)


class Conversation:
    """Applies one message to one interview, following one flow."""

    def __init__(
        self, flow: Flow, interviewer: Interviewer, max_chars: int, history: tuple[Turn, ...] = (), raw_text: str = ""
    ) -> None:
        self.flow = flow
        self.interviewer = interviewer
        self.max_chars = max_chars
        # What the interviewer may also see: the stored turns, and the unredacted answer if the flow allows.
        self.history = history
        self.raw_text = raw_text
        # A model shown unredacted text may echo it back: its words are scrubbed the same way.
        self.scrub: Callable[[str], str] = _unchanged
        # The deployment's support resources, used when the flow names none.
        self.support: str | None = None

    # -- starting -------------------------------------------------------------------------

    def invite(self, now: float, wave: str = "", text: str | None = None) -> tuple[Interview, Outcome]:
        """An invitation stores no words of the participant's and no turns: only that it was sent."""
        interview = Interview(
            flow_id=self.flow.id,
            flow_version=self.flow.version,
            status=Status.INVITED,
            started_at=now,
            last_at=now,
            wave=wave,
        )
        text = text or texts.INVITATION.format(title=self.flow.title, minutes=self.flow.estimated_minutes)
        return interview, Outcome().say(text, ReplyKind.INVITATION, ("Start", "Not now"))

    def begin(self, now: float, interview: Interview | None = None) -> tuple[Interview, Outcome]:
        if interview is None:
            interview = Interview(
                flow_id=self.flow.id,
                flow_version=self.flow.version,
                status=Status.CONSENT_PENDING,
                started_at=now,
                last_at=now,
            )
        interview.status, interview.started_at, interview.last_at = Status.CONSENT_PENDING, now, now
        notice = privacy_notice(self.flow.study, self.interviewer.processor, self.flow.model_sees_unredacted)
        shown = _join(self.flow.introduction.strip(), notice, texts.COMMANDS_HINT)
        interview.consent_version = consent_version(shown, self.flow.consent)
        # The transcript keeps the study's own words; the notice is identified by the consent version.
        intro = _join(self.flow.introduction.strip(), texts.COMMANDS_HINT)
        outcome = Outcome(append=[Turn(Role.AI, _join(intro, self.flow.consent), INTRO, now)])
        outcome.say(shown).say(self.flow.consent, ReplyKind.CONSENT, ("Yes", "No"))
        return interview, outcome

    # -- every message ----------------------------------------------------------------------

    async def on_message(self, iv: Interview, text: str, problem: Problem | None, now: float) -> Outcome:
        command = parse_command(text) if problem is None else None
        if iv.status is Status.INVITED:
            return self._invitation(iv, text, command, now)
        if iv.status is Status.CONSENT_PENDING:
            return self._consent(iv, text, command, problem, now)
        if problem is not None:
            return self._problem(iv, problem)
        if iv.status is Status.COMPLETED:
            return self._after_end(command)
        if iv.status is Status.STOP_PENDING:
            return self._stop_choice(iv, text, command)
        if iv.status is Status.PAUSED and command is not Command.PAUSE:
            # Any other message ends the pause; the gap does not count against the time budget.
            iv.status, iv.last_at = Status.IN_PROGRESS, now
            if command is None and _is_greeting(text):
                return Outcome().say(_join(texts.RESUMED, self.prompt(iv)))
        if command is not None:
            return self._command(iv, command, now)
        return await self._answer(iv, text, now)

    def _problem(self, iv: Interview, problem: Problem) -> Outcome:
        if problem is Problem.TOO_LONG:
            return Outcome().say(texts.TOO_LONG.format(limit=self.max_chars))
        return Outcome().say(texts.EMPTY if problem is Problem.EMPTY else texts.SYMBOLS_ONLY)

    def _consent(
        self, iv: Interview, text: str, command: Command | None, problem: Problem | None, now: float
    ) -> Outcome:
        if command in (Command.STOP, Command.WITHDRAW):
            return Outcome(end=End.DECLINE).say(texts.DECLINED)
        if command is Command.HELP:
            return Outcome().say(_join(texts.HELP, self.flow.consent), ReplyKind.CONSENT, ("Yes", "No"))
        if command is not None:
            return Outcome().say(texts.CONSENT_NOT_STARTED, ReplyKind.CONSENT, ("Yes", "No"))
        if problem in (Problem.EMPTY, Problem.TOO_LONG):
            return self._problem(iv, problem)
        consent = parse_consent(text)
        if consent is None:
            return Outcome().say(texts.CONSENT_UNCLEAR, ReplyKind.CONSENT, ("Yes", "No"))
        if not consent:
            return Outcome(end=End.DECLINE).say(texts.DECLINED)
        iv.status, iv.consented_at, iv.last_at = Status.IN_PROGRESS, now, now
        iv.question_index, iv.follow_ups = 0, 0
        first = self.flow.questions[0].ask
        said = _join("Thank you. Let's begin.", first)
        question_id = self.flow.questions[0].id
        outcome = Outcome(append=[Turn(Role.USER, text, INTRO, now), Turn(Role.AI, said, question_id, now)])
        return outcome.say(said)

    def _invitation(self, iv: Interview, text: str, command: Command | None, now: float) -> Outcome:
        if command in (Command.STOP, Command.WITHDRAW) or parse_consent(text) is False:
            return Outcome(end=End.DECLINE).say(texts.DECLINED)
        return self.begin(now, iv)[1]

    def _after_end(self, command: Command | None) -> Outcome:
        if command is Command.WITHDRAW:
            return Outcome(end=End.DELETE).say(texts.WITHDRAWN_AFTER_DELIVERY)
        return Outcome().say(texts.AFTER_END)

    def _stop_choice(self, iv: Interview, text: str, command: Command | None) -> Outcome:
        keep = parse_keep_or_delete(text)
        if command is Command.WITHDRAW or keep is False:
            return Outcome(end=End.DELETE).say(texts.WITHDRAWN)
        if keep:
            iv.status, iv.ended_by = Status.COMPLETED, "stopped"
            return Outcome(end=End.COMPLETE).say(texts.STOP_KEPT, ReplyKind.FINISHED)
        return Outcome().say(texts.STOP_UNCLEAR, ReplyKind.KEEP_OR_DELETE, ("Keep", "Delete"))

    def _command(self, iv: Interview, command: Command, now: float) -> Outcome:
        if command is Command.HELP:
            return Outcome().say(_join(texts.HELP, self.prompt(iv)))
        if command is Command.WITHDRAW:
            return Outcome(end=End.DELETE).say(texts.WITHDRAWN)
        if command is Command.STOP:
            if iv.answers == 0:
                return Outcome(end=End.DELETE).say(texts.STOPPED_NOTHING_KEPT)
            iv.status = Status.STOP_PENDING
            return Outcome().say(texts.STOP_ASK, ReplyKind.KEEP_OR_DELETE, ("Keep", "Delete"))
        if command is Command.PAUSE:
            iv.status = Status.PAUSED
            return Outcome().say(texts.PAUSED)
        # SKIP
        self._count_time(iv, now)
        outcome = Outcome(append=[Turn(Role.USER, SKIPPED_MARK, self._question_id(iv), now)])
        if iv.question_index >= len(self.flow.questions):
            return self._complete(iv, outcome, now)
        return self._next_question(iv, outcome, texts.SKIPPED, now)

    # -- answers ------------------------------------------------------------------------------

    async def _answer(self, iv: Interview, text: str, now: float) -> Outcome:
        self._count_time(iv, now)
        outcome = Outcome(append=[Turn(Role.USER, text, self._question_id(iv), now)])
        iv.answers += 1
        at_end = iv.question_index >= len(self.flow.questions)
        if (at_end or iv.active_seconds >= self.flow.time_budget_seconds) and looks_distressed(text):
            # Even when no question is left to ask, distress gets care before anything closes.
            return self._support(
                outcome, "Thank you for telling me. That sounds really hard.", self._question_id(iv), now
            )
        if at_end:
            return self._complete(iv, outcome, now)
        if iv.active_seconds >= self.flow.time_budget_seconds:
            return self._closing(iv, outcome, texts.WRAP_UP_TIME, now)
        question = self.flow.questions[iv.question_index]
        move = await self._ask_interviewer(iv, text, question)
        _add_usage(iv, move)
        if move.decision is Decision.SUPPORT:
            return self._support(outcome, move.text, question.id, now)
        if move.decision is Decision.WRAP_UP and not self._may_wrap_up(iv):
            move = Move(Decision.NEXT_QUESTION, move.text, move.usage, move.fallback)  # the guide isn't done yet
        if move.decision is Decision.FOLLOW_UP and move.text and iv.follow_ups < question.follow_ups:
            iv.follow_ups += 1
            iv.follow_up_prompt = move.text
            outcome.append.append(Turn(Role.AI, move.text, question.id, now))
            return outcome.say(move.text)
        # A follow-up the limits refuse is dropped, not used to lead into the next question.
        lead = "" if move.decision is Decision.FOLLOW_UP else move.text
        if move.decision is Decision.WRAP_UP:
            return self._closing(iv, outcome, lead, now)
        return self._next_question(iv, outcome, lead, now)

    async def _ask_interviewer(self, iv: Interview, text: str, question: Question) -> Move:
        move = await self._ask(iv, text, question)
        return Move(move.decision, self.scrub(move.text), move.usage, move.fallback) if move.text else move

    async def _ask(self, iv: Interview, text: str, question: Question) -> Move:
        situation = Situation(
            flow=self.flow,
            question=question,
            answer=text,
            follow_ups_asked=iv.follow_ups,
            follow_ups_allowed=question.follow_ups,
            answers_so_far=iv.answers,
            history=self.history,
            raw_answer=self.raw_text if self.flow.model_sees_unredacted else "",
        )
        try:
            return await self.interviewer.next_move(situation)
        except Exception:  # an interviewer failure must never cost the participant their answer
            log.exception("interviewer failed; moving to the next question")
            return Move(Decision.NEXT_QUESTION)

    def _support(self, outcome: Outcome, text: str, question_id: str, now: float) -> Outcome:
        """Care first: no pressure to go on, the study's resources, and the way out."""
        resources = self.flow.support or self.support or texts.SUPPORT_DEFAULT
        said = _join(text, resources, texts.SUPPORT_OPTIONS)
        outcome.append.append(Turn(Role.AI, said, question_id, now))
        return outcome.say(said)

    def _may_wrap_up(self, iv: Interview) -> bool:
        """An interviewer may close early only at the last question or when time is nearly up."""
        last = iv.question_index >= len(self.flow.questions) - 1
        return last or iv.active_seconds >= 0.8 * self.flow.time_budget_seconds

    def _next_question(self, iv: Interview, outcome: Outcome, lead: str, now: float) -> Outcome:
        iv.question_index += 1
        iv.follow_ups = 0
        if iv.question_index >= len(self.flow.questions):
            return self._closing(iv, outcome, lead, now)
        question = self.flow.questions[iv.question_index]
        iv.follow_up_prompt = ""
        outcome.append.append(Turn(Role.AI, _join(lead, question.ask), question.id, now))
        return outcome.say(_join(lead, question.ask))

    def _closing(self, iv: Interview, outcome: Outcome, lead: str, now: float) -> Outcome:
        iv.question_index, iv.follow_ups = len(self.flow.questions), 0
        iv.follow_up_prompt = ""
        outcome.append.append(Turn(Role.AI, _join(lead, self.flow.closing_question), CLOSING, now))
        return outcome.say(_join(lead, self.flow.closing_question))

    def _complete(self, iv: Interview, outcome: Outcome, now: float) -> Outcome:
        iv.status, iv.ended_by = Status.COMPLETED, "completed"
        thanks = self.flow.thank_you.strip()
        outcome.append.append(Turn(Role.AI, thanks, THANKS, now))
        outcome.end = End.COMPLETE
        return outcome.say(thanks, ReplyKind.FINISHED)

    def prompt(self, iv: Interview) -> str:
        """The question the participant is currently being asked."""
        if iv.status is Status.CONSENT_PENDING:
            return self.flow.consent
        if iv.follow_up_prompt:
            return iv.follow_up_prompt
        if iv.question_index < len(self.flow.questions):
            return self.flow.questions[iv.question_index].ask
        return self.flow.closing_question

    def _question_id(self, iv: Interview) -> str:
        if iv.question_index < len(self.flow.questions):
            return self.flow.questions[iv.question_index].id
        return CLOSING

    def _count_time(self, iv: Interview, now: float) -> None:
        iv.active_seconds += max(0.0, min(now - iv.last_at, MAX_COUNTED_GAP_SECONDS))
        iv.last_at = now


def _unchanged(text: str) -> str:
    return text


def _add_usage(iv: Interview, move: Move) -> None:
    if move.usage is None and not move.fallback:
        return
    u = move.usage
    a, b, c, d, cost, fallbacks = iv.usage
    if move.fallback:
        FALLBACKS.inc()
    if u is not None:
        count_usage((u.input_tokens, u.cache_read_tokens, u.cache_write_tokens, u.output_tokens), u.cost)
        a, b, c, d, cost = (
            a + u.input_tokens,
            b + u.cache_read_tokens,
            c + u.cache_write_tokens,
            d + u.output_tokens,
            (cost + u.cost),
        )
    iv.usage = (a, b, c, d, round(cost, 6), fallbacks + (1 if move.fallback else 0))
