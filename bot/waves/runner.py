"""The wave jobs: plan, top up, invite, remind, close. Each is safe to run twice or to die halfway.

Workers run these (``adapters/worker.py``); the platform is reached only through a
:class:`WaveChannel`, and later work is handed to a :class:`Scheduler` (keyed jobs, so enqueueing
the same job twice while it waits is a no-op). A member moves ``queued`` → ``scheduled`` →
``sending`` → ``invited`` with compare-and-set steps, so however many workers run and however
often a job is retried, one person gets one invitation per wave.
"""

from __future__ import annotations

import csv
import logging
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from bot.engine import InterviewEngine
from bot.metrics import INVITATIONS, THROTTLED
from bot.state import Interview, Status
from bot.waves.channel import Person, SendResult, Sent, Unresolved, WaveChannel
from bot.waves.schedule import deferred_for_dnd, next_send_time, parse_interval, reminder_times, send_time_for
from bot.waves.spec import ReminderTarget, WaveSpec
from bot.waves.store import LIVE, Member, MemberState, WaveState, WaveStore

log = logging.getLogger(__name__)

# How long a paused wave's due invitation waits before it looks again.
PAUSE_RECHECK = timedelta(minutes=15)
OUTSTANDING = frozenset({"queued", "scheduled", "sending", "invited", "consent_pending", "in_progress", "paused"})
_STARTED = frozenset({"in_progress", "paused", "stop_pending"})
# Outcomes the engine reports for an interview whose transcript is delivered ("expired": partial, at the closing date).
_DELIVERED = frozenset({"completed", "expired"})


class Scheduler(Protocol):
    async def enqueue(self, job: str, job_key: str, at: float | None = None, **kwargs: Any) -> None:
        """Run ``job`` at ``at`` (wave time, seconds), or now; a second enqueue of a waiting key does nothing."""
        ...


@dataclass(frozen=True, slots=True)
class WaveClock:
    """Wave time. Normally the wall clock; a rehearsal runs a wave faster (``speed`` wave seconds per second)."""

    wave_start: float = 0.0
    real_start: float = 0.0
    speed: float = 1.0
    wall: Callable[[], float] | None = None

    def now(self) -> float:
        return self.from_real((self.wall or time.time)())

    def to_real(self, at: float) -> float:
        return at if self.speed == 1.0 else self.real_start + (at - self.wave_start) / self.speed

    def from_real(self, at: float) -> float:
        """Platforms speak wall-clock time (do-not-disturb ends, Retry-After): this is that moment in wave time."""
        return at if self.speed == 1.0 else self.wave_start + (at - self.real_start) * self.speed

    @classmethod
    def parse(cls, text: str | None) -> WaveClock:
        """``WAVE_START,REAL_START,SPEED`` (epoch seconds, epoch seconds, factor), or the wall clock."""
        if not text:
            return cls()
        try:
            start, real, speed = (float(part) for part in text.split(","))
        except ValueError:
            raise ValueError(
                f"CANDOR_WAVE_CLOCK={text!r}: write WAVE_START,REAL_START,SPEED in epoch seconds"
            ) from None
        if speed <= 0:
            raise ValueError(f"CANDOR_WAVE_CLOCK={text!r}: the speed must be positive")
        return cls(start, real, speed)


