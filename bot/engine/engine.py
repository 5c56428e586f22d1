"""The interview engine: one entry point per thing a participant can do, whatever the platform."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.delivery import Sink
from bot.engine import texts
from bot.engine.cache import HeaderCache
from bot.engine.commands import Command, parse_command
from bot.engine.delivering import Delivery
from bot.engine.hygiene import Problem, clean
from bot.engine.locks import KeyedLocks
from bot.engine.reception import Reception
from bot.engine.steps import Conversation, End, Outcome
from bot.errors import CandorError, FlowNotFound
from bot.flows import FlowRegistry
from bot.interviewers import Interviewer
from bot.logcontext import INTERVIEW, interview_tag
from bot.metrics import INTERVIEWS, TURN_SECONDS
from bot.privacy import Redactor, conversation_key, study_pseudonym
from bot.privacy.directory import Directory
from bot.privacy.redact import Placeholders
from bot.state import CommitResult, Interview, RedisStateStore, Role, Status, Turn
from bot.state.history import HistoryEntry
from bot.state.model import LIVE, THANKS
from bot.state.store import SEEN_LIMIT, PushResult
from bot.types import Inbound, Participant, Reply, ReplyKind

log = logging.getLogger(__name__)
# Optimistic writes retry this often, with growing random pauses, when another process keeps winning.
MAX_ATTEMPTS = 40


async def _back_off(attempt: int) -> None:
    if attempt:
        await asyncio.sleep(random.uniform(0, 0.001 * min(attempt, 20)))


@functools.lru_cache(maxsize=256)
def _context_redactor(context: tuple[str, ...], placeholder: str, style: Placeholders) -> Redactor:
    return Redactor(placeholder, style=style, terms=context)


def _own_context(redactor: Redactor, text: str, context: tuple[str, ...]) -> str:
    """The participant's title, department, office as whole phrases (never word by word), in their own text only."""
    if not context:
        return text
    return _context_redactor(context, redactor.placeholder, redactor.style).redact(text)


@dataclass(frozen=True, slots=True)
class EngineOptions:
    default_flow: str = "ai-at-work"
    answer_window_seconds: float = 0.0
    max_message_chars: int = 4000
    # Where to find help, for studies whose flow names none (the deployment's own resources).
    support_resources: str | None = None
    placeholders: Placeholders = Placeholders.REDACTED
    redact_terms: tuple[str, ...] = ()
    # Government id formats to redact, from bot.privacy.redact.IDS (us_ssn, uk_nino).
    redact_ids: tuple[str, ...] = ()
    # The wait before a transcript a sink refused is retried; it doubles up to an hour.
    delivery_backoff_seconds: float = 30.0
    delivery_backoff_max_seconds: float = 3600.0


# The state in which each kind of button still means something.
_CHOICE_STATUS = {
    ReplyKind.INVITATION: Status.INVITED,
    ReplyKind.CONSENT: Status.CONSENT_PENDING,
    ReplyKind.KEEP_OR_DELETE: Status.STOP_PENDING,
    ReplyKind.MESSAGE: Status.IN_PROGRESS,
    ReplyKind.FINISHED: Status.COMPLETED,
}
_END_COUNTERS = {End.DECLINE: "declined", End.DELETE: "withdrawn", End.EXPIRE: "expired"}


class InterviewWatcher(Protocol):
    """Hears each status an interview reaches, after it is stored; it must not raise."""

    async def changed(self, ck: str, interview: Interview, outcome: str) -> None: ...


class DeliveryPending(CandorError):
    """A finished transcript here could not be delivered yet, so a new interview cannot start."""


class ContentionError(CandorError):
    """Another process kept changing this interview; the message was not applied."""


