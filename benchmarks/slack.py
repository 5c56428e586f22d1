"""End-to-end Slack throughput and ack latency: Candor against a bare Bolt app, same load, same run.

Usage: python -m benchmarks.slack [--quick] [--json FILE] [--rounds N] [--users N] [--seconds S] [--rate R]

Method. The app under test runs in a subprocess pinned to core 0 (``benchmarks.slack_target``): (a) a bare
Bolt ``AsyncApp`` whose listener answers each DM with one ``chat.postMessage``, or (b) Candor's service as
``candor serve`` builds it, with the scripted interviewer and a real Redis server. This process, pinned to
core 1 with that Redis server, is the load generator and a minimal Slack Web API stand-in. Simulated users
send signed ``message.im`` events over HTTP, each user one at a time: the next event only once all the
replies expected for the previous one have reached the stand-in (Candor answers a user's first DM with two
messages, every later one with one; the bare app answers every event with one). Ack latency is the time to
the HTTP response; end to end is the time to the last expected ``chat.postMessage`` for that event. A reply
not there within 10 s is lost. Scenario 1 is a closed loop (maximum throughput); scenario 2 paces sends to
``--rate`` events/s in total. Both apps run in alternation (bare, candor, bare, ...) for ``--rounds``, each
run in a fresh subprocess after a warm-up that is not measured; the table shows medians over rounds and
the candor/bare ratio of each round.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import math
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl

import aiohttp
import redis
from aiohttp import web

from benchmarks import comparison
from benchmarks.slack_target import SECRET
from bot.state.embedded import redis_server_binary

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference"
TEAM = "T0001"
LOST_AFTER = 10.0  # seconds without all of an event's replies: the reply is lost
ANSWERS_PER_INTERVIEW = 20  # then a simulated user starts over as a new person, so no interview ends
STARTUP_TIMEOUT = 60.0
PACED_SHARE_REQUIRED = 0.95  # the paced scenario must reach this share of --rate to count as "at that rate"

# Targets from the issue.
MIN_THROUGHPUT_RATIO = 0.5
MAX_ACK_P99_MS = 50.0
MAX_ACK_P99_RATIO = 2.0


# -- what the simulated users send -------------------------------------------------------------------


def reference_answers() -> list[str]:
    """Participants' answers from the reference transcripts, without each file's first (consent) reply."""
    found: list[str] = []
    for path in sorted(REFERENCE.glob("*.txt")):
        turns = re.split(r"\n\s*\n(?=(?:AI|User|Assistant):)", path.read_text().strip())
        users = [turn.removeprefix("User:").strip() for turn in turns if turn.startswith("User:")]
        found.extend(text for text in users[1:] if text)
    if not found:
        raise SystemExit(f"no participant answers found in {REFERENCE}")
    return found


@dataclass(frozen=True)
class AppUnderTest:
    """An app and how many replies it posts per event: its first event of a user, and every later one."""

    name: str
    first_event_replies: int
    later_event_replies: int = 1


BARE = AppUnderTest("bare", first_event_replies=1)
CANDOR = AppUnderTest("candor", first_event_replies=2)  # introduction, then the consent question


@dataclass
class SimUser:
    """One simulated participant slot: "hello", "yes", then answers; a new person after enough answers."""

    tag: str
    slot: int
    app: AppUnderTest
    texts: list[str]
    generation: int = 0
    step: int = 0

    @property
    def suffix(self) -> str:
        return f"{self.tag}{self.slot:04d}X{self.generation:04d}"

    @property
    def user_id(self) -> str:
        return f"U{self.suffix}"

    @property
    def channel(self) -> str:
        return f"D{self.suffix}"

    def text(self) -> str:
        if self.step == 0:
            return "hello"
        if self.step == 1:
            return "yes"
        return self.texts[(self.slot * 7 + self.generation * 3 + self.step) % len(self.texts)]

    def expected_replies(self) -> int:
        return self.app.first_event_replies if self.step == 0 else self.app.later_event_replies

    def advance(self) -> None:
        self.step += 1
        if self.step >= ANSWERS_PER_INTERVIEW + 2:
            self.start_over()

    def start_over(self) -> None:
        """A new person (new user and DM channel): late replies to the old one cannot be mistaken for new ones."""
        self.generation += 1
        self.step = 0


_event_numbers = itertools.count()


def event_body(user: SimUser, text: str) -> bytes:
    number = next(_event_numbers)
    now = time.time()
    ts = f"{int(now)}.{number % 1_000_000:06d}"
    body = {
        "token": "x",
        "team_id": TEAM,
        "api_app_id": "A0APP",
        "type": "event_callback",
        "event_id": f"Ev{user.tag}{number:09d}",
        "event_time": int(now),
        "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": user.channel,
            "user": user.user_id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "client_msg_id": str(uuid.uuid4()),
        },
    }
    return json.dumps(body).encode()


def signed_headers(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": f"v0={digest}",
    }


# -- the Slack Web API stand-in --------------------------------------------------------------------------


@dataclass
class Expectation:
    remaining: int
    done: asyncio.Future[float]


class StandIn:
    """The Web API methods the two apps call; ``chat.postMessage`` tells the load generator a reply arrived."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.stray_posts = 0  # posts to a channel with no event waiting for a reply
        self._waiting: dict[str, Expectation] = {}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}/api/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def reset(self) -> None:
        self.calls.clear()
        self.stray_posts = 0
        self._waiting.clear()

    def expect(self, channel: str, replies: int) -> asyncio.Future[float]:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[channel] = Expectation(replies, done)
        return done

    def forget(self, channel: str) -> None:
        self._waiting.pop(channel, None)

    def _reply_arrived(self, channel: str) -> None:
        waiting = self._waiting.get(channel)
        if waiting is None or waiting.done.done():
            self.stray_posts += 1
            return
        waiting.remaining -= 1
        if waiting.remaining == 0:
            del self._waiting[channel]
            waiting.done.set_result(time.perf_counter())

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls[method] += 1
        fields = await _fields(request)
        channel = str(fields.get("channel", ""))
        if method == "chat.postMessage":
            self._reply_arrived(channel)
            return web.json_response({"ok": True, "channel": channel, "ts": self._next_ts()})
        if method in ("chat.update", "chat.delete"):
            return web.json_response({"ok": True, "channel": channel, "ts": str(fields.get("ts", ""))})
        if method == "users.info":
            return web.json_response({"ok": True, "user": _user(str(fields.get("user", "")))})
        if method == "conversations.open":
            user = str(fields.get("users", "")).split(",")[0]
            return web.json_response({"ok": True, "channel": {"id": "D" + user[1:]}})
        if method == "auth.test":
            return web.json_response(AUTH_TEST)
        if method == "views.publish":
            return web.json_response({"ok": True, "view": {"id": "V0001"}})
        return web.json_response({"ok": False, "error": "unknown_method"})


