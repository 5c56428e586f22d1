"""Races between processes and odd input, found in review; each test reproduces one real failure."""

from __future__ import annotations

import asyncio
import unicodedata
from pathlib import Path

import pytest

from bot.delivery import FileSink, Transcript
from bot.delivery.file import TranscriptIdTaken
from bot.engine import DeliveryPending
from bot.flows import FlowRegistry, packaged_flows_dir
from bot.interviewers import Decision, Move, Situation
from bot.privacy import Redactor
from bot.state import Role
from bot.state.embedded import EmbeddedRedis, _ping
from tests.conftest import EngineFactory, keys_and_values, long_flow, message, participant


class SlowSink(FileSink):
    """A file sink on a slow disk."""

    async def deliver(self, transcript: Transcript) -> None:
        await asyncio.sleep(0.3)
        await super().deliver(transcript)


async def _consented(engine, user: str = "U123") -> None:  # type: ignore[no-untyped-def]
    await engine.handle(message("hi", user=user))
    await engine.handle(message("yes", user=user))


async def test_withdrawing_during_a_slow_delivery_leaves_no_transcript(make_engine: EngineFactory) -> None:
    data = make_engine.data_dir  # type: ignore[attr-defined]
    first = await make_engine(default_flow="long-test", sinks=[SlowSink(data)])
    second = await make_engine(default_flow="long-test", sinks=[FileSink(data)])
    await _consented(first)
    await first.handle(message("something worth keeping"))
    await first.handle(message("stop"))

    async def withdraw_soon() -> list[object]:
        await asyncio.sleep(0.1)
        return list(await second.handle(message("withdraw")))

    _, withdrawn = await asyncio.gather(first.handle(message("keep")), withdraw_soon())
    assert "deleted" in withdrawn[0].text  # type: ignore[attr-defined]
    assert await first.current(participant()) is None
    assert not list((data / "transcripts").glob("*.json"))
    assert "something worth keeping" not in (data / "transcripts.csv").read_text()


async def test_an_answer_racing_a_withdrawal_is_not_kept_for_a_later_interview(make_engine: EngineFactory) -> None:
    first = await make_engine(default_flow="long-test", window=0.2)
    second = await make_engine(default_flow="long-test", window=0.2)
    await _consented(first)
    await first.current(participant())
    await second.handle(message("withdraw"))
    await first.handle(message("my secret answer about my employer"))
    stored = await keys_and_values(first.store.client, make_engine.prefix)  # type: ignore[attr-defined]
    assert all("secret answer" not in value for value in stored.values())


async def test_a_stale_cached_header_never_matches_a_new_interview(make_engine: EngineFactory) -> None:
    first = await make_engine(default_flow="long-test")
    second = await make_engine(default_flow="long-test")
    await _consented(first)
    await first.handle(message("answer one"))
    await first.handle(message("answer two"))
    await second.handle(message("withdraw"))
    await _consented(second)
    await second.handle(message("fresh one"))
    await second.handle(message("fresh two"))
    await first.handle(message("fresh three"))  # first's cache still holds the withdrawn interview
    state = await first.current(participant())
    turns = await first.store.turns(first.key_for(participant()))
    assert state is not None and state.turn_count == len(turns) and state.answers == 3
    assert [t.text for t in turns if t.role is Role.USER][1:] == ["fresh one", "fresh two", "fresh three"]


async def test_a_different_transcript_never_overwrites_one_on_disk(tmp_path: Path) -> None:
    sink = FileSink(tmp_path)
    turns = ()
    await sink.deliver(Transcript("work_0001", "ai-at-work", 1, 1.8e9, 1.8e9 + 60, "completed", turns))
    before = (tmp_path / "transcripts" / "work_0001.json").read_text()
    other = Transcript("work_0001", "ai-at-work", 1, 1.9e9, 1.9e9 + 60, "completed", turns)
    with pytest.raises(TranscriptIdTaken, match="already holds a different interview"):
        await sink.deliver(other)
    assert (tmp_path / "transcripts" / "work_0001.json").read_text() == before


async def test_withdraw_works_after_the_flow_was_uninstalled(make_engine: EngineFactory) -> None:
    extra = long_flow().model_copy(update={"id": "retired-study"})
    old = await make_engine(extra_flows=[extra], default_flow="retired-study")
    await _consented(old)
    await old.handle(message("an answer to a study that is about to be retired"))
    new = await make_engine()  # redeployed without the retired flow
    assert "isn't available" in (await new.handle(message("how are you")))[0].text
    assert "deleted" in (await new.handle(message("withdraw")))[0].text
    assert await new.current(participant()) is None


