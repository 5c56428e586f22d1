"""Waves in Redis: the spec, its state, and one record per member, under ``<prefix>:wave:<id>``.

A member is keyed by the participant's keyed conversation hash; their platform address is kept
encrypted (it is needed to message them) and nothing else about them is stored but their time
zone, their stratum and where they are in the funnel. The funnel is counted from these records,
so a lost update is repaired by the next reconciliation instead of skewing a counter forever.
A delivered transcript's id is linked to its member (``:t``), so transcripts can be analysed per stratum.
"""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import redis.asyncio as aioredis

from bot.errors import CandorError
from bot.state.crypto import Keyring
from bot.types import Participant, Platform
from bot.waves.spec import WaveSpec

KEEP_AFTER_CLOSE = 90 * 86400
# "Don't ask me again" is kept this long after the last time it was said (renewed on every opt-out).
OPT_OUT_SECONDS = 5 * 365 * 86400


class WaveError(CandorError):
    """An operator asked for something a wave cannot do (unknown id, wrong state)."""


class WaveState(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    CLOSED = "closed"


# Which operator actions each state allows, and where they lead.
_MOVES: dict[str, dict[WaveState, WaveState]] = {
    "start": {WaveState.DRAFT: WaveState.RUNNING},
    "pause": {WaveState.RUNNING: WaveState.PAUSED},
    "resume": {WaveState.PAUSED: WaveState.RUNNING},
    "cancel": {state: WaveState.CANCELLED for state in (WaveState.DRAFT, WaveState.RUNNING, WaveState.PAUSED)},
    "close": {WaveState.RUNNING: WaveState.CLOSED, WaveState.PAUSED: WaveState.CLOSED},
}

# How far into the funnel each status is: 0 not invited, 1 invited, 2 opened, 3 consented, 4 completed.
STAGE = {
    "queued": 0,
    "scheduled": 0,
    "sending": 0,
    "busy": 0,
    "failed": 0,
    "opted_out": 0,
    "not_needed": 0,
    "cancelled": 0,
    "invited": 1,
    "consent_pending": 2,
    "in_progress": 3,
    "paused": 3,
    "stop_pending": 3,
    "completed": 4,
    "declined": 0,
    "withdrawn": 0,
    "expired": 0,
}
# Statuses of someone whose interview may still move on (reminders, the closing message).
LIVE = frozenset({"invited", "consent_pending", "in_progress", "paused", "stop_pending"})
FUNNEL = ("eligible", "invited", "opened", "consented", "in_progress", "completed", "declined", "withdrawn", "expired")

# KEYS: members hash; ARGV: member, status, stage, at, duration ('' if none), required status ('' for any)
# Returns 1 when written, 0 when the required status did not hold, -1 for an unknown member.
_UPDATE = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return -1 end
local m = cjson.decode(raw)
if ARGV[6] ~= '' then
  local ok = false
  for want in string.gmatch(ARGV[6], '[^,]+') do if m['s'] == want then ok = true end end
  if not ok then return 0 end
end
m['s'] = ARGV[2]
local stage = tonumber(ARGV[3])
if stage > (m['f'] or 0) then m['f'] = stage end
if stage == 1 and not m['ti'] then m['ti'] = tonumber(ARGV[4]) end
if ARGV[2] == 'completed' then m['te'] = tonumber(ARGV[4]) end
if ARGV[5] ~= '' then m['d'] = tonumber(ARGV[5]) end
m['u'] = tonumber(ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 1
"""


# KEYS: wave hash; ARGV: action, now, then "from=to" pairs. Returns the new state, or "!<state>"/"!missing".
_MOVE = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return '!missing' end
for i = 3, #ARGV do
  local from, to = string.match(ARGV[i], '([^=]+)=(.+)')
  if from == state then
    redis.call('HSET', KEYS[1], 'state', to)
    if ARGV[1] == 'start' then redis.call('HSET', KEYS[1], 'started', ARGV[2]) end
    return to
  end
end
return '!' .. state
"""


# KEYS: wave hash, members hash, transcripts hash; ARGV: transcript id, member. Returns 1 when linked.
# Only for a member of a wave that still exists, and with the wave's own expiry: a link never outlives its wave.
_LINK = """
local left = redis.call('PTTL', KEYS[1])
if left <= 0 or redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[3], left)
return 1
"""


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


@dataclass(frozen=True, slots=True)
class Member:
    key: str  # the keyed conversation hash
    participant: Participant
    timezone: str | None
    stratum: str
    status: str
    stage: int
    invited_at: float | None = None
    ended_at: float | None = None
    duration: float | None = None
    reminders: int = 0
    attempt: int = 0


@dataclass(frozen=True, slots=True)
class MemberState:
    """Where a member is, without their address: what counting and quotas need (nothing is decrypted)."""

    key: str
    status: str
    stratum: str
    invited_at: float | None


@dataclass(frozen=True, slots=True)
class Wave:
    spec: WaveSpec
    state: WaveState
    created_at: float
    started_at: float | None
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Funnel:
    counts: dict[str, int]
    by_stratum: dict[str, dict[str, int]]
    completions_by_day: dict[str, int]
    median_minutes: float | None

    @property
    def completion_rate(self) -> float | None:
        invited = self.counts["invited"]
        return self.counts["completed"] / invited if invited else None


class WaveStore:
    def __init__(
        self, client: aioredis.Redis, prefix: str, keyring: Keyring, keep_after_close: int = KEEP_AFTER_CLOSE
    ) -> None:
        self.client = client
        # A wave's keys expire this long after it closes: its funnel stays readable, then nothing stays.
        self.keep_after_close = keep_after_close
        self.prefix = prefix
        self.keyring = keyring
        self._update = client.register_script(_UPDATE)
        self._move = client.register_script(_MOVE)
        self._link = client.register_script(_LINK)

    def key(self, wave_id: str, part: str = "") -> str:
        return f"{self.prefix}:wave:{wave_id}" + (f":{part}" if part else "")

    # -- waves ------------------------------------------------------------------------------

    async def create(self, spec: WaveSpec, now: float | None = None) -> None:
        created = await self.client.hsetnx(self.key(spec.id), "spec", spec.model_dump_json())
        if not created:
            raise WaveError(f"a wave with id {spec.id!r} already exists; choose another id")
        stamp = now if now is not None else time.time()
        # From its closing date, or from now for a wave created after it closed (a record of the past).
        ends = int(max(spec.closes_at.timestamp(), stamp)) + self.keep_after_close
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.hset(self.key(spec.id), mapping={"state": WaveState.DRAFT.value, "created": stamp})
            pipe.expireat(self.key(spec.id), ends)
            pipe.zadd(f"{self.prefix}:waves", {spec.id: stamp})
            pipe.ttl(f"{self.prefix}:waves")
            *_, left = await pipe.execute()
        # The index lives as long as its longest-lived wave (plain EXPIREAT: Redis 6.2 has no GT option).
        if int(left) < 0 or time.time() + int(left) < ends:
            await self.client.expireat(f"{self.prefix}:waves", ends)

    async def get(self, wave_id: str) -> Wave:
        raw = await self.client.hgetall(self.key(wave_id))
        if not raw or b"spec" not in raw:
            raise WaveError(f"no wave with id {wave_id!r}; candor wave list shows the waves")
        started = raw.get(b"started")
        return Wave(
            spec=WaveSpec.model_validate_json(raw[b"spec"]),
            state=WaveState(_text(raw[b"state"])),
            created_at=float(raw[b"created"]),
            started_at=float(started) if started else None,
            problems=json.loads(raw.get(b"problems", b"[]")),
        )

    async def ids(self) -> list[str]:
        """Waves whose keys have not yet expired, oldest first."""
        listed = [_text(item) for item in await self.client.zrange(f"{self.prefix}:waves", 0, -1)]  # type: ignore[arg-type]
        alive = []
        for wave_id in listed:
            if await self.client.exists(self.key(wave_id)):
                alive.append(wave_id)
            else:
                await self.client.zrem(f"{self.prefix}:waves", wave_id)
        return alive

    async def _expire_with_wave(self, wave_id: str, *parts: str) -> None:
        """Give a wave's other keys the expiry of its main key."""
        left = int(await self.client.ttl(self.key(wave_id)))
        if left > 0:
            async with self.client.pipeline(transaction=False) as pipe:
                for part in parts:
                    pipe.expire(self.key(wave_id, part), left)
                await pipe.execute()

    async def move(self, wave_id: str, action: str, now: float | None = None) -> WaveState:
        """Apply an operator action; a precise error when the wave's state does not allow it."""
        moves = _MOVES[action]
        stamp = now if now is not None else time.time()
        args: list[str | float] = [action, stamp, *(f"{old.value}={new.value}" for old, new in moves.items())]
        result = _text(await self._move(keys=[self.key(wave_id)], args=args))
        if result.startswith("!"):
            if result == "!missing":
                raise WaveError(f"no wave with id {wave_id!r}; candor wave list shows the waves")
            allowed = ", ".join(state.value for state in moves)
            raise WaveError(f"wave {wave_id} is {result[1:]}; {action} works on a wave that is {allowed}")
        return WaveState(result)

    async def state(self, wave_id: str) -> WaveState:
        raw = await self.client.hget(self.key(wave_id), "state")
        if raw is None:
            raise WaveError(f"no wave with id {wave_id!r}")
        return WaveState(_text(raw))

    async def set_problems(self, wave_id: str, problems: list[str]) -> None:
        """Planning's findings; their presence also marks the wave as planned."""
        await self.client.hset(self.key(wave_id), "problems", json.dumps(problems))

    async def planned(self, wave_id: str) -> bool:
        return bool(await self.client.hexists(self.key(wave_id), "problems"))

    # -- members ----------------------------------------------------------------------------

    def _seal(self, wave_id: str, participant: Participant) -> str:
        address = "\x1f".join((participant.platform.value, participant.workspace, participant.user))
        sealed = self.keyring.encrypt(address.encode(), self.key(wave_id, "m").encode())
        return base64.b64encode(sealed).decode()

    def _open(self, wave_id: str, sealed: str) -> Participant:
        address = self.keyring.decrypt(base64.b64decode(sealed), self.key(wave_id, "m").encode()).decode()
        platform, workspace, user = address.split("\x1f", 2)
        return Participant(Platform(platform), workspace, user)

    async def add_members(self, wave_id: str, members: Iterable[tuple[str, Participant, str | None, str]]) -> int:
        """(key, participant, time zone, stratum), in invitation order; returns how many were new."""
        added = 0
        async with self.client.pipeline(transaction=False) as pipe:
            order: list[tuple[str, str]] = []
            for key, participant, zone, stratum in members:
                record = {"a": self._seal(wave_id, participant), "tz": zone, "g": stratum, "s": "queued", "f": 0}
                pipe.hsetnx(self.key(wave_id, "m"), key, json.dumps(record, separators=(",", ":")))
                order.append((key, stratum))
            results = await pipe.execute()
        async with self.client.pipeline(transaction=False) as pipe:
            for (key, stratum), new in zip(order, results, strict=True):
                if new:
                    added += 1
                    pipe.rpush(self.key(wave_id, f"q:{stratum}"), key)
                    pipe.sadd(self.key(wave_id, "strata"), stratum)
            await pipe.execute()
        strata = {stratum for _, stratum in order}
        await self._expire_with_wave(wave_id, "m", "strata", "cursor", *(f"q:{s}" for s in strata))
        return added

    async def strata(self, wave_id: str) -> list[str]:
        return sorted(_text(item) for item in await self.client.smembers(self.key(wave_id, "strata")))

    async def queue_slice(self, wave_id: str, stratum: str, start: int, count: int) -> list[str]:
        raw = await self.client.lrange(self.key(wave_id, f"q:{stratum}"), start, start + count - 1)
        return [_text(item) for item in raw]

    async def cursor(self, wave_id: str, stratum: str) -> int:
        return int(await self.client.hget(self.key(wave_id, "cursor"), stratum) or 0)

    async def set_cursor(self, wave_id: str, stratum: str, value: int) -> None:
        await self.client.hset(self.key(wave_id, "cursor"), stratum, value)
        await self._expire_with_wave(wave_id, "cursor")

    async def member(self, wave_id: str, key: str) -> Member | None:
        raw = await self.client.hget(self.key(wave_id, "m"), key)
        return self._member(wave_id, key, raw) if raw is not None else None

    async def states(self, wave_id: str) -> list[MemberState]:
        raw = await self.client.hgetall(self.key(wave_id, "m"))
        return [_state(_text(key), value) for key, value in raw.items()]

    async def members(self, wave_id: str) -> list[Member]:
        raw = await self.client.hgetall(self.key(wave_id, "m"))
        return [self._member(wave_id, _text(key), value) for key, value in raw.items()]

    def _member(self, wave_id: str, key: str, raw: bytes | str) -> Member:
        data: dict[str, Any] = json.loads(raw)
        return Member(
            key=key,
            participant=self._open(wave_id, data["a"]),
            timezone=data.get("tz"),
            stratum=data.get("g", ""),
            status=data["s"],
            stage=int(data.get("f", 0)),
            invited_at=data.get("ti"),
            ended_at=data.get("te"),
            duration=data.get("d"),
            reminders=int(data.get("r", 0)),
            attempt=int(data.get("n", 0)),
        )

    async def record(
        self,
        wave_id: str,
        key: str,
        status: str,
        *,
        at: float | None = None,
        duration: float | None = None,
        only_if: Iterable[str] = (),
    ) -> bool:
        """Move a member to ``status``; with ``only_if``, only from one of those statuses (atomically)."""
        stamp = at if at is not None else time.time()
        args: list[str | int | float] = [
            key,
            status,
            STAGE.get(status, 0),
            stamp,
            "" if duration is None else duration,
            ",".join(only_if),
        ]
        return int(await self._update(keys=[self.key(wave_id, "m")], args=args)) == 1

    async def bump(self, wave_id: str, key: str, field_name: str, value: int) -> None:
        """Set a small counter on a member (reminders sent ``r``, send attempts ``n``)."""
        raw = await self.client.hget(self.key(wave_id, "m"), key)
        if raw is None:
            return
        data = json.loads(raw)
        data[field_name] = value
        await self.client.hset(self.key(wave_id, "m"), key, json.dumps(data, separators=(",", ":")))

    # -- transcripts ----------------------------------------------------------------------------

    async def link_transcript(self, wave_id: str, transcript_id: str, key: str) -> bool:
        """Remember whose transcript this is: delivered transcripts name the wave but not the stratum.

        False (nothing written) when the wave has expired or ``key`` is not one of its members.
        """
        keys = [self.key(wave_id), self.key(wave_id, "m"), self.key(wave_id, "t")]
        return int(await self._link(keys=keys, args=[transcript_id, key])) == 1

    async def unlink_transcript(self, wave_id: str, transcript_id: str) -> None:
        """A withdrawn transcript is deleted from the sinks; nothing here may still point at it."""
        await self.client.hdel(self.key(wave_id, "t"), transcript_id)

    async def transcript_members(self, wave_id: str) -> dict[str, MemberState]:
        """Transcript id -> its member's state (stratum included), for analysis per stratum; nothing is decrypted."""
        links = {_text(tid): _text(key) for tid, key in (await self.client.hgetall(self.key(wave_id, "t"))).items()}
        if not links:
            return {}
        keys = sorted(set(links.values()))
        records = dict(zip(keys, await self.client.hmget(self.key(wave_id, "m"), keys), strict=True))
        return {tid: _state(key, raw) for tid, key in sorted(links.items()) if (raw := records[key]) is not None}

    # -- counting -----------------------------------------------------------------------------

    async def funnel(self, wave_id: str) -> Funnel:
        raw = await self.client.hvals(self.key(wave_id, "m"))
        records = [json.loads(value) for value in raw]
        overall = _count(records)
        strata: dict[str, list[Mapping[str, Any]]] = {}
        for record in records:
            strata.setdefault(record.get("g", ""), []).append(record)
        by_stratum = {name: _count(items) for name, items in sorted(strata.items()) if name}
        days: Counter[str] = Counter()
        for record in records:
            if record["s"] == "completed" and record.get("te"):
                days[datetime.fromtimestamp(record["te"], UTC).date().isoformat()] += 1
        durations = [record["d"] / 60 for record in records if record["s"] == "completed" and record.get("d")]
        median = round(statistics.median(durations), 1) if durations else None
        return Funnel(overall, by_stratum, dict(sorted(days.items())), median)

    # -- opt-outs -------------------------------------------------------------------------------

    async def opt_out(self, key: str) -> None:
        """ "Don't ask me again": no wave of this deployment invites this person any more."""
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(f"{self.prefix}:optout", key)
            pipe.expire(f"{self.prefix}:optout", OPT_OUT_SECONDS)
            await pipe.execute()

    async def opted_out(self, key: str) -> bool:
        return bool(await self.client.sismember(f"{self.prefix}:optout", key))


def _state(key: str, raw: bytes | str) -> MemberState:
    data = json.loads(raw)
    return MemberState(key, data["s"], data.get("g", ""), data.get("ti"))


def _count(records: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(FUNNEL, 0)
    for record in records:
        status, stage = record["s"], int(record.get("f", 0))
        counts["eligible"] += 1  # everyone left after exclusions and sampling, invited or not
        counts["invited"] += stage >= 1
        counts["opened"] += stage >= 2
        counts["consented"] += stage >= 3
        counts["in_progress"] += status in ("in_progress", "paused", "stop_pending")
        counts["completed"] += status == "completed"
        counts["declined"] += status == "declined"
        counts["withdrawn"] += status == "withdrawn"
        counts["expired"] += status == "expired"
    return counts
