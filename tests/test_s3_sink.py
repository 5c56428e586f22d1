"""The S3 sink against moto's S3 server over HTTP: conditional writes, the outbox, deletion."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from moto.server import ThreadedMotoServer

from adapters.runtime import build_sinks
from adapters.s3_sink import S3Sink, parse_s3_url
from bot.config import Settings
from bot.delivery import Transcript
from bot.errors import ConfigError
from bot.state import Role, Turn
from tests.conftest import EngineFactory, message, participant


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "candor-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "candor-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def client(endpoint: str) -> Any:
    return boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1"
    )


def transcript(tid: str, answer: str = "I write reports") -> Transcript:
    turns = (Turn(Role.AI, "What do you do?", "q1", 1_800_000_000), Turn(Role.USER, answer, "q1", 1_800_000_030))
    return Transcript(tid, "ai-at-work", 1, 1_800_000_000, 1_800_000_090, "completed", turns, participant="p_x")


def test_s3_urls_name_a_bucket_and_a_prefix() -> None:
    assert parse_s3_url("s3://research/candor/wave-1/") == ("research", "candor/wave-1/")
    assert parse_s3_url("s3://research") == ("research", "")
    with pytest.raises(ConfigError, match="s3://BUCKET/PREFIX"):
        parse_s3_url("s3:///no-bucket")


async def test_a_retried_delivery_never_replaces_the_first_object(s3_endpoint: str) -> None:
    s3 = client(s3_endpoint)
    s3.create_bucket(Bucket="candor-once")
    sink = S3Sink("s3://candor-once/transcripts", client=s3)
    await sink.deliver(transcript("work_0001"))
    await sink.deliver(transcript("work_0001", answer="a different body"))
    listed = s3.list_objects_v2(Bucket="candor-once")["Contents"]
    assert [item["Key"] for item in listed] == ["transcripts/work_0001.json"]
    document = json.loads(s3.get_object(Bucket="candor-once", Key="transcripts/work_0001.json")["Body"].read())
    assert "I write reports" in document["text"] and document["participant"] == "p_x"
    assert await sink.delete("work_0001") is True
    assert await sink.delete("work_0001") is False
    assert "Contents" not in s3.list_objects_v2(Bucket="candor-once")


async def test_withdrawal_removes_every_version_on_a_versioned_bucket(s3_endpoint: str) -> None:
    s3 = client(s3_endpoint)
    s3.create_bucket(Bucket="candor-versioned")
    s3.put_bucket_versioning(Bucket="candor-versioned", VersioningConfiguration={"Status": "Enabled"})
    sink = S3Sink("s3://candor-versioned", client=s3)
    await sink.deliver(transcript("work_0003"))
    # Someone else's edit made a second version; an unrelated object shares the prefix.
    s3.put_object(Bucket="candor-versioned", Key="work_0003.json", Body=b"{}")
    s3.put_object(Bucket="candor-versioned", Key="work_0003.json.bak", Body=b"keep me")
    assert await sink.delete("work_0003") is True
    left = s3.list_object_versions(Bucket="candor-versioned")
    keys = [entry["Key"] for entry in [*left.get("Versions", []), *left.get("DeleteMarkers", [])]]
    assert keys == ["work_0003.json.bak"]
    assert await sink.delete("work_0003") is False


async def test_a_missing_bucket_keeps_the_transcript_in_the_outbox(
    make_engine: EngineFactory, s3_endpoint: str, aws_env: None, tmp_path: Path
) -> None:
    sinks = build_sinks(Settings(data_dir=tmp_path, sinks="file,s3://candor-later/wave", s3_endpoint_url=s3_endpoint))
    engine = await make_engine(default_flow="long-test", sinks=sinks)
    for text in ("hi", "yes", "an answer worth keeping", "stop", "keep"):
        await engine.handle(message(text))
    assert await engine.store.outbox()  # the bucket isn't there yet
    s3 = client(s3_endpoint)
    s3.create_bucket(Bucket="candor-later")
    assert await engine.deliver_outbox(force=True) == 1
    [item] = s3.list_objects_v2(Bucket="candor-later")["Contents"]
    body = json.loads(s3.get_object(Bucket="candor-later", Key=item["Key"])["Body"].read())
    assert "an answer worth keeping" in body["text"]
    await engine.handle(message("withdraw"))
    assert "Contents" not in s3.list_objects_v2(Bucket="candor-later")
    assert await engine.current(participant()) is None


async def test_an_unreachable_store_raises_so_the_transcript_stays_queued() -> None:
    sink = S3Sink("s3://anything", client=client("http://127.0.0.1:1"))
    with pytest.raises(EndpointConnectionError):
        await sink.deliver(transcript("work_0002"))
