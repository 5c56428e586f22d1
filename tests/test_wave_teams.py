"""A wave on Teams: Candor's saq worker (built exactly as `candor worker` builds it) against the Bot Connector stand-in.

The worker runs in this process, because its outbound Bot Framework token comes from the test's static
provider (a subprocess would need a real Entra ID). Nobody answers: each gets one invitation, one
reminder, and the polite close when the wave ends.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.wave_ops import WaveOps
from adapters.worker import build_worker
from bot.engine import texts
from bot.waves.spec import WaveSpec
from bot.waves.store import WaveState, WaveStore
from tests.conftest import DATA
from tests.teams_harness import TENANT, TeamsEnv, candor_settings, close_env, isolate_sdk, open_env, teams_settings
from tests.teams_standin import TeamsStandIn

PEOPLE = [f"aad-wave-{n}" for n in range(6)]
SPEED = 1800.0


@pytest.fixture
async def tenv(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[TeamsEnv]:
    with TeamsStandIn() as teams:
        isolate_sdk(monkeypatch, teams)
        now = time.time()
        wave_start = now - 3600  # wave time starts an hour before the window opens
        settings = candor_settings(
            redis_url,
            tmp_path,
            flows_dir=DATA / "wave-flows",
            default_flow="quick-chat",
            wave_clock=f"{wave_start},{now},{SPEED}",
            wave_top_up_seconds=1,
        )
        env = await open_env(teams, settings, teams_settings(teams))
        try:
            yield env
        finally:
            await close_env(env)


def _invitations(env: TeamsEnv) -> dict[str, str]:
    """Conversation id of each wave invitation sent, by the invitation card's first text."""
    found = {}
    for call in env.teams.calls():
        if call.method in ("send", "reply") and "Don't ask me again" in json.dumps(call.body):
            found[call.conversation_id] = call.body["attachments"][0]["content"]["body"][0]["text"]
    return found


async def test_a_teams_wave_invites_reminds_and_closes(tenv: TeamsEnv) -> None:
    runtime = tenv.service.runtime
    store = WaveStore(runtime.client, tenv.settings.redis_prefix, runtime.engine.store.keyring)
    worker, queue = await build_worker(tenv.settings, tenv.service)
    assert worker.queue is queue
    running = asyncio.ensure_future(worker.start())
    clock_start, real_start = time.time() - 3600, time.time()
    opens = datetime.fromtimestamp(clock_start, UTC) + timedelta(minutes=30)
    spec = WaveSpec.model_validate(
        {
            "id": "teams-rehearsal",
            "flow": "quick-chat",
            "platform": "teams",
            "workspace": TENANT,
            "participants": {"users": PEOPLE},
            "opens_at": opens.isoformat(),
            "closes_at": (opens + timedelta(hours=10)).isoformat(),
            "send_window": "00:00-23:59",
            "weekdays": "mon-sun",
            "reminders": {"count": 1, "every": ["2h"], "to": ["not_started"]},
            "invitation_text": "Would you join a three-minute chat about yesterday?",
        }
    )
    ops = WaveOps(store, queue, runtime.engine.flows, tenv.settings.data_dir / "transcripts")
    try:
        await ops.create(spec)
        await ops.start("teams-rehearsal")
        for _ in range(300):
            if len(_invitations(tenv)) == len(PEOPLE):
                break
            await asyncio.sleep(0.1)
        invitations = _invitations(tenv)
        assert len(invitations) == len(PEOPLE)
        assert set(invitations.values()) == {"Would you join a three-minute chat about yesterday?"}

        closes_real = real_start + (spec.closes_at.timestamp() - clock_start) / SPEED
        while time.time() < closes_real + 15 and await store.state("teams-rehearsal") is not WaveState.CLOSED:
            await asyncio.sleep(0.2)
        assert await store.state("teams-rehearsal") is WaveState.CLOSED
        await asyncio.sleep(1.0)  # the close job's last messages

        funnel = await store.funnel("teams-rehearsal")
        assert funnel.counts["invited"] == len(PEOPLE) and funnel.counts["expired"] == len(PEOPLE)
        sent = [json.dumps(call.body) for call in tenv.teams.calls() if call.method in ("send", "reply")]
        reminded = [body for body in sent if "A gentle reminder" in body]
        assert len(reminded) == len(PEOPLE)  # one each
        sent_cards = "".join(sent)
        assert tenv.texts().count(texts.WAVE_CLOSED) == len(PEOPLE)
        # Exactly one invitation per person, whatever the top-up ticks did.
        assert sum("Don't ask me again" in body for body in sent) == len(PEOPLE)
        assert "Traceback" not in sent_cards
    finally:
        await worker.stop()
        await asyncio.wait_for(running, 30)
        await queue.disconnect()
