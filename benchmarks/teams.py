"""End-to-end Teams throughput and HTTP response latency: Candor against a bare Agents SDK app, same load, same run.

Usage: python -m benchmarks.teams [--quick] [--json FILE] [--rounds N] [--users N] [--seconds S] [--rate R]

Method. The app under test runs in a subprocess pinned to core 0 (``benchmarks.teams_target``): (a) a bare
Microsoft 365 Agents SDK ``AgentApplication`` on the SDK's own aiohttp route, echoing each message with one
``send_activity`` inside the HTTP request, or (b) Candor's service as ``candor serve`` builds it, with the
scripted interviewer and a real Redis server; Candor answers 202 once the activity is stored and replies from a
background turn. This process, pinned to core 1 with that Redis server, is the load generator and a minimal Bot
Connector stand-in, which also publishes the key that signs the inbound tokens: both apps verify each
activity's RS256 Bot Framework JWT for real (one token per simulated user, minted before each scenario). Each
simulated user has its own personal conversation and sends message activities one at a time: the next only
once all the replies expected for the previous one have reached the stand-in (Candor answers a user's first
message with an introduction and a consent card, every later one with one message, plus a ``typing`` activity
that is not counted; the bare app answers every message with one). HTTP latency is the time to the HTTP
response; end to end is the time to the last expected reply (for the bare app, which replies before it
responds, that comes before the response). A reply not there within 10 s is lost. Scenario 1 is a closed loop
(maximum throughput); scenario 2 paces sends to ``--rate`` activities/s in total. Both apps run in alternation
(bare, candor, bare, ...) for ``--rounds``, each run in a fresh subprocess after a warm-up that is not
measured; the table shows medians over rounds and the candor/bare ratio of each round. Candor sends a
typing indicator only when a reply takes longer than half a second, so fast scripted replies cost one send.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp
from aiohttp import web

from benchmarks import comparison
from benchmarks.slack import (
    ANSWERS_PER_INTERVIEW,
    LOST_AFTER,
    PACED_SHARE_REQUIRED,
    STARTUP_TIMEOUT,
    AppUnderTest,
    Pacer,
    RedisServer,
    Scenario,
    SimUser,
    cores,
    cpu_snapshot,
    free_port,
    machine_info,
    percentile,
    pinned,
    reference_answers,
)
from benchmarks.teams_target import APP_ID, TENANT
from tests.teams_standin import TokenIssuer, message_activity

ROOT = Path(__file__).resolve().parent.parent
TOKEN_MAX_AGE = 120.0  # seconds; tokens live 300 s, so a long scenario mints fresh ones before they expire

# Target from the issue.
MIN_THROUGHPUT_RATIO = 0.5

BARE = AppUnderTest("bare", first_event_replies=1)
CANDOR = AppUnderTest("candor", first_event_replies=2)  # introduction, then the consent card


# -- what the simulated users send -------------------------------------------------------------------


class TeamsUser(SimUser):
    """A simulated participant in a personal chat: own Teams user id, Azure AD object id and conversation."""

    @property
    def user_id(self) -> str:
        return f"29:{self.suffix}"

    @property
    def aad_object_id(self) -> str:
        return f"aad-{self.suffix}"

    @property
    def conversation_id(self) -> str:
        return f"a:{self.suffix}"


_activity_numbers = itertools.count(1)


def activity_body(user: TeamsUser, text: str, service_url: str) -> bytes:
    activity = message_activity(
        text,
        service_url=service_url,
        app_id=APP_ID,
        user_id=user.user_id,
        aad_object_id=user.aad_object_id,
        user_name="Some Person",
        conversation_id=user.conversation_id,
        tenant_id=TENANT,
        activity_id=f"{user.tag}-{next(_activity_numbers):09d}",
    )
    return json.dumps(activity).encode()


class Tokens:
    """One Bot Framework token per simulated user slot, minted again once older than ``TOKEN_MAX_AGE``."""

    def __init__(self, issuer: TokenIssuer, service_url: str) -> None:
        self.issuer = issuer
        self.service_url = service_url
        self._minted: dict[int, tuple[float, str]] = {}

    def mint(self, slots: range) -> None:
        """Fresh tokens for these slots, before a scenario starts (signing is not part of the measurement)."""
        self._minted = {slot: (time.monotonic(), self._new()) for slot in slots}

    def headers(self, slot: int) -> dict[str, str]:
        minted = self._minted.get(slot)
        if minted is None or time.monotonic() - minted[0] > TOKEN_MAX_AGE:
            minted = (time.monotonic(), self._new())
            self._minted[slot] = minted
        return {"Content-Type": "application/json", "Authorization": f"Bearer {minted[1]}"}

    def _new(self) -> str:
        return self.issuer.token(app_id=APP_ID, service_url=self.service_url)


# -- the Bot Connector stand-in --------------------------------------------------------------------------


@dataclass
class Expectation:
    remaining: int
    done: asyncio.Future[float]


class StandIn:
    """The connector routes the two apps call, and the token key; a message activity is a reply arriving."""

    def __init__(self, issuer: TokenIssuer) -> None:
        self.keys = {"keys": [issuer.jwk()]}
        self.calls: Counter[str] = Counter()
        self.stray_replies = 0  # replies to a conversation with no activity waiting for one
        self._waiting: dict[str, Expectation] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.service_url = ""

    async def start(self) -> None:
        app = web.Application()
        activities = "/v3/conversations/{conversation}/activities"
        app.router.add_post(activities, self._activity)
        app.router.add_post(activities + "/{activity}", self._activity)
        app.router.add_put(activities + "/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_get("/v1/.well-known/keys", self._keys)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.service_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def reset(self) -> None:
        self.calls.clear()
        self.stray_replies = 0
        self._waiting.clear()

    def expect(self, conversation: str, replies: int) -> asyncio.Future[float]:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[conversation] = Expectation(replies, done)
        return done

    def forget(self, conversation: str) -> None:
        self._waiting.pop(conversation, None)

    def _reply_arrived(self, conversation: str) -> None:
        waiting = self._waiting.get(conversation)
        if waiting is None or waiting.done.done():
            self.stray_replies += 1
            return
        waiting.remaining -= 1
        if waiting.remaining == 0:
            del self._waiting[conversation]
            waiting.done.set_result(time.perf_counter())

    async def _activity(self, request: web.Request) -> web.Response:
        """Reply to an activity (POST .../activities/{id}) or send to the conversation (POST .../activities)."""
        body = await request.json()
        kind = str(body.get("type", "")) if isinstance(body, dict) else ""
        route = "reply" if "activity" in request.match_info else "send"
        self.calls[f"{route} {kind or '?'}"] += 1
        if kind == "message":
            self._reply_arrived(request.match_info["conversation"])
        return web.json_response({"id": f"bot-{next(self._ids)}"})

    async def _update(self, request: web.Request) -> web.Response:
        await request.read()
        self.calls["update"] += 1
        return web.json_response({"id": request.match_info["activity"]})

    async def _member(self, request: web.Request) -> web.Response:
        self.calls["member"] += 1
        member = request.match_info["member"]
        return web.json_response(
            {
                "id": member,
                "name": "Some Person",
                "aadObjectId": "aad-" + member.removeprefix("29:"),
                "givenName": "Some",
                "surname": "Person",
                "tenantId": TENANT,
                "userRole": "user",
            }
        )

    async def _keys(self, request: web.Request) -> web.Response:
        self.calls["keys"] += 1
        return web.json_response(self.keys)

    async def _unknown(self, request: web.Request) -> web.Response:
        self.calls[f"unknown {request.method} {request.path}"] += 1
        return web.json_response({"error": {"code": "NotFound", "message": "not in the stand-in"}}, status=404)


# -- load ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    sent: float  # perf_counter when the request went out
    http: float  # seconds to the HTTP response
    e2e: float | None  # seconds to the last expected reply; None when lost or not answered with 2xx
    status: int  # HTTP status; 0 when the request failed

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Figures:
    """One scenario of one run of one app."""

    activities: int  # end-to-end completions in the measured window
    activities_per_second: float
    sent_per_second: float
    http_p50_ms: float
    http_p99_ms: float
    e2e_p50_ms: float
    e2e_p99_ms: float
    lost: int  # over the whole scenario, warm-up and drain included
    non_2xx: int
    stray_replies: int
    target_cpu_percent: float
    generator_cpu_percent: float
    redis_cpu_percent: float
    connector_calls: dict[str, int] = field(default_factory=dict)


class LoadGenerator:
    def __init__(self, session: aiohttp.ClientSession, standin: StandIn, tokens: Tokens, texts: list[str]) -> None:
        self.session = session
        self.standin = standin
        self.tokens = tokens
        self.texts = texts

    async def one_activity(self, url: str, user: TeamsUser) -> Sample:
        body = activity_body(user, user.text(), self.standin.service_url)
        headers = self.tokens.headers(user.slot)
        done = self.standin.expect(user.conversation_id, user.expected_replies())
        sent = time.perf_counter()
        try:
            async with self.session.post(url, data=body, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        http = time.perf_counter() - sent
        if not 200 <= status < 300:
            self.standin.forget(user.conversation_id)
            return Sample(sent, http, None, status)
        try:
            arrived = await asyncio.wait_for(done, timeout=max(0.0, LOST_AFTER - http))
        except TimeoutError:
            self.standin.forget(user.conversation_id)
            return Sample(sent, http, None, status)
        return Sample(sent, http, arrived - sent, status)

    async def user_loop(self, url: str, user: TeamsUser, end: float, pacer: Pacer | None, out: list[Sample]) -> None:
        while time.perf_counter() < end:
            if pacer is not None:
                await pacer.wait()
                if time.perf_counter() >= end:
                    return
            sample = await self.one_activity(url, user)
            out.append(sample)
            if sample.e2e is None:
                user.start_over()
            else:
                user.advance()

    async def run(self, url: str, app: AppUnderTest, scenario: Scenario, tag: str, pids: tuple[int, int]) -> Figures:
        self.standin.reset()
        self.tokens.mint(range(scenario.users))
        warm_end = time.perf_counter() + scenario.warmup
        end = warm_end + scenario.seconds
        pacer = Pacer(scenario.rate) if scenario.rate else None
        samples: list[Sample] = []
        users = [TeamsUser(tag, slot, app, self.texts) for slot in range(scenario.users)]
        cpu = asyncio.ensure_future(cpu_over(pids, warm_end, end))
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


async def cpu_over(pids: tuple[int, int], start: float, end: float) -> tuple[float, float, float]:
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
    responses = [s.http for s in window if s.accepted]
    e2e = [s.e2e for s in window if s.e2e is not None]
    seconds = end - start
    return Figures(
        activities=len(completed),
        activities_per_second=round(len(completed) / seconds, 1),
        sent_per_second=round(len(window) / seconds, 1),
        http_p50_ms=_ms(percentile(responses, 0.5)),
        http_p99_ms=_ms(percentile(responses, 0.99)),
        e2e_p50_ms=_ms(percentile(e2e, 0.5)),
        e2e_p99_ms=_ms(percentile(e2e, 0.99)),
        lost=sum(1 for s in samples if s.accepted and s.e2e is None),
        non_2xx=sum(1 for s in samples if not s.accepted),
        stray_replies=standin.stray_replies,
        target_cpu_percent=round(usage[0], 1),
        generator_cpu_percent=round(usage[1], 1),
        redis_cpu_percent=round(usage[2], 1),
        connector_calls=dict(sorted(standin.calls.items())),
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- processes ----------------------------------------------------------------------------------------------


class Target:
    """The app under test in its own process; ``ready`` on its stdout means its server listens."""

    def __init__(self, app: AppUnderTest, service_url: str, redis_url: str, core: int | None, log: IO[bytes]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/messages"
        command = [sys.executable, "-m", "benchmarks.teams_target", app.name, "--port", str(self.port)]
        command += ["--service-url", service_url, "--redis-url", redis_url]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "TEAMS_", "SLACK_", "REDIS_URL"))}
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
        """Close its stdin (it shuts down cleanly), then SIGTERM, then SIGKILL; always reaped."""
        process = self.process
        if process.poll() is None:
            with contextlib.suppress(OSError):
                if process.stdin is not None:
                    process.stdin.close()
            for escalate in (process.terminate, process.kill):
                try:
                    process.wait(timeout=10)
                    break
                except subprocess.TimeoutExpired:
                    escalate()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


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
        target = Target(app, load.standin.service_url, redis_server.url, app_core, log)
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
    issuer = TokenIssuer()
    standin = StandIn(issuer)
    await standin.start()
    connector = aiohttp.TCPConnector(limit=args.users + 10)
    session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=LOST_AFTER))
    load = LoadGenerator(session, standin, Tokens(issuer, standin.service_url), reference_answers())
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
        f"{name}: {f.activities_per_second:.0f} act/s, http p99 {f.http_p99_ms} ms, lost {f.lost}"
        for name, f in result.scenarios.items()
    ]
    return f"round {result.round} {result.app:<6} " + "; ".join(parts)


# -- report ---------------------------------------------------------------------------------------------------

ROWS: list[tuple[str, str]] = [
    ("activities/s end to end", "activities_per_second"),
    ("activities/s sent", "sent_per_second"),
    ("HTTP response p50 ms", "http_p50_ms"),
    ("HTTP response p99 ms", "http_p99_ms"),
    ("e2e p50 ms", "e2e_p50_ms"),
    ("e2e p99 ms", "e2e_p99_ms"),
    ("lost (sum)", "lost"),
    ("non-2xx (sum)", "non_2xx"),
    ("stray replies (sum)", "stray_replies"),
    ("app CPU % (core 0)", "target_cpu_percent"),
    ("generator CPU % (core 1)", "generator_cpu_percent"),
    ("redis CPU % (core 1)", "redis_cpu_percent"),
]
SUMMED = {"lost", "non_2xx", "stray_replies"}


def summary(results: list[RunResult], scenarios: list[Scenario]) -> dict[str, Any]:
    ratios = {"throughput_ratio_per_round": "activities_per_second", "http_p99_ratio_per_round": "http_p99_ms"}
    return comparison.summary(results, [s.name for s in scenarios], ROWS, SUMMED, ratios)


def targets(table: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    closed = table["closed"]
    throughput = statistics.median(closed["throughput_ratio_per_round"])
    reached = table["paced"]["rows"]["activities_per_second"]["candor"]
    failed = sum(
        table[name]["rows"][key][app] for name in table for key in ("lost", "non_2xx") for app in ("bare", "candor")
    )
    return [
        _target(
            f"closed loop: end-to-end throughput candor/bare >= {MIN_THROUGHPUT_RATIO}",
            throughput >= MIN_THROUGHPUT_RATIO,
            f"{throughput:.2f} (rounds: {_listed(closed['throughput_ratio_per_round'])})",
        ),
        _target(
            f"paced: candor reaches >= {PACED_SHARE_REQUIRED:.0%} of {args.rate:g} activities/s",
            reached >= PACED_SHARE_REQUIRED * args.rate,
            f"{reached:.1f} activities/s",
        ),
        _target("no reply lost, no activity refused (both apps, all runs)", failed == 0, f"{failed:g} lost or non-2xx"),
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
        print(f"  throughput ratio per round:    {_listed(entry['throughput_ratio_per_round'])}")
        print(f"  HTTP p99 ratio per round:      {_listed(entry['http_p99_ratio_per_round'])}")
        print()
    print("targets:")
    for target in report["targets"]:
        print(f"  [{'PASS' if target['passed'] else 'FAIL'}] {target['target']}: {target['value']}")


def _heading(scenario: Scenario) -> str:
    load = f"paced at {scenario.rate:g} activities/s" if scenario.rate else "closed loop (max throughput)"
    return (
        f"{scenario.name}: {load}, {scenario.users} users, {scenario.seconds:g} s after {scenario.warmup:g} s warm-up"
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--quick", action="store_true", help="a short smoke run (one round, 3 s per scenario)")
    parser.add_argument("--rounds", type=int, help="runs of each app, interleaved (default 3; quick: 1)")
    parser.add_argument("--users", type=int, default=50, help="concurrent simulated users (default 50)")
    parser.add_argument("--seconds", type=float, help="measured seconds per scenario (default 15; quick: 3)")
    parser.add_argument("--warmup", type=float, help="unmeasured seconds before each scenario (default 2; quick: 1)")
    parser.add_argument("--rate", type=float, default=100.0, help="activities/s in the paced scenario (default 100)")
    args = parser.parse_args()
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.seconds = args.seconds or (3.0 if args.quick else 15.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    if args.rounds < 1 or args.users < 1 or args.seconds <= 0 or args.rate <= 0 or args.warmup < 0:
        parser.error("--rounds, --users, --seconds and --rate must be positive")
    return args


def main() -> None:
    args = parse_args()
    _, gen_core = cores()
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
    report["settings"].update(
        lost_after_seconds=LOST_AFTER,
        answers_per_interview=ANSWERS_PER_INTERVIEW,
    )
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
