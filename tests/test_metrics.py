"""``/metrics`` in Prometheus format: turns, acknowledgements, interview states, the outbox and the job queue."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.slack_harness import TEAM, TOKEN, SlackEnv, candor_settings, running, slack_settings
from tests.slack_standin import SlackStandIn

USER = "U0METRICS"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_workspace(TEAM, TOKEN)
        standin.add_user(USER, real_name="Morgan Metrics", team_id=TEAM)
        yield standin


@pytest.fixture
async def env(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[SlackEnv]:
    async for running_env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
        yield running_env


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def _scrape(env: SlackEnv) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with env.http.get(f"{env.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return _samples(await response.text())


async def test_metrics_follow_an_interview(env: SlackEnv) -> None:
    before = await _scrape(env)
    await env.say(USER, "hi")
    await env.say(USER, "yes")
    after = await _scrape(env)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("candor_turn_seconds_count") >= 2
    assert grew("candor_ack_seconds_count", platform="slack") >= 2
    assert grew("candor_interviews_total", state="consent_pending") >= 1
    assert grew("candor_interviews_total", state="in_progress") >= 1
    assert after[("candor_outbox_pending", (("sink", "all"),))] == 0
    assert ("candor_jobs_queued", ()) in after
    text = "\n".join(f"{name}{dict(labels)}" for name, labels in after)
    assert USER not in text and "Morgan" not in text  # no ids or names in labels


async def test_readyz_says_what_is_ready(env: SlackEnv) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from adapters.server import build_web_app

    async with env.http.get(f"{env.url}/readyz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ready" and body["platforms"] == ["slack"] and body["flows"] >= 2
    bare = build_web_app(env.service.runtime.engine, None, None)  # no platform configured
    async with TestClient(TestServer(bare)) as client:
        response = await client.get("/readyz")
        assert response.status == 503 and (await response.json())["platforms"] == []
