"""The Teams stand-in serves the real Microsoft 365 Agents SDK 1.9 end to end: inbound JWT validation against its
published keys, and the SDK's own connector client for replies, updates, creates and member lookups."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from azure.core.credentials_async import AsyncTokenCredential
from microsoft_agents.activity import Activity, ActivityTypes, ChannelAccount, ConversationParameters
from microsoft_agents.hosting.aiohttp import CloudAdapter, jwt_authorization_decorator, start_agent_process
from microsoft_agents.hosting.core import (
    AccessTokenProviderBase,
    AgentApplication,
    AgentAuthConfiguration,
    ApplicationOptions,
    ConnectionManager,
    ConnectorClientBase,
    JwtTokenValidator,
    MemoryStorage,
    OutboundHostValidator,
    TeamsConnectorClient,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.authorization import _entra_issuers
from yarl import URL

from tests.teams_standin import (
    BOTFRAMEWORK_ISSUER,
    DEFAULT_CONVERSATION_ID,
    DEFAULT_TENANT_ID,
    DEFAULT_USER_ID,
    TeamsStandIn,
    TokenIssuer,
    auth_header,
    conversation_update_activity,
    installation_update_activity,
    mention_entity,
    message_activity,
)

# The SDK stores str keys on aiohttp objects (request["claims_identity"], app["agent_configuration"]); aiohttp 3.14
# warns once per key and process, and pyproject turns warnings into errors.
pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web.NotAppKeyWarning")

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "99999999-8888-7777-6666-555555555555"
OUTBOUND_TOKEN = "outbound-test-token"


class StaticTokenProvider(AccessTokenProviderBase):
    """Outbound token without MSAL (which would call login.microsoftonline.com)."""

    def __init__(self, config: AgentAuthConfiguration) -> None:
        self._config = config

    @property
    def configuration(self) -> AgentAuthConfiguration:
        return self._config

    async def get_access_token(self, resource_url: str, scopes: list[str], force_refresh: bool = False) -> str:
        return OUTBOUND_TOKEN

    def get_token_credential(self) -> AsyncTokenCredential:
        raise NotImplementedError


class LoopbackHostValidator(OutboundHostValidator):
    """Production host validation (and serviceurl binding) plus the stand-in's http://127.0.0.1 URLs."""

    def is_allowed(self, url: str | URL) -> bool:
        return str(url).startswith("http://127.0.0.1:") or super().is_allowed(url)


@dataclass
class Bot:
    url: str
    adapter: CloudAdapter
    members: list[Any]


def build_agent(cm: ConnectionManager, members: list[Any]) -> AgentApplication[TurnState]:
    """An echo bot that also looks up its user ("whoami") and updates a submitted card in place."""
    options = ApplicationOptions(storage=MemoryStorage(), start_typing_timer=False)
    agent = AgentApplication[TurnState](options, connection_manager=cm)

    @agent.activity(ActivityTypes.message)
    async def on_message(ctx: TurnContext, state: TurnState) -> None:
        activity = ctx.activity
        if activity.value is not None:
            await ctx.update_activity(Activity(type="message", id=activity.reply_to_id, text="Thanks, noted."))
            return
        if activity.text == "whoami":
            client = ctx.services.get(ConnectorClientBase)  # type: ignore[type-abstract]
            assert isinstance(client, TeamsConnectorClient)
            member = await client.get_conversation_member(activity.conversation.id, activity.from_property.id)
            members.append(member)
            await ctx.send_activity(f"you are {member.name}")
            return
        await ctx.send_activity(f"echo: {activity.text}")

    @agent.conversation_update("membersAdded")
    async def on_added(ctx: TurnContext, state: TurnState) -> None:
        bot_id = ctx.activity.recipient.id if ctx.activity.recipient else None
        if any(member.id == bot_id for member in ctx.activity.members_added or []):
            await ctx.send_activity("Welcome")

    @agent.activity("installationUpdate")
    async def on_installed(ctx: TurnContext, state: TurnState) -> None:
        await ctx.send_activity(f"installation {ctx.activity.action}")

    return agent


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    with TeamsStandIn([TokenIssuer()]) as standin:
        yield standin


