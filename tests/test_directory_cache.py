"""The workspace directory cached in Redis: shared by processes, refreshed in the background, one refresh at a time."""

from __future__ import annotations

import asyncio
import logging
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.people import People
from bot.privacy.directory import Directory, Person
from bot.privacy.directory_cache import DirectoryCache
from tests.conftest import Clock
from tests.slack_harness import TEAM, TOKEN
from tests.slack_standin import SlackStandIn

COLLEAGUES = (("U200", "Priya Raman"), ("U300", "Grant Okafor"), ("U400", "Tomasz Nowak"))


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_workspace(TEAM, TOKEN)
        standin.add_user("U100", real_name="Dana Whitfield", email="dana.whitfield@example.com", team_id=TEAM)
        for user, name in COLLEAGUES:
            standin.add_user(user, real_name=name, display_name=name.split()[0], team_id=TEAM)
        standin.add_user("U500", real_name="Helper Bot", is_bot=True, team_id=TEAM)
        standin.add_user("U600", real_name="Zebulon Gone", deleted=True, team_id=TEAM)
        yield standin


@pytest.fixture
async def client(slack: SlackStandIn) -> AsyncIterator[AsyncWebClient]:
    async with aiohttp.ClientSession() as session:
        yield AsyncWebClient(token=TOKEN, base_url=slack.base_url, session=session)


@pytest.fixture
async def redis_clients(redis_url: str) -> AsyncIterator[list[aioredis.Redis]]:
    """One Redis client per simulated process; every key under this test's prefix is removed afterwards."""
    made: list[aioredis.Redis] = []
    yield made
    for each in made:
        async for key in each.scan_iter(f"{PREFIX}:*"):
            await each.delete(key)
        await each.aclose()


PREFIX = f"dir-test-{uuid.uuid4().hex[:8]}"


def process(redis_url: str, made: list[aioredis.Redis], prefix: str, **kwargs: object) -> DirectoryCache:
    """The cache as one serve process has it: its own Redis connection, the deployment's prefix."""
    connection = aioredis.from_url(redis_url)
    made.append(connection)
    return DirectoryCache(connection, prefix, "slack", **kwargs)  # type: ignore[arg-type]


def names(directory: Directory | None, text: str) -> list[str]:
    assert directory is not None
    return [text[start:end] for start, end in directory.spans(text)]


async def test_stored_in_redis_with_a_ttl_and_reused_by_a_new_process(
    slack: SlackStandIn, client: AsyncWebClient, redis_url: str, redis_clients: list[aioredis.Redis]
) -> None:
    prefix = f"{PREFIX}:{uuid.uuid4().hex[:6]}"
    first = People(process(redis_url, redis_clients, prefix))
    directory = await first.directory(client, TEAM)
    assert names(directory, "Priya said dana.whitfield and Nowak agreed with Zebulon and Helper.") == [
        "Priya",
        "dana.whitfield",
        "Nowak",
    ]
    listed = len(slack.calls("users.list"))
    assert listed == 3  # 6 users, two per page: the stand-in makes clients follow the cursor

    key = f"{prefix}:dir:slack:{TEAM}"
    raw = redis_clients[0]
    assert 21000 < await raw.ttl(key) <= 21600
    stored = zlib.decompress(await raw.hget(key, "people")).decode()
    assert "Priya Raman" in stored and "example.com" not in stored and "Zebulon" not in stored

    # A new serve process: no users.list, the Redis copy is used.
    second = People(process(redis_url, redis_clients, prefix))
    again = await second.directory(client, TEAM)
    assert names(again, "Grant Okafor and Priya") == ["Grant Okafor", "Priya"]
    assert len(slack.calls("users.list")) == listed
    # And within a process, memory answers: no further users.list either.
    await first.directory(client, TEAM)
    await second.directory(client, TEAM)
    assert len(slack.calls("users.list")) == listed


async def test_refreshed_in_the_background_after_the_refresh_age(
    slack: SlackStandIn, client: AsyncWebClient, redis_url: str, redis_clients: list[aioredis.Redis]
) -> None:
    clock = Clock()
    prefix = f"{PREFIX}:{uuid.uuid4().hex[:6]}"
    cache = process(redis_url, redis_clients, prefix, refresh_seconds=3600, recheck_seconds=30, clock=clock)
    people = People(cache)
    await people.directory(client, TEAM)
    listed = len(slack.calls("users.list"))
    slack.add_user("U700", real_name="Ximena Quispe", team_id=TEAM)

    clock.advance(1800)  # younger than the refresh age: nothing is loaded
    assert names(await people.directory(client, TEAM), "Ximena and Priya") == ["Priya"]
    await cache.settle(TEAM)
    assert len(slack.calls("users.list")) == listed

    clock.advance(1801)
    stale = await people.directory(client, TEAM)
    assert names(stale, "Ximena and Priya") == ["Priya"]  # the message does not wait for the refresh
    await cache.settle(TEAM)
    assert len(slack.calls("users.list")) > listed
    assert names(await people.directory(client, TEAM), "Ximena and Priya") == ["Ximena", "Priya"]
    stamp = float(await redis_clients[0].hget(cache.key(TEAM), "stamp"))
    assert stamp == clock.now


