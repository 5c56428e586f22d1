"""Redis through Sentinel: a master, a replica and a sentinel (redis-server processes); the master dies
mid-interview, the sentinel promotes the replica, and the interview carries on to a complete transcript."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from adapters.runtime import printable_url
from bot.delivery import FileSink
from bot.engine import EngineOptions, InterviewEngine
from bot.errors import ConfigError, StoreUnavailable
from bot.flows import FlowRegistry, packaged_flows_dir
from bot.interviewers import ScriptedInterviewer
from bot.state import RedisStateStore
from bot.state.connect import parse_sentinel, redis_client
from bot.state.crypto import Keyring
from bot.state.embedded import redis_server_binary
from tests.conftest import free_port, long_flow, message, participant

SERVICE = "candor"


def _start(args: list[str], workdir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [redis_server_binary(), *args, "--dir", str(workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait(check: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} within {seconds} s")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[int, int, int, list[subprocess.Popen[bytes]]]]:
    master, replica, sentinel = free_port(), free_port(), free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    processes = [
        _start(["--port", str(master), *common], tmp_path),
        _start(["--port", str(replica), "--replicaof", "127.0.0.1", str(master), *common], tmp_path),
    ]
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel}\nbind 127.0.0.1\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master} 1\n"
        f"sentinel down-after-milliseconds {SERVICE} 1000\n"
        f"sentinel failover-timeout {SERVICE} 5000\n"
    )
    processes.append(_start([str(conf), "--sentinel"], tmp_path))
    try:
        watcher = redis.Redis(port=sentinel)
        _wait(lambda: watcher.sentinel_slaves(SERVICE), 20, "the sentinel did not see the replica")
        copy = redis.Redis(port=replica)
        _wait(lambda: copy.info("replication").get("master_link_status") == "up", 20, "the replica did not sync")
        yield master, replica, sentinel, processes
    finally:
        for process in processes:
            process.kill()
            process.wait(10)


async def test_an_interview_survives_a_failover(
    cluster: tuple[int, int, int, list[subprocess.Popen[bytes]]], tmp_path: Path
) -> None:
    master, replica, sentinel, processes = cluster
    url = f"redis+sentinel://127.0.0.1:{sentinel}/{SERVICE}"
    client = redis_client(url, socket_connect_timeout=1, socket_timeout=2)
    store = RedisStateStore(client, prefix="ha", ttl_seconds=3600, url_for_errors=url, keyring=Keyring.generate())
    flows = FlowRegistry([*FlowRegistry.from_dirs([packaged_flows_dir()]), long_flow(questions=3)])
    engine = InterviewEngine(
        flows=flows,
        store=store,
        interviewer=ScriptedInterviewer(),
        sinks=[FileSink(tmp_path / "data")],
        secret=b"sentinel-test",
        options=EngineOptions(default_flow="long-test"),
    )
    try:
        for text in ("hi", "yes", "The first answer, before the failover."):
            await engine.handle(message(text, user="UHA"))
        assert redis.Redis(port=master).wait(1, 5000) == 1  # the replica has everything so far
        processes[0].kill()  # the master dies without warning

        async def until_stored(text: str) -> None:
            for _ in range(100):
                try:
                    await engine.handle(message(text, user="UHA", message_id=f"m-{text[:12]}"))
                    return
                except StoreUnavailable:
                    await asyncio.sleep(0.2)  # as Slack or Teams would retry an event we could not store
            raise AssertionError("Redis did not come back through the sentinel")

        await until_stored("The second answer, after the failover.")
        for text in ("A third answer.", "no"):
            await until_stored(text)
        watcher = redis.Redis(port=sentinel)
        assert int(watcher.sentinel_get_master_addr_by_name(SERVICE)[1]) == replica
        state = await engine.current(participant("UHA"))
        assert state is not None and state.transcript_id
        document = json.loads((tmp_path / "data" / "transcripts" / f"{state.transcript_id}.json").read_text())
        said = [turn["text"] for turn in document["turns"] if turn["role"] == "user"]
        assert "The first answer, before the failover." in said and "The second answer, after the failover." in said
    finally:
        await client.aclose()


def test_sentinel_urls_are_read_precisely() -> None:
    target = parse_sentinel("redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2:26380/mymaster/2")
    assert target.hosts == (("10.0.0.1", 26379), ("10.0.0.2", 26380)) and target.service == "mymaster"
    assert target.db == 2 and target.password == "pw" and not target.tls
    assert parse_sentinel("rediss+sentinel://h:1/svc").tls
    for bad, says in [
        ("redis+sentinel://h:26379", "name the Sentinel service"),
        ("redis+sentinel://h/svc", "HOST:PORT"),
        ("redis+sentinel://h:1/svc/x", "/SERVICE/DB"),
    ]:
        with pytest.raises(ConfigError, match=says):
            parse_sentinel(bad)
    assert printable_url("redis+sentinel://:pw@h:1,g:2/svc") == "redis+sentinel://:***@h:1,g:2/svc"
