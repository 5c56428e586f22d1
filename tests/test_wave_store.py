"""Waves in Redis: the spec file, state changes, member records, the funnel, opt-outs."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from bot.flows.loader import FlowFileError, load_model_file
from bot.state import Interview, Status
from bot.state.crypto import Keyring
from bot.types import Participant, Platform
from bot.waves.runner import WaveTracker
from bot.waves.spec import WaveSpec
from bot.waves.store import MemberState, WaveError, WaveState, WaveStore
from tests.conftest import DATA, EngineFactory, long_flow, message, participant

WAVES = DATA / "waves"


@pytest.fixture
async def store(redis_url: str) -> AsyncIterator[WaveStore]:
    client = aioredis.from_url(redis_url)
    yield WaveStore(client, f"wv-{uuid.uuid4().hex[:8]}", Keyring.generate())
    await client.aclose()


def test_a_wave_file_loads_with_every_field() -> None:
    spec = load_model_file(WAVES / "good.yaml", WaveSpec, "wave")
    assert spec.quotas is not None and spec.quotas.target("emea") == 20
    assert [interval.days for interval in spec.reminders.intervals()] == [2, 3]
    window = spec.window()
    assert window.opens_at.hour == 8 and window.closes_at.hour == 16  # stored in UTC
    assert spec.participants.slack_channels == ("C0042",)


def test_a_bad_wave_file_names_each_problem_with_its_line() -> None:
    with pytest.raises(FlowFileError) as caught:
        load_model_file(WAVES / "bad.yaml", WaveSpec, "wave")
    text = str(caught.value)
    path = WAVES / "bad.yaml"
    assert f"{path}:1: id: String should match pattern" in text
    assert f"{path}:7: opens_at: give a time zone offset" in text
    assert f"{path}:9: send_window:" in text and "ends before it starts" in text
    assert f"{path}:10: timezone:" in text and "Mars/Olympus" in text
    assert "give either per_stratum" in text


def _spec(wave_id: str = "w1", **extra: object) -> WaveSpec:
    data: dict[str, object] = {
        "id": wave_id,
        "flow": "ai-at-work",
        "platform": "slack",
        "workspace": "T1",
        "participants": {"users": ["U1"]},
        "opens_at": "2026-12-01T08:00:00Z",
        "closes_at": "2026-12-10T17:00:00Z",
        **extra,
    }
    return WaveSpec.model_validate(data)


async def test_state_changes_follow_the_rules(store: WaveStore) -> None:
    await store.create(_spec())
    with pytest.raises(WaveError, match="already exists"):
        await store.create(_spec())
    with pytest.raises(WaveError, match="w1 is draft; pause works on a wave that is running"):
        await store.move("w1", "pause")
    assert await store.move("w1", "start") is WaveState.RUNNING
    assert await store.move("w1", "pause") is WaveState.PAUSED
    assert await store.move("w1", "resume") is WaveState.RUNNING
    assert await store.move("w1", "cancel") is WaveState.CANCELLED
    with pytest.raises(WaveError, match="w1 is cancelled; resume"):
        await store.move("w1", "resume")
    with pytest.raises(WaveError, match="no wave with id 'nope'"):
        await store.move("nope", "start")
    wave = await store.get("w1")
    assert wave.started_at is not None and wave.state is WaveState.CANCELLED
    assert await store.ids() == ["w1"]


async def test_members_are_added_once_and_their_address_is_encrypted(store: WaveStore) -> None:
    await store.create(_spec())
    people = [(f"k{i}", Participant(Platform.SLACK, "T1", f"U9000{i}"), "Europe/Berlin", "emea") for i in range(3)]
    assert await store.add_members("w1", people) == 3
    assert await store.add_members("w1", people) == 0  # a planning job run twice adds nobody twice
    assert await store.queue_slice("w1", "emea", 0, 10) == ["k0", "k1", "k2"]
    member = await store.member("w1", "k1")
    assert member is not None and member.participant.user == "U90001" and member.status == "queued"
    raw = await store.client.hgetall(store.key("w1", "m"))
    assert all(b"U9000" not in value for value in raw.values())


async def test_the_funnel_counts_from_member_records(store: WaveStore) -> None:
    await store.create(_spec(quotas={"by": "region", "per_stratum": 5}))
    people = [
        (f"k{i}", Participant(Platform.SLACK, "T1", f"U{i}"), None, "emea" if i < 6 else "amer") for i in range(10)
    ]
    await store.add_members("w1", people)
    for i in range(8):
        await store.record("w1", f"k{i}", "invited", at=1_796_000_000)
    for i in range(5):
        await store.record("w1", f"k{i}", "consent_pending")
        await store.record("w1", f"k{i}", "in_progress")
    for i in range(3):
        await store.record("w1", f"k{i}", "completed", at=1_796_100_000 + i, duration=600 + 60 * i)
    await store.record("w1", "k3", "withdrawn")
    await store.record("w1", "k6", "declined")
    assert not await store.record("w1", "k9", "sending", only_if=("scheduled",))  # compare-and-set refused
    funnel = await store.funnel("w1")
    assert funnel.counts == {
        "eligible": 10,
        "invited": 8,
        "opened": 5,
        "consented": 5,
        "in_progress": 1,
        "completed": 3,
        "declined": 1,
        "withdrawn": 1,
        "expired": 0,
    }
    assert funnel.by_stratum["emea"]["completed"] == 3 and funnel.by_stratum["amer"]["invited"] == 2
    assert funnel.median_minutes == 11.0 and funnel.completion_rate == 3 / 8
    assert sum(funnel.completions_by_day.values()) == 3


def _ended(transcript_id: str, ended_by: str = "completed", wave: str = "w1") -> Interview:
    """The header the engine hands its watchers when an interview's transcript goes to the sinks."""
    return Interview(
        flow_id="ai-at-work",
        flow_version=1,
        status=Status.COMPLETED,
        started_at=1_796_000_100.0,
        last_at=1_796_000_700.0,
        active_seconds=540.0,
        transcript_id=transcript_id,
        ended_by=ended_by,
        wave=wave,
    )