@pytest.fixture
async def bot(teams: TeamsStandIn, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Bot]:
    monkeypatch.setitem(_entra_issuers.BOTFRAMEWORK_JWKS_URIS, BOTFRAMEWORK_ISSUER, teams.jwks_url)
    # The SDK caches one PyJWKClient (and its keys, 300 s) per URL for the process; a reused port would serve an
    # earlier test's key under the same kid, so each test gets a fresh cache.
    fresh_cache = type(JwtTokenValidator._jwk_client_manager)()
    monkeypatch.setattr(JwtTokenValidator, "_jwk_client_manager", fresh_cache)
    cfg = AgentAuthConfiguration(client_id=APP_ID, tenant_id=TENANT, client_secret="x", validate_issuer=True)
    cm = ConnectionManager(provider_factory=StaticTokenProvider, connections_configurations={"SERVICE_CONNECTION": cfg})
    adapter = CloudAdapter(connection_manager=cm, host_validator=LoopbackHostValidator(enabled=True))
    members: list[Any] = []
    agent = build_agent(cm, members)

    @jwt_authorization_decorator  # type: ignore[untyped-decorator]
    async def messages(request: web.Request) -> web.StreamResponse | None:
        return await start_agent_process(request, agent, adapter)

    web_app = web.Application()
    web_app["agent_configuration"] = cm.get_default_connection_configuration()
    web_app.router.add_post("/api/messages", messages)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Bot(f"http://127.0.0.1:{port}/api/messages", adapter, members)
    finally:
        await runner.cleanup()


async def post(url: str, activity: dict[str, Any], headers: dict[str, str] | None = None) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, json=activity, headers=headers or {}) as response:
        await response.read()
        return response.status


async def test_valid_token_gets_202_and_the_reply_reaches_the_standin(teams: TeamsStandIn, bot: Bot) -> None:
    activity = message_activity("hello", service_url=teams.service_url, app_id=APP_ID)
    token = teams.issuer.token(app_id=APP_ID, service_url=teams.service_url)

    assert await post(bot.url, activity, auth_header(token)) == 202

    [reply] = await teams.wait_for("reply")
    assert reply.path == f"/v3/conversations/{DEFAULT_CONVERSATION_ID}/activities/{activity['id']}"
    assert (reply.conversation_id, reply.item_id) == (DEFAULT_CONVERSATION_ID, activity["id"])
    assert reply.token == OUTBOUND_TOKEN
    assert reply.headers["Authorization"] == f"Bearer {OUTBOUND_TOKEN}"
    assert reply.body is not None and reply.body["replyToId"] == activity["id"]
    assert reply.body["conversation"]["tenantId"] == DEFAULT_TENANT_ID
    assert reply.response == {"id": reply.response["id"]} and reply.status == 200
    assert teams.sent_texts() == ["echo: hello"] == teams.sent_texts(DEFAULT_CONVERSATION_ID)
    assert teams.sent_texts("a:other") == []
    assert teams.calls("jwks"), "the SDK validated against the stand-in's keys"


# Agents SDK 1.9 answers through jwt_authorization_decorator + start_agent_process with a host validator.
EXPECTED_STATUS = {
    "unsigned": 401,
    "garbage_signature": 401,
    "alg_confusion_hs256": 401,
    "expired": 401,
    "not_yet_valid": 401,
    "wrong_audience": 401,
    "unknown_kid": 401,
    "missing_kid": 500,  # KeyError on header["kid"] escapes the decorator
    "wrong_serviceurl": 401,  # only because a host validator is enabled
}


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
async def test_bad_tokens_are_refused_and_nothing_is_sent(teams: TeamsStandIn, bot: Bot, name: str) -> None:
    token = teams.issuer.bad_tokens(app_id=APP_ID, service_url=teams.service_url)[name]
    activity = message_activity("hello", service_url=teams.service_url, app_id=APP_ID)

    assert await post(bot.url, activity, auth_header(token)) == EXPECTED_STATUS[name]
    assert await post(bot.url, activity) == 401  # no Authorization header at all

    await asyncio.sleep(0.1)
    assert teams.sent_activities() == []