async def test_commands_while_paused_end_the_pause(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    await _consented(engine)
    await engine.handle(message("pause"))
    await engine.handle(message("skip"))
    await engine.handle(message("Mostly ChatGPT daily"))
    turns = await engine.store.turns(engine.key_for(participant()))
    assert [t.text for t in turns if t.role is Role.USER][1:] == ["[skipped]", "Mostly ChatGPT daily"]


async def test_a_retried_message_still_waiting_in_a_dead_window_gets_its_reply(make_engine: EngineFactory) -> None:
    dead = await make_engine(default_flow="long-test", window=0.1)
    await _consented(dead)
    key = dead.key_for(participant())
    await dead.store.push_pending(key, "évt-1", "About twice a week", 0.0)  # its worker then died
    alive = await make_engine(default_flow="long-test", window=0.1)
    replies = await alive.handle(message("About twice a week", message_id="évt-1"))
    assert replies and "Question number 1" in replies[0].text
    assert await alive.handle(message("About twice a week", message_id="évt-1")) == []
    turns = await alive.store.turns(key)
    assert [t.text for t in turns if t.role is Role.USER][-1] == "About twice a week"


async def test_unicode_message_ids_deduplicate_inside_the_window(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test", window=0.2)
    await _consented(engine)
    twice = message("About twice a week", message_id="évt-2")
    results = await asyncio.gather(engine.handle(twice), engine.handle(twice))
    assert sum(len(r) for r in results) == 1
    turns = await engine.store.turns(engine.key_for(participant()))
    assert [t.text for t in turns if t.role is Role.USER][-1] == "About twice a week"


async def test_lone_surrogates_do_not_crash(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    await _consented(engine)
    replies = await engine.handle(message("We use it a lot \ud83d"))
    assert "Question number 1" in replies[0].text


async def test_start_with_an_undeliverable_transcript_says_so(make_engine: EngineFactory, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    engine = await make_engine(default_flow="long-test", sinks=[FileSink(blocked)])
    await _consented(engine)
    await engine.handle(message("an answer"))
    await engine.handle(message("stop"))
    await engine.handle(message("keep"))
    with pytest.raises(DeliveryPending, match="could not be saved yet"):
        await engine.start(participant())


async def test_a_retried_withdraw_is_not_answered_twice(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await _consented(engine)
    withdraw = message("withdraw", message_id="Ev-withdraw")
    assert "deleted" in (await engine.handle(withdraw))[0].text
    assert await engine.handle(withdraw) == []


class EagerInterviewer:
    """Always wants another follow-up; the engine must refuse past the flow's limit."""

    needs_history = False

    processor = ""

    async def next_move(self, situation: Situation) -> Move:
        return Move(Decision.FOLLOW_UP, "Can you tell me more about that?")


async def test_a_refused_follow_up_is_not_used_as_a_lead_in(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="ai-at-work", interviewer=EagerInterviewer())
    await _consented(engine)
    flow = FlowRegistry.from_dirs([packaged_flows_dir()]).get("ai-at-work")
    for _ in range(flow.questions[0].follow_ups):
        assert (await engine.handle(message("an answer")))[0].text == "Can you tell me more about that?"
    next_question = await engine.handle(message("a last answer"))
    assert next_question[0].text == flow.questions[1].ask


def test_redaction_of_international_addresses_and_decomposed_names() -> None:
    redactor = Redactor()
    name = unicodedata.normalize("NFD", "José Zoë")
    out = redactor.redact("Write to dana@bücher.de; José and Zoë agree.", [name])
    assert out == "Write to [REDACTED]; [REDACTED] and [REDACTED] agree."


def test_a_second_demo_shares_the_embedded_redis_without_stopping_it(tmp_path: Path) -> None:
    first, second = EmbeddedRedis(tmp_path), EmbeddedRedis(tmp_path)
    first.start()
    second.start()
    second.stop()
    assert _ping(first.socket_path)
    first.stop()
    assert not _ping(first.socket_path)


def test_an_orphaned_embedded_redis_is_adopted_and_stopped(tmp_path: Path) -> None:
    orphan = EmbeddedRedis(tmp_path)
    orphan.start()
    (tmp_path / "owner.pid").write_text("999999999")  # its owner is gone
    heir = EmbeddedRedis(tmp_path)
    heir.start()
    heir.stop()
    assert not _ping(orphan.socket_path)
    orphan.stop()
    assert orphan._process is None or orphan._process.poll() is not None