async def test_one_refresh_at_a_time_across_processes(redis_url: str, redis_clients: list[aioredis.Redis]) -> None:
    clock = Clock()
    prefix = f"{PREFIX}:{uuid.uuid4().hex[:6]}"
    calls: list[str] = []
    gate = asyncio.Event()

    async def load() -> list[Person]:
        calls.append("load")
        if len(calls) > 1:
            await gate.wait()
        return [Person(("Priya Raman",)), Person((["Quillon Ashby", "Zephyrine Oduya"][min(len(calls), 2) - 1],))]

    one = process(redis_url, redis_clients, prefix, recheck_seconds=0, clock=clock)
    two = process(redis_url, redis_clients, prefix, recheck_seconds=0, clock=clock)
    assert await one.get(TEAM, load) is not None
    assert await two.get(TEAM, load) is not None
    assert calls == ["load"]  # the second process read the first one's copy

    clock.advance(3601)
    await one.get(TEAM, load)
    await asyncio.sleep(0.05)  # process one holds the lock and waits in its load
    await two.get(TEAM, load)
    await two.settle(TEAM)
    assert calls == ["load", "load"]  # process two found the lock taken and kept its copy
    gate.set()
    await one.settle(TEAM)
    found = names(await two.get(TEAM, load), "Zephyrine and Quillon")
    assert found == ["Zephyrine"]  # the new copy reached two
    assert await redis_clients[0].exists(f"{one.key(TEAM)}:lock") == 0  # released after the refresh


async def test_a_failed_refresh_keeps_the_old_copy_and_logs_no_names(
    slack: SlackStandIn,
    client: AsyncWebClient,
    redis_url: str,
    redis_clients: list[aioredis.Redis],
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    prefix = f"{PREFIX}:{uuid.uuid4().hex[:6]}"
    cache = process(redis_url, redis_clients, prefix, recheck_seconds=30, clock=clock)
    people = People(cache)
    await people.directory(client, TEAM)
    stamp = await redis_clients[0].hget(cache.key(TEAM), "stamp")

    clock.advance(3601)
    slack.fail_next("users.list", status=500)
    with caplog.at_level(logging.DEBUG):
        directory = await people.directory(client, TEAM)
        await cache.settle(TEAM)
    assert names(directory, "Priya and Grant Okafor") == ["Priya", "Grant Okafor"]
    assert names(await people.directory(client, TEAM), "Nowak") == ["Nowak"]  # still the old copy
    assert await redis_clients[0].hget(cache.key(TEAM), "stamp") == stamp
    # The lock stays until it expires: no process calls a failing users.list for every message.
    assert 0 < await redis_clients[0].ttl(f"{cache.key(TEAM)}:lock") <= cache.lock_seconds
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "users.list: internal_error" in logged
    for secret in ("Priya", "Raman", "Grant", "Dana", "U100", "U200", TEAM):
        assert secret not in logged


async def test_a_failed_first_load_gives_none_then_recovers(
    slack: SlackStandIn, client: AsyncWebClient, redis_url: str, redis_clients: list[aioredis.Redis]
) -> None:
    clock = Clock()
    prefix = f"{PREFIX}:{uuid.uuid4().hex[:6]}"
    people = People(process(redis_url, redis_clients, prefix, recheck_seconds=30, clock=clock))
    slack.fail_next("users.list", status=500)
    assert await people.directory(client, TEAM) is None
    failed = len(slack.calls("users.list"))
    assert await people.directory(client, TEAM) is None  # not asked again straight away
    assert len(slack.calls("users.list")) == failed
    clock.advance(31)
    assert names(await people.directory(client, TEAM), "Priya") == ["Priya"]


async def test_the_participants_own_title_and_manager(
    slack: SlackStandIn, client: AsyncWebClient, redis_url: str, redis_clients: list[aioredis.Redis]
) -> None:
    slack.add_user("U07GRANT01", real_name="Grant Okafor", team_id=TEAM)
    fields = {"Xf01": "U07GRANT01", "Xf02": "5 years"}
    slack.add_user("U800", real_name="Ines Duarte", title="Head of Data Platform", fields=fields, team_id=TEAM)
    people = People(process(redis_url, redis_clients, f"{PREFIX}:{uuid.uuid4().hex[:6]}"))
    participant = await people.participant(client, TEAM, "U800")
    assert "Ines Duarte" in participant.names and "Grant Okafor" in participant.names
    assert participant.context == ("Head of Data Platform",)


async def test_slack_answer_loses_own_title_and_manager(redis_url: str, tmp_path: Path) -> None:
    from bot.types import Participant, Platform
    from tests.slack_harness import candor_settings, running, slack_settings

    with SlackStandIn() as slack:
        slack.add_workspace(TEAM, TOKEN)
        manager = {"Xf01": "U07GRANT01"}
        slack.add_user("U100", real_name="Dana Whitfield", title="Head of Sales", fields=manager, team_id=TEAM)
        slack.add_user("U07GRANT01", real_name="Grant Okafor", team_id=TEAM)
        async for env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
            await env.say("U100", "hi")
            await env.say("U100", "yes")
            await env.say("U100", "As head of sales I report to Grant, and the head of the table agreed.")
            engine = env.service.runtime.engine
            turns = await engine.store.turns(engine.key_for(Participant(Platform.SLACK, TEAM, "U100")))
            assert "As [REDACTED] I report to [REDACTED], and the head of the table agreed." in [t.text for t in turns]
            key = f"{env.settings.redis_prefix}:dir:slack:{TEAM}"
            assert await env.service.runtime.client.ttl(key) > 0


def test_the_refresh_age_must_be_shorter_than_the_ttl() -> None:
    from bot.config import load_settings
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="CANDOR_DIRECTORY_REFRESH_SECONDS must be shorter"):
        load_settings(directory_ttl_seconds=600, directory_refresh_seconds=600)
    assert load_settings().directory_ttl_seconds == 21600