async def test_expiry_inside_the_sdk_leeway_is_still_accepted(teams: TeamsStandIn, bot: Bot) -> None:
    """lifetime=-60 is within PyJWT's 300 s leeway as the SDK configures it: only ``expired_token`` really expires."""
    activity = message_activity("late", service_url=teams.service_url, app_id=APP_ID)
    token = teams.issuer.token(app_id=APP_ID, service_url=teams.service_url, lifetime=-60)

    assert await post(bot.url, activity, auth_header(token)) == 202
    assert teams.sent_texts() == ["echo: late"]


async def test_create_conversation_then_first_message(teams: TeamsStandIn, bot: Bot) -> None:
    created: list[str] = []

    async def on_created(ctx: TurnContext) -> None:
        created.append(ctx.activity.conversation.id)
        await ctx.send_activity("Hello from Candor")

    params = ConversationParameters(
        is_group=False,
        agent=ChannelAccount(id=f"28:{APP_ID}"),  # type: ignore[call-arg]  # alias "bot", populate_by_name
        members=[ChannelAccount(id="aad-user-2")],
        tenant_id=TENANT,
        channel_data={"tenant": {"id": TENANT}},
    )
    await bot.adapter.create_conversation(APP_ID, "msteams", teams.service_url, BOTFRAMEWORK_ISSUER, params, on_created)

    [create] = teams.calls("create")
    assert create.status == 201 and create.token == OUTBOUND_TOKEN
    assert create.body is not None
    assert create.body["bot"] == {"id": f"28:{APP_ID}"} and create.body["members"] == [{"id": "aad-user-2"}]
    assert create.body["tenantId"] == TENANT and create.body["isGroup"] is False
    assert created == [create.response["id"]] and created[0].startswith("a:new-")
    [first] = teams.calls("reply")
    assert (first.conversation_id, first.item_id) == (created[0], create.response["activityId"])
    assert teams.sent_texts(created[0]) == ["Hello from Candor"]


async def test_card_submit_updates_the_card_with_put(teams: TeamsStandIn, bot: Bot) -> None:
    submit = message_activity(
        None, service_url=teams.service_url, app_id=APP_ID, value={"verb": "consent"}, reply_to_id="card-7"
    )
    assert "text" not in submit
    token = teams.issuer.token(app_id=APP_ID, service_url=teams.service_url)

    assert await post(bot.url, submit, auth_header(token)) == 202

    [update] = teams.calls("update")
    assert update.path == f"/v3/conversations/{DEFAULT_CONVERSATION_ID}/activities/card-7"
    assert update.token == OUTBOUND_TOKEN and update.response == {"id": "card-7"}
    assert update.body is not None and update.body["text"] == "Thanks, noted."
    assert teams.sent_activities() == []


async def test_member_lookup_through_the_turn_connector_client(teams: TeamsStandIn, bot: Bot) -> None:
    teams.add_member(DEFAULT_USER_ID, name="Dana Whitfield", aad_object_id="aad-user-1", email="dana@example.com")
    activity = message_activity("whoami", service_url=teams.service_url, app_id=APP_ID)
    token = teams.issuer.token(app_id=APP_ID, service_url=teams.service_url)

    assert await post(bot.url, activity, auth_header(token)) == 202

    [lookup] = teams.calls("member")
    assert (lookup.conversation_id, lookup.item_id, lookup.token) == (
        DEFAULT_CONVERSATION_ID,
        "29:user-1",
        OUTBOUND_TOKEN,
    )
    [member] = bot.members
    assert (member.name, member.email, member.aad_object_id, member.user_role) == (
        "Dana Whitfield",
        "dana@example.com",
        "aad-user-1",
        "user",
    )
    assert teams.sent_texts() == ["you are Dana Whitfield"]


