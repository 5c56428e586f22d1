"""Engine throughput, latency, Redis round trips and memory per interview, on a real Redis server.

Usage: python -m benchmarks.engine [--json FILE] [--redis-url URL] [--quick]

The engine runs with the scripted interviewer and the answer window off, in this process pinned
to one core; the Redis server it starts (unless --redis-url is given) is pinned to another.
"Concurrent interviews" is how many interviews are live in Redis and being answered; at most
``--in-flight`` turns are awaited at once, so latency is the engine's, not an event-loop queue's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import Connection

from bot.delivery import FileSink, dataset_text
from bot.engine import EngineOptions, InterviewEngine
from bot.flows import Flow, FlowRegistry, packaged_flows_dir
from bot.interviewers import ScriptedInterviewer
from bot.state import RedisStateStore
from bot.state.crypto import Keyring
from bot.state.embedded import redis_server_binary
from bot.types import Inbound, Participant, Platform

REFERENCE = Path(__file__).resolve().parent.parent / "tests" / "data" / "reference"


class CountingConnection(Connection):
    """Counts what is written to Redis: one send is one round trip (a pipeline sends once)."""

    sends = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sends += 1
        await super().send_packed_command(command, check_health)


def answers() -> list[str]:
    found = []
    for path in sorted(REFERENCE.glob("*.txt")):
        for turn in re.split(r"\n\s*\n(?=(?:AI|User|Assistant):)", path.read_text().strip()):
            if turn.startswith("User:") and len(turn) > 60:
                found.append(turn.removeprefix("User:").strip())
    return found


def bench_flow() -> Flow:
    """The shipped ai-at-work flow (real introduction and question lengths), stretched to 60 questions
    so that interviews stay in progress for the whole run."""
    real = FlowRegistry.from_dirs([packaged_flows_dir()]).get("ai-at-work")
    questions = tuple(
        q.model_copy(update={"id": f"{q.id}_{i}", "follow_ups": 1}) for i in range(9) for q in real.questions
    )[:60]
    return real.model_copy(
        update={"id": "bench", "questions": questions, "time_budget_minutes": 240, "transcript_prefix": "bench"}
    )


@dataclass
class Result:
    interviews: int
    in_flight: int
    turns: int
    seconds: float
    turns_per_second: float
    turns_per_cpu_second: float
    p50_ms: float
    p99_ms: float
    round_trips_per_turn: float


def start_server(core: int | None) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return process, f"redis://127.0.0.1:{port}/0"


async def build_engine(url: str, workdir: Path, prefix: str) -> InterviewEngine:
    pool = aioredis.BlockingConnectionPool.from_url(url, connection_class=CountingConnection, max_connections=64)
    client = aioredis.Redis(connection_pool=pool)
    # Encrypted as in production, with a key id as long as `candor keys generate` makes.
    store = RedisStateStore(client, prefix=prefix, ttl_seconds=86400, url_for_errors=url, keyring=Keyring.generate())
    return InterviewEngine(
        flows=FlowRegistry([bench_flow()]),
        store=store,
        interviewer=ScriptedInterviewer(),
        sinks=[FileSink(workdir)],
        secret=b"bench",
        options=EngineOptions(default_flow="bench"),
    )


def participant(i: int) -> Participant:
    return Participant(Platform.SLACK, "T0BENCH", f"U{i:09d}")


# Each interview slot takes this many answers, then a new participant takes the slot over (with
# "hello" and "yes" turns of their own), so no interview ever reaches its end during a run.
ANSWERS_PER_INTERVIEW = 40


async def run(engine: InterviewEngine, interviews: int, turns: int, in_flight: int, texts: list[str]) -> Result:
    counter = iter(range(10**9))
    sent = [2] * interviews  # messages sent in each slot's current interview ("hello", "yes" done below)
    generation = [0] * interviews

    def event_id() -> str:
        return f"Ev{next(counter):09d}"

    def next_message(n: int) -> Inbound:
        slot = n % interviews
        if sent[slot] >= ANSWERS_PER_INTERVIEW + 2:
            sent[slot], generation[slot] = 0, generation[slot] + 1
        step = sent[slot]
        sent[slot] += 1
        text = ("hello", "yes")[step] if step < 2 else texts[n % len(texts)]
        return Inbound(participant(slot + generation[slot] * interviews), text, event_id())

    async def setup(i: int) -> None:
        await engine.handle(Inbound(participant(i), "hello", event_id()))
        await engine.handle(Inbound(participant(i), "yes", event_id()))

    for start in range(0, interviews, 500):
        await asyncio.gather(*(setup(i) for i in range(start, min(start + 500, interviews))))
    latencies: list[float] = []
    queue = iter(range(turns))

    async def worker() -> None:
        for n in queue:
            message = next_message(n)
            began = time.perf_counter()
            await engine.handle(message)
            latencies.append(time.perf_counter() - began)

    sends, cpu, wall = CountingConnection.sends, time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    completed = await engine.store.counts("bench", "completed")
    if completed:
        raise RuntimeError(f"{completed} interviews completed during the run; the figures would be wrong")
    latencies.sort()
    return Result(
        interviews=interviews,
        in_flight=in_flight,
        turns=turns,
        seconds=round(wall, 3),
        turns_per_second=round(turns / wall),
        turns_per_cpu_second=round(turns / cpu),
        p50_ms=round(statistics.median(latencies) * 1000, 3),
        p99_ms=round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
        round_trips_per_turn=round((CountingConnection.sends - sends) / turns, 3),
    )


async def memory(url: str, workdir: Path, texts: list[str], points: tuple[int, ...]) -> list[dict[str, float]]:
    """Redis bytes per in-progress interview against its transcript text, after N answers."""
    engine = await build_engine(url, workdir, f"benchmem-{os.getpid()}")
    client, prefix, sample = engine.store.client, engine.store.prefix, 200
    for i in range(sample):
        await engine.handle(Inbound(participant(i), "hello", f"Ev{i:06d}a"))
        await engine.handle(Inbound(participant(i), "yes", f"Ev{i:06d}b"))
    rows, answered = [], 0
    for point in points:
        for n in range(answered, point):
            for i in range(sample):
                text = texts[(i + n) % len(texts)]
                await engine.handle(Inbound(participant(i), text, f"Ev{i:06d}{n:03d}"))
        answered = point
        used, text_bytes = 0, 0
        for i in range(sample):
            key = engine.key_for(participant(i))
            for name in (f"{prefix}:iv:{key}", f"{prefix}:iv:{key}:t"):
                used += int(await client.memory_usage(name, samples=0) or 0)
            text_bytes += len(dataset_text(await engine.store.turns(key)).encode())
        rows.append(
            {
                "answers": point,
                "redis_bytes": round(used / sample),
                "transcript_bytes": round(text_bytes / sample),
                "ratio": round(used / text_bytes, 3),
            }
        )
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    for start in range(0, len(keys), 500):
        await client.delete(*keys[start : start + 500])
    await client.aclose()
    return rows


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    texts = answers()
    process = None
    url = args.redis_url
    if url is None:
        process, url = start_server(1 if os.cpu_count() and os.cpu_count() > 1 else None)  # type: ignore[operator]
    results: list[Result] = []
    mem: list[dict[str, float]] = []
    try:
        scale = 0.1 if args.quick else 1.0
        plan = [(1, 1, 3000), (100, args.in_flight, 20000), (10000, args.in_flight, 40000)]
        with tempfile.TemporaryDirectory() as workdir:
            for index, (interviews, in_flight, turns) in enumerate(plan):
                interviews = max(1, int(interviews * scale)) if interviews > 1 else 1
                engine = await build_engine(url, Path(workdir) / str(index), f"bench{index}-{os.getpid()}")
                results.append(await run(engine, interviews, max(100, int(turns * scale)), in_flight, texts))
                keys = [key async for key in engine.store.client.scan_iter(f"{engine.store.prefix}:*")]
                for start in range(0, len(keys), 500):
                    await engine.store.client.delete(*keys[start : start + 500])
                await engine.store.client.aclose()
            mem = await memory(url, Path(workdir), texts, (1, 3, 6, 10, 15))
    finally:
        if process is not None:
            process.terminate()
            process.wait()
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": _cpu_model(),
        },
        "results": [asdict(r) for r in results],
        "memory": mem,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def print_table(report: dict[str, Any]) -> None:
    print(
        f"machine: {report['machine']['processor']}, {report['machine']['cpus']} cores, "
        f"Python {report['machine']['python']}"
    )
    print(
        f"{'interviews':>10} {'in flight':>9} {'turns':>7} {'turns/s':>8} {'turns/cpu-s':>11} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'RTT/turn':>8}"
    )
    for r in report["results"]:
        print(
            f"{r['interviews']:>10} {r['in_flight']:>9} {r['turns']:>7} {r['turns_per_second']:>8} "
            f"{r['turns_per_cpu_second']:>11} {r['p50_ms']:>7} {r['p99_ms']:>7} {r['round_trips_per_turn']:>8}"
        )
    print("\nRedis memory per in-progress interview (200 interviews, real answers from tests/data/reference):")
    print(f"{'answers':>7} {'Redis bytes':>11} {'transcript bytes':>16} {'ratio':>6}")
    for m in report["memory"]:
        print(f"{m['answers']:>7} {m['redis_bytes']:>11} {m['transcript_bytes']:>16} {m['ratio']:>6}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--redis-url", help="use this Redis instead of starting one (it is not flushed)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the work, for a smoke run")
    parser.add_argument("--in-flight", type=int, default=8, help="turns awaited at once (default 8)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})  # the engine gets one core; Redis gets the other
    report = asyncio.run(main_async(args))
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
