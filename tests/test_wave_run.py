"""A 300-person wave across four time zones, on a rehearsal clock, with real `candor worker` processes.

Wave time runs 1,800 times faster than the wall clock: the 26-hour wave takes about 52 seconds.
Participants are simulated through the Slack stand-in and `candor serve`'s real event handling:
half of those invited complete, a quarter decline, a quarter never answer. One worker is killed
without warning mid-wave. Checked: one invitation per person at most, each inside the person's
local window, quotas respected, reminders only to those who had not started, the funnel right,
and every delivered transcript linked to its member's stratum.
"""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from adapters.wave_ops import WaveOps
from adapters.worker import job_queue
from bot.state.crypto import new_entry
from bot.waves.spec import WaveSpec
from bot.waves.store import WaveState, WaveStore
from tests.conftest import DATA, ROOT
from tests.processes import stop
from tests.slack_harness import SECRET, TEAM, TOKEN, SlackEnv, candor_settings, close_env, open_env, slack_settings
from tests.slack_standin import SlackStandIn, dm_channel_id

REGIONS = {
    "amer": "America/Los_Angeles",
    "emea": "Europe/Berlin",
    "india": "Asia/Kolkata",
    "apac": "Australia/Sydney",
}
PEOPLE = 300
QUOTA = 8
SPEED = 1800.0
OPENS = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # a Monday
# Everyone in Berlin is in do-not-disturb until noon local time on the Monday.
DND_ENDS = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)
CLOSES = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
WINDOW = (9, 17)


def _user(number: int) -> str:
    return f"UW{number:04d}"


def _region(number: int) -> str:
    return list(REGIONS)[number % 4]


def _persona(number: int) -> str:
    return ("complete", "complete", "decline", "ignore")[(number // 4) % 4]


class Participants:
    """Answers invitations the way the persona says, through Slack events to `candor serve`."""

    def __init__(self, env: SlackEnv) -> None:
        self.env = env
        self.handled: set[str] = set()
        self.consented_at: dict[str, float] = {}
        self.completed_at: dict[str, float] = {}

    def invitations(self) -> list[tuple[str, float]]:
        owners = {dm_channel_id(_user(n)): _user(n) for n in range(PEOPLE)}
        found = []
        for call in self.env.slack.calls("chat.postMessage"):
            metadata = call.args.get("metadata")
            ours = isinstance(metadata, dict) and metadata.get("event_type") == "candor_invitation"
            if ours and call.response and call.response.get("ok"):
                found.append((owners[call.args["channel"]], call.at))
        return found

    def reminders(self) -> list[tuple[str, float]]:
        owners = {dm_channel_id(_user(n)): _user(n) for n in range(PEOPLE)}
        return [
            (owners[call.args["channel"]], call.at)
            for call in self.env.slack.calls("chat.postMessage")
            if "gentle reminder" in str(call.args.get("text", "")) and call.args.get("channel") in owners
        ]

    async def answer_new(self) -> None:
        for user, _ in self.invitations():
            if user in self.handled:
                continue
            self.handled.add(user)
            persona = _persona(int(user[2:]))
            if persona == "decline":
                await self.env.say(user, "not now")
            elif persona == "complete":
                await self.env.say(user, "start")
                await self.env.say(user, "yes")
                self.consented_at[user] = time.time()
                await self.env.say(user, "Mostly a long planning session and two customer calls.")
                await self.env.say(user, "no, that's all")
                self.completed_at[user] = time.time()


def _worker_env(
    redis_url: str, prefix: str, data_dir: Path, slack: SlackStandIn, keys: str, clock: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "TEAMS_", "ANTHROPIC_"))}
    env.update(
        REDIS_URL=redis_url,
        CANDOR_REDIS_PREFIX=prefix,
        CANDOR_DATA_DIR=str(data_dir),
        CANDOR_PSEUDONYM_KEY="test-key",
        CANDOR_ENCRYPTION_KEYS=keys,
        CANDOR_FLOWS_DIR=str(DATA / "wave-flows"),
        CANDOR_WAVE_CLOCK=clock,
        CANDOR_WAVE_TOP_UP_SECONDS="1",
        CANDOR_WORKER_CONCURRENCY="20",
        CANDOR_RATE_LIMITS=(
            "slack_conversations_open=6000/min burst 50; slack_post_message_workspace=6000/min burst 50; "
            "slack_users_info=6000/min burst 50"
        ),
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=slack.base_url,
    )
    return env


def _local_ok(user: str, real_at: float, clock: tuple[float, float]) -> bool:
    wave_start, real_start = clock
    wave_at = wave_start + (real_at - real_start) * SPEED
    local = datetime.fromtimestamp(wave_at, ZoneInfo(REGIONS[_region(int(user[2:]))]))
    minutes = local.hour * 60 + local.minute
    slack = 40  # wave minutes of tolerance for the real seconds between a job's start and the post
    return local.weekday() < 5 and WINDOW[0] * 60 - slack <= minutes <= WINDOW[1] * 60 + slack


