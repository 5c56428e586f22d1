"""Teams end to end: signed activities in, Bot Connector calls out to the local stand-in."""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from microsoft_agents.hosting.core.authorization import _entra_issuers
from microsoft_agents.hosting.core.authorization.jwt import jwt_token_validator

from adapters.teams.auth import use_jwks_url
from bot.engine.hygiene import clean
from bot.flows import FlowRegistry, packaged_flows_dir
from bot.privacy import Redactor
from tests.conftest import DATA
from tests.teams_harness import (
    APP_ID,
    TENANT,
    TeamsEnv,
    candor_settings,
    isolate_sdk,
    running,
    teams_settings,
)
from tests.teams_standin import (
    BOTFRAMEWORK_ISSUER,
    TeamsStandIn,
    TokenIssuer,
    conversation_update_activity,
    mention_entity,
)

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web.NotAppKeyWarning")
FLOW = FlowRegistry.from_dirs([packaged_flows_dir()]).get("ai-at-work")


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    with TeamsStandIn([TokenIssuer()]) as standin:
        standin.add_member(
            "29:user-1",
            name="Dana Whitfield",
            aad_object_id="aad-user-1",
            given_name="Dana",
            surname="Whitfield",
            tenant_id=TENANT,
        )
        yield standin


@pytest.fixture
async def env(
    teams: TeamsStandIn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TeamsEnv]:
    isolate_sdk(monkeypatch, teams)
    async for running_env in running(teams, candor_settings(redis_url, tmp_path), teams_settings(teams)):
        yield running_env


def reference_answers(name: str) -> list[str]:
    text = (DATA / "reference" / name).read_text()
    turns = re.split(r"\n\s*\n(?=(?:AI|User|Assistant):)", text.strip())
    return [t.removeprefix("User:").strip() for t in turns if t.startswith("User:")]


def test_the_jwks_override_still_reaches_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """If an SDK upgrade moves the key URL table, this fails before anything else does."""
    monkeypatch.setitem(_entra_issuers.BOTFRAMEWORK_JWKS_URIS, BOTFRAMEWORK_ISSUER, "unchanged")
    use_jwks_url("http://127.0.0.1:1/keys")
    assert jwt_token_validator.BOTFRAMEWORK_JWKS_URIS is _entra_issuers.BOTFRAMEWORK_JWKS_URIS
    assert jwt_token_validator.BOTFRAMEWORK_JWKS_URIS[BOTFRAMEWORK_ISSUER] == "http://127.0.0.1:1/keys"


