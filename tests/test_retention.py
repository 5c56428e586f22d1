"""Retention: after interviews, a failing sink, a wave and an opt-out, no key under the prefix lives forever."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.wave_ops import WaveOps
from adapters.worker import job_queue
from bot.types import Participant, Platform
from bot.waves.spec import WaveSpec
from bot.waves.store import WaveStore
from tests.slack_harness import TEAM, TOKEN, SlackEnv, candor_settings, running, slack_settings
from tests.slack_standin import SlackStandIn


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_workspace(TEAM, TOKEN)
        for user in ("U0RET1", "U0RET2"):
            standin.add_user(user, real_name=f"Robin {user}", team_id=TEAM)
        yield standin


@pytest.fixture
async def env(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[SlackEnv]:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a sink's folder should be")
    settings = candor_settings(redis_url, tmp_path, sinks=f"file,file://{blocked / 'inside'}")
    async for running_env in running(slack, settings, slack_settings(slack)):
        yield running_env


async def test_every_key_expires(env: SlackEnv) -> None:
    for text in ("hi", "yes", "Mostly reports.", "stop", "keep"):
        await env.say("U0RET1", text)  # delivered to one sink, waiting for the other
    await env.say("U0RET2", "hi")
    await env.say("U0RET2", "withdraw")
    runtime = env.service.runtime
    store = WaveStore(runtime.client, env.settings.redis_prefix, runtime.engine.store.keyring)
    queue = job_queue(runtime.connect_url, env.settings.redis_prefix)
    try:
        ops = WaveOps(store, queue, runtime.engine.flows, env.settings.data_dir / "transcripts")
        spec = {
            "id": "retention",
            "flow": "ai-at-work",
            "platform": "slack",
            "workspace": TEAM,
            "participants": {"users": ["U0RET2"]},
            "opens_at": "2026-12-01T09:00:00Z",
            "closes_at": "2026-12-02T09:00:00Z",
        }
        await ops.create(WaveSpec.model_validate(spec))
        await ops.start("retention")
    finally:
        await queue.disconnect()
    await store.opt_out("some-key")
    await store.add_members("retention", [("some-key", Participant(Platform.SLACK, TEAM, "U0RET9"), None, "eng")])
    assert await store.link_transcript("retention", "work_9999", "some-key")
    client = runtime.client
    forever = []
    async for key in client.scan_iter(f"{env.settings.redis_prefix}:*"):
        if await client.ttl(key) < 0:
            forever.append(key.decode())
    assert len(await runtime.engine.store.outbox()) == 1  # the failing sink keeps it waiting
    assert sorted(forever) == [], sorted(forever)
    sinks = [sink.name for sink in runtime.engine.sinks]
    assert sinks == ["file", "file-2"] and await runtime.engine.store.sink_ledger.failures("file-2")