AUTH_TEST = {
    "ok": True,
    "url": "https://x.slack.com/",
    "team": "T",
    "user": "bot",
    "team_id": TEAM,
    "user_id": "U0BOT",
    "bot_id": "B0BOT",
}


def _user(user_id: str) -> dict[str, Any]:
    profile = {"display_name": "Some", "real_name": "Some Person"}
    return {"id": user_id, "name": "user", "real_name": "Some Person", "tz": "Europe/London", "profile": profile}


async def _fields(request: web.Request) -> dict[str, Any]:
    """Arguments from the query string and a JSON or form-encoded body."""
    fields: dict[str, Any] = dict(request.query)
    if not request.can_read_body:
        return fields
    raw = await request.read()
    if request.content_type == "application/json":
        parsed = json.loads(raw or b"{}")
        if isinstance(parsed, dict):
            fields.update(parsed)
    else:
        fields.update(parse_qsl(raw.decode(errors="replace")))
    return fields


# -- load ---------------------------------------------------------------------------------------------------


class Pacer:
    """Releases sends at a fixed total rate; a slot nobody is ready for is skipped, never caught up on."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = 0.0

    async def wait(self) -> None:
        now = time.perf_counter()
        slot = max(self.next, now)
        self.next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


@dataclass(frozen=True)
class Sample:
    sent: float  # perf_counter when the request went out
    ack: float  # seconds to the HTTP response
    e2e: float | None  # seconds to the last expected reply; None when lost or not acknowledged with 200
    status: int  # HTTP status; 0 when the request failed


@dataclass(frozen=True)
class Scenario:
    name: str
    users: int
    warmup: float
    seconds: float
    rate: float | None  # None: closed loop


@dataclass
class Figures:
    """One scenario of one run of one app."""

    events: int  # end-to-end completions in the measured window
    events_per_second: float
    sent_per_second: float
    ack_p50_ms: float
    ack_p99_ms: float
    e2e_p50_ms: float
    e2e_p99_ms: float
    lost: int  # over the whole scenario, warm-up and drain included
    non_200: int
    stray_posts: int
    target_cpu_percent: float
    generator_cpu_percent: float
    redis_cpu_percent: float
    api_calls: dict[str, int] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(len(ordered) * q) - 1))]


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, from /proc (0 where there is no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(target_pid: int, redis_pid: int) -> tuple[float, float, float]:
    return cpu_seconds(target_pid), time.process_time(), cpu_seconds(redis_pid)


class LoadGenerator:
    def __init__(self, session: aiohttp.ClientSession, standin: StandIn, texts: list[str]) -> None:
        self.session = session
        self.standin = standin
        self.texts = texts

    async def one_event(self, url: str, user: SimUser) -> Sample:
        body = event_body(user, user.text())
        headers = signed_headers(body)
        done = self.standin.expect(user.channel, user.expected_replies())
        sent = time.perf_counter()
        try:
            async with self.session.post(url, data=body, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        ack = time.perf_counter() - sent
        if status != 200:
            self.standin.forget(user.channel)
            return Sample(sent, ack, None, status)
        try:
            arrived = await asyncio.wait_for(done, timeout=max(0.0, LOST_AFTER - ack))
        except TimeoutError:
            self.standin.forget(user.channel)
            return Sample(sent, ack, None, status)
        return Sample(sent, ack, arrived - sent, status)

    async def user_loop(self, url: str, user: SimUser, end: float, pacer: Pacer | None, out: list[Sample]) -> None:
        while time.perf_counter() < end:
            if pacer is not None:
                await pacer.wait()
                if time.perf_counter() >= end:
                    return
            sample = await self.one_event(url, user)
            out.append(sample)
            if sample.e2e is None:
                user.start_over()
            else:
                user.advance()

    async def run(self, url: str, app: AppUnderTest, scenario: Scenario, tag: str, pids: tuple[int, int]) -> Figures:
        self.standin.reset()
        warm_end = time.perf_counter() + scenario.warmup
        end = warm_end + scenario.seconds
        pacer = Pacer(scenario.rate) if scenario.rate else None
        samples: list[Sample] = []
        users = [SimUser(tag, slot, app, self.texts) for slot in range(scenario.users)]
        cpu = asyncio.ensure_future(_cpu_over(pids, warm_end, end))
        loops = [asyncio.ensure_future(self.user_loop(url, user, end, pacer, samples)) for user in users]
        try:
            _, pending = await asyncio.wait(loops, timeout=scenario.warmup + scenario.seconds + LOST_AFTER + 15)
            if pending:
                raise RuntimeError(f"{len(pending)} simulated users did not finish in time")
            for loop in loops:
                loop.result()  # a failed user fails the run
            usage = await cpu
        finally:
            for task in (*loops, cpu):
                task.cancel()
            await asyncio.gather(*loops, cpu, return_exceptions=True)
        return summarize(samples, warm_end, end, usage, self.standin)


async def _cpu_over(pids: tuple[int, int], start: float, end: float) -> tuple[float, float, float]:
    """CPU use (percent of one core) of the target, this process and Redis between two perf_counter times."""
    await asyncio.sleep(max(0.0, start - time.perf_counter()))
    before, began = cpu_snapshot(*pids), time.perf_counter()
    await asyncio.sleep(max(0.0, end - time.perf_counter()))
    after, wall = cpu_snapshot(*pids), time.perf_counter() - began
    target, generator, redis_cpu = (100 * (a - b) / wall for a, b in zip(after, before, strict=True))
    return target, generator, redis_cpu


def summarize(
    samples: list[Sample], start: float, end: float, usage: tuple[float, float, float], standin: StandIn
) -> Figures:
    window = [s for s in samples if start <= s.sent < end]
    completed = [s for s in samples if s.e2e is not None and start <= s.sent + s.e2e < end]
    acks = [s.ack for s in window if s.status == 200]
    e2e = [s.e2e for s in window if s.e2e is not None]
    seconds = end - start
    return Figures(
        events=len(completed),
        events_per_second=round(len(completed) / seconds, 1),
        sent_per_second=round(len(window) / seconds, 1),
        ack_p50_ms=_ms(percentile(acks, 0.5)),
        ack_p99_ms=_ms(percentile(acks, 0.99)),
        e2e_p50_ms=_ms(percentile(e2e, 0.5)),
        e2e_p99_ms=_ms(percentile(e2e, 0.99)),
        lost=sum(1 for s in samples if s.status == 200 and s.e2e is None),
        non_200=sum(1 for s in samples if s.status != 200),
        stray_posts=standin.stray_posts,
        target_cpu_percent=round(usage[0], 1),
        generator_cpu_percent=round(usage[1], 1),
        redis_cpu_percent=round(usage[2], 1),
        api_calls=dict(standin.calls),
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- processes ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(command: list[str], core: int | None) -> list[str]:
    if core is None or shutil.which("taskset") is None:
        return command
    return ["taskset", "-c", str(core), *command]


def cores() -> tuple[int | None, int | None]:
    """(the app's core, this process's and Redis's core), or no pinning on a one-core machine."""
    return (0, 1) if (os.cpu_count() or 1) >= 2 else (None, None)


def _stop(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(OSError):
        if process.stdin is not None:
            process.stdin.close()
    try:
        process.wait(timeout=timeout)
        return
    except subprocess.TimeoutExpired:
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class RedisServer:
    def __init__(self, core: int | None) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        command = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(pinned(command, core), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.client = redis.Redis.from_url(self.url, socket_timeout=5)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.05)

    def flush(self) -> None:
        self.client.flushall()

    def version(self) -> str:
        return str(self.client.info("server").get("redis_version", "?"))

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Target:
    """The app under test in its own process; ``ready`` on its stdout means its server listens."""

    def __init__(self, app: AppUnderTest, api: str, redis_url: str, core: int | None, log: IO[bytes]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        command = [sys.executable, "-m", "benchmarks.slack_target", app.name, "--port", str(self.port)]
        command += ["--api", api, "--redis-url", redis_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "REDIS_URL"))}
        self.process = subprocess.Popen(
            pinned(command, core), cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
        )
        self.log = log

    async def wait_ready(self) -> None:
        assert self.process.stdout is not None
        try:
            line = await asyncio.wait_for(asyncio.to_thread(self.process.stdout.readline), STARTUP_TIMEOUT)
        except TimeoutError:
            line = b""
        if line.strip() != b"ready":
            self.stop()
            raise RuntimeError(f"the app under test did not start:\n{self._log_tail()}")

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"the app under test exited with {self.process.returncode}:\n{self._log_tail()}")

    def _log_tail(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-3000:]

    def stop(self) -> None:
        _stop(self.process, timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


# -- the whole run ------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    round: int
    app: str
    scenarios: dict[str, Figures]


async def run_app(
    load: LoadGenerator, app: AppUnderTest, number: int, scenarios: list[Scenario], redis_server: RedisServer
) -> RunResult:
    app_core, _ = cores()
    redis_server.flush()
    with tempfile.TemporaryFile() as log:
        target = Target(app, load.standin.base_url, redis_server.url, app_core, log)
        try:
            await target.wait_ready()
            figures: dict[str, Figures] = {}
            for index, scenario in enumerate(scenarios):
                tag = f"R{number}{app.name[0].upper()}{index}"
                pids = (target.process.pid, redis_server.process.pid)
                figures[scenario.name] = await load.run(target.url, app, scenario, tag, pids)
                target.check_alive()
            return RunResult(number, app.name, figures)
        finally:
            target.stop()


async def run_all(args: argparse.Namespace, scenarios: list[Scenario], redis_server: RedisServer) -> list[RunResult]:
    standin = StandIn()
    await standin.start()
    connector = aiohttp.TCPConnector(limit=args.users + 10)
    session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=LOST_AFTER))
    load = LoadGenerator(session, standin, reference_answers())
    results: list[RunResult] = []
    try:
        for number in range(1, args.rounds + 1):
            for app in (BARE, CANDOR):
                result = await run_app(load, app, number, scenarios, redis_server)
                print(_progress(result), flush=True)
                results.append(result)
    finally:
        await session.close()
        await standin.stop()
    return results


