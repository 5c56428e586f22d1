"""The Slack app end to end: interviews in DMs, buttons, Home tab, commands, and every delivery rule."""

from __future__ import annotations

import asyncio
import csv
import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from adapters.inbox import EventInbox
from bot.engine.hygiene import clean
from bot.flows import FlowRegistry, packaged_flows_dir
from bot.interviewers import Decision, Move, Situation
from bot.privacy import Redactor
from bot.state.crypto import Keyring
from tests.conftest import DATA, free_port
from tests.slack_harness import TEAM, TOKEN, SlackEnv, candor_settings, close_env, open_env, running, slack_settings
from tests.slack_standin import (
    SlackStandIn,
    app_home_opened_event,
    app_uninstalled_event,
    event_callback,
    message_changed_event,
    message_deleted_event,
    message_im_event,
)

FLOW = FlowRegistry.from_dirs([packaged_flows_dir()]).get("ai-at-work")
USER = "U100"
DM = "D100"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_workspace(TEAM, TOKEN)
        standin.add_user(
            USER, name="dana.w", real_name="Dana Whitfield", display_name="Dana", email="dana@corp.example"
        )
        standin.add_user("U200", name="sam", real_name="Sam Okafor", display_name="Sam")
        yield standin


@pytest.fixture
async def env(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[SlackEnv]:
    async for running_env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
        yield running_env


def reference_answers(name: str) -> list[str]:
    text = (DATA / "reference" / name).read_text()
    turns = re.split(r"\n\s*\n(?=(?:AI|User|Assistant):)", text.strip())
    return [t.removeprefix("User:").strip() for t in turns if t.startswith("User:")]


def transcript_rows(data_dir: Path) -> list[dict[str, str]]:
    with open(data_dir / "transcripts.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("name", ["work_0823.txt", "work_0657.txt", "creativity_0014.txt", "science_0003.txt"])
async def test_reference_interviews_complete_over_slack(name: str, env: SlackEnv) -> None:
    answers = reference_answers(name)
    await env.say(USER, "Hi")
    for answer in answers:
        await env.say(USER, answer)
    for _ in range(25):
        if any(FLOW.thank_you.strip()[:40] in text for text in env.posted_texts(DM)):
            break
        await env.say(USER, "No.")
    posted = "\n".join(env.posted_texts(DM))
    for question in FLOW.questions:
        assert question.ask in posted
    [row] = transcript_rows(env.settings.data_dir)
    user_turns = [t.removeprefix("User: ") for t in row["text"].split("\n\n") if t.startswith("User: ")]
    for answer in answers:
        expected = re.sub(r"\n\s*\n", "\n", Redactor().redact(clean(answer, 4000).text, ["Dana Whitfield", "dana.w"]))
        assert expected in user_turns
    assert "Dana" not in row["text"] and USER not in row["text"]


async def test_consent_buttons_are_replaced_after_a_click(env: SlackEnv) -> None:
    await env.say(USER, "hello")
    consent = env.slack.calls("chat.postMessage")[-1]
    assert [b["value"] for b in consent.args["blocks"][1]["elements"]] == ["consent:yes", "consent:no"]
    payload = env.slack.block_actions_payload(
        TEAM,
        USER,
        "candor:choice:0",
        "consent:yes",
        button_text="Yes",
        channel=DM,
        message_ts=consent.response["ts"],
        message_text=consent.args["text"],
    )
    status, _ = await env.click(payload)
    assert status == 200
    [update] = await env.slack.wait_for("chat.update")
    assert all(block["type"] != "actions" for block in update.args["blocks"])
    assert "you chose: *yes*" in str(update.args["blocks"]).lower()
    await env.slack.wait_for("chat.postMessage", count=3)
    assert FLOW.questions[0].ask in env.posted_texts(DM)[-1]
    # A second click on the same (already replaced) buttons changes nothing.
    await env.click(payload)
    await asyncio.sleep(0.3)
    assert len(env.slack.calls("chat.postMessage")) == 3


async def test_text_no_declines_and_stores_nothing(env: SlackEnv) -> None:
    await env.say(USER, "hello, I'm Dana")
    await env.say(USER, "no thanks")
    assert "Nothing you said here has been kept" in env.posted_texts(DM)[-1]
    client = env.service.runtime.client
    keys = [k.decode() async for k in client.scan_iter(f"{env.settings.redis_prefix}:*")]
    assert not any(":iv:" in key for key in keys)


async def test_acknowledged_fast_even_when_the_interviewer_is_slow(env: SlackEnv) -> None:
    env.service.runtime.engine.interviewer = SlowInterviewer(2.0)
    await env.say(USER, "hi")
    await env.say(USER, "yes")
    began = time.monotonic()
    status, _ = await env.post_event(message_im_event(TEAM, USER, "I use it to summarise long incident reports."))
    assert status == 200 and time.monotonic() - began < 0.5
    [placeholder] = [c for c in await env.slack.wait_for("chat.postMessage", count=4) if "One moment" in c.args["text"]]
    # The first update retired the consent buttons when "yes" was typed; the second fills the placeholder.
    updates = await env.slack.wait_for("chat.update", count=2)
    assert updates[-1].args["ts"] == placeholder.response["ts"]
    assert FLOW.questions[1].ask in updates[-1].args["text"]
    await env.drain()


class SlowInterviewer:
    needs_history = False
    processor = ""

    def __init__(self, seconds: float, gate: asyncio.Event | None = None) -> None:
        self.seconds = seconds
        self.gate = gate

    async def next_move(self, situation: Situation) -> Move:
        if self.gate is not None:
            await self.gate.wait()
        else:
            await asyncio.sleep(self.seconds)
        return Move(Decision.NEXT_QUESTION)


async def test_an_acknowledged_message_survives_a_crash(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> None:
    settings = candor_settings(redis_url, tmp_path)
    first = await open_env(slack, settings, slack_settings(slack))
    await first.say(USER, "hi")
    await first.say(USER, "yes")
    gate = asyncio.Event()
    first.service.runtime.engine.interviewer = SlowInterviewer(0, gate)
    status, _ = await first.post_event(message_im_event(TEAM, USER, "An answer given just before the crash."))
    assert status == 200
    assert len(await first.service.slack.inbox.waiting()) == 1
    inbox = first.service.slack.inbox
    stored = await inbox.client.hgetall(inbox.key)
    assert len(stored) == 1 and all(b"answer given" not in value for value in stored.values())  # encrypted
    await first.http.close()
    await first.server.close()  # the process is gone: nothing more happens there
    await first.service.slack.inbox.retire()  # its liveness key expires (here: at once)
    second = await open_env(slack, settings, slack_settings(slack))
    try:
        assert await second.service.slack.recover() == 1
        assert "answer given" in second.posted_texts(DM)[-1]  # the follow-up quotes the answer
        gate.set()  # the old process's stuck task finds its message already applied
        await asyncio.sleep(0.3)
        assert sum("answer given" in t for t in second.posted_texts(DM)) == 1
        turns = await second.service.runtime.engine.store.turns(second.service.runtime.engine.key_for(_participant()))
        assert any(t.text == "An answer given just before the crash." for t in turns)
    finally:
        await close_env(second)
        await first.service.close()


def _participant():  # type: ignore[no-untyped-def]
    from bot.types import Participant, Platform

    return Participant(Platform.SLACK, TEAM, USER)


async def test_retries_and_duplicates_get_one_reply(env: SlackEnv) -> None:
    body = message_im_event(TEAM, USER, "hello", event_id="Ev0DUP")
    results = await asyncio.gather(
        env.post_event(body),
        env.post_event(body, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}),
    )
    assert [status for status, _ in results] == [200, 200]
    await env.drain()
    await env.post_event(body, headers={"X-Slack-Retry-Num": "2"})
    await env.drain()
    assert len(env.slack.calls("chat.postMessage")) == 2  # one introduction, one consent question


async def test_messages_of_one_conversation_are_processed_in_order(env: SlackEnv) -> None:
    await env.say(USER, "hi")
    await env.say(USER, "yes")
    texts = [f"Part {i} of a long answer about planning." for i in range(6)]
    for text in texts:  # each is acknowledged at once; processing overlaps with the next delivery
        assert (await env.post_event(message_im_event(TEAM, USER, text)))[0] == 200
    await env.drain()
    turns = await env.service.runtime.engine.store.turns(env.service.runtime.engine.key_for(_participant()))
    stored = [t.text for t in turns if t.text in texts]
    assert stored == texts


async def test_malformed_bodies_are_400_and_unknown_events_are_200(env: SlackEnv) -> None:
    assert (await env.post_raw(b"{not json", "application/json"))[0] == 400
    assert (await env.post_raw(b"[1, 2]", "application/json"))[0] == 400
    assert (await env.post_raw(b"payload=%7Bbroken", "application/x-www-form-urlencoded"))[0] == 400
    assert (await env.post_raw(b"what=ever", "application/x-www-form-urlencoded"))[0] == 400
    assert (await env.post_event(event_callback(TEAM, {"type": "reaction_added", "user": USER})))[0] == 200
    odd = message_im_event(TEAM, USER, "joined", subtype="channel_topic")
    assert (await env.post_event(odd))[0] == 200
    deleted = message_deleted_event(TEAM, USER, DM, "1700000000.000100")
    assert (await env.post_event(deleted))[0] == 200
    await env.drain()
    assert env.slack.calls("chat.postMessage") == []


async def test_bots_and_channels_are_ignored_and_edits_update_the_answer(env: SlackEnv) -> None:
    await env.post_event(message_im_event(TEAM, USER, "beep", bot_id="B0OTHER"))
    channel_message = message_im_event(TEAM, USER, "hello all", channel="C0GENERAL")
    channel_message["event"]["channel_type"] = "channel"
    await env.post_event(channel_message)
    await env.drain()
    assert env.slack.calls("chat.postMessage") == []
    await env.say(USER, "hi")
    await env.say(USER, "yes")
    await env.say(USER, "I use it every day for code review.", ts="1800000000.000500")
    edit = message_changed_event(TEAM, USER, DM, "1800000000.000500", "I use it every week for code review.")
    assert (await env.post_event(edit))[0] == 200
    await env.drain()
    turns = await env.service.runtime.engine.store.turns(env.service.runtime.engine.key_for(_participant()))
    assert "I use it every week for code review." in [t.text for t in turns]


async def test_files_get_a_polite_note_and_the_interview_continues(env: SlackEnv) -> None:
    await env.say(USER, "hi")
    await env.say(USER, "yes")
    await env.say(USER, "", files=[{"id": "F1", "name": "screenshot.png"}])
    assert "I can only read text here" in env.posted_texts(DM)[-1]
    await env.say(USER, "We use it for drafting release notes every sprint.")
    assert "release notes" in env.posted_texts(DM)[-1]


async def test_rate_limits_are_retried_and_errors_do_not_corrupt_state(
    env: SlackEnv, caplog: pytest.LogCaptureFixture
) -> None:
    env.slack.fail_next("chat.postMessage", status=429, headers={"Retry-After": "1"})
    began = time.monotonic()
    await env.say(USER, "hi")
    assert time.monotonic() - began >= 1.0
    assert [c.status for c in env.slack.calls("chat.postMessage")][:2] == [429, 200]
    env.slack.fail_next("chat.postMessage", body={"ok": False, "error": "channel_not_found"})
    with caplog.at_level(logging.ERROR):
        await env.say(USER, "yes")
    assert any("chat_postMessage" in r.getMessage() and "channel_not_found" in r.getMessage() for r in caplog.records)
    await env.say(USER, "help")
    assert FLOW.questions[0].ask in env.posted_texts(DM)[-1]  # the interview moved on as stored


async def test_users_are_looked_up_once(env: SlackEnv) -> None:
    for text in ("hi", "yes", "no", "no"):
        await env.say(USER, text)
    assert len(env.slack.calls("users.info")) == 1


async def test_slash_command_in_a_channel_and_in_the_dm(env: SlackEnv) -> None:
    status, text = await env.post_form(
        env.slack.slash_command_form(TEAM, USER, "/candor", "start", channel_id="C0GENERAL", channel_name="general")
    )
    assert status == 200 and "direct message" in text
    assert env.slack.calls("chat.postMessage") == []
    status, _ = await env.post_form(
        env.slack.slash_command_form(TEAM, USER, "/candor", "start meetings-and-focus", channel_id=DM)
    )
    assert status == 200
    await env.slack.wait_for("chat.postMessage", count=2)
    focus = FlowRegistry.from_dirs([packaged_flows_dir()]).get("meetings-and-focus")
    assert focus.introduction.strip()[:50] in env.posted_texts(DM)[0]
    status, text = await env.post_form(env.slack.slash_command_form(TEAM, USER, "/candor", "start nope", channel_id=DM))
    assert "no interview flow with id 'nope'" in text


async def test_home_tab_lists_interviews_starts_and_withdraws(env: SlackEnv) -> None:
    await env.post_event(app_home_opened_event(TEAM, USER))
    [view] = await env.slack.wait_for("views.publish")
    blocks = str(view.args["view"]["blocks"])
    assert "haven't taken part" in blocks and "Who can see it" in blocks and "30 days" in blocks
    start = env.slack.block_actions_payload(TEAM, USER, "candor:home:start", "", channel=DM, message_ts="1.0")
    start.pop("channel")
    await env.click(start)
    await env.slack.wait_for("chat.postMessage", count=2)
    views = await env.slack.wait_for("views.publish", count=2)
    assert "waiting to start" in str(views[-1].args["view"]["blocks"])
    await env.say(USER, "yes")
    await env.say(USER, "An answer I will take back: we use it for hiring notes.")
    withdraw = env.slack.block_actions_payload(TEAM, USER, "candor:home:withdraw", "", channel=DM, message_ts="1.0")
    await env.click(withdraw)
    views = await env.slack.wait_for("views.publish", count=3)
    assert "withdrawn, deleted" in str(views[-1].args["view"]["blocks"])
    assert "deleted" in env.posted_texts(DM)[-1]
    stored = [k async for k in env.service.runtime.client.scan_iter(f"{env.settings.redis_prefix}:iv:*")]
    assert stored == []


async def test_invitations_open_the_dm_with_start_and_not_now(env: SlackEnv) -> None:
    assert await env.service.interviews.invite(TEAM, "U200", "meetings-and-focus") is True
    [opened] = env.slack.calls("conversations.open")
    assert opened.args["users"] == "U200"
    [invitation] = env.slack.calls("chat.postMessage")
    assert [b["value"] for b in invitation.args["blocks"][1]["elements"]] == ["invitation:start", "invitation:not now"]
    assert await env.service.interviews.invite(TEAM, "U200") is False  # never invited twice
    payload = env.slack.block_actions_payload(
        TEAM,
        "U200",
        "candor:choice:0",
        "invitation:start",
        channel="D200",
        message_ts=invitation.response["ts"],
        message_text=invitation.args["text"],
    )
    await env.click(payload)
    await env.slack.wait_for("chat.postMessage", count=3)
    assert "anonymized" in env.posted_texts("D200")[1]


async def test_redis_down_means_no_acknowledgement(env: SlackEnv) -> None:
    dead = aioredis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    env.service.slack.inbox = EventInbox(dead, "dead", "slack", Keyring.generate())
    status, _ = await env.post_event(message_im_event(TEAM, USER, "hello"))
    assert status == 503
    await asyncio.sleep(0.2)
    assert env.slack.calls("chat.postMessage") == []
    await dead.aclose()


async def test_uninstall_in_single_workspace_mode_is_acknowledged(env: SlackEnv) -> None:
    assert (await env.post_event(app_uninstalled_event(TEAM)))[0] == 200
    await env.drain()
