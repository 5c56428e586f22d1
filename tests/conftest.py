"""Shared fixtures: a real Redis server (ours unless REDIS_URL is set) and engines built on it."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from bot.delivery import FileSink, Sink
from bot.engine import EngineOptions, InterviewEngine
from bot.flows import Flow, FlowRegistry, Question, StudyInfo, packaged_flows_dir
from bot.interviewers import ScriptedInterviewer
from bot.state import RedisStateStore
from bot.state.crypto import Keyring, new_entry
from bot.state.embedded import redis_server_binary
from bot.types import Inbound, Participant, Platform

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# Tests configure everything they use explicitly. A developer's own settings must not leak in, and
# above all no test may reach a real Anthropic, Slack or Microsoft endpoint because a key happens
# to be set in the shell. REDIS_URL stays: it chooses which Redis server the tests use.
for _name in [n for n in os.environ if n.startswith(("CANDOR_", "SLACK_", "TEAMS_", "ANTHROPIC_"))]:
    del os.environ[_name]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """REDIS_URL when set (never flushed: tests use their own key prefix), else a server we start."""
    configured = os.environ.get("REDIS_URL")
    if configured:
        yield configured
        return
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the test redis-server did not start") from None
            time.sleep(0.05)
    client.close()
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


class Clock:
    """A clock the test moves by hand, for time budgets and expiry."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


TEST_STUDY = StudyInfo(
    organizer="The test research team",
    purpose="We check that the interview engine works",
    audience="Only the people running these tests",
    storage="A temporary folder of the test run",
    retention="Until the test run ends",
    contact="Whoever runs the tests",
)


def long_flow(questions: int = 60, follow_ups: int = 0) -> Flow:
    return Flow(
        id="long-test",
        version=1,
        title="Many questions",
        language="en",
        transcript_prefix="long",
        estimated_minutes=30,
        time_budget_minutes=240,
        introduction="A test study with many questions.",
        study=TEST_STUDY,
        consent="Shall we start?",
        closing_question="Anything else?",
        thank_you="Thanks for your time.",
        questions=tuple(
            Question(id=f"q{i:02d}", ask=f"Question number {i}?", learn="Nothing in particular.", follow_ups=follow_ups)
            for i in range(questions)
        ),
    )


def participant(user: str = "U123", names: tuple[str, ...] = ()) -> Participant:
    return Participant(Platform.SLACK, "T1", user, names)


def message(text: str, user: str = "U123", names: tuple[str, ...] = (), message_id: str | None = None) -> Inbound:
    return Inbound(participant(user, names), text, message_id or uuid.uuid4().hex)


EngineFactory = Callable[..., Awaitable[InterviewEngine]]


@pytest.fixture
async def make_engine(redis_url: str, tmp_path: Path) -> AsyncIterator[EngineFactory]:
    clients: list[aioredis.Redis] = []
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    # Development mode for tests: one generated key per test, shared by its engines (they share the data).
    key_entry = new_entry()  # CANDOR_ENCRYPTION_KEYS for processes a test starts on the same data
    keyring = Keyring.parse(key_entry)

    async def factory(**kwargs: Any) -> InterviewEngine:
        client = aioredis.from_url(kwargs.pop("url", redis_url))
        clients.append(client)
        flows = list(FlowRegistry.from_dirs([packaged_flows_dir()])) + [long_flow()] + kwargs.pop("extra_flows", [])
        store = RedisStateStore(
            client,
            prefix=kwargs.pop("prefix", prefix),
            ttl_seconds=kwargs.pop("ttl", 86400),
            url_for_errors=redis_url,
            keyring=kwargs.pop("keyring", keyring),
        )
        sinks: list[Sink] = kwargs.pop("sinks", None) or [FileSink(tmp_path / "data")]
        options = EngineOptions(
            default_flow=kwargs.pop("default_flow", "ai-at-work"),
            answer_window_seconds=kwargs.pop("window", 0.0),
            max_message_chars=kwargs.pop("max_chars", 4000),
        )
        return InterviewEngine(
            flows=FlowRegistry(flows),
            store=store,
            interviewer=kwargs.pop("interviewer", ScriptedInterviewer()),
            sinks=sinks,
            secret=b"test-secret",
            options=options,
            **kwargs,
        )

    factory.prefix = prefix  # type: ignore[attr-defined]
    factory.keyring = keyring  # type: ignore[attr-defined]
    factory.key_entry = key_entry  # type: ignore[attr-defined]
    factory.data_dir = tmp_path / "data"  # type: ignore[attr-defined]
    yield factory
    for client in clients:
        try:
            keys = [key async for key in client.scan_iter(f"{prefix}:*")]
            if keys:
                await client.delete(*keys)
        except redis.ConnectionError:
            pass  # a test that pointed an engine at a server that is not there
        await client.aclose()


async def keys_and_values(client: aioredis.Redis, prefix: str) -> dict[str, str]:
    """Everything stored under a prefix, as text, for privacy assertions (ciphertext bytes shown escaped)."""
    out: dict[str, str] = {}
    async for key in client.scan_iter(f"{prefix}:*"):
        kind = (await client.type(key)).decode()
        if kind == "string":
            value = str(await client.get(key))
        elif kind == "hash":
            value = str(await client.hgetall(key))
        elif kind == "list":
            value = str([item.decode(errors="backslashreplace") for item in await client.lrange(key, 0, -1)])
        else:
            value = str(await client.smembers(key))
        out[key.decode()] = value
    return out


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DATABASE_URL when set, else a PostgreSQL server of our own (pgserver's bundled binaries)."""
    given = os.environ.get("DATABASE_URL")
    if given:
        yield given
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("postgres"), cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
