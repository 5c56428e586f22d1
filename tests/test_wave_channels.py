"""Waves on Slack and Teams: resolving the lists, do-not-disturb, invitations, reminders, opt-out, rate limits.

The real SDKs talk to the local stand-ins; the limiter is the real one, on the test Redis.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from adapters import optout
from adapters.slack.waves import INVITATION_EVENT, SlackWaveChannel
from adapters.teams.waves import TeamsWaveChannel
from bot.engine import texts
from bot.state import Status
from bot.types import Participant, Platform
from bot.waves.channel import Person, Sent, Unresolved
from bot.waves.ratelimit import Limits, RateLimiter, bucket_key
from bot.waves.store import WaveStore
from tests.slack_harness import TEAM, TOKEN, SlackEnv, candor_settings, running, slack_settings
from tests.slack_standin import SlackStandIn
from tests.teams_harness import TENANT, TeamsEnv, isolate_sdk, teams_settings
from tests.teams_harness import candor_settings as teams_candor_settings
from tests.teams_harness import running as teams_running
from tests.teams_standin import TeamsStandIn, TokenIssuer

FLOW = "meetings-and-focus"
WAVE = "w-2025-q3"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as standin:
        standin.add_workspace(TEAM, TOKEN)
        standin.add_user("U100", real_name="Dana Whitfield", email="dana@corp.example", tz="Europe/Berlin")
        standin.add_user("U200", real_name="Sam Okafor", email="sam@corp.example", tz="America/Chicago")
        standin.add_user("U300", real_name="Ira Gone", email="ira@corp.example", deleted=True)
        standin.add_user("U400", real_name="Build Bot", is_bot=True)
        standin.add_user("U500", real_name="Kim Lee", tz="Asia/Tokyo")
        standin.add_channel("C1", ["U100", "U400", "U500", "U200", "U100"])
        yield standin


@pytest.fixture
async def env(slack: SlackStandIn, redis_url: str, tmp_path: Path) -> AsyncIterator[SlackEnv]:
    async for running_env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
        yield running_env


@pytest.fixture
async def limiter(redis_url: str) -> AsyncIterator[RateLimiter]:
    client = aioredis.from_url(redis_url)
    yield RateLimiter(client, prefix=f"rl-{uuid.uuid4().hex[:10]}")
    await client.aclose()


def channel_of(env: SlackEnv, limiter: RateLimiter) -> SlackWaveChannel:
    return SlackWaveChannel(env.service.interviews, limiter, Limits())


def person(user: str, team: str = TEAM) -> Person:
    return Person(Participant(Platform.SLACK, team, user))


# -- resolve -----------------------------------------------------------------------------------------


async def test_resolve_every_kind_of_source_once_each(env: SlackEnv, limiter: RateLimiter) -> None:
    channel = channel_of(env, limiter)
    rows = [
        {"user": "U100", "team": "Sales", "_source": "people.csv row 2"},
        {"Email": "sam@corp.example", "team": "Ops", "_source": "people.csv row 3"},
        {"team": "Ops", "_source": "people.csv row 4"},
        {"email": "nobody@corp.example", "team": "Ops", "_source": "people.csv row 5"},
    ]
    people, unresolved = await channel.resolve(
        TEAM, ["U100", "U300", "U400", "U999"], ["sam@corp.example", "nobody@corp.example"], ["C1", "C404"], rows
    )
    assert [p.participant.user for p in people] == ["U100", "U200", "U500"]
    by_user = {p.participant.user: p for p in people}
    assert by_user["U100"].timezone == "Europe/Berlin"
    assert by_user["U500"].timezone == "Asia/Tokyo"
    # Named first without attributes, then in the CSV: the first attributes seen win.
    assert by_user["U100"].attributes == {"team": "Sales"}
    assert by_user["U200"].attributes == {"team": "Ops"}
    assert by_user["U200"].email == "sam@corp.example"
    assert unresolved == [
        Unresolved("users[1]", "this Slack account is deactivated"),
        Unresolved("users[2]", "this is a bot, not a person"),
        Unresolved("users[3]", "no Slack user with this id in the workspace"),
        Unresolved("emails[1]", "no Slack user with this e-mail address"),
        Unresolved("channels[1]", "no such channel, or Candor can't see its members"),
        Unresolved("people.csv row 4", "the row has neither a user nor an email"),
        Unresolved("people.csv row 5", "no Slack user with this e-mail address"),
    ]
    # The channel was paged through, and each of its people looked up once.
    assert len(env.slack.calls("conversations.members")) == 4  # C1: 3 pages, C404: 1
    looked_up = [call.args["user"] for call in env.slack.calls("users.info")]
    assert sorted(looked_up) == sorted(set(looked_up))


async def test_resolve_through_429_waits_for_the_shared_bucket(env: SlackEnv, limiter: RateLimiter) -> None:
    env.slack.limit("users.lookupByEmail", per_second=1)
    channel = channel_of(env, limiter)
    people, unresolved = await channel.resolve(TEAM, [], ["dana@corp.example", "sam@corp.example"], [], [])
    assert unresolved == []
    assert [p.participant.user for p in people] == ["U100", "U200"]
    # The second lookup was refused once, and the retry came only after the penalty (not at once).
    assert env.slack.rate_limited("users.lookupByEmail") >= 1
    calls = env.slack.calls("users.lookupByEmail")
    refused = next(call for call in calls if call.status == 429)
    assert calls[-1].status == 200 and calls[-1].at - refused.at >= 0.9


# -- do not disturb ----------------------------------------------------------------------------------


async def test_do_not_disturb_until(env: SlackEnv, limiter: RateLimiter) -> None:
    channel = channel_of(env, limiter)
    now = time.time()
    env.slack.set_dnd("U100", start=now - 600, end=now + 3600)
    env.slack.set_dnd("U200", start=now + 600, end=now + 3600)  # later today: not now
    env.slack.set_dnd("U500", enabled=False, snooze_end=now + 900)
    until = await channel.do_not_disturb_until(person("U100"))
    assert until is not None and until.tzinfo is not None
    assert abs(until.timestamp() - (now + 3600)) < 2
    assert await channel.do_not_disturb_until(person("U200")) is None
    snoozed = await channel.do_not_disturb_until(person("U500"))
    assert snoozed is not None and abs(snoozed.timestamp() - (now + 900)) < 2


# -- invitations ---------------------------------------------------------------------------------------


async def test_invite_sends_once_with_metadata_then_busy(env: SlackEnv, limiter: RateLimiter) -> None:
    channel = channel_of(env, limiter)
    assert await channel.was_invited(person("U200"), WAVE) is False
    result = await channel.invite(person("U200"), FLOW, WAVE, "Would you have 10 minutes for us?")
    assert result.outcome is Sent.SENT
    [posted] = env.slack.calls("chat.postMessage")
    assert posted.args["channel"] == "D200"
    assert posted.args["text"] == "Would you have 10 minutes for us?"
    assert posted.args["metadata"] == {"event_type": INVITATION_EVENT, "event_payload": {"wave": WAVE}}
    buttons = posted.args["blocks"][1]["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Start", "Not now", "Don't ask me again"]
    assert buttons[2]["action_id"] == "candor:optout"
    interview = await env.service.interviews.engine.current(person("U200").participant)
    assert interview is not None and interview.status is Status.INVITED and interview.wave == WAVE
    # The same person again: already invited, so nothing is sent.
    again = await channel.invite(person("U200"), FLOW, WAVE, None)
    assert again.outcome is Sent.BUSY
    assert len(env.slack.calls("chat.postMessage")) == 1
    assert await channel.was_invited(person("U200"), WAVE) is True
    assert await channel.was_invited(person("U200"), "another-wave") is False
    [history, *_] = env.slack.calls("conversations.history")
    assert str(history.args["include_all_metadata"]).lower() in ("1", "true")


async def test_invite_to_a_deactivated_account_fails_and_is_not_recorded(env: SlackEnv, limiter: RateLimiter) -> None:
    env.slack.fail_next("conversations.open", body={"ok": False, "error": "account_inactive"})
    result = await channel_of(env, limiter).invite(person("U300"), FLOW, WAVE, None)
    assert (result.outcome, result.detail) == (Sent.FAILED, "account_inactive")
    assert await env.service.interviews.engine.current(person("U300").participant) is None


async def test_a_429_closes_the_bucket_for_everyone_and_defers(env: SlackEnv, limiter: RateLimiter) -> None:
    env.slack.limit("conversations.open", per_minute=1, retry_after=30)
    channel = channel_of(env, limiter)
    assert (await channel.invite(person("U100"), FLOW, WAVE, None)).outcome is Sent.SENT
    before = datetime.now(UTC)
    deferred = await channel.invite(person("U200"), FLOW, WAVE, None)
    assert deferred.outcome is Sent.DEFERRED and deferred.retry_at is not None
    assert 25 <= (deferred.retry_at - before).total_seconds() <= 35
    assert env.slack.rate_limited("conversations.open") == 1
    # Not delivered, so not invited: the next attempt starts afresh.
    assert await env.service.interviews.engine.current(person("U200").participant) is None
    # Another worker sharing the limiter now waits about Retry-After before its next conversations.open...
    limit = Limits().slack_conversations_open
    wait = await limiter.try_acquire(bucket_key("slack", "conversations.open", TEAM), limit.rate, limit.burst)
    assert 25 <= wait <= 31
    # ...and this one defers without asking Slack again.
    assert (await channel.invite(person("U500"), FLOW, WAVE, None)).outcome is Sent.DEFERRED
    assert len(env.slack.calls("conversations.open")) == 2


async def test_dont_ask_me_again(env: SlackEnv, limiter: RateLimiter) -> None:
    channel = channel_of(env, limiter)
    assert (await channel.invite(person("U200"), FLOW, WAVE, None)).outcome is Sent.SENT
    [invitation] = env.slack.calls("chat.postMessage")
    payload = env.slack.block_actions_payload(
        TEAM,
        "U200",
        "candor:optout",
        "invitation:optout",
        channel="D200",
        message_ts=invitation.response["ts"],
        message_text=invitation.args["text"],
        button_text="Don't ask me again",
    )
    status, _ = await env.click(payload)
    assert status == 200
    await env.slack.wait_for("chat.postMessage", count=3)
    assert env.posted_texts("D200")[1:] == [texts.DECLINED, optout.CONFIRMED]
    [update] = env.slack.calls("chat.update")
    assert "Don't ask me again" in str(update.args["blocks"])
    engine = env.service.interviews.engine
    waves = WaveStore(env.service.runtime.client, env.settings.redis_prefix, engine.store.keyring)
    assert await waves.opted_out(engine.key_for(person("U200").participant)) is True
    assert await waves.opted_out(engine.key_for(person("U100").participant)) is False
    current = await engine.current(person("U200").participant)
    assert current is None or current.status is not Status.INVITED


# -- reminders and messages ----------------------------------------------------------------------------


async def test_reminders_only_while_unfinished(env: SlackEnv, limiter: RateLimiter) -> None:
    channel = channel_of(env, limiter)
    assert (await channel.remind(person("U200"), WAVE, "A gentle reminder")).detail == "finished"
    await channel.invite(person("U200"), FLOW, WAVE, None)
    reminded = await channel.remind(person("U200"), WAVE, "A gentle reminder")
    assert reminded.outcome is Sent.SENT
    reminder = env.slack.calls("chat.postMessage")[-1]
    assert reminder.args["text"] == "A gentle reminder"
    assert [b["text"]["text"] for b in reminder.args["blocks"][1]["elements"]] == ["Start", "Not now"]
    assert (await channel.remind(person("U200"), "another-wave", "Hello")).detail == "other_wave"
    await env.say("U200", "no thanks")  # declines: the interview is over
    late = await channel.remind(person("U200"), WAVE, "A gentle reminder")
    assert (late.outcome, late.detail) == (Sent.FAILED, "finished")
    said = await channel.say(person("U200"), "The study has closed <thanks>")
    assert said.outcome is Sent.SENT
    closing = env.slack.calls("chat.postMessage")[-1]
    assert closing.args["text"] == "The study has closed &lt;thanks&gt;" and "blocks" not in closing.args


# -- Teams ---------------------------------------------------------------------------------------------


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    with TeamsStandIn([TokenIssuer()]) as standin:
        standin.add_member("29:user-1", name="Dana Whitfield", aad_object_id="aad-user-1", tenant_id=TENANT)
        standin.add_member(
            "29:user-2", name="Sam Okafor", aad_object_id="aad-user-2", email="sam@corp.example", tenant_id=TENANT
        )
        standin.add_member(
            "29:user-3", name="Kim Lee", aad_object_id="aad-user-3", user_principal_name="kim@corp.example"
        )
        standin.add_member("28:bot", name="Another bot", email="bot@corp.example")
        yield standin


@pytest.fixture
async def tenv(
    teams: TeamsStandIn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TeamsEnv]:
    isolate_sdk(monkeypatch, teams)
    async for running_env in teams_running(teams, teams_candor_settings(redis_url, tmp_path), teams_settings(teams)):
        yield running_env


def teams_channel(env: TeamsEnv, limiter: RateLimiter) -> TeamsWaveChannel:
    assert env.service.teams is not None
    return TeamsWaveChannel(env.service.teams, limiter, Limits())


def member(aad: str) -> Person:
    return Person(Participant(Platform.TEAMS, TENANT, aad))


async def test_teams_resolve_by_aad_id_email_and_csv(tenv: TeamsEnv, limiter: RateLimiter) -> None:
    assert tenv.service.teams is not None
    await tenv.service.teams.bot.rosters.remember(TENANT, "19:team-general@thread.tacv2")
    channel = teams_channel(tenv, limiter)
    rows = [
        {"aad_id": "aad-user-1", "region": "EU"},
        {"email": "KIM@corp.example", "region": "APAC", "_source": "people.csv row 3"},
        {"region": "US"},
    ]
    people, unresolved = await channel.resolve(
        TENANT, ["aad-user-1"], ["sam@corp.example", "nobody@corp.example"], ["C1"], rows
    )
    assert [(p.participant.user, p.timezone, dict(p.attributes)) for p in people] == [
        ("aad-user-1", None, {"region": "EU"}),
        ("aad-user-2", None, {}),
        ("aad-user-3", None, {"region": "APAC"}),
    ]
    assert unresolved == [
        Unresolved("emails[1]", "no Teams member with this e-mail address in the teams Candor is installed in"),
        Unresolved("channels[0]", "channels are a Slack source, not a Teams one"),
        Unresolved("csv row 4", "the row has neither an aad_id nor an email"),
    ]
    # The roster was read once, through the team Candor is in.
    [paged] = tenv.teams.calls("pagedmembers")
    assert paged.conversation_id == "19:team-general@thread.tacv2"
    assert await channel.do_not_disturb_until(people[0]) is None


async def test_teams_invite_remind_say_and_opt_out(tenv: TeamsEnv, limiter: RateLimiter) -> None:
    channel = teams_channel(tenv, limiter)
    await tenv.say("hello")  # stores where aad-user-1 is reached
    await tenv.say("withdraw")
    result = await channel.invite(member("aad-user-1"), FLOW, WAVE, "Ten minutes about meetings?")
    assert result.outcome is Sent.SENT
    card = tenv.cards()[-1]
    assert card["body"][0]["text"] == "Ten minutes about meetings?"
    assert [a["title"] for a in card["actions"]] == ["Start", "Not now", "Don't ask me again"]
    assert (await channel.invite(member("aad-user-1"), FLOW, WAVE, None)).outcome is Sent.BUSY
    assert await channel.was_invited(member("aad-user-1"), WAVE) is None
    # A reminder while still invited: Start / Not now again, no opt-out.
    assert (await channel.remind(member("aad-user-1"), WAVE, "Just a reminder")).outcome is Sent.SENT
    reminder = tenv.cards()[-1]
    assert reminder["body"][0]["text"] == "Just a reminder"
    assert [a["data"]["choice"] for a in reminder["actions"]] == ["start", "not now"]
    # "Don't ask me again" on the invitation card.
    card_id = next(
        call.response["id"]
        for call in tenv.teams.calls()
        if call.method in ("reply", "send") and "Don't ask me again" in json.dumps(call.body)
    )
    await tenv.say(None, value=card["actions"][2]["data"], reply_to_id=card_id)
    assert tenv.texts()[-2:] == [texts.DECLINED, optout.CONFIRMED]
    [update] = tenv.teams.calls("update")
    assert "Don't ask me again" in json.dumps(update.body)
    engine = tenv.service.runtime.engine
    waves = WaveStore(tenv.service.runtime.client, tenv.settings.redis_prefix, engine.store.keyring)
    assert await waves.opted_out(engine.key_for(member("aad-user-1").participant)) is True
    finished = await channel.remind(member("aad-user-1"), WAVE, "Just a reminder")
    assert (finished.outcome, finished.detail) == (Sent.FAILED, "finished")
    assert (await channel.say(member("aad-user-1"), "The study has closed.")).outcome is Sent.SENT
    assert tenv.texts()[-1] == "The study has closed."
    # Nobody Candor ever talked to can't get a plain message.
    assert (await channel.say(member("aad-stranger"), "Hi")).detail == "no_conversation"


async def test_teams_throttling_defers_and_closes_the_tenant_bucket(tenv: TeamsEnv, limiter: RateLimiter) -> None:
    channel = teams_channel(tenv, limiter)
    tenv.teams.fail_next("reply", status=429, headers={"Retry-After": "20"})
    before = datetime.now(UTC)
    result = await channel.invite(member("aad-new-user"), FLOW, WAVE, None)
    assert (result.outcome, result.detail) == (Sent.DEFERRED, "throttled")
    assert result.retry_at is not None and 15 <= (result.retry_at - before).total_seconds() <= 25
    assert await tenv.service.runtime.engine.current(member("aad-new-user").participant) is None
    limit = Limits().teams_tenant
    wait = await limiter.try_acquire(bucket_key("teams", "send", TENANT), limit.rate, limit.burst)
    assert 15 <= wait <= 21
    asked = len(tenv.teams.calls())
    assert (await channel.invite(member("aad-new-user"), FLOW, WAVE, None)).outcome is Sent.DEFERRED
    assert len(tenv.teams.calls()) == asked  # the second attempt never reached Teams
