"""200 transcripts to four sinks while S3 is down and the webhook fails half its calls: nothing lost, nothing twice."""

from __future__ import annotations

import base64
import csv
import json
import socket
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
from tests.conftest import EngineFactory, message

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


async def test_every_sink_ends_with_each_transcript_exactly_once(
    make_engine: EngineFactory, database_url: str, tmp_path: Path
) -> None:
    calls = {"n": 0}
    received: dict[str, int] = {}

    async def hook(request: web.Request) -> web.Response:
        calls["n"] += 1
        if calls["n"] % 2:  # every other call fails
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
    hook_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    s3_port = _free_port()  # nothing listens here yet: S3 is down
    endpoint = f"http://127.0.0.1:{s3_port}"
    file_root = tmp_path / "files"
    sinks = [
        FileSink(file_root),
        S3Sink("s3://chaos/run", client=_s3(endpoint)),
        WebhookSink(f"http://127.0.0.1:{hook_port}/hook", SECRET),
        PostgresSink(database_url),
    ]
    engine = await make_engine(default_flow="long-test", sinks=sinks)
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
        for _ in range(12):
            if not await engine.store.outbox():
                break
            await engine.deliver_outbox(force=True)
        assert await engine.store.outbox() == []
        for sink in sinks:
            assert await engine.store.sink_ledger.failures(sink.name) == []

        ids = {path.stem for path in (file_root / "transcripts").glob("*.json")}
        assert len(ids) == INTERVIEWS
        with open(file_root / "transcripts.csv", newline="", encoding="utf-8") as handle:
            assert sorted(row["transcript_id"] for row in csv.DictReader(handle)) == sorted(ids)
        listed = _s3(endpoint).list_objects_v2(Bucket="chaos", Prefix="run/")["Contents"]
        assert {item["Key"] for item in listed} == {f"run/{tid}.json" for tid in ids}
        assert {key.removesuffix(".delivered") for key in received} == ids
        async with await psycopg.AsyncConnection.connect(database_url) as connection:
            cursor = await connection.execute(
                f"SELECT transcript_id, document FROM {TABLE} WHERE transcript_id = ANY(%s)", (list(ids),)
            )
            rows = await cursor.fetchall()
        assert len(rows) == INTERVIEWS and {row[0] for row in rows} == ids
        assert all("answer number" in json.dumps(row[1]) for row in rows)
    finally:
        await runner.cleanup()
        if server is not None:
            server.stop()
