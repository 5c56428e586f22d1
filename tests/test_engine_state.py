"""State in Redis: ordering under concurrency, de-duplication, edits, the answer window, expiry."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
import redis.asyncio as aioredis

from bot.errors import StoreUnavailable
from bot.state import RedisStateStore, Role, Status
from bot.state.crypto import Keyring
from tests.conftest import EngineFactory, free_port, keys_and_values, message, participant


async def _consented(engine, user: str = "U123") -> None:  # type: ignore[no-untyped-def]
    await engine.handle(message("hi", user=user))
    await engine.handle(message("yes", user=user))


async def test_fifty_concurrent_messages_apply_once_each_in_order(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    await _consented(engine)
    texts = [f"answer number {i}" for i in range(50)]
    replies = await asyncio.gather(*(engine.handle(message(t)) for t in texts))
    assert all(len(r) == 1 for r in replies)
    key = engine.key_for(participant())
    answers = [t.text for t in await engine.store.turns(key) if t.role is Role.USER][1:]
    assert answers == texts


async def test_two_processes_racing_on_one_conversation_lose_nothing(make_engine: EngineFactory) -> None:
    first = await make_engine(default_flow="long-test")
    second = await make_engine(default_flow="long-test")  # its own connection and cache: another process
    await _consented(first)
    texts = [f"racing answer {i}" for i in range(40)]
    engines = [first, second]
    await asyncio.gather(*(engines[i % 2].handle(message(t)) for i, t in enumerate(texts)))
    key = first.key_for(participant())
    answers = [t.text for t in await first.store.turns(key) if t.role is Role.USER][1:]
    assert sorted(answers) == sorted(texts) and len(answers) == 40
    state = await first.current(participant())
    assert state is not None and state.answers == 40


async def test_the_same_event_twice_gets_one_reply(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await _consented(engine)
    duplicate = message("I use it for summarising long documents every morning", message_id="Ev01")
    first, again = await asyncio.gather(engine.handle(duplicate), engine.handle(duplicate))
    assert len(first) + len(again) == 1
    assert await engine.handle(duplicate) == []
    other_process = await make_engine()
    assert await other_process.handle(duplicate) == []
    state = await engine.current(participant())
    assert state is not None and state.answers == 1


async def test_a_redelivered_decline_does_not_restart_the_interview(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.handle(message("hi"))
    decline = message("no", message_id="Ev-decline")
    await engine.handle(decline)
    assert await engine.handle(decline) == []
    assert await engine.current(participant()) is None


async def test_keys_are_namespaced_and_expire(make_engine: EngineFactory) -> None:
    engine = await make_engine(ttl=3600)
    await _consented(engine)
    client = engine.store.client
    keys = [key async for key in client.scan_iter(f"{make_engine.prefix}:iv:*")]  # type: ignore[attr-defined]
    assert keys
    for key in keys:
        assert 0 < await client.ttl(key) <= 3600


async def test_edit_replaces_the_answer_text(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    await _consented(engine)
    await engine.handle(message("I use it daily for tests", message_id="M1"))
    await engine.edit(participant(), "M1", "I use it weekly for tests")
    key = engine.key_for(participant())
    texts = [t.text for t in await engine.store.turns(key) if t.role is Role.USER]
    assert "I use it weekly for tests" in texts and "I use it daily for tests" not in texts


async def test_answer_window_joins_quick_messages_into_one_answer(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test", window=0.3)
    await _consented(engine)
    first = asyncio.create_task(engine.handle(message("First part,", message_id="A")))
    await asyncio.sleep(0.1)
    second = asyncio.create_task(engine.handle(message("second part.", message_id="B")))
    await asyncio.sleep(0.05)
    await engine.edit(participant(), "A", "First part (edited),")
    assert await first == []
    replies = await second
    assert len(replies) == 1 and "Question number 1" in replies[0].text
    key = engine.key_for(participant())
    user_turns = [t for t in await engine.store.turns(key) if t.role is Role.USER]
    assert user_turns[-1].text == "First part (edited),\nsecond part."
    assert user_turns[-1].message_ids == ("A", "B")
    await engine.edit(participant(), "B", "second part, edited later.")
    user_turns = [t for t in await engine.store.turns(key) if t.role is Role.USER]
    assert user_turns[-1].text == "First part (edited),\nsecond part, edited later."


async def test_a_command_flushes_an_answer_waiting_in_its_window(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test", window=5)
    await _consented(engine)
    waiting = asyncio.create_task(engine.handle(message("my answer to question zero")))
    await asyncio.sleep(0.05)
    replies = await engine.handle(message("skip"))
    assert "Question number 1" in replies[0].text and "Question number 2" in replies[1].text
    key = engine.key_for(participant())
    user_turns = [t.text for t in await engine.store.turns(key) if t.role is Role.USER]
    assert user_turns[-2:] == ["my answer to question zero", "[skipped]"]
    waiting.cancel()


async def test_bad_input_gets_a_clear_reply_and_changes_nothing(make_engine: EngineFactory) -> None:
    engine = await make_engine(max_chars=200)
    await _consented(engine)
    assert "empty" in (await engine.handle(message("   \n\t ")))[0].text
    assert "few words" in (await engine.handle(message("🎉🎉 !!")))[0].text
    assert "longer than 200" in (await engine.handle(message("x" * 201)))[0].text
    state = await engine.current(participant())
    assert state is not None and state.answers == 0
    await engine.handle(message("I use\x00 it\x1b for\u200b planning my week and my team's sprints"))
    key = engine.key_for(participant())
    stored = [t.text for t in await engine.store.turns(key) if t.role is Role.USER][-1]
    assert stored == "I use it for planning my week and my team's sprints"


async def test_identity_and_contact_details_never_reach_redis_or_the_sink(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    names = ("Dana Whitfield", "dwhitfield")
    for text in (
        "hi",
        "yes",
        "Dana here: mail dana.whitfield@example.com or call +1 (555) 201-3344.",
        "Ask @dwhitfield, or Whitfield's manager",
        "stop",
        "keep",
    ):
        await engine.handle(message(text, user="U0SECRETID", names=names))
    stored = await keys_and_values(engine.store.client, make_engine.prefix)  # type: ignore[attr-defined]
    data_dir = make_engine.data_dir  # type: ignore[attr-defined]
    outputs = [*stored.keys(), *stored.values(), (data_dir / "transcripts.csv").read_text()]
    outputs += [p.read_text() for p in (data_dir / "transcripts").iterdir()]
    for secret in ("U0SECRETID", "Dana", "Whitfield", "dwhitfield", "example.com", "201-3344"):
        assert all(secret not in text for text in outputs), secret
    assert "[REDACTED]'s manager" in (data_dir / "transcripts.csv").read_text()


async def test_redis_down_means_not_received() -> None:
    client = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    store = RedisStateStore(
        client, prefix="x", ttl_seconds=60, url_for_errors="redis://127.0.0.1:1", keyring=Keyring.generate()
    )
    with pytest.raises(StoreUnavailable, match="cannot reach Redis at redis://127.0.0.1:1"):
        await store.load("abc")
    await client.aclose()


async def test_engine_raises_store_unavailable_when_redis_is_gone(make_engine: EngineFactory) -> None:
    engine = await make_engine(url=f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(StoreUnavailable):
        await engine.handle(message("hello"))


async def test_a_failed_delivery_stays_in_the_outbox_until_it_succeeds(make_engine: EngineFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.delivery import FileSink

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the sink wants a folder")
    engine = await make_engine(default_flow="long-test", sinks=[FileSink(blocked)])
    for text in ("hi", "yes", "an answer", "stop", "keep"):
        await engine.handle(message(text))
    assert await engine.store.outbox() == [engine.key_for(participant())]
    state = await engine.current(participant())
    assert state is not None and state.status is Status.COMPLETED and state.turn_count > 0
    blocked.unlink()
    assert await engine.deliver_outbox(force=True) == 1
    assert await engine.store.outbox() == []
    assert (blocked / "transcripts" / f"{state.transcript_id}.json").exists()
    assert await engine.store.turns(engine.key_for(participant())) == []


async def test_a_failing_transcript_backs_off_before_the_next_attempt(make_engine: EngineFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.delivery import FileSink

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the sink wants a folder")
    engine = await make_engine(default_flow="long-test", sinks=[FileSink(blocked)])
    for text in ("hi", "yes", "an answer", "stop", "keep"):
        await engine.handle(message(text))
    state = await engine.current(participant())
    assert state is not None
    ledger = engine.store.sink_ledger
    first = await ledger.failure("file", state.transcript_id)
    assert first is not None and first.attempts == 1 and first.error == "NotADirectoryError"
    blocked.unlink()
    # Fixed, but the 30 s backoff after the first failure still holds; forcing skips it.
    assert await engine.deliver_outbox() == 0
    # Two failures ago, an hour back: the doubled backoff (60 s) has passed.
    past = time.time() - 3600
    await engine.store.client.hset(ledger._key("file"), state.transcript_id, f"2|{past - 60}|{past}|OSError")
    assert await engine.deliver_outbox() == 1
    assert await ledger.failure("file", state.transcript_id) is None
    assert await engine.store.outbox() == []


async def test_a_retry_from_redis_builds_the_same_document_as_the_first_attempt(
    make_engine: EngineFactory,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    from bot.delivery import FileSink
    from tests.conftest import Clock

    class HalfDown:
        """Takes the transcript on the second attempt, so the file sink sees a redelivery."""

        name = "half-down"

        def __init__(self) -> None:
            self.calls = 0

        async def deliver(self, transcript: object) -> None:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("down for a moment")

        async def delete(self, transcript_id: str) -> bool:
            return False

    clock = Clock()
    clock.now = 1_800_000_000.9996  # truncates to :00 in memory but is stored as .000 of the next second
    engine = await make_engine(default_flow="long-test", sinks=[FileSink(tmp_path), HalfDown()], clock=clock)
    for text in ("hi", "yes", "an answer", "stop", "keep"):
        await engine.handle(message(text))
    assert await engine.deliver_outbox(force=True) == 1  # the file sink found the very same document


async def test_conversation_keys_do_not_contain_platform_ids(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    user = f"U{uuid.uuid4().hex[:8].upper()}"
    await engine.handle(message("hi", user=user))
    stored = await keys_and_values(engine.store.client, make_engine.prefix)  # type: ignore[attr-defined]
    assert stored and all(user not in key and user not in value for key, value in stored.items())
