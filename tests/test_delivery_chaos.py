"""200 transcripts to four sinks while S3 is down, the webhook fails half its calls and the delivery worker is
killed twice: nothing lost, nothing twice."""

from __future__ import annotations

import asyncio
import base64
import csv
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import boto3
import psycopg
from aiohttp import web
from botocore.config import Config
from moto.server import ThreadedMotoServer

from adapters.postgres_sink import TABLE, PostgresSink
from adapters.s3_sink import S3Sink
from adapters.webhook import WebhookSink
from bot.delivery import FileSink
from tests.conftest import ROOT, EngineFactory, message

INTERVIEWS = 200
SECRET = "whsec_" + base64.b64encode(b"chaos-webhook-secret-of-32-bytes").decode()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _s3(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="a",
        aws_secret_access_key="b",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )


class Workers:
    """``candor worker`` processes against the test's sinks; the current one can be killed without warning."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = open(log, "ab")  # noqa: SIM115 - shared by every worker started, closed in stop()
        self.current: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        command = [sys.executable, "-m", "adapters.cli", "worker"]
        self.current = subprocess.Popen(command, env=self.env, cwd=ROOT, stderr=self.log)

    def kill(self) -> None:
        assert self.current is not None
        self.current.send_signal(signal.SIGKILL)
        self.current.wait(10)
        self.kills += 1

    def stop(self) -> int | None:
        """SIGTERM and the exit status (None if there was no worker)."""
        code = None
        if self.current is not None:
            self.current.send_signal(signal.SIGTERM)
            try:
                code = self.current.wait(40)
            except subprocess.TimeoutExpired:
                self.current.kill()
                self.current.wait(10)
            self.current = None
        self.log.close()
        return code


async def _wait_until(done: Callable[[], Awaitable[bool]], seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if await done():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not done within {seconds} s")


async def _webhook_receiver(received: dict[str, int]) -> tuple[web.AppRunner, int]:
    """Fails every other call with 503; counts the accepted deliveries per ``webhook-id``."""
    calls = {"n": 0}

    async def hook(request: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] % 2:
            return web.Response(status=503)
        key = request.headers["webhook-id"]
        received[key] = received.get(key, 0) + 1
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def _assert_each_sink_holds_each_once(
    file_root: Path, endpoint: str, received: dict[str, int], database_url: str
) -> None:
    ids = {path.stem for path in (file_root / "transcripts").glob("*.json")}
    assert len(ids) == INTERVIEWS
    with open(file_root / "transcripts.csv", newline="", encoding="utf-8") as handle:
        assert sorted(row["transcript_id"] for row in csv.DictReader(handle)) == sorted(ids)
    listed = _s3(endpoint).list_objects_v2(Bucket="chaos", Prefix="run/")["Contents"]
    assert {item["Key"] for item in listed} == {f"run/{tid}.json" for tid in ids}
    # Webhook receivers de-duplicate on webhook-id (Standard Webhooks); every transcript arrived.
    assert {key.removesuffix(".delivered") for key in received} == ids
    async with await psycopg.AsyncConnection.connect(database_url) as connection:
        cursor = await connection.execute(
            f"SELECT transcript_id, document FROM {TABLE} WHERE transcript_id = ANY(%s)", (list(ids),)
        )
        rows = await cursor.fetchall()
    assert len(rows) == INTERVIEWS and {row[0] for row in rows} == ids
    assert all("answer number" in json.dumps(row[1]) for row in rows)


async def test_every_sink_ends_with_each_transcript_exactly_once(
    make_engine: EngineFactory, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    received: dict[str, int] = {}
    runner, hook_port = await _webhook_receiver(received)
    s3_port = _free_port()  # nothing listens here yet: S3 is down
    endpoint = f"http://127.0.0.1:{s3_port}"
    file_root = tmp_path / "files"
    urls = [f"file://{file_root}", "s3://chaos/run", f"http://127.0.0.1:{hook_port}/hook", database_url]
    sinks = [
        FileSink(file_root),
        S3Sink(urls[1], client=_s3(endpoint)),
        WebhookSink(urls[2], SECRET),
        PostgresSink(database_url),
    ]
    engine = await make_engine(default_flow="long-test", sinks=sinks)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOR_")}
    env.update(
        REDIS_URL=redis_url,
        CANDOR_REDIS_PREFIX=make_engine.prefix,  # type: ignore[attr-defined]
        CANDOR_DATA_DIR=str(tmp_path / "worker-data"),
        CANDOR_DEVELOPMENT="1",
        CANDOR_ENCRYPTION_KEYS=make_engine.key_entry,  # type: ignore[attr-defined]
        CANDOR_SINKS=",".join(urls),
        CANDOR_S3_ENDPOINT_URL=endpoint,
        CANDOR_WEBHOOK_SECRET=SECRET,
        CANDOR_DELIVERY_RETRY_SECONDS="1",
        CANDOR_DELIVERY_BACKOFF_SECONDS="0.2",
        CANDOR_DELIVERY_BACKOFF_MAX_SECONDS="1",
        AWS_ACCESS_KEY_ID="a",
        AWS_SECRET_ACCESS_KEY="b",
        AWS_DEFAULT_REGION="us-east-1",
    )
    workers = Workers(env, tmp_path / "worker.log")  # the log is there to read when this test fails
    server = None
    try:
        for number in range(INTERVIEWS):
            user = f"UCHAOS{number:04d}"
            for text in ("hi", "yes", f"answer number {number}", "stop", "keep"):
                await engine.handle(message(text, user=user))
        assert len(await engine.store.outbox()) == INTERVIEWS  # S3 is down: nothing is done yet

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=s3_port, verbose=False)
        server.start()
        _s3(endpoint).create_bucket(Bucket="chaos")

        async def s3_holds(count: int) -> bool:
            listed = await asyncio.to_thread(_s3(endpoint).list_objects_v2, Bucket="chaos", Prefix="run/")
            return int(listed.get("KeyCount", 0)) >= count

        async def nothing_waits() -> bool:
            return not await engine.store.outbox()

        workers.start()
        for threshold in (40, 110):  # killed in the middle of its work, twice, without warning
            await _wait_until(lambda threshold=threshold: s3_holds(threshold), 120)
            workers.kill()
            workers.start()
        await _wait_until(nothing_waits, 180)
        assert workers.stop() == 0  # a graceful stop
        assert workers.kills == 2
        for sink in sinks:
            assert await engine.store.sink_ledger.failures(sink.name) == []
        await _assert_each_sink_holds_each_once(file_root, endpoint, received, database_url)
    finally:
        workers.stop()
        await runner.cleanup()
        if server is not None:
            server.stop()
