"""A whole interview through the engine, and the participant commands at each point."""

from __future__ import annotations

import json

from bot.state import Status
from bot.types import ReplyKind
from tests.conftest import Clock, EngineFactory, keys_and_values, message, participant

LONG_ANSWER = "I mostly use it for drafting customer emails and checking spreadsheet formulas before sending reports."


async def test_a_whole_interview_completes_and_is_delivered(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    first = await engine.handle(message("hi"))
    assert "anonymized" in first[0].text and "12 minutes" in first[0].text
    assert "skip" in first[0].text and "stop" in first[0].text
    assert first[1].kind is ReplyKind.CONSENT and first[1].choices == ("Yes", "No")
    asked = []
    replies = await engine.handle(message("yes"))
    for _ in range(40):
        asked.append(replies[-1].text)
        if replies[-1].kind is ReplyKind.FINISHED:
            break
        replies = await engine.handle(message("no"))
    flow = engine.flows.get("ai-at-work")
    for question in flow.questions:
        assert any(question.ask in text for text in asked)
    assert flow.closing_question in asked[-2]
    state = await engine.current(participant())
    assert state is not None and state.status is Status.COMPLETED
    data_dir = make_engine.data_dir  # type: ignore[attr-defined]
    document = json.loads((data_dir / "transcripts" / f"{state.transcript_id}.json").read_text())
    assert document["flow_id"] == "ai-at-work" and document["flow_version"] == 2
    assert document["transcript_id"].startswith("work_")
    assert document["turns"][0]["role"] == "ai" and document["turns"][-1]["question_id"] == "_thanks"
    assert {"started_at", "ended_at", "duration_seconds"} <= set(document)


async def test_declining_stores_nothing_but_a_count(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.handle(message("Hello there, my secret words are pineapple"))
    replies = await engine.handle(message("No thanks, not today"))
    assert "Nothing you said here has been kept" in replies[0].text
    stored = await keys_and_values(engine.store.client, make_engine.prefix)  # type: ignore[attr-defined]
    assert all("pineapple" not in value for value in stored.values())
    assert not any(":iv:" in key for key in stored)
    assert await engine.store.counts("ai-at-work", "declined") == 1


async def test_nothing_said_before_consent_is_stored(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.handle(message("what is this about? my name is Zebediah"))
    await engine.handle(message("how long does it take, Zebediah asks"))
    stored = await keys_and_values(engine.store.client, make_engine.prefix)  # type: ignore[attr-defined]
    assert stored and all("Zebediah" not in value for value in stored.values())


async def test_follow_up_quotes_the_participant_and_none_after_no(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    follow_up = await engine.handle(message(LONG_ANSWER))
    assert "customer emails" in follow_up[0].text or "spreadsheet formulas" in follow_up[0].text
    after_no = await engine.handle(message("no"))
    assert "Pick one real piece of work" in after_no[0].text


async def test_skip_pause_resume_help(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    skipped = await engine.handle(message("Skip"))
    assert "skip that one" in skipped[0].text and "Pick one real piece of work" in skipped[0].text
    help_reply = await engine.handle(message("help"))
    assert "withdraw" in help_reply[0].text and "Pick one real piece of work" in help_reply[0].text
    assert "Paused" in (await engine.handle(message("PAUSE")))[0].text
    state = await engine.current(participant())
    assert state is not None and state.status is Status.PAUSED
    resumed = await engine.handle(message("I'm back"))
    assert "Welcome back" in resumed[0].text and "Pick one real piece of work" in resumed[0].text
    state = await engine.current(participant())
    assert state is not None and state.status is Status.IN_PROGRESS and state.answers == 0


async def test_a_long_reply_after_pause_counts_as_the_answer(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    await engine.handle(message("pause"))
    await engine.handle(message(LONG_ANSWER))
    state = await engine.current(participant())
    assert state is not None and state.answers == 1 and state.status is Status.IN_PROGRESS


async def test_stop_then_keep_delivers_a_partial_transcript(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    for text in ("hi", "yes", LONG_ANSWER):
        await engine.handle(message(text))
    ask = await engine.handle(message("stop"))
    assert ask[0].kind is ReplyKind.KEEP_OR_DELETE
    assert "keep" in (await engine.handle(message("maybe?")))[0].text
    done = await engine.handle(message("keep"))
    assert done[0].kind is ReplyKind.FINISHED
    state = await engine.current(participant())
    assert state is not None and state.ended_by == "stopped"
    data_dir = make_engine.data_dir  # type: ignore[attr-defined]
    document = json.loads((data_dir / "transcripts" / f"{state.transcript_id}.json").read_text())
    assert document["ended_by"] == "stopped"
    assert any(turn["text"] == LONG_ANSWER for turn in document["turns"])


async def test_stop_then_delete_and_withdraw_remove_everything(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    for text in ("hi", "yes", LONG_ANSWER, "stop"):
        await engine.handle(message(text))
    assert "deleted" in (await engine.handle(message("delete")))[0].text
    for text in ("hi", "yes", LONG_ANSWER):
        await engine.handle(message(text, user="U2"))
    assert "deleted" in (await engine.handle(message("withdraw", user="U2")))[0].text
    stored = await keys_and_values(engine.store.client, make_engine.prefix)  # type: ignore[attr-defined]
    assert all("spreadsheet" not in value for value in stored.values())
    assert not any(":iv:" in key for key in stored)
    assert await engine.store.counts("ai-at-work", "withdrawn") == 2


async def test_messages_after_the_end_change_nothing_and_withdraw_deletes_the_transcript(
    make_engine: EngineFactory,
) -> None:
    engine = await make_engine(default_flow="long-test")
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    await engine.handle(message("stop"))  # nothing answered: ends at once
    assert await engine.current(participant()) is None
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    await engine.handle(message("an answer worth keeping"))
    await engine.handle(message("stop"))
    await engine.handle(message("keep"))
    state = await engine.current(participant())
    assert state is not None and state.status is Status.COMPLETED
    before = state.version
    after = await engine.handle(message("one more thought"))
    assert "finished" in after[0].text
    state = await engine.current(participant())
    assert state is not None and state.version == before + 1 and state.answers == 1
    data_dir = make_engine.data_dir  # type: ignore[attr-defined]
    json_path = data_dir / "transcripts" / f"{state.transcript_id}.json"
    assert json_path.exists()
    gone = await engine.handle(message("withdraw"))
    assert "deleted" in gone[0].text
    assert not json_path.exists()
    assert state.transcript_id not in (data_dir / "transcripts.csv").read_text()


async def test_time_budget_wraps_up_politely(make_engine: EngineFactory) -> None:
    clock = Clock()
    engine = await make_engine(clock=clock)
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    for _ in range(3):  # three answers four minutes apart: 12 counted minutes, under the 15-minute budget
        clock.advance(240)
        replies = await engine.handle(message("no"))
        assert "time I said" not in replies[0].text
    clock.advance(240)
    replies = await engine.handle(message("no"))
    assert "time I said" in replies[0].text
    assert engine.flows.get("ai-at-work").closing_question in replies[0].text


async def test_a_long_pause_does_not_count_against_the_budget(make_engine: EngineFactory) -> None:
    clock = Clock()
    engine = await make_engine(clock=clock)
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    clock.advance(3 * 86400)
    replies = await engine.handle(message("no"))
    assert "time I said" not in replies[0].text


async def test_commands_before_consent(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    assert "nothing of yours" in (await engine.handle(message("withdraw")))[0].text
    await engine.handle(message("hi"))
    assert "haven't started" in (await engine.handle(message("skip")))[0].text
    assert (await engine.handle(message("hmm, what?")))[0].kind is ReplyKind.CONSENT
    assert "Thank you. Let's begin." in (await engine.handle(message("👍")))[0].text


async def test_start_resumes_a_live_interview_instead_of_restarting(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.start(participant(), "meetings-and-focus")
    await engine.handle(message("yes"))
    again = await engine.start(participant(), "ai-at-work")
    assert "Welcome back" in again[0].text
    state = await engine.current(participant())
    assert state is not None and state.flow_id == "meetings-and-focus"


async def test_an_invitation_leads_to_the_introduction_or_a_polite_decline(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    invitation = await engine.invite(participant(), "meetings-and-focus")
    assert invitation[0].kind is ReplyKind.INVITATION and invitation[0].choices == ("Start", "Not now")
    assert "about 12 minutes" in invitation[0].text and "anonymized" in invitation[0].text
    assert await engine.invite(participant(), "meetings-and-focus") == []  # never invited twice
    state = await engine.current(participant())
    assert state is not None and state.status is Status.INVITED and state.turn_count == 0
    replies = await engine.handle(message("start"))
    assert replies[-1].kind is ReplyKind.CONSENT
    assert engine.flows.get("meetings-and-focus").introduction.strip()[:40] in replies[0].text
    await engine.invite(participant(user="U2"))
    assert "Nothing you said" in (await engine.handle(message("Not now, thanks", user="U2")))[0].text
    assert await engine.current(participant(user="U2")) is None
    assert await engine.store.counts("ai-at-work", "declined") == 1


async def test_start_accepts_a_pending_invitation(make_engine: EngineFactory) -> None:
    engine = await make_engine()
    await engine.invite(participant(), "meetings-and-focus")
    replies = await engine.start(participant())
    assert replies[-1].kind is ReplyKind.CONSENT
    state = await engine.current(participant())
    assert state is not None and state.flow_id == "meetings-and-focus" and state.status is Status.CONSENT_PENDING


async def test_an_abandoned_interview_expires(make_engine: EngineFactory) -> None:
    clock = Clock()
    engine = await make_engine(clock=clock, ttl=3600)
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    await engine.handle(message("I write weekly status reports with it and then edit them myself."))
    clock.advance(3601)
    replies = await engine.handle(message("sorry, I was away"))
    assert "expired" in replies[0].text
    assert await engine.current(participant()) is None
    assert await engine.store.counts("ai-at-work", "expired") == 1
    assert (await engine.handle(message("hello again")))[-1].kind is ReplyKind.CONSENT


async def test_inviting_over_an_expired_interview_removes_its_answers(make_engine: EngineFactory) -> None:
    clock = Clock()
    engine = await make_engine(clock=clock, ttl=3600)
    await engine.handle(message("hi"))
    await engine.handle(message("yes"))
    await engine.handle(message("an answer from long ago about quarterly planning"))
    clock.advance(7200)
    assert (await engine.invite(participant()))[0].kind is ReplyKind.INVITATION
    assert await engine.store.turns(engine.key_for(participant())) == []
    assert await engine.store.counts("ai-at-work", "expired") == 1


async def test_history_lists_interviews_and_withdraw_everything_deletes_them(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    data_dir = make_engine.data_dir  # type: ignore[attr-defined]
    for text in ("hi", "yes", "first interview answer", "stop", "keep"):
        await engine.handle(message(text))
    await engine.start(participant(), "long-test")
    for text in ("yes", "second interview answer", "stop", "keep"):
        await engine.handle(message(text))
    await engine.start(participant(), "long-test")
    await engine.handle(message("yes"))
    history = await engine.history(participant())
    assert [entry.status for entry in history] == ["in_progress", "stopped", "stopped"]
    ids = [entry.transcript_id for entry in history[1:]]
    assert all((data_dir / "transcripts" / f"{tid}.json").exists() for tid in ids)
    replies = await engine.withdraw_everything(participant())
    assert "deleted" in replies[0].text
    assert not list((data_dir / "transcripts").glob("*.json"))
    assert "interview answer" not in (data_dir / "transcripts.csv").read_text()
    after = await engine.history(participant())
    assert [entry.status for entry in after] == ["withdrawn", "withdrawn", "withdrawn"]
    assert all(not entry.transcript_id for entry in after)
    assert "nothing of yours" in (await engine.withdraw_everything(participant()))[0].text


async def test_pseudonyms_are_stable_within_a_study_and_unlinkable_across_studies(make_engine: EngineFactory) -> None:
    engine = await make_engine(default_flow="long-test")
    data_dir = make_engine.data_dir  # type: ignore[attr-defined]

    async def interview(flow: str) -> dict[str, object]:
        await engine.start(participant(), flow)
        for text in ("yes", "an answer", "stop", "keep"):
            await engine.handle(message(text))
        state = await engine.current(participant())
        assert state is not None
        return dict(json.loads((data_dir / "transcripts" / f"{state.transcript_id}.json").read_text()))

    first, again, other = await interview("long-test"), await interview("long-test"), await interview("ai-at-work")
    assert str(first["participant"]).startswith("p_") and first["participant"] == again["participant"]
    assert other["participant"] != first["participant"]
    assert "U123" not in json.dumps([first, again, other])