def _progress(result: RunResult) -> str:
    parts = [
        f"{name}: {f.events_per_second:.0f} ev/s, ack p99 {f.ack_p99_ms} ms, lost {f.lost}"
        for name, f in result.scenarios.items()
    ]
    return f"round {result.round} {result.app:<6} " + "; ".join(parts)


# -- report ---------------------------------------------------------------------------------------------------

ROWS: list[tuple[str, str]] = [
    ("events/s end to end", "events_per_second"),
    ("events/s sent", "sent_per_second"),
    ("ack p50 ms", "ack_p50_ms"),
    ("ack p99 ms", "ack_p99_ms"),
    ("e2e p50 ms", "e2e_p50_ms"),
    ("e2e p99 ms", "e2e_p99_ms"),
    ("lost (sum)", "lost"),
    ("non-200 (sum)", "non_200"),
    ("stray posts (sum)", "stray_posts"),
    ("app CPU % (core 0)", "target_cpu_percent"),
    ("generator CPU % (core 1)", "generator_cpu_percent"),
    ("redis CPU % (core 1)", "redis_cpu_percent"),
]
SUMMED = {"lost", "non_200", "stray_posts"}


def summary(results: list[RunResult], scenarios: list[Scenario]) -> dict[str, Any]:
    ratios = {"throughput_ratio_per_round": "events_per_second", "ack_p99_ratio_per_round": "ack_p99_ms"}
    return comparison.summary(results, [s.name for s in scenarios], ROWS, SUMMED, ratios)


