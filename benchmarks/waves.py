"""A 10,000-person wave against enforced Slack limits: how close real workers get to what the limits allow.

Usage: python -m benchmarks.waves [--people N] [--scale S] [--workers W] [--concurrency C] [--margin M] [--json FILE]

Method. This process starts a Redis server and the Slack stand-in (``tests/slack_standin.py``) with N users
in one workspace. The stand-in enforces Slack's limits on the methods an invitation uses, answering 429 with
Retry-After: conversations.open (Tier 3, 50 a minute), chat.postMessage (one a second per channel, and a
workspace-wide cap of 100 a minute, the figure Candor assumes since Slack publishes none) and users.info for
planning. Real limits would make 10,000 invitations take 200 minutes, so every limit runs ``--scale`` times
faster: the stand-in's windows are a minute (or second) divided by the scale, and Candor's own limits
(``CANDOR_RATE_LIMITS``) are multiplied by it. Wave time runs at the same scale (``CANDOR_WAVE_CLOCK``), so
the wave's one-hour spread of first invitations keeps its real proportion to the rate-limited sending time
(1 h against 200 min); on the wall clock the spread alone would pace the run. users.info gets ten times its
Tier 4 limit, or planning would take half as long as inviting.

The wave (every participant from a CSV, sent 00:00-23:59 every day, no reminders, no quotas, do-not-disturb
ignored) is created and started through ``WaveOps`` and run by ``--workers`` real ``candor worker``
processes. Measured from the stand-in's call times: planning (first to last users.info), the invitation
phase (first to last invitation), its minimum under the enforced limits, duplicates, and 429 responses;
from Redis and /proc: commands per invitation and the workers' CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from adapters.service import open_service
from adapters.slack.config import SlackSettings
from adapters.wave_ops import WaveOps
from adapters.worker import job_queue
from benchmarks.engine import start_server
from benchmarks.machine import machine
from bot.config import Settings
from bot.state.crypto import new_entry
from bot.waves.ratelimit import Limits
from bot.waves.spec import WaveSpec
from bot.waves.store import WaveStore
from tests.processes import stop
from tests.slack_standin import SlackStandIn, dm_channel_id

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ROOT / "tests" / "data" / "wave-flows"
TEAM = "T0001"
TOKEN = "xoxb-bench-token"
SECRET = "bench-signing-secret"
PREFIX = "bench"
WAVE = "bench"
INVITATION_EVENT = "candor_invitation"
STALL_SECONDS = 90.0  # no new invitation for this long: the run is over, finished or not

# Slack's published figures (per minute unless said), enforced by the stand-in at --scale.
CONVERSATIONS_OPEN_PER_MIN = 50  # Tier 3
POST_PER_CHANNEL_PER_S = 1  # special tier, per channel
POST_WORKSPACE_PER_MIN = 100  # unpublished: Candor's conservative default
USERS_INFO_PER_MIN = 1000  # ten times Tier 4, so planning does not dominate (said in the output)
# Candor's bursts (Limits defaults), kept: a burst is a count, not a rate.
BURSTS = {"slack_conversations_open": 5, "slack_post_message_channel": 3, "slack_post_message_workspace": 10}

# Targets from the issue.
MAX_RATIO = 1.10
MAX_429_SHARE = 0.01


@dataclass
class Report:
    people: int
    scale: float
    workers: int
    concurrency: int
    margin: float
    plan_seconds: float
    start_to_first_invitation: float
    invitations: int
    invited_people: int
    duplicates: int
    invite_seconds: float
    minimum_seconds: float
    candor_minimum_seconds: float
    ratio: float
    calls: dict[str, int]
    responses_429: dict[str, int]
    responses_429_first_window: int
    share_429: float
    redis_commands_per_invitation: float
    worker_cpu_seconds: float
    worker_cpu_ms_per_invitation: float
    redis_cpu_seconds: float
    machine: str
    python: str


def sliding_minimum(n: int, count: int, window: float) -> float:
    """First to last of n requests when at most ``count`` fit in any sliding ``window``: full windows back to back."""
    return max(0, math.ceil(n / count) - 1) * window


def rate_limits(scale: float, margin: float = 0.0) -> str:
    """CANDOR_RATE_LIMITS: Candor's own default limits (``Limits()``), times the scale, less any extra margin."""
    scale = scale * (1.0 - margin)
    defaults = Limits()
    per_min = {
        "slack_conversations_open": defaults.slack_conversations_open.rate * 60,
        "slack_post_message_channel": defaults.slack_post_message_channel.rate * 60,
        "slack_post_message_workspace": defaults.slack_post_message_workspace.rate * 60,
    }
    parts = [f"{name}={rate * scale:g}/min burst {BURSTS[name]}" for name, rate in per_min.items()]
    parts.append(f"slack_users_info={USERS_INFO_PER_MIN * scale:g}/min burst 10")
    return "; ".join(parts)