class InterviewEngine:
    """Adapters call ``start``, ``handle`` and ``edit``; each returns the replies to send, in order."""

    def __init__(
        self,
        *,
        flows: FlowRegistry,
        store: RedisStateStore,
        interviewer: Interviewer,
        sinks: Sequence[Sink],
        secret: bytes,
        options: EngineOptions = EngineOptions(),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.flows = flows
        self.store = store
        self.interviewer = interviewer
        self.sinks = tuple(sinks)
        self.options = options
        self._secret = secret
        self._clock = clock
        self._redactor = Redactor(style=options.placeholders, terms=options.redact_terms, ids=options.redact_ids)
        self._locks = KeyedLocks()
        self._cache = HeaderCache()
        self._window_generation: dict[str, int] = {}
        self._in_flight = 0
        # Told of every status an interview reaches (waves count their funnel this way).
        self.watchers: list[InterviewWatcher] = []
        self._delivery = Delivery(
            store,
            self.sinks,
            self._cache,
            lambda study, ck: study_pseudonym(self._secret, study, ck),
            backoff=(self.options.delivery_backoff_seconds, self.options.delivery_backoff_max_seconds),
        )

    def key_for(self, participant: Participant) -> str:
        return conversation_key(self._secret, participant)

    # -- public entry points ---------------------------------------------------------------

    async def start(self, participant: Participant, flow_id: str | None = None) -> list[Reply]:
        """Begin an interview: accept a pending invitation, or say where a running one stands."""
        conversation = self._conversation_for(flow_id)
        ck = self.key_for(participant)
        async with self._locks.hold(ck):
            for attempt in range(MAX_ATTEMPTS):
                await _back_off(attempt)
                current = await self._header(ck, fresh=attempt > 0)
                if await self._make_room(ck, current):
                    continue
                if current is not None and current.status is Status.INVITED:
                    interview, outcome = self._conversation(current).begin(self._clock(), current)
                elif current is not None and current.status in LIVE:
                    return self._where_we_are(current)
                else:
                    interview, outcome = conversation.begin(self._clock())
                    _replace(interview, current)
                if await self._persist(ck, interview, outcome, "") is CommitResult.OK:
                    return outcome.replies
        raise ContentionError("could not start the interview: it kept changing underneath; try again")

    async def invite(
        self, participant: Participant, flow_id: str | None = None, *, wave: str = "", text: str | None = None
    ) -> list[Reply]:
        """The invitation to send (what waves call); [] when this person already has a live interview."""
        conversation = self._conversation_for(flow_id)
        ck = self.key_for(participant)
        async with self._locks.hold(ck):
            for attempt in range(MAX_ATTEMPTS):
                await _back_off(attempt)
                current = await self._header(ck, fresh=attempt > 0)
                if await self._make_room(ck, current):
                    continue
                if current is not None and current.status in LIVE:
                    return []
                interview, outcome = conversation.invite(self._clock(), wave, text)
                _replace(interview, current)
                if await self._persist(ck, interview, outcome, "") is CommitResult.OK:
                    return outcome.replies
        raise ContentionError("could not record the invitation: the interview kept changing underneath")

    async def close_for_wave(self, participant: Participant, wave: str) -> list[Reply]:
        """The wave has closed: an unfinished interview it started ends politely and counts as expired.

        Answers given so far are delivered only when the flow allows partial transcripts.
        """
        ck = self.key_for(participant)
        async with self._locks.hold(ck):
            for attempt in range(MAX_ATTEMPTS):
                await _back_off(attempt)
                current = await self._header(ck, fresh=attempt > 0)
                if current is None or current.wave != wave or current.status not in LIVE:
                    return []
                if await self._close_one(ck, current) is CommitResult.OK:
                    kept = self.flows.get(current.flow_id).partial_delivery and current.answers > 0
                    return [Reply(texts.WAVE_CLOSED_KEPT if kept else texts.WAVE_CLOSED)]
        raise ContentionError("could not close the interview: it kept changing underneath")

    async def _close_one(self, ck: str, interview: Interview) -> CommitResult:
        started = interview.status in (Status.IN_PROGRESS, Status.PAUSED, Status.STOP_PENDING)
        try:
            partial = self.flows.get(interview.flow_id).partial_delivery
        except FlowNotFound:
            partial = False
        if not (started and partial and interview.answers > 0):
            return await self._erase(ck, interview, End.EXPIRE, "")
        now = self._clock()
        interview.status, interview.ended_by, interview.last_at = Status.COMPLETED, "expired", now
        closing = Turn(Role.AI, texts.WAVE_CLOSED_KEPT, THANKS, now)
        return await self._persist(ck, interview, Outcome(append=[closing], end=End.COMPLETE), "")

    async def cancel_invitation(self, participant: Participant) -> None:
        """Forget an invitation that could not be delivered, so it can be sent again later."""
        ck = self.key_for(participant)
        async with self._locks.hold(ck):
            current = await self._header(ck, fresh=True)
            if current is not None and current.status is Status.INVITED:
                await self.store.delete(ck, current)
                self._cache.drop(ck)

    async def _make_room(self, ck: str, current: Interview | None) -> bool:
        """Before anything new starts here: erase an expired interview, deliver a finished one.
        True when the stored state changed and must be read again."""
        if current is None:
            return False
        if self._expired(current):
            await self._erase(ck, current, End.EXPIRE, "")
            return True
        if current.status is Status.COMPLETED and current.turn_count > 0:
            if not await self._delivery.deliver(ck, current):
                raise DeliveryPending(texts.DELIVERY_PENDING)
            return True
        return False

    def _conversation_for(self, flow_id: str | None) -> Conversation:
        flow = self.flows.get(flow_id or self.options.default_flow)
        conversation = Conversation(flow, self.interviewer, self.options.max_message_chars)
        conversation.support = self.options.support_resources
        return conversation

    async def handle(self, message: Inbound) -> list[Reply]:
        """Apply one participant message and return the replies (after its answer window, if any)."""
        reception = await self.receive(message)
        if not await reception.due():
            return []
        return await reception.replies()

    async def receive(self, message: Inbound) -> Reception:
        """Take a message in, in arrival order, without waiting out its answer window.

        Raises StoreUnavailable when it could not be stored. Adapters that keep their own
        per-user order release it once this returns, so the next message can join the window.
        """
        self._in_flight += 1
        try:
            with TURN_SECONDS.time():
                return await self._receive(message)
        finally:
            self._in_flight -= 1

    async def drain(self, timeout: float) -> int:
        """Wait (at most ``timeout`` seconds) for the messages being handled now; returns how many remain.

        A server that is stopping calls this after it stopped taking requests: what was acknowledged
        finishes here, and anything cut off is still in the inbox for the next process."""
        deadline = time.monotonic() + timeout
        while self._in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self._in_flight

    async def _receive(self, message: Inbound) -> Reception:
        cleaned = clean(message.text, self.options.max_message_chars)
        text = cleaned.text
        if cleaned.problem is None:
            text = self._redactor.redact(text, message.participant.names, message.directory)
            text = _own_context(self._redactor, text, message.participant.context)
        ck = self.key_for(message.participant)
        INTERVIEW.set(interview_tag(ck))  # this turn's log lines say which interview they belong to
        is_answer = cleaned.problem is None and message.choice is None and parse_command(text) is None
        if self.options.answer_window_seconds > 0 and is_answer:
            waiting = await self._hold_for_window(ck, message.message_id, text)
            if waiting is not None:
                return waiting
        async with self._locks.hold(ck):
            replies: list[Reply] = []
            if self.options.answer_window_seconds > 0 and not is_answer:
                replies = await self._flush(ck)  # fold in an answer still waiting in its window first
            applied = await self._apply(
                ck, text, cleaned.problem, message.message_id, message.choice, cleaned.text, message.participant.names
            )
            return Reception.ready(replies + applied)

    async def edit(
        self, participant: Participant, message_id: str, new_text: str, directory: Directory | None = None
    ) -> None:
        """An edited message replaces its part of the stored answer; it never triggers a reply."""
        cleaned = clean(new_text, self.options.max_message_chars)
        if cleaned.problem is not None:
            return
        text = _own_context(
            self._redactor, self._redactor.redact(cleaned.text, participant.names, directory), participant.context
        )
        ck = self.key_for(participant)
        async with self._locks.hold(ck):
            window = self.options.answer_window_seconds > 0
            if window and await self.store.replace_pending(ck, message_id, text, self._clock()):
                return
            for attempt in range(MAX_ATTEMPTS):
                await _back_off(attempt)
                interview = await self._header(ck, fresh=attempt > 0)
                if interview is None or interview.status not in LIVE:
                    return
                turns = await self.store.turns(ck)
                replaced = _replace_part(turns, message_id, text)
                if replaced is None:
                    return
                index, turn = replaced
                result = await self.store.commit(ck, interview, replace={index: turn})
                if result is CommitResult.OK:
                    self._cache.put(ck, interview)
                    return
                self._cache.drop(ck)

    async def current(self, participant: Participant) -> Interview | None:
        return await self.store.load(self.key_for(participant))

    async def where_we_are(self, participant: Participant) -> list[Reply]:
        """The pending question of a live interview (for a participant coming back); [] otherwise."""
        interview = await self.current(participant)
        if interview is None or interview.status not in LIVE:
            return []
        return self._where_we_are(interview)

    async def deliver_outbox(self, *, force: bool = False) -> int:
        """Retry transcripts whose delivery failed earlier (``force``: ignore the backoff); how many went."""
        return await self._delivery.retry_outbox(force=force)

    async def history(self, participant: Participant) -> list[HistoryEntry]:
        """The participant's interviews, newest first: the live one (if any), then past ones."""
        ck = self.key_for(participant)
        current = await self.store.load(ck)
        entries = await self.store.history(ck)
        if current is not None and current.status in LIVE:
            live = HistoryEntry(current.flow_id, current.status.value, current.started_at, current.last_at)
            entries.insert(0, live)
        return entries

    async def withdraw_everything(self, participant: Participant, study: str | None = None) -> list[Reply]:
        """Delete the live interview and every delivered transcript of this participant.

        With ``study`` (a flow id), only that study's interview and transcripts go; the others stay.
        """
        ck = self.key_for(participant)
        async with self._locks.hold(ck):
            current = await self._erase_live(ck, study)
            entries = await self.store.history(ck)
            chosen = [entry for entry in entries if study is None or entry.flow_id == study]
            for entry in chosen:
                if entry.transcript_id:
                    await self._delivery.delete(entry.transcript_id)
            kept = [entry.withdrawn() if entry in chosen else entry for entry in entries]
            await self.store.replace_history(ck, kept)
        if current is None and not any(entry.transcript_id for entry in chosen):
            return [Reply(texts.NOTHING_TO_WITHDRAW)]
        return [Reply(texts.WITHDRAWN_EVERYTHING)]

    async def _erase_live(self, ck: str, study: str | None) -> Interview | None:
        """The live interview, deleted (if it belongs to ``study``); None when there was none to delete."""
        current: Interview | None = None
        for attempt in range(MAX_ATTEMPTS):
            await _back_off(attempt)
            current = await self._header(ck, fresh=attempt > 0)
            if current is None or (study is not None and current.flow_id != study):
                return None
            if await self._erase(ck, current, End.DELETE, "") is CommitResult.OK:
                break
        return current

    # -- the answer window -------------------------------------------------------------------

    async def _hold_for_window(self, ck: str, message_id: str, text: str) -> Reception | None:
        """Park an answer so quick follow-on messages join it; None when it should apply at once."""
        async with self._locks.hold(ck):
            pushed = await self.store.push_pending(ck, message_id, text, self._clock())
            if pushed is PushResult.NOT_IN_PROGRESS:
                return None
            if pushed is PushResult.APPLIED:
                return Reception.ready([])
            # STORED, or WAITING: a platform retry of a message whose window may have died with
            # another worker; either way a window must be running for it.
            generation = self._window_generation.get(ck, 0) + 1
            self._window_generation[ck] = generation

        async def due() -> bool:
            await asyncio.sleep(self.options.answer_window_seconds)
            if self._window_generation.get(ck) != generation:
                return False  # a later message restarted the window; its reception answers
            del self._window_generation[ck]
            return True

        async def replies() -> list[Reply]:
            async with self._locks.hold(ck):
                return await self._flush(ck)

        return Reception(due, replies)

    async def _flush(self, ck: str) -> list[Reply]:
        for attempt in range(MAX_ATTEMPTS):
            await _back_off(attempt)
            interview, pending = await self.store.load_with_pending(ck)
            if not pending:
                return []
            if interview is None:
                await self.store.drop_pending(ck)  # the interview was withdrawn meanwhile
                return []
            ids = tuple(p.message_id for p in pending)
            parts = tuple(p.text for p in pending)
            conversation = self._conversation(interview)
            if self.interviewer.needs_history:
                conversation.history = tuple(await self.store.turns(ck))
            outcome = await conversation.on_message(interview, "\n".join(parts), None, self._clock())
            for turn in outcome.append:
                if turn.role is Role.USER:
                    turn.message_ids, turn.parts = ids, parts if len(parts) > 1 else ()
            interview.seen = [*interview.seen, *ids][-SEEN_LIMIT:]
            if await self._persist(ck, interview, outcome, "", drop_pending=len(pending)) is CommitResult.OK:
                return outcome.replies
        raise ContentionError("could not apply the answer: the interview kept changing underneath")

    # -- applying one message ----------------------------------------------------------------

    async def _apply(
        self,
        ck: str,
        text: str,
        problem: Problem | None,
        message_id: str,
        choice: ReplyKind | None = None,
        raw_text: str = "",
        names: tuple[str, ...] = (),
    ) -> list[Reply]:
        for attempt in range(MAX_ATTEMPTS):
            await _back_off(attempt)
            interview = await self._header(ck, fresh=attempt > 0)
            if interview is not None and message_id in interview.seen:
                return []
            if choice is not None and (interview is None or _CHOICE_STATUS[choice] is not interview.status):
                return [Reply(texts.CHOICE_STALE)]
            try:
                interview, outcome = await self._outcome(interview, text, problem, ck, raw_text, names)
            except FlowNotFound:
                interview, outcome = self._without_flow(interview, text, problem)
            if interview is None:
                # Nothing to write, so the commit script's check for a retried message can't run here.
                if await self.store.recently_deleted(ck, message_id):
                    return []  # a retry of the message that just ended this conversation
                return outcome.replies
            for turn in outcome.append:
                if turn.role is Role.USER and problem is None:
                    turn.message_ids = (message_id,)
            result = await self._persist(ck, interview, outcome, message_id)
            if result is CommitResult.DUPLICATE:
                return []
            if result is CommitResult.OK:
                return outcome.replies
        raise ContentionError("could not apply the message: the interview kept changing underneath")

    async def _outcome(
        self,
        interview: Interview | None,
        text: str,
        problem: Problem | None,
        ck: str = "",
        raw_text: str = "",
        names: tuple[str, ...] = (),
    ) -> tuple[Interview | None, Outcome]:
        if interview is not None and self._expired(interview):
            return interview, Outcome(end=End.EXPIRE).say(texts.EXPIRED)
        if interview is not None:
            conversation = self._conversation(interview)
            if interview.status in (Status.IN_PROGRESS, Status.PAUSED) and problem is None:
                conversation.raw_text = raw_text
                conversation.scrub = lambda said: self._redactor.redact(said, names)
                if self.interviewer.needs_history:
                    conversation.history = tuple(await self.store.turns(ck))
            return interview, await conversation.on_message(interview, text, problem, self._clock())
        command = parse_command(text) if problem is None else None
        if command in (Command.STOP, Command.WITHDRAW):
            return None, Outcome().say(texts.NOTHING_TO_WITHDRAW)
        if command is Command.HELP:
            return None, Outcome().say(texts.NO_INTERVIEW_HELP)
        return self._conversation_for(None).begin(self._clock())

    def _without_flow(
        self, interview: Interview | None, text: str, problem: Problem | None
    ) -> tuple[Interview | None, Outcome]:
        """The interview's flow was uninstalled: leaving must still work; anything else waits."""
        log.error("an interview uses a flow that is no longer installed")
        if interview is not None and problem is None and parse_command(text) in (Command.WITHDRAW, Command.STOP):
            return interview, Outcome(end=End.DELETE).say(texts.WITHDRAWN)
        return None, Outcome().say(texts.FLOW_UNAVAILABLE)

    def _conversation(self, interview: Interview) -> Conversation:
        conversation = Conversation(self.flows.get(interview.flow_id), self.interviewer, self.options.max_message_chars)
        conversation.support = self.options.support_resources
        return conversation

    async def _persist(
        self, ck: str, interview: Interview, outcome: Outcome, message_id: str, drop_pending: int = 0
    ) -> CommitResult:
        if outcome.end in (End.DELETE, End.DECLINE, End.EXPIRE):
            return await self._erase(ck, interview, outcome.end, message_id)
        if outcome.end is End.COMPLETE:
            flow = self.flows.get(interview.flow_id)
            number = await self.store.next_transcript_number(flow.transcript_prefix)
            interview.transcript_id = f"{flow.transcript_prefix}_{number:04d}"
            interview.last_at = max(interview.last_at, self._clock())
        interview.turn_count += len(outcome.append)
        result = await self.store.commit(
            ck,
            interview,
            message_id=message_id,
            append=outcome.append,
            drop_pending=drop_pending,
            outbox="add" if outcome.end is End.COMPLETE else "",
        )
        if result is not CommitResult.OK:
            self._cache.drop(ck)
            return result
        self._cache.put(ck, interview)
        await self._tell(ck, interview, "expired" if interview.ended_by == "expired" else interview.status.value)
        if outcome.end is End.COMPLETE:
            await self.store.count(interview.flow_id, interview.ended_by)
            await self.store.add_history(ck, _history_entry(interview, interview.ended_by))
            await self._delivery.deliver(ck, interview)
        return result

    async def _erase(self, ck: str, interview: Interview, end: End, message_id: str) -> CommitResult:
        if interview.transcript_id:
            await self._delivery.delete(interview.transcript_id)
        result = await self.store.delete(ck, interview, message_id=message_id)
        self._cache.drop(ck)
        if result is CommitResult.OK:
            await self._tell(ck, interview, _END_COUNTERS[end])
            await self.store.count(interview.flow_id, _END_COUNTERS[end])
            if end is not End.DECLINE:
                await self._forget_transcript(ck, interview)
                if interview.status is not Status.COMPLETED:  # a completed one is already listed
                    await self.store.add_history(ck, _history_entry(interview, _END_COUNTERS[end]))
        return result

    async def _tell(self, ck: str, interview: Interview, outcome: str) -> None:
        INTERVIEWS.labels(outcome).inc()
        if not interview.wave:
            return
        for watcher in self.watchers:
            try:
                await watcher.changed(ck, interview, outcome)
            except Exception:
                log.exception("a watcher failed on an interview of wave %s", interview.wave)

    async def _forget_transcript(self, ck: str, interview: Interview) -> None:
        """After a withdrawal, the history keeps that there was an interview, not its transcript id."""
        if not interview.transcript_id:
            return
        entries = await self.store.history(ck)
        if any(entry.transcript_id == interview.transcript_id for entry in entries):
            await self.store.replace_history(
                ck, [e.withdrawn() if e.transcript_id == interview.transcript_id else e for e in entries]
            )

    async def _header(self, ck: str, *, fresh: bool = False) -> Interview | None:
        if not fresh:
            cached = self._cache.get(ck)
            if cached is not None:
                return cached
        interview = await self.store.load(ck)
        if interview is None:
            self._cache.drop(ck)
        else:
            self._cache.put(ck, interview)
        return interview

    def _expired(self, interview: Interview) -> bool:
        """Redis deletes abandoned interviews by TTL; this catches one read just before that."""
        return interview.status in LIVE and self._clock() - interview.last_at > self.store.ttl_seconds

    def _where_we_are(self, interview: Interview) -> list[Reply]:
        if interview.status is Status.INVITED:
            return self._conversation(interview).invite(self._clock())[1].replies
        if interview.status is Status.CONSENT_PENDING:
            return [Reply(self._conversation(interview).prompt(interview), ReplyKind.CONSENT, ("Yes", "No"))]
        if interview.status is Status.STOP_PENDING:
            return [Reply(texts.STOP_UNCLEAR, ReplyKind.KEEP_OR_DELETE, ("Keep", "Delete"))]
        return [Reply(f"{texts.RESUMED}\n\n{self._conversation(interview).prompt(interview)}")]


def _history_entry(interview: Interview, status: str) -> HistoryEntry:
    return HistoryEntry(
        interview.flow_id,
        status,
        interview.started_at,
        interview.last_at,
        interview.transcript_id if status in ("completed", "stopped") else "",
    )


def _replace(new: Interview, old: Interview | None) -> None:
    """A new interview overwrites an end marker: it must pass the marker's version check."""
    if old is not None:
        new.version, new.seen = old.version, old.seen


def _replace_part(turns: list[Turn], message_id: str, text: str) -> tuple[int, Turn] | None:
    for index, turn in enumerate(turns):
        if turn.role is not Role.USER or message_id not in turn.message_ids:
            continue
        if len(turn.parts) > 1:
            parts = list(turn.parts)
            parts[turn.message_ids.index(message_id)] = text
            turn.parts, turn.text = tuple(parts), "\n".join(parts)
        else:
            turn.text = text
        return index, turn
    return None