async def test_connector_routes_failures_and_waiting(teams: TeamsStandIn) -> None:
    teams.add_member("29:a", name="A One")
    teams.add_member("29:b", name="B Two", tenant_id="tenant-2")
    teams.fail_next("send", times=2)
    client = TeamsConnectorClient(endpoint=teams.service_url, token="t")
    try:
        for _ in range(2):
            with pytest.raises(Exception):  # noqa: B017 - the SDK raises its own error type for non-2xx
                await client.conversations.send_to_conversation("a:c", Activity(type="message", text="x"))
        sent = await client.conversations.send_to_conversation("a:c", Activity(type="message", text="y"))
        await client.conversations.delete_activity("a:c", sent.id)
        with pytest.raises(aiohttp.ClientResponseError) as missing:
            await client.get_conversation_member("a:c", "29:nobody")
        paged = await client.get_conversation_paged_member("a:c", 10, "")  # "pagedMembers" spelling
        first_page = await client.conversations.get_conversation_paged_members("a:c", page_size=1)
        second_page = await client.conversations.get_conversation_paged_members(
            "a:c", page_size=1, continuation_token=first_page.continuation_token
        )
        paged_lower = await client.conversations.get_conversation_paged_members("a:c")
        listed = await client.conversations.get_conversation_members("a:c")
    finally:
        await client.close()

    assert missing.value.status == 404
    assert [m.id for m in paged.members] == [m.id for m in paged_lower.members] == [m.id for m in listed]
    assert [m.id for m in listed] == ["29:a", "29:b"]
    assert [m.id for m in first_page.members + second_page.members] == ["29:a", "29:b"]
    assert second_page.continuation_token is None
    assert "continuationToken" not in teams.calls("pagedmembers")[0].response
    failed = [call for call in teams.calls("send") if call.status == 429]
    assert len(failed) == 2 and failed[0].response["error"]["code"] == "TooManyRequests"
    assert [call.status for call in teams.calls("send")] == [429, 429, 201]
    assert teams.sent_texts("a:c") == ["y"]
    assert teams.calls("delete")[0].item_id == sent.id
    assert teams.calls("member")[0].response["error"]["code"] == "MemberNotFoundInConversation"
    # waiting from another thread, and the OpenID document for stacks that start there
    result: list[int] = []
    waiter = threading.Thread(target=lambda: result.append(len(teams.wait_for_sync("openid", timeout=5))))
    waiter.start()
    async with aiohttp.ClientSession() as http, http.get(teams.openid_url) as response:
        document = await response.json()
    waiter.join(5)
    assert result == [1]
    assert document["jwks_uri"] == teams.jwks_url and document["issuer"] == BOTFRAMEWORK_ISSUER
    teams.clear()
    assert teams.calls() == []


async def test_lifecycle_activities_and_mentions_parse_in_the_sdk(teams: TeamsStandIn, bot: Bot) -> None:
    url = teams.service_url
    mention = mention_entity("Candor", f"28:{APP_ID}")
    activities = [
        conversation_update_activity(service_url=url, app_id=APP_ID),
        installation_update_activity("add", service_url=url, app_id=APP_ID),
        message_activity("<at>Candor</at> hi there", entities=[mention], service_url=url, app_id=APP_ID),
    ]
    token = teams.issuer.token(app_id=APP_ID, service_url=teams.service_url)

    for activity in activities:
        assert await post(bot.url, activity, auth_header(token)) == 202

    assert activities[0]["membersAdded"] == [{"id": f"28:{APP_ID}"}]
    assert teams.sent_texts() == ["Welcome", "installation add", "echo: hi there"]


def test_latency_applies_to_every_answer() -> None:
    with TeamsStandIn(latency_seconds=0.2) as slow:
        started = time.monotonic()
        with urllib.request.urlopen(slow.jwks_url, timeout=5) as response:
            keys = json.load(response)["keys"]
        assert time.monotonic() - started >= 0.2
        assert [key["kid"] for key in keys] == ["test-kid-1"] and keys[0]["endorsements"] == ["msteams"]
        assert slow.wait_for_sync("jwks")[0].status == 200