def stand_in(people: int, scale: float) -> SlackStandIn:
    slack = SlackStandIn()
    slack.add_workspace(TEAM, TOKEN)
    for n in range(people):
        slack.add_user(user(n), real_name=f"Person {n}", tz="UTC", team_id=TEAM)
    slack.limit("conversations.open", per_minute=CONVERSATIONS_OPEN_PER_MIN, speed=scale)
    slack.limit("chat.postMessage", per_second=POST_PER_CHANNEL_PER_S, per_channel=True, speed=scale)
    slack.limit("chat.postMessage", per_minute=POST_WORKSPACE_PER_MIN, speed=scale)
    slack.limit("users.info", per_minute=USERS_INFO_PER_MIN, speed=scale)
    return slack


def user(n: int) -> str:
    return f"UB{n:05d}"


def write_people(path: Path, people: int) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user", "team"])
        for n in range(people):
            writer.writerow([user(n), f"team-{n % 10}"])


def wave_spec(people_csv: Path, opens: datetime) -> WaveSpec:
    return WaveSpec.model_validate(
        {
            "id": WAVE,
            "flow": "quick-chat",
            "platform": "slack",
            "workspace": TEAM,
            "participants": {"csv": str(people_csv)},
            "opens_at": opens.isoformat(),
            "closes_at": (opens + timedelta(days=7)).isoformat(),
            "send_window": "00:00-23:59",
            "weekdays": "mon-sun",
            "respect_dnd": False,
            "reminders": {"count": 0},
        }
    )


def worker_env(redis_url: str, data_dir: Path, slack: SlackStandIn, keys: str, clock: str, args: Any) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "TEAMS_", "ANTHROPIC_"))}
    env.update(
        REDIS_URL=redis_url,
        CANDOR_REDIS_PREFIX=PREFIX,
        CANDOR_DATA_DIR=str(data_dir),
        CANDOR_PSEUDONYM_KEY="bench-key",
        CANDOR_ENCRYPTION_KEYS=keys,
        CANDOR_FLOWS_DIR=str(FLOWS),
        CANDOR_WAVE_CLOCK=clock,
        CANDOR_WORKER_CONCURRENCY=str(args.concurrency),
        CANDOR_RATE_LIMITS=rate_limits(args.scale, args.margin),
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_BASE_URL=slack.base_url,
    )
    return env