def _dt(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class WaveTracker:
    """The engine's watcher: each status an interview of a wave reaches lands on its member record.

    A delivered transcript is linked to its member (withdrawn, unlinked), so it can be put in its stratum.
    """

    def __init__(self, store: WaveStore) -> None:
        self.store = store

    async def changed(self, ck: str, interview: Interview, outcome: str) -> None:
        if outcome == Status.INVITED.value:
            return  # the wave job records the invitation once the platform has taken it
        duration = interview.active_seconds or (interview.last_at - interview.started_at)
        await self.store.record(
            interview.wave, ck, outcome, at=interview.last_at, duration=duration if outcome == "completed" else None
        )
        if not interview.transcript_id:
            return
        # Completed (or stopped with the answers kept), or closed by the wave with partial delivery: its
        # transcript goes to the sinks. Any other outcome carrying a transcript id erased that transcript.
        if interview.status is Status.COMPLETED and outcome in _DELIVERED:
            await self.store.link_transcript(interview.wave, interview.transcript_id, ck)
        else:
            await self.store.unlink_transcript(interview.wave, interview.transcript_id)


class WaveRunner:
    def __init__(
        self,
        store: WaveStore,
        engine: InterviewEngine,
        channels: Mapping[str, WaveChannel],
        scheduler: Scheduler,
        clock: WaveClock = WaveClock(),
        base_dir: Path = Path("."),
    ) -> None:
        self.store = store
        self.engine = engine
        self.channels = channels
        self.scheduler = scheduler
        self.clock = clock
        self.base_dir = base_dir

    def _channel(self, spec: WaveSpec) -> WaveChannel:
        channel = self.channels.get(spec.platform)
        if channel is None:
            raise RuntimeError(f"wave {spec.id} needs {spec.platform}, which this worker has not configured")
        return channel

    # -- plan ---------------------------------------------------------------------------------

    async def plan(self, wave_id: str) -> int:
        """Resolve the participants, leave out the excluded, sample, and queue everyone in order."""
        wave = await self.store.get(wave_id)
        if wave.state is not WaveState.RUNNING:
            return 0
        spec = wave.spec
        problems: list[str] = []
        rows = self._csv_rows(spec, problems)
        source = spec.participants
        people, unresolved = await self._channel(spec).resolve(
            spec.workspace, source.users, source.emails, source.slack_channels, rows
        )
        problems += [f"{item.source}: {item.reason}" for item in unresolved]
        chosen = await self._eligible(spec, people, problems)
        members = [(self.engine.key_for(p.participant), p.participant, p.timezone, _stratum(spec, p)) for p in chosen]
        added = await self.store.add_members(wave_id, members)
        await self.store.set_problems(wave_id, problems)
        await self.scheduler.enqueue("top_up", f"topup:{wave_id}", None, wave_id=wave_id)
        await self.scheduler.enqueue("close_wave", f"close:{wave_id}", spec.closes_at.timestamp(), wave_id=wave_id)
        log.info("wave %s planned: %d member(s), %d problem(s)", wave_id, added, len(problems))
        return added

    def _csv_rows(self, spec: WaveSpec, problems: list[str]) -> list[dict[str, str]]:
        if spec.participants.csv is None:
            return []
        path = (self.base_dir / spec.participants.csv).resolve()
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                rows = [dict(row) for row in csv.DictReader(handle)]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            problems.append(f"{spec.participants.csv}: cannot read the CSV: {exc}")
            return []
        name = spec.participants.csv
        # "_source" names the row in reports of people who could not be found (row 1 is the header).
        return [
            {"_source": f"{name} row {number}", **{k.strip().lower(): (v or "").strip() for k, v in row.items() if k}}
            for number, row in enumerate(rows, start=2)
        ]

    async def _eligible(self, spec: WaveSpec, people: Sequence[Person], problems: list[str]) -> list[Person]:
        blocked = self._opt_out_list(spec, problems)
        now = self.clock.now()
        within = spec.exclude.interviewed_within_days
        kept: list[Person] = []
        left_out = 0
        for person in sorted(people, key=lambda p: self.engine.key_for(p.participant)):
            key = self.engine.key_for(person.participant)
            listed = person.participant.user in blocked or (person.email or "").lower() in blocked
            if listed or await self.store.opted_out(key):
                left_out += 1
                continue
            if within is not None and await self._recently_interviewed(person, now - within * 86400):
                left_out += 1
                continue
            kept.append(person)
        if left_out:
            problems.append(f"left out {left_out} person(s): opted out or interviewed recently")
        rng = random.Random(spec.sample.seed if spec.sample else 0)
        if spec.sample is not None and spec.sample.size < len(kept):
            kept = rng.sample(kept, spec.sample.size)
        rng.shuffle(kept)
        return kept

    def _opt_out_list(self, spec: WaveSpec, problems: list[str]) -> set[str]:
        if spec.exclude.opt_out_file is None:
            return set()
        try:
            text = (self.base_dir / spec.exclude.opt_out_file).read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(f"{spec.exclude.opt_out_file}: cannot read the opt-out list: {exc.strerror or exc}")
            return set()
        return {line.strip().lower() if "@" in line else line.strip() for line in text.splitlines() if line.strip()}

    async def _recently_interviewed(self, person: Person, since: float) -> bool:
        return any(entry.ended_at >= since for entry in await self.engine.history(person.participant))

    # -- top up -------------------------------------------------------------------------------

    async def top_up(self, wave_id: str) -> int:
        """Schedule invitations while strata (or the wave) still need completes; idempotent."""
        wave = await self.store.get(wave_id)
        if wave.state is not WaveState.RUNNING:
            return 0
        spec = wave.spec
        members = await self.store.states(wave_id)
        completed = sum(m.status == "completed" for m in members)
        if spec.target_completes is not None and completed >= spec.target_completes:
            return 0
        scheduled = 0
        holding = _holding(spec, members, self.clock.now())
        for stratum in await self.store.strata(wave_id):
            room = _room(spec, stratum, holding, completed)
            if room > 0:
                scheduled += await self._schedule_next(spec, stratum, room)
        return scheduled

    async def _schedule_next(self, spec: WaveSpec, stratum: str, room: int) -> int:
        start = await self.store.cursor(spec.id, stratum)
        keys = await self.store.queue_slice(spec.id, stratum, start, room)
        window = spec.window()
        now = _dt(self.clock.now())
        for key in keys:
            member = await self.store.member(spec.id, key)
            if member is None or member.status != "queued":
                continue
            at = send_time_for(key, now, member.timezone, window, fallback_tz=spec.timezone)
            if at is None:
                await self.store.record(spec.id, key, "not_needed", only_if=("queued",))
                continue
            # Enqueued before it is marked: a crash in between leaves a job that finds it queued, not a lost member.
            await self.scheduler.enqueue(
                "invite_member", _job_key("invite", spec.id, key, 0), at.timestamp(), wave_id=spec.id, member=key
            )
            await self.store.record(spec.id, key, "scheduled", at=self.clock.now(), only_if=("queued",))
        await self.store.set_cursor(spec.id, stratum, start + len(keys))
        return len(keys)

    # -- invite -------------------------------------------------------------------------------

    async def invite(self, wave_id: str, key: str, attempt: int = 0) -> str:
        """Send one member's invitation, or say why not; returns what happened (for logs and tests)."""
        wave = await self.store.get(wave_id)
        member = await self.store.member(wave_id, key)
        if member is None or member.status not in ("queued", "scheduled", "sending"):
            return "done"
        spec = wave.spec
        if wave.state in (WaveState.CANCELLED, WaveState.CLOSED):
            await self.store.record(wave_id, key, "cancelled", only_if=("queued", "scheduled"))
            return "cancelled"
        if wave.state is not WaveState.RUNNING:
            return await self._later(spec, member, attempt, self.clock.now() + PAUSE_RECHECK.total_seconds())
        opted_out = await self.store.opted_out(key)
        if opted_out or await self._quota_full(spec, member):
            status = "opted_out" if opted_out else "not_needed"
            await self.store.record(wave_id, key, status, only_if=("queued", "scheduled"))
            return status
        person = Person(member.participant, member.timezone)
        channel = self._channel(spec)
        if spec.respect_dnd:
            until = await channel.do_not_disturb_until(person)
            if until is not None:
                ends, now = _dt(self.clock.from_real(until.timestamp())), _dt(self.clock.now())
                later = deferred_for_dnd(ends, now, member.timezone, spec.window(), fallback_tz=spec.timezone)
                return await self._later(spec, member, attempt, later.timestamp() if later else None)
        if member.status == "sending" and await self._recover_send(spec, person, member):
            return "invited"
        await self.store.record(wave_id, key, "sending", only_if=("queued", "scheduled", "sending"))
        result = await channel.invite(person, spec.flow, wave_id, spec.invitation_text)
        return await self._after_send(spec, member, attempt, result)

    async def _recover_send(self, spec: WaveSpec, person: Person, member: Member) -> bool:
        """A worker died while sending this invitation: was it sent? True when it was (and is now recorded)."""
        if await self._channel(spec).was_invited(person, spec.id):
            await self._invited(spec, member)
            return True
        current = await self.engine.current(person.participant)
        if current is not None and current.status is Status.INVITED and current.wave == spec.id:
            await self.engine.cancel_invitation(person.participant)  # stored, never delivered: start over
        return False

    async def _after_send(self, spec: WaveSpec, member: Member, attempt: int, result: SendResult) -> str:
        INVITATIONS.labels(spec.platform, result.outcome.value).inc()
        if result.outcome is Sent.DEFERRED:
            THROTTLED.labels(spec.platform, result.detail or "deferred").inc()
        if result.outcome is Sent.SENT:
            await self._invited(spec, member)
            return "invited"
        if result.outcome is Sent.DEFERRED:
            await self.store.record(spec.id, member.key, "scheduled", only_if=("sending",))
            # The channel's retry_at is a real moment (Retry-After, an outage); in a rehearsal wave time runs faster.
            retry = self.clock.from_real(result.retry_at.timestamp()) if result.retry_at else self.clock.now() + 60
            return await self._later(spec, member, attempt, retry)
        status = "busy" if result.outcome is Sent.BUSY else "failed"
        await self.store.record(spec.id, member.key, status, only_if=("sending",))
        log.warning("wave %s: an invitation was not sent (%s %s)", spec.id, status, result.detail)
        return status

    async def _invited(self, spec: WaveSpec, member: Member) -> None:
        now = self.clock.now()
        await self.store.record(spec.id, member.key, "invited", at=now, only_if=("sending", "scheduled", "queued"))
        intervals = spec.reminders.intervals()
        times = reminder_times(_dt(now), intervals, spec.window(), member.timezone, fallback_tz=spec.timezone)
        for number, at in enumerate(times, 1):
            key = _job_key("remind", spec.id, member.key, number)
            await self.scheduler.enqueue(
                "remind_member", key, at.timestamp(), wave_id=spec.id, member=member.key, number=number
            )

    async def _later(self, spec: WaveSpec, member: Member, attempt: int, at: float | None) -> str:
        """Try this invitation again at ``at`` (moved into the person's window); give up once the wave has closed."""
        if at is None:
            await self.store.record(spec.id, member.key, "not_needed", only_if=("queued", "scheduled", "sending"))
            return "not_needed"
        when = next_send_time(_dt(at), member.timezone, spec.window(), fallback_tz=spec.timezone)
        if when is None:
            await self.store.record(spec.id, member.key, "not_needed", only_if=("queued", "scheduled", "sending"))
            return "not_needed"
        await self.store.bump(spec.id, member.key, "n", attempt + 1)
        job = _job_key("invite", spec.id, member.key, attempt + 1)
        await self.scheduler.enqueue(
            "invite_member", job, when.timestamp(), wave_id=spec.id, member=member.key, attempt=attempt + 1
        )
        return "deferred"

    async def _quota_full(self, spec: WaveSpec, member: Member) -> bool:
        if spec.quotas is None and spec.target_completes is None:
            return False
        members = await self.store.states(spec.id)
        completed = sum(m.status == "completed" for m in members)
        if spec.target_completes is not None and completed >= spec.target_completes:
            return True
        if spec.quotas is not None:
            done = sum(m.status == "completed" and m.stratum == member.stratum for m in members)
            return done >= spec.quotas.target(member.stratum)
        return False

    # -- remind -------------------------------------------------------------------------------

    async def remind(self, wave_id: str, key: str, number: int, attempt: int = 0) -> str:
        wave = await self.store.get(wave_id)
        member = await self.store.member(wave_id, key)
        if member is None or wave.state is not WaveState.RUNNING or member.reminders >= number:
            return "skipped"
        targets = wave.spec.reminders.to
        waiting = member.status in ("invited", "consent_pending") and ReminderTarget.NOT_STARTED in targets
        unfinished = member.status in _STARTED and ReminderTarget.NOT_FINISHED in targets
        if not (waiting or unfinished):
            return "skipped"
        person = Person(member.participant, member.timezone)
        result = await self._channel(wave.spec).remind(person, wave_id, wave.spec.reminders.text)
        if result.outcome is Sent.DEFERRED and attempt < 5:
            at = self.clock.from_real(result.retry_at.timestamp()) if result.retry_at else self.clock.now() + 60
            job = _job_key("remind", wave_id, key, number) + f":{attempt + 1}"
            await self.scheduler.enqueue(
                "remind_member", job, at, wave_id=wave_id, member=key, number=number, attempt=attempt + 1
            )
            return "deferred"
        if result.outcome is Sent.SENT:
            await self.store.bump(wave_id, key, "r", number)
            return "reminded"
        return "skipped"

    # -- close --------------------------------------------------------------------------------

    async def close(self, wave_id: str) -> int:
        """The closing date: unfinished interviews end politely (counted as expired); nobody else is invited."""
        wave = await self.store.get(wave_id)
        if wave.state in (WaveState.RUNNING, WaveState.PAUSED):
            await self.store.move(wave_id, "close")
        closed = 0
        channel = self._channel(wave.spec)
        for member in await self.store.members(wave_id):
            if member.status in ("queued", "scheduled", "sending"):
                await self.store.record(wave_id, member.key, "not_needed", only_if=("queued", "scheduled", "sending"))
                continue
            if member.status not in LIVE:
                continue
            replies = await self.engine.close_for_wave(member.participant, wave_id)
            for reply in replies:
                await channel.say(Person(member.participant, member.timezone), reply.text)
            await self.store.record(wave_id, member.key, "expired", only_if=tuple(LIVE))
            closed += 1
        return closed


def _job_key(kind: str, wave_id: str, member_key: str, number: int) -> str:
    return f"{kind}:{wave_id}:{member_key}:{number}"


def _stratum(spec: WaveSpec, person: Person) -> str:
    if spec.quotas is None:
        return ""
    return person.attributes.get(spec.quotas.by, "") or "(none)"


def _holding(spec: WaveSpec, members: Sequence[MemberState], now: float) -> list[tuple[MemberState, bool]]:
    """Each member, and whether they hold a place: invited or started, and not yet silent for too long."""
    patience = parse_interval(spec.quotas.patience if spec.quotas else "2d").total_seconds()
    out = []
    for member in members:
        holds = member.status in OUTSTANDING and member.status != "queued"
        if member.status in ("invited", "consent_pending") and member.invited_at is not None:
            holds = now - member.invited_at < patience
        out.append((member, holds))
    return out


def _room(spec: WaveSpec, stratum: str, holding: Sequence[tuple[MemberState, bool]], completed: int) -> int:
    """How many more invitations this stratum may have open now."""
    if spec.quotas is not None:
        mine = [(m, holds) for m, holds in holding if m.stratum == stratum]
        need = spec.quotas.target(stratum) - sum(m.status == "completed" for m, _ in mine)
        open_now = sum(holds for _, holds in mine)
        return max(0, math.ceil(need * spec.quotas.oversample) - open_now) if need > 0 else 0
    if spec.target_completes is not None:
        need = spec.target_completes - completed
        open_now = sum(holds for _, holds in holding)
        return max(0, math.ceil(need * 2.0) - open_now)
    return len(holding)


__all__ = ["Scheduler", "Unresolved", "WaveClock", "WaveRunner", "WaveTracker"]