@pytest.mark.parametrize("name", ["work_0823.txt", "work_0657.txt", "creativity_0014.txt", "science_0003.txt"])
async def test_reference_interviews_complete_over_teams(name: str, env: TeamsEnv) -> None:
    answers = reference_answers(name)
    await env.say("Hi")
    for answer in answers:
        await env.say(answer)
    for _ in range(25):
        if any(FLOW.thank_you.strip()[:40] in t for t in env.texts()):
            break
        await env.say("No.")
    said = "\n".join(env.texts())
    for question in FLOW.questions:
        assert question.ask in said
    with open(env.settings.data_dir / "transcripts.csv", newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    user_turns = [t.removeprefix("User: ") for t in row["text"].split("\n\n") if t.startswith("User: ")]
    for answer in answers:
        expected = re.sub(r"\n\s*\n", "\n", Redactor().redact(clean(answer, 4000).text, ["Dana Whitfield"]))
        assert expected in user_turns
    assert "aad-user-1" not in row["text"] and "Dana" not in row["text"]


async def test_consent_is_a_card_that_is_replaced_after_a_click(env: TeamsEnv) -> None:
    await env.say("hello")
    [card] = env.cards()
    submit = card["actions"][0]
    assert submit["type"] == "Action.Submit" and submit["data"]["kind"] == "consent"
    assert [a["title"] for a in card["actions"]] == ["Start", "Not now"]
    card_id = env.teams.calls("reply")[-1].response["id"]
    await env.say(None, value=submit["data"], reply_to_id=card_id)
    [update] = env.teams.calls("update")
    assert update.item_id == card_id and "You chose" in str(update.body)
    assert FLOW.questions[0].ask in env.texts()[-1]
    await env.say(None, value=submit["data"], reply_to_id=card_id)  # pressed again: nothing more
    assert sum(FLOW.questions[0].ask in t for t in env.texts()) == 1


async def test_every_bad_token_is_401_and_nothing_is_processed(env: TeamsEnv) -> None:
    activity = env.message("hello")
    tokens = env.teams.issuer.bad_tokens(app_id=APP_ID, service_url=env.teams.service_url)
    for name, token in tokens.items():
        assert await env.post(activity, token=token) == 401, name
    assert await env.post(activity, token=None) == 401
    assert await env.post(activity, token="garbage") == 401
    async with env.http.post(f"{env.url}/api/messages", json=activity, headers={"Authorization": "Basic abc"}) as r:
        assert r.status == 401
    await asyncio.sleep(0.2)
    assert env.teams.calls("reply") == [] and env.teams.calls("send") == []
    assert await env.service.teams.inbox.waiting() == []  # type: ignore[union-attr]


async def test_malformed_bodies_are_400(env: TeamsEnv) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {env.token()}"}
    for body in (b"{not json", b"[1,2]", b'{"type": "message"}'):
        async with env.http.post(f"{env.url}/api/messages", data=body, headers=headers) as response:
            assert response.status == 400


async def test_duplicate_activities_get_one_reply_and_order_holds(env: TeamsEnv) -> None:
    hello = env.message("hello", activity_id="act-dup")
    assert await env.post(hello) == 202
    assert await env.post(hello) == 202
    await env.drain()
    assert len(env.texts()) == 1 and len(env.cards()) == 1
    await env.say("yes")
    texts = [f"Part {i} of an answer about our planning." for i in range(5)]
    for text in texts:
        assert await env.post(env.message(text)) == 202
    await env.drain()
    engine = env.service.runtime.engine
    from bot.types import Participant, Platform

    turns = await engine.store.turns(engine.key_for(Participant(Platform.TEAMS, TENANT, "aad-user-1")))
    assert [t.text for t in turns if t.text in texts] == texts


async def test_mentions_html_and_attachments(env: TeamsEnv) -> None:
    await env.say("hi")
    await env.say("yes")
    html = "<p>Hello <at>Candor</at>, we use <b>it</b>&nbsp;daily&amp;weekly</p>"
    await env.say(html, entities=[mention_entity("Candor", f"28:{APP_ID}")], text_format="xml")
    engine = env.service.runtime.engine
    from bot.types import Participant, Platform

    turns = await engine.store.turns(engine.key_for(Participant(Platform.TEAMS, TENANT, "aad-user-1")))
    assert "Hello , we use it daily&weekly" in [t.text for t in turns]
    await env.say(None, attachments=[{"contentType": "image/png", "contentUrl": "https://x/y.png"}])
    assert "only read text" in env.texts()[-1]


async def test_group_chats_are_ignored_unless_mentioned(env: TeamsEnv) -> None:
    group = dict(conversation_type="groupChat", conversation_id="19:group")
    update = conversation_update_activity(
        service_url=env.teams.service_url, app_id=APP_ID, conversation_type="groupChat", conversation_id="19:group"
    )
    assert await env.post(update) == 202
    await env.say("hello everyone", **group)
    assert env.texts() == []
    await env.say("<at>Candor</at> hi", entities=[mention_entity("Candor", f"28:{APP_ID}")], **group)
    assert "private chat" in env.texts()[-1]


async def test_the_bot_greets_once_when_installed(env: TeamsEnv) -> None:
    update = conversation_update_activity(service_url=env.teams.service_url, app_id=APP_ID)
    assert await env.post(update) == 202
    await env.drain()
    assert await env.post(conversation_update_activity(service_url=env.teams.service_url, app_id=APP_ID)) == 202
    await env.drain()
    assert sum("I'm Candor" in t for t in env.texts()) == 1


async def test_throttling_is_retried_after_retry_after(env: TeamsEnv) -> None:
    env.teams.fail_next("reply", status=429, headers={"Retry-After": "1"})
    await env.say("hello")
    statuses = [c.status for c in env.teams.calls("reply")]
    assert 429 in statuses and len(env.texts()) == 1


async def test_names_from_the_member_lookup_are_redacted(env: TeamsEnv) -> None:
    await env.say("hi", user_name="D. W.")
    await env.say("yes", user_name="D. W.")
    await env.say("Whitfield here, and Dana is what my team calls me.", user_name="D. W.")
    assert env.teams.calls("member")
    engine = env.service.runtime.engine
    from bot.types import Participant, Platform

    turns = await engine.store.turns(engine.key_for(Participant(Platform.TEAMS, TENANT, "aad-user-1")))
    assert "[REDACTED] here, and [REDACTED] is what my team calls me." in [t.text for t in turns]


async def test_invite_continues_a_stored_conversation_or_creates_one(env: TeamsEnv) -> None:
    teams_app = env.service.teams
    assert teams_app is not None
    await env.say("hello")  # stores the reference for aad-user-1
    await env.say("withdraw")
    assert await teams_app.invite(TENANT, "aad-user-1", "meetings-and-focus") is True
    card = env.cards()[-1]
    assert [a["data"]["choice"] for a in card["actions"]] == ["start", "not now"]
    assert env.teams.calls("create") == []
    assert await teams_app.invite(TENANT, "aad-new-user") is True
    [create] = env.teams.calls("create")
    assert create.body["members"][0]["id"] == "aad-new-user" and create.body["tenantId"] == TENANT
    assert await teams_app.invite(TENANT, "aad-new-user") is False  # never invited twice
    assert len(env.teams.calls("create")) == 1  # the stored conversation is reused


async def test_an_acknowledged_activity_survives_a_crash(
    teams: TeamsStandIn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.teams_harness import close_env, open_env

    isolate_sdk(monkeypatch, teams)
    settings = candor_settings(redis_url, tmp_path)
    first = await open_env(teams, settings, teams_settings(teams))
    await first.say("hi")
    await first.say("yes")
    gate = asyncio.Event()

    class Stuck:
        needs_history = False
        processor = ""

        async def next_move(self, situation: object) -> object:
            await gate.wait()
            raise RuntimeError("the process died")

    first.service.runtime.engine.interviewer = Stuck()  # type: ignore[assignment]
    assert await first.post(first.message("An answer given just before the crash.")) == 202
    await first.http.close()
    await first.server.close()
    await first.service.teams.inbox.retire()  # type: ignore[union-attr]
    second = await open_env(teams, settings, teams_settings(teams))
    try:
        assert await second.service.recover() == 1
        assert "answer given" in second.texts()[-1]
    finally:
        gate.set()
        await asyncio.sleep(0.1)
        await close_env(second)
        await first.service.close()


async def test_slack_and_teams_share_one_server(
    teams: TeamsStandIn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.slack_harness import TEAM, TOKEN
    from tests.slack_harness import slack_settings as slack_config
    from tests.slack_standin import SlackStandIn, message_im_event, sign
    from tests.teams_harness import close_env, open_env

    isolate_sdk(monkeypatch, teams)
    with SlackStandIn() as slack:
        slack.add_workspace(TEAM, TOKEN)
        env = await open_env(teams, candor_settings(redis_url, tmp_path), teams_settings(teams), slack_config(slack))
        try:
            await env.say("hello from Teams")
            import json

            raw = json.dumps(message_im_event(TEAM, "U100", "hello from Slack")).encode()
            headers = {**sign("test-signing-secret", raw), "Content-Type": "application/json"}
            async with env.http.post(f"{env.url}/slack/events", data=raw, headers=headers) as response:
                assert response.status == 200
            await slack.wait_for("chat.postMessage", count=2)
            assert len(env.texts()) == 1 and len(env.cards()) == 1
        finally:
            await close_env(env)


def test_auth_can_be_disabled_only_on_loopback() -> None:
    from adapters.teams.config import TeamsSettings
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match="bind to 127.0.0.1"):
        TeamsSettings(auth_disabled=True).check("0.0.0.0")
    TeamsSettings(auth_disabled=True).check("127.0.0.1")
    with pytest.raises(ConfigError, match="TEAMS_TENANT_ID"):
        TeamsSettings(app_id=APP_ID, app_password="x").check("0.0.0.0")


async def test_with_auth_disabled_no_token_is_needed_on_loopback(
    teams: TeamsStandIn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_sdk(monkeypatch, teams)
    config = teams_settings(teams, app_id=None, app_password=None, auth_disabled=True)
    async for env in running(teams, candor_settings(redis_url, tmp_path), config):
        assert await env.post(env.message("hello"), token=None) == 202
        await env.drain()
        assert len(env.texts()) == 1
        outside = env.message("hello", activity_id="act-x")
        outside["serviceUrl"] = "https://evil.example.com/"
        assert await env.post(outside, token=None) == 401


def test_teams_package_is_a_valid_upload(tmp_path: Path) -> None:
    import json
    import struct
    import subprocess
    import sys
    import zipfile

    out = tmp_path / "candor.zip"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "adapters.cli",
            "teams",
            "package",
            "--url",
            "https://candor.example.com",
            "--app-id",
            APP_ID,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        sizes = {name: struct.unpack(">II", archive.read(name)[16:24]) for name in ("color.png", "outline.png")}
    for field in ("manifestVersion", "version", "id", "developer", "name", "description", "icons", "accentColor"):
        assert manifest[field], field
    assert set(manifest["developer"]) >= {"name", "websiteUrl", "privacyUrl", "termsOfUseUrl"}
    assert all(manifest["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID and bot["scopes"] == ["personal"]
    assert manifest["webApplicationInfo"]["id"] == APP_ID
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert sizes == {"color.png": (192, 192), "outline.png": (32, 32)}
    bad = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "teams", "package", "--url", "http://x", "--app-id", APP_ID],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert bad.returncode == 2 and "https://" in bad.stderr


async def test_sends_keep_under_teams_limits() -> None:
    import time

    from adapters.teams.pace import Pacer

    pacer = Pacer(7)
    began = time.monotonic()
    for _ in range(15):
        await pacer.wait("a:conv-1")
    assert 2.0 <= time.monotonic() - began < 3.0  # 15 sends at 7 a second: three windows
    began = time.monotonic()
    await pacer.wait("a:another")
    assert time.monotonic() - began < 0.1  # each conversation has its own window


async def test_a_full_window_holds_up_only_its_own_key() -> None:
    import time

    from adapters.teams.pace import Pacer

    pacer = Pacer(1)
    await pacer.wait("busy")
    waiting = asyncio.create_task(pacer.wait("busy"))
    await asyncio.sleep(0.05)
    began = time.monotonic()
    await pacer.wait("idle")
    assert time.monotonic() - began < 0.1
    await waiting


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CANDOR_", "SLACK_", "TEAMS_"))}
    env.pop("REDIS_URL", None)
    env.update(CANDOR_DATA_DIR=str(tmp_path / "data"), CANDOR_DEVELOPMENT="1", **extra)
    return env


def test_serve_refuses_disabled_auth_on_a_public_address(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "serve", "--host", "0.0.0.0"],
        env=_serve_env(tmp_path, TEAMS_AUTH_DISABLED="1"),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 2
    assert "TEAMS_AUTH_DISABLED is for development on this machine only" in result.stderr


async def test_serve_runs_teams_alone(teams: TeamsStandIn, tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    import aiohttp

    from tests.conftest import free_port

    port = free_port()
    env = _serve_env(
        tmp_path,
        TEAMS_APP_ID=APP_ID,
        TEAMS_TENANT_ID=TENANT,
        TEAMS_APP_PASSWORD="x",
        TEAMS_JWKS_URL=teams.jwks_url,
        PORT=str(port),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            async with http.post(f"http://127.0.0.1:{port}/api/messages", json={"type": "message"}) as response:
                assert response.status == 401  # the Teams route is there, and it wants a token
            async with http.post(f"http://127.0.0.1:{port}/slack/events", data=b"{}") as response:
                assert response.status == 404  # no Slack settings, no Slack routes
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Teams: /api/messages" in stderr and "Slack" not in stderr.split("listening", 1)[1]


def test_plain_text_keeps_what_was_typed() -> None:
    from adapters.teams.text import plain_text

    assert plain_text("I use it <5 times a day, >10 on Fridays") == "I use it <5 times a day, >10 on Fridays"
    assert plain_text("<p>Line one<br>Line&nbsp;two</p>") == "Line one\nLine two"


async def test_a_failed_member_lookup_waits_instead_of_storing_names(env: TeamsEnv) -> None:
    await env.say("hi", user_name="D. W.")
    await env.say("yes", user_name="D. W.")
    env.service.teams.bot._names.clear()  # type: ignore[union-attr]
    env.teams.fail_next("member", status=429, headers={"Retry-After": "0"})
    assert await env.post(env.message("Whitfield here, Dana to my team.", user_name="D. W.")) == 202
    await asyncio.sleep(0.5)
    teams_app = env.service.teams
    assert teams_app is not None and len(await teams_app.inbox.waiting()) == 1  # kept, not stored unredacted
    assert await teams_app.recover() == 1
    engine = env.service.runtime.engine
    from bot.types import Participant, Platform

    turns = await engine.store.turns(engine.key_for(Participant(Platform.TEAMS, TENANT, "aad-user-1")))
    texts = [t.text for t in turns]
    assert "[REDACTED] here, [REDACTED] to my team." in texts and not any("Whitfield" in t for t in texts)


async def test_invitations_never_send_the_token_to_a_foreign_service_url(env: TeamsEnv) -> None:
    teams_app = env.service.teams
    assert teams_app is not None
    assert await teams_app.invite(TENANT, "aad-someone", service_url="https://evil.example.com/") is False
    assert env.teams.calls("create") == []


# The Agents SDK 1.9 does not close its connector session when creating a conversation fails.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_failed_invitation_can_be_sent_again(env: TeamsEnv) -> None:
    teams_app = env.service.teams
    assert teams_app is not None
    env.teams.fail_next("create", status=500)
    assert await teams_app.invite(TENANT, "aad-later") is False
    assert await teams_app.invite(TENANT, "aad-later") is True
    assert not any("Sorry" in t for t in env.texts())


async def test_a_slow_reply_is_preceded_by_a_typing_indicator(env: TeamsEnv) -> None:
    from bot.interviewers import Decision, Move

    class Slow:
        needs_history = False
        processor = ""

        async def next_move(self, situation: object) -> Move:
            await asyncio.sleep(1.0)
            return Move(Decision.NEXT_QUESTION)

    await env.say("hi")
    await env.say("yes")
    assert not [a for a in env.teams.sent_activities() if a.get("type") == "typing"]  # fast replies need none
    env.service.runtime.engine.interviewer = Slow()  # type: ignore[assignment]
    await env.say("We mostly use it for planning sprints.")
    kinds = [a.get("type") for a in env.teams.sent_activities()]
    assert kinds[-2:] == ["typing", "message"]