async def test_a_wave_of_300_across_four_time_zones(redis_url: str, tmp_path: Path) -> None:
    keys = new_entry()
    people = tmp_path / "people.csv"
    with open(people, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", "region"])
        for n in range(PEOPLE):
            writer.writerow([_user(n), _region(n)])
    with SlackStandIn() as slack:
        slack.add_workspace(TEAM, TOKEN)
        for n in range(PEOPLE):
            slack.add_user(_user(n), real_name=f"Person {n}", tz=REGIONS[_region(n)], team_id=TEAM)
        settings = candor_settings(
            redis_url,
            tmp_path / "serve",
            encryption_keys=keys,
            flows_dir=DATA / "wave-flows",
            default_flow="quick-chat",
        )
        env = await open_env(slack, settings, slack_settings(slack))
        prefix = settings.redis_prefix
        store = WaveStore(env.service.runtime.client, prefix, env.service.runtime.engine.store.keyring)
        queue = job_queue(env.service.runtime.connect_url, prefix)
        ops = WaveOps(store, queue, env.service.runtime.engine.flows, tmp_path / "serve" / "transcripts")
        spec = WaveSpec.model_validate(
            {
                "id": "rehearsal",
                "flow": "quick-chat",
                "platform": "slack",
                "workspace": TEAM,
                "participants": {"csv": str(people)},
                "quotas": {"by": "region", "per_stratum": QUOTA, "oversample": 2.0, "patience": "1h"},
                "opens_at": OPENS.isoformat(),
                "closes_at": CLOSES.isoformat(),
                "send_window": "09:00-17:00",
                "reminders": {"count": 1, "every": ["3h"], "to": ["not_started"]},
            }
        )
        real_start = time.time() + 4  # the workers' start-up
        wave_start = OPENS.timestamp() - 600
        dnd_real = int(real_start + (DND_ENDS.timestamp() - wave_start) / SPEED)  # Slack gives whole seconds
        for n in range(PEOPLE):
            if _region(n) == "emea":
                slack.set_dnd(_user(n), snooze_end=dnd_real)  # Slack speaks wall-clock time
        clock = f"{wave_start},{real_start},{SPEED}"
        worker_env = _worker_env(redis_url, prefix, tmp_path / "worker", slack, keys, clock)
        log = open(tmp_path / "workers.log", "ab")  # noqa: SIM115 - closed in finally; read it when this fails
        workers = [
            subprocess.Popen([sys.executable, "-m", "adapters.cli", "worker"], env=worker_env, cwd=ROOT, stderr=log)
            for _ in range(2)
        ]
        participants = Participants(env)
        killed = False
        try:
            await ops.create(spec)
            await ops.start("rehearsal")
            closes_real = real_start + (CLOSES.timestamp() - wave_start) / SPEED
            while time.time() < closes_real + 10:
                await participants.answer_new()
                if not killed and len(participants.invitations()) >= 30:
                    workers[0].send_signal(signal.SIGKILL)  # mid-wave, without warning
                    workers[0].wait(10)
                    workers[0] = subprocess.Popen(
                        [sys.executable, "-m", "adapters.cli", "worker"], env=worker_env, cwd=ROOT, stderr=log
                    )
                    killed = True
                if await store.state("rehearsal") is WaveState.CLOSED and time.time() > closes_real + 3:
                    break
                await asyncio.sleep(0.1)
            assert killed
            assert await store.state("rehearsal") is WaveState.CLOSED
            await _check(participants, store, (wave_start, real_start))
            await _check_links(participants, store, tmp_path / "serve" / "transcripts")
            berlin = [at for user, at in participants.invitations() if _region(int(user[2:])) == "emea"]
            assert berlin and min(berlin) >= dnd_real, "an invitation interrupted do-not-disturb"
        finally:
            stop(workers, 20)
            log.close()
            await queue.disconnect()
            await close_env(env)
            await env.service.close()


async def _check(participants: Participants, store: WaveStore, clock: tuple[float, float]) -> None:
    invited = participants.invitations()
    per_user = Counter(user for user, _ in invited)
    assert per_user and max(per_user.values()) == 1, "someone was invited twice"
    assert all(_local_ok(user, at, clock) for user, at in invited), "an invitation left its local window"
    per_region = Counter(_region(int(user[2:])) for user in per_user)
    assert set(per_region) == set(REGIONS)  # every time zone got its window

    completes = Counter(_region(int(u[2:])) for u in participants.completed_at)
    for region in REGIONS:
        assert completes[region] >= QUOTA, f"{region} did not fill its quota"
        filled = sorted(at for u, at in participants.completed_at.items() if _region(int(u[2:])) == region)[QUOTA - 1]
        late = [at for user, at in invited if _region(int(user[2:])) == region and at > filled + 1.0]
        assert not late, f"{region} was still invited after its quota filled"

    reminders = participants.reminders()
    reminded = Counter(user for user, _ in reminders)
    assert reminders and max(reminded.values()) == 1
    for user, at in reminders:
        assert participants.consented_at.get(user, float("inf")) > at, "a reminder went to someone who had started"

    funnel = await store.funnel("rehearsal")
    assert funnel.counts["eligible"] == PEOPLE
    assert funnel.counts["invited"] == len(per_user)
    assert funnel.counts["completed"] == len(participants.completed_at)
    declined = sum(_persona(int(user[2:])) == "decline" for user in per_user)
    assert funnel.counts["declined"] == declined
    ignored = sum(_persona(int(user[2:])) == "ignore" for user in per_user)
    assert funnel.counts["expired"] == ignored  # closed politely at the end
    assert sum(funnel.by_stratum[region]["completed"] for region in REGIONS) == funnel.counts["completed"]


async def _check_links(participants: Participants, store: WaveStore, transcripts: Path) -> None:
    """The delivered documents name no stratum; the wave's links give each one its member's region."""
    documents = [json.loads(path.read_text()) for path in transcripts.glob("*.json")]
    delivered = {document["transcript_id"] for document in documents if document.get("wave") == "rehearsal"}
    linked = await store.transcript_members("rehearsal")
    assert delivered and set(linked) == delivered
    assert Counter(state.stratum for state in linked.values()) == Counter(
        _region(int(user[2:])) for user in participants.completed_at
    )
