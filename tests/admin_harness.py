"""What the admin page tests share: a ``candor serve`` service with the admin page on, and waves with progress.

Progress is made through the store's own paths (``add_members``, ``record``), as the wave jobs make it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from adapters.service import Service
from bot.config import Settings
from bot.delivery import FileSink
from bot.delivery.transcript import Transcript
from bot.state.model import Role, Turn
from bot.types import Participant, Platform
from bot.waves.spec import WaveSpec
from bot.waves.store import WaveStore

TOKEN = "admin-token-for-tests-" + "x" * 24
SSO_HEADER = "X-Forwarded-Email"
DAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def admin_settings(redis_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "data_dir": data_dir,
        "redis_prefix": f"adm-{uuid.uuid4().hex[:10]}",
        "pseudonym_key": "test-key",
        "admin_token": TOKEN,
    }
    values.update(overrides)
    return Settings(**values)


def wave_store(service: Service) -> WaveStore:
    """A second WaveStore on the service's Redis and keys: the one the wave jobs would use."""
    settings_prefix = service.runtime.engine.store.prefix
    return WaveStore(service.runtime.client, settings_prefix, keyring=service.runtime.engine.store.keyring)


def spec(wave_id: str, **overrides: Any) -> WaveSpec:
    values: dict[str, Any] = {
        "id": wave_id,
        "flow": "ai-at-work",
        "platform": "slack",
        "workspace": "T1",
        "participants": {"users": ["U1"]},
        "opens_at": DAY,
        "closes_at": DAY + timedelta(days=14),
    }
    values.update(overrides)
    return WaveSpec.model_validate(values)


async def add_people(store: WaveStore, wave_id: str, stratum: str, count: int) -> list[str]:
    keys = [f"{stratum}-{index}-{uuid.uuid4().hex[:6]}" for index in range(count)]
    people = [(key, Participant(Platform.SLACK, "T1", f"U{key}"), "UTC", stratum) for key in keys]
    await store.add_members(wave_id, people)
    return keys


async def advance(store: WaveStore, wave_id: str, keys: Iterable[str], status: str, day: int = 0) -> None:
    """Move members along the funnel the way the invitation, consent and completion jobs do."""
    at = (DAY + timedelta(days=day)).timestamp()
    for key in keys:
        if status == "completed":
            await store.record(wave_id, key, "invited", at=at - 3600)
            await store.record(wave_id, key, "in_progress", at=at - 1800)
            await store.record(wave_id, key, "completed", at=at, duration=1200)
        else:
            await store.record(wave_id, key, status, at=at)


async def deliver_transcript(data_dir: Path, wave_id: str, transcript_id: str, answer: str) -> None:
    """What the file sink writes when an interview of the wave ends."""
    start = DAY.timestamp()
    turns = (
        Turn(Role.AI, "What do you use AI for at work?", "q1", start),
        Turn(Role.USER, answer, "q1", start + 60),
    )
    transcript = Transcript(
        transcript_id=transcript_id,
        flow_id="ai-at-work",
        flow_version=1,
        started_at=start,
        ended_at=start + 600,
        ended_by="completed",
        turns=turns,
        wave=wave_id,
    )
    await FileSink(data_dir).deliver(transcript)


async def drop_keys(redis_url: str, prefix: str) -> None:
    client = aioredis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")] + [
        key async for key in client.scan_iter(f"saq:{prefix}:*")
    ]
    if keys:
        await client.delete(*keys)
    await client.aclose()