def invitations(slack: SlackStandIn) -> list[tuple[str, float]]:
    """(channel, time) of every invitation Slack accepted, recognised by its message metadata."""
    found = []
    for call in slack.calls("chat.postMessage"):
        metadata = call.args.get("metadata")
        ours = isinstance(metadata, dict) and metadata.get("event_type") == INVITATION_EVENT
        if ours and call.status == 200 and call.response and call.response.get("ok"):
            found.append((str(call.args["channel"]), call.at))
    return found


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process, from /proc (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_figures(client: redis.Redis) -> tuple[int, float]:
    """Commands processed so far, and the server's CPU seconds."""
    stats: dict[str, Any] = client.info("stats")
    cpu: dict[str, Any] = client.info("cpu")
    return int(stats["total_commands_processed"]), float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


async def open_ops(redis_url: str, workdir: Path, keys: str, slack: SlackStandIn) -> tuple[Any, WaveOps, Any]:
    """The service side research ops use to create and start a wave (no web server needed)."""
    settings = Settings(
        redis_url=redis_url,
        data_dir=workdir / "serve",
        redis_prefix=PREFIX,
        pseudonym_key="bench-key",
        encryption_keys=keys,
        flows_dir=FLOWS,
        default_flow="quick-chat",
    )
    slack_config = SlackSettings(signing_secret=SECRET, bot_token=TOKEN, api_base_url=slack.base_url)
    service = await open_service(settings, slack_config)
    runtime = service.runtime
    store = WaveStore(runtime.client, PREFIX, runtime.engine.store.keyring)
    queue = job_queue(runtime.connect_url, PREFIX)
    return service, WaveOps(store, queue, runtime.engine.flows, workdir / "serve" / "transcripts"), queue


async def drive(args: argparse.Namespace, redis_url: str, workdir: Path) -> Report:
    keys = new_entry()
    people_csv = workdir / "people.csv"
    write_people(people_csv, args.people)
    counter = redis.Redis.from_url(redis_url)
    with stand_in(args.people, args.scale) as slack:
        service, ops, queue = await open_ops(redis_url, workdir, keys, slack)
        now = time.time()
        # Wave time starts at 01:00 UTC today and runs --scale times faster than the wall clock.
        wave_start = datetime.fromtimestamp(now, UTC).replace(hour=1, minute=0, second=0, microsecond=0)
        clock = f"{wave_start.timestamp()},{now},{args.scale}"
        env = worker_env(redis_url, workdir / "worker", slack, keys, clock, args)
        log = open(workdir / "workers.log", "ab")  # noqa: SIM115 - closed in finally
        command = [sys.executable, "-m", "adapters.cli", "worker"]
        workers = [subprocess.Popen(command, env=env, cwd=ROOT, stderr=log) for _ in range(args.workers)]
        try:
            await asyncio.sleep(4)  # the workers' start-up
            await ops.create(wave_spec(people_csv, wave_start - timedelta(minutes=1)))
            started = time.time()
            await ops.start(WAVE)
            commands_at_first, cpu_at_first, redis_cpu_at_first = await wait_for_first(slack, workers, counter)
            found = await wait_for_all(slack, args.people)
            commands, redis_cpu = redis_figures(counter)
            cpu = sum(cpu_seconds(w.pid) for w in workers)
        finally:
            stop(workers, 30)
            log.close()
            await queue.disconnect()
            await service.close()
            counter.close()
        usage = (commands - commands_at_first, cpu - cpu_at_first, redis_cpu - redis_cpu_at_first)
        return summarise(args, slack, found, started, usage)


async def wait_for_first(
    slack: SlackStandIn, workers: list[subprocess.Popen[bytes]], counter: redis.Redis
) -> tuple[int, float, float]:
    """Once the first invitation is out: Redis commands, worker CPU and Redis CPU so far (planning's share)."""
    deadline = time.time() + 1800
    while time.time() < deadline:
        if any(w.poll() is not None for w in workers):
            raise SystemExit("a worker exited early: see workers.log")
        if slack.call_count("chat.postMessage"):
            commands, redis_cpu = redis_figures(counter)
            return commands, sum(cpu_seconds(w.pid) for w in workers), redis_cpu
        await asyncio.sleep(0.2)
    raise SystemExit("no invitation within 30 minutes")


async def wait_for_all(slack: SlackStandIn, people: int) -> list[tuple[str, float]]:
    """Until everyone is invited, or nobody new was for a while.

    Polls a counter, not the recorded calls: scanning them holds the GIL the stand-in's thread needs to
    time each arrival. (Measured, it did not change the 429s; it is still load the run should not carry.)
    """
    last_change, seen = time.time(), 0
    while seen < people and time.time() - last_change < STALL_SECONDS:
        await asyncio.sleep(1.0)
        posted = slack.call_count("chat.postMessage")
        if posted != seen:
            last_change, seen = time.time(), posted
    await asyncio.sleep(2.0)  # a duplicate would come late
    return invitations(slack)


def summarise(
    args: argparse.Namespace,
    slack: SlackStandIn,
    found: list[tuple[str, float]],
    started: float,
    usage: tuple[int, float, float],
) -> Report:
    """The figures; ``usage`` is the invitation phase's Redis commands, worker CPU and Redis CPU."""
    n, scale = args.people, args.scale
    commands, cpu, redis_cpu = usage
    lookups = [call.at for call in slack.calls("users.info")]
    times = sorted(at for _, at in found)
    per_channel = Counter(channel for channel, _ in found)
    owners = {dm_channel_id(user(i)) for i in range(n)}
    limited = ("conversations.open", "chat.postMessage")
    calls = {method: len(slack.calls(method)) for method in (*limited, "users.info")}
    refused = {method: slack.rate_limited(method) for method in (*limited, "users.info")}
    minimum = max(
        sliding_minimum(n, CONVERSATIONS_OPEN_PER_MIN, 60 / scale),
        sliding_minimum(n, POST_WORKSPACE_PER_MIN, 60 / scale),
    )
    candor_rate = Limits().slack_conversations_open.rate * scale * (1.0 - args.margin)
    candor_minimum = (n - BURSTS["slack_conversations_open"]) / candor_rate
    span = times[-1] - times[0] if times else 0.0
    opens = slack.calls("conversations.open")
    # The first enforced window, where Candor's burst of 5 meets the stand-in's window of 50.
    early = sum(call.status == 429 and call.at < opens[0].at + 60 / scale for call in opens) if opens else 0
    invited = len(per_channel.keys() & owners)
    return Report(
        people=n,
        scale=scale,
        workers=args.workers,
        concurrency=args.concurrency,
        margin=args.margin,
        plan_seconds=round(max(lookups) - min(lookups), 1) if lookups else 0.0,
        start_to_first_invitation=round(times[0] - started, 1) if times else 0.0,
        invitations=len(found),
        invited_people=invited,
        duplicates=sum(count - 1 for count in per_channel.values() if count > 1),
        invite_seconds=round(span, 1),
        minimum_seconds=round(minimum, 1),
        candor_minimum_seconds=round(candor_minimum, 1),
        ratio=round(span / minimum, 3) if minimum else 0.0,
        calls=calls,
        responses_429=refused,
        responses_429_first_window=early,
        share_429=round(sum(refused[m] for m in limited) / max(1, sum(calls[m] for m in limited)), 5),
        redis_commands_per_invitation=round(commands / max(1, len(found)), 1),
        worker_cpu_seconds=round(cpu, 1),
        worker_cpu_ms_per_invitation=round(1000 * cpu / max(1, len(found)), 2),
        redis_cpu_seconds=round(redis_cpu, 1),
        machine=machine(),
        python=platform.python_version(),
    )


def print_table(report: Report) -> None:
    scale = report.scale
    print(f"\nWave of {report.people:,} people, {report.workers} worker(s) x {report.concurrency} jobs")
    print(f"Time scale: every enforced limit and Candor's limits x {scale:g}; wave time x {scale:g}")
    if report.margin:
        print(f"Candor's limits are {100 * report.margin:g} % below the enforced ones")
    print(
        f"Enforced: conversations.open {CONVERSATIONS_OPEN_PER_MIN}/min, chat.postMessage "
        f"{POST_PER_CHANNEL_PER_S}/s per channel and {POST_WORKSPACE_PER_MIN}/min per workspace, "
        f"users.info {USERS_INFO_PER_MIN}/min (10x Tier 4, so planning does not dominate); all x {scale:g}"
    )
    rows = [
        ("planning (first to last users.info)", f"{report.plan_seconds:.1f} s"),
        ("start to first invitation", f"{report.start_to_first_invitation:.1f} s"),
        ("invitations sent / people invited", f"{report.invitations:,} / {report.invited_people:,}"),
        ("first to last invitation", f"{report.invite_seconds:.1f} s"),
        ("minimum under the enforced limits", f"{report.minimum_seconds:.1f} s"),
        ("minimum under Candor's limits (burst 5)", f"{report.candor_minimum_seconds:.1f} s"),
        ("actual / minimum", f"{report.ratio:.3f}  (target <= {MAX_RATIO:.2f})"),
        ("duplicates", f"{report.duplicates}  (target 0)"),
        ("429 share (conversations.open + chat.postMessage)", f"{100 * report.share_429:.2f} %  (target < 1 %)"),
        ("Redis commands per invitation (invitation phase)", f"{report.redis_commands_per_invitation:.1f}"),
        ("worker CPU, invitation phase", f"{report.worker_cpu_seconds:.1f} s"),
        ("worker CPU per invitation", f"{report.worker_cpu_ms_per_invitation:.2f} ms"),
        ("Redis CPU, invitation phase", f"{report.redis_cpu_seconds:.1f} s"),
    ]
    rows.append(("429s in the first enforced window", f"{report.responses_429_first_window}"))
    for method, count in report.calls.items():
        rows.append((f"{method} calls / 429", f"{count:,} / {report.responses_429[method]:,}"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"\nMachine: {report.machine}, Python {report.python}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--scale", type=float, default=60.0, help="run every rate limit this many times faster")
    parser.add_argument("--workers", type=int, default=2, help="candor worker processes")
    parser.add_argument("--concurrency", type=int, default=10, help="CANDOR_WORKER_CONCURRENCY (Candor's default)")
    parser.add_argument(
        "--margin", type=float, default=0.0, help="set Candor's limits this fraction below the enforced ones (0.02)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    server, url = start_server(None)
    try:
        with tempfile.TemporaryDirectory(prefix="candor-waves-") as workdir:
            report = asyncio.run(drive(args, url, Path(workdir)))
    finally:
        server.terminate()
        server.wait(10)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n")


if __name__ == "__main__":
    main()