def targets(table: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    closed, paced = table["closed"], table["paced"]
    throughput = statistics.median(closed["throughput_ratio_per_round"])
    ack_ratio = statistics.median(paced["ack_p99_ratio_per_round"])
    ack_p99 = paced["rows"]["ack_p99_ms"]["candor"]
    reached = paced["rows"]["events_per_second"]["candor"]
    lost = sum(
        table[name]["rows"][key][app] for name in table for key in ("lost", "non_200") for app in ("bare", "candor")
    )
    return [
        _target(
            f"closed loop: end-to-end throughput candor/bare >= {MIN_THROUGHPUT_RATIO}",
            throughput >= MIN_THROUGHPUT_RATIO,
            f"{throughput:.2f} (rounds: {_listed(closed['throughput_ratio_per_round'])})",
        ),
        _target(
            f"paced: candor reaches >= {PACED_SHARE_REQUIRED:.0%} of {args.rate:g} events/s",
            reached >= PACED_SHARE_REQUIRED * args.rate,
            f"{reached:.1f} events/s",
        ),
        _target(
            f"paced at {args.rate:g} events/s: candor ack p99 < {MAX_ACK_P99_MS:g} ms",
            ack_p99 < MAX_ACK_P99_MS,
            f"{ack_p99:.2f} ms",
        ),
        _target(
            f"paced at {args.rate:g} events/s: ack p99 candor/bare <= {MAX_ACK_P99_RATIO:g}",
            ack_ratio <= MAX_ACK_P99_RATIO,
            f"{ack_ratio:.2f} (rounds: {_listed(paced['ack_p99_ratio_per_round'])})",
        ),
        _target("no reply lost, no event refused (both apps, all runs)", lost == 0, f"{lost:g} lost or non-200"),
    ]


def _target(name: str, passed: bool, value: str) -> dict[str, Any]:
    return {"target": name, "passed": passed, "value": value}


def _listed(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def print_report(report: dict[str, Any], scenarios: list[Scenario]) -> None:
    machine = report["machine"]
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, Redis {machine['redis']}")
    print(f"pinning: {machine['pinning']}; {report['settings']['rounds']} round(s), medians over rounds\n")
    for scenario in scenarios:
        entry = report["summary"][scenario.name]
        print(_heading(scenario))
        print(f"  {'':<26}{'bare':>10}{'candor':>10}{'candor/bare':>13}")
        for label, key in ROWS:
            bare, candor = entry["rows"][key]["bare"], entry["rows"][key]["candor"]
            ratio = f"{candor / bare:.2f}" if bare and key not in SUMMED and "cpu" not in key else ""
            print(f"  {label:<26}{bare:>10g}{candor:>10g}{ratio:>13}")
        print(f"  throughput ratio per round: {_listed(entry['throughput_ratio_per_round'])}")
        print(f"  ack p99 ratio per round:    {_listed(entry['ack_p99_ratio_per_round'])}\n")
    print("targets:")
    for target in report["targets"]:
        print(f"  [{'PASS' if target['passed'] else 'FAIL'}] {target['target']}: {target['value']}")


def _heading(scenario: Scenario) -> str:
    load = f"paced at {scenario.rate:g} events/s" if scenario.rate else "closed loop (max throughput)"
    return (
        f"{scenario.name}: {load}, {scenario.users} users, {scenario.seconds:g} s after {scenario.warmup:g} s warm-up"
    )


def machine_info(redis_version: str) -> dict[str, Any]:
    app_core, gen_core = cores()
    pinning = (
        "none (one core)"
        if app_core is None
        else f"app on core {app_core}; generator, stand-in, Redis on core {gen_core}"
    )
    if app_core is not None and shutil.which("taskset") is None:
        pinning += " (no taskset: the app and Redis are not pinned)"
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "redis": redis_version,
        "pinning": pinning,
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (one round, 3 s per scenario)")
    parser.add_argument("--rounds", type=int, help="runs of each app, interleaved (default 3; quick: 1)")
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated users (default 50)")
    parser.add_argument("--seconds", type=float, help="measured seconds per scenario (default 15; quick: 3)")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds before each scenario (default 2; quick: 1)")
    parser.add_argument("--rate", type=float, default=200.0, help="events/s in the paced scenario (default 200)")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = args.seconds or (3.0 if args.quick else 15.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    if args.rounds < 1 or args.users < 1 or args.seconds <= 0 or args.rate <= 0 or args.warmup < 0:
        parser.error("--rounds, --users, --seconds and --rate must be positive")
    return args


def main() -> None:
    args = parse_args()
    app_core, gen_core = cores()
    if gen_core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {gen_core})
    scenarios = [
        Scenario("closed", args.users, args.warmup, args.seconds, None),
        Scenario("paced", args.users, args.warmup, args.seconds, args.rate),
    ]
    redis_server = RedisServer(gen_core)
    try:
        results = asyncio.run(run_all(args, scenarios, redis_server))
        report: dict[str, Any] = {"machine": machine_info(redis_server.version())}
    finally:
        redis_server.stop()
    report["settings"] = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    report["settings"].update(lost_after_seconds=LOST_AFTER, answers_per_interview=ANSWERS_PER_INTERVIEW)
    report["summary"] = summary(results, scenarios)
    report["targets"] = targets(report["summary"], args)
    report["runs"] = [
        {"round": r.round, "app": r.app, **{k: asdict(f) for k, f in r.scenarios.items()}} for r in results
    ]
    print_report(report, scenarios)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted; the app under test and Redis were stopped", file=sys.stderr)
        sys.exit(130)
