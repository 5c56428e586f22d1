"""``candor worker``: its schedule setting, its keys, and a transcript it delivers after a sink recovers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from adapters.worker import retry_cron
from bot.delivery import FileSink
from bot.errors import ConfigError
from tests.conftest import ROOT, EngineFactory, free_port, message


def test_the_retry_interval_becomes_a_cron_expression() -> None:
    assert retry_cron(1) == "* * * * * */1"
    assert retry_cron(30) == "* * * * * */30"
    assert retry_cron(300) == "*/5 * * * * 0"
    assert retry_cron(3600) == "0 0 * * * 0"
    for bad in (90, 420):
        with pytest.raises(ConfigError, match="CANDOR_DELIVERY_RETRY_SECONDS"):
            retry_cron(bad)


async def _get_when_up(url: str) -> str:
    """The worker serves /healthz once it has started; ask until it answers."""
    async with aiohttp.ClientSession() as http:
        for _ in range(100):
            try:
                async with http.get(url) as response:
                    return await response.text()
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError(f"nothing answered at {url}")


def _env(redis_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANDOR_")}
    env.update(REDIS_URL=redis_url, CANDOR_DATA_DIR=str(tmp_path / "worker"), **extra)
    return env


def test_a_worker_needs_the_shared_pseudonym_key(redis_url: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "worker"],
        env=_env(redis_url, tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "CANDOR_PSEUDONYM_KEY is not set" in result.stderr


async def test_a_worker_delivers_what_waited_and_stops_gracefully(
    make_engine: EngineFactory, redis_url: str, tmp_path: Path
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the sink's folder should be")  # the file sink cannot write
    engine = await make_engine(default_flow="long-test", sinks=[FileSink(blocked / "inside")])
    port = free_port()
    for text in ("hi", "yes", "an answer that waits for the sink", "stop", "keep"):
        await engine.handle(message(text, user="UWORKER"))
    assert len(await engine.store.outbox()) == 1
    blocked.unlink()  # the sink works again
    env = _env(
        redis_url,
        tmp_path,
        CANDOR_REDIS_PREFIX=make_engine.prefix,  # type: ignore[attr-defined]
        CANDOR_PSEUDONYM_KEY=uuid.uuid4().hex * 2,
        CANDOR_ENCRYPTION_KEYS=make_engine.key_entry,  # type: ignore[attr-defined]
        CANDOR_SINKS=f"file://{blocked / 'inside'}",
        CANDOR_DELIVERY_RETRY_SECONDS="1",
        CANDOR_DELIVERY_BACKOFF_SECONDS="0.1",
        CANDOR_WORKER_PORT=str(port),
    )
    worker = subprocess.Popen([sys.executable, "-m", "adapters.cli", "worker"], env=env, cwd=ROOT)
    try:
        health = await _get_when_up(f"http://127.0.0.1:{port}/healthz")
        assert health == '{"status": "ok"}'
        metrics = await _get_when_up(f"http://127.0.0.1:{port}/metrics")
        assert "candor_outbox_pending" in metrics and "candor_jobs_queued" in metrics
        deadline = time.monotonic() + 60
        while await engine.store.outbox() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert await engine.store.outbox() == []
        assert len(list((blocked / "inside" / "transcripts").glob("*.json"))) == 1
        started = time.monotonic()
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        assert time.monotonic() - started < 10
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