async def test_delivered_transcripts_are_linked_to_their_members_and_strata(store: WaveStore) -> None:
    await store.create(_spec(quotas={"by": "department", "per_stratum": 5}))
    departments = ["eng", "sales", "sales", "eng"]
    people = [(f"k{i}", Participant(Platform.SLACK, "T1", f"U{i}"), None, dept) for i, dept in enumerate(departments)]
    await store.add_members("w1", people)
    for i in range(4):
        await store.record("w1", f"k{i}", "invited", at=1_796_000_000 + i)
    tracker = WaveTracker(store)
    await tracker.changed("k0", _ended("work_0001"), "completed")
    await tracker.changed("k1", _ended("work_0002", "stopped"), "completed")  # stopped, answers kept
    await tracker.changed("k2", _ended("work_0003", "expired"), "expired")  # the wave closed: partial delivery
    live = _ended("")
    live.status = Status.IN_PROGRESS
    await tracker.changed("k3", live, "in_progress")  # no transcript yet
    assert await store.transcript_members("w1") == {
        "work_0001": MemberState("k0", "completed", "eng", 1_796_000_000),
        "work_0002": MemberState("k1", "completed", "sales", 1_796_000_001),
        "work_0003": MemberState("k2", "expired", "sales", 1_796_000_002),
    }
    links, wave = store.key("w1", "t"), store.key("w1")
    left = await store.client.pttl(links)
    assert left > 0 and 0 <= await store.client.pttl(wave) - left < 5_000  # expires with the wave
    assert await store.transcript_members("w2") == {}


async def test_a_withdrawal_removes_the_link(store: WaveStore) -> None:
    await store.create(_spec())
    await store.add_members("w1", [(f"k{i}", Participant(Platform.SLACK, "T1", f"U{i}"), None, "") for i in range(2)])
    tracker = WaveTracker(store)
    for i in range(2):
        await tracker.changed(f"k{i}", _ended(f"work_000{i}"), "completed")
    await tracker.changed("k0", _ended("work_0000"), "withdrawn")  # after delivery: the header is still completed
    assert list(await store.transcript_members("w1")) == ["work_0001"]
    withdrawn = await store.member("w1", "k0")
    assert withdrawn is not None and withdrawn.status == "withdrawn"
    await tracker.changed("k1", _ended("work_0001"), "withdrawn")
    assert await store.transcript_members("w1") == {}
    assert not await store.client.exists(store.key("w1", "t"))


async def test_a_link_needs_a_member_of_a_live_wave(store: WaveStore) -> None:
    await store.create(_spec())
    await store.add_members("w1", [("k0", Participant(Platform.SLACK, "T1", "U0"), None, "")])
    assert not await store.link_transcript("w1", "work_0001", "stranger")
    await WaveTracker(store).changed("k0", _ended("work_0002", wave="gone"), "completed")
    assert not await store.client.exists(store.key("w1", "t"))
    assert not await store.client.exists(store.key("gone", "t"))  # never a link key without an expiry


async def test_the_engine_links_and_unlinks_what_it_delivers(make_engine: EngineFactory) -> None:
    partial = long_flow().model_copy(
        update={"id": "partial-test", "transcript_prefix": "part", "partial_delivery": True}
    )
    engine = await make_engine(extra_flows=[partial])
    store = WaveStore(engine.store.client, make_engine.prefix, make_engine.keyring)  # type: ignore[attr-defined]
    engine.watchers.append(WaveTracker(store))
    await store.create(_spec(quotas={"by": "department", "per_stratum": 5}))
    keeper, closer = participant("U1"), participant("U2")
    members = [(engine.key_for(keeper), keeper, None, "eng"), (engine.key_for(closer), closer, None, "sales")]
    await store.add_members("w1", members)
    await engine.invite(keeper, "long-test", wave="w1")
    await engine.invite(closer, "partial-test", wave="w1")
    for text in ("hi", "yes", "Mostly reports.", "stop", "keep"):
        await engine.handle(message(text, "U1"))
    for text in ("hi", "yes", "Mostly meetings."):
        await engine.handle(message(text, "U2"))
    await engine.close_for_wave(closer, "w1")
    linked = await store.transcript_members("w1")
    assert {tid.split("_")[0]: state.stratum for tid, state in linked.items()} == {"long": "eng", "part": "sales"}
    await engine.handle(message("withdraw", "U1"))
    assert [state.stratum for state in (await store.transcript_members("w1")).values()] == ["sales"]


async def test_an_opt_out_is_remembered(store: WaveStore) -> None:
    assert not await store.opted_out("k1")
    await store.opt_out("k1")
    assert await store.opted_out("k1")


def test_the_flags_need_a_time_zone_offset(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="give a time zone offset"):
        _spec(opens_at="2026-12-01T08:00:00")
