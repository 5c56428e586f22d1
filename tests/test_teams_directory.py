"""Teams: the tenant's directory from team rosters (paged Bot Connector members), cached in Redis, used in answers."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.teams.text import plain_text
from bot.types import Participant, Platform
from tests.teams_harness import APP_ID, TENANT, TeamsEnv, candor_settings, isolate_sdk, running, teams_settings
from tests.teams_standin import TeamsStandIn, TokenIssuer, conversation_update_activity, mention_entity

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web.NotAppKeyWarning")
TEAM_ID = "19:team-general@thread.tacv2"
COLLEAGUES = (
    ("29:user-2", "Priya Raman", "priya.raman@contoso.example"),
    ("29:user-3", "Grant Okafor", "g.okafor@contoso.example"),
    ("29:user-4", "Tomasz Nowak", "tomasz@contoso.example"),
    ("29:user-5", "Ximena Quispe", "xq@contoso.example"),
)


@pytest.fixture
def teams() -> Iterator[TeamsStandIn]:
    with TeamsStandIn([TokenIssuer()]) as standin:
        standin.max_page_size = 2  # five members: three pages, so continuation tokens are followed
        standin.add_member(
            "29:user-1",
            name="Dana Whitfield",
            aad_object_id="aad-user-1",
            given_name="Dana",
            surname="Whitfield",
            tenant_id=TENANT,
            job_title="Regional Sales Director",
            department="Field Operations",
            office_location="Porto",
        )
        for member_id, name, email in COLLEAGUES:
            given, surname = name.split()
            standin.add_member(
                member_id, name=name, given_name=given, surname=surname, email=email, user_principal_name=email
            )
        yield standin


@pytest.fixture
async def env(
    teams: TeamsStandIn, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TeamsEnv]:
    isolate_sdk(monkeypatch, teams)
    async for running_env in running(teams, candor_settings(redis_url, tmp_path), teams_settings(teams)):
        yield running_env


async def stored_texts(env: TeamsEnv) -> list[str]:
    engine = env.service.runtime.engine
    turns = await engine.store.turns(engine.key_for(Participant(Platform.TEAMS, TENANT, "aad-user-1")))
    return [turn.text for turn in turns]


async def test_colleagues_from_the_team_roster_leave_a_teams_answer(env: TeamsEnv, teams: TeamsStandIn) -> None:
    # The app is added to a team: its id is remembered, and the team's members make up the directory.
    added = conversation_update_activity(
        service_url=teams.service_url, app_id=APP_ID, conversation_type="channel", conversation_id="19:general"
    )
    added["channelData"]["team"] = {"id": TEAM_ID}
    assert await env.post(added) == 202
    await env.drain()

    await env.say("hi")
    await env.say("yes")
    answer = "I asked Priya and <at>Tomasz Nowak</at>; g.okafor agreed, Quispe did not, as Grant said."
    await env.say(answer, text_format="xml")
    assert "I asked [REDACTED] and [REDACTED]; [REDACTED] agreed, [REDACTED] did not, as [REDACTED] said." in (
        await stored_texts(env)
    )

    pages = teams.calls("pagedmembers")
    assert {call.conversation_id for call in pages} == {TEAM_ID}
    assert len(pages) == 3 and pages[1].query.get("continuationToken") == "2"
    redis = env.service.runtime.client
    key = f"{env.settings.redis_prefix}:dir:teams:{TENANT}"
    assert 0 < await redis.ttl(key) <= env.settings.directory_ttl_seconds
    stored = zlib.decompress(await redis.hget(key, "people")).decode()
    assert "Ximena Quispe" in stored and "contoso" not in stored

    # Later messages use the cached copy: no more roster calls.
    await env.say("Priya helped again.")
    assert len(teams.calls("pagedmembers")) == 3


async def test_without_a_known_team_the_chats_own_roster_is_used(env: TeamsEnv, teams: TeamsStandIn) -> None:
    await env.say("hi")
    await env.say("yes")
    await env.say("Nowak and I work together.")
    assert "[REDACTED] and I work together." in await stored_texts(env)
    assert {call.conversation_id for call in teams.calls("pagedmembers")} == {"a:conv-1"}


async def test_own_title_department_and_office_are_redacted(env: TeamsEnv) -> None:
    await env.say("hi")
    await env.say("yes")
    await env.say("As regional sales director in field operations, based in Porto, I see the sales pipeline.")
    assert "As [REDACTED] in [REDACTED], based in [REDACTED], I see the sales pipeline." in await stored_texts(env)


async def test_a_roster_failure_leaves_pattern_redaction_and_the_answer_goes_on(
    env: TeamsEnv, teams: TeamsStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    teams.fail_next("pagedmembers", status=403)
    await env.say("hi")
    await env.say("yes")
    await env.say("Tomasz said hi.")
    # No directory (not retried for every message): the name stays, but the interview goes on.
    assert "Tomasz said hi." in await stored_texts(env)
    assert len(teams.calls("pagedmembers")) == 1
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Teams roster: no team or chat would list its members (HTTP 403/404)" in logged
    for secret in ("Tomasz", "Dana", "29:user", "aad-user-1", TENANT):
        assert secret not in logged


async def test_mentions_of_colleagues_are_redacted_and_the_bots_own_dropped(env: TeamsEnv) -> None:
    await env.say("hi")
    await env.say("yes")
    text = "<at>Candor</at> I met <at>Priya&nbsp;Raman</at> today"
    await env.say(text, entities=[mention_entity("Candor", f"28:{APP_ID}")], text_format="xml")
    assert "I met [REDACTED] today" in await stored_texts(env)


def test_plain_text_mentions() -> None:
    assert plain_text("<at>Candor</at> hi <at>Dana</at>", {"Candor"}) == "hi [REDACTED]"
    assert plain_text("<at>Dana</at>, see this") == "[REDACTED], see this"


async def test_a_team_the_app_left_is_skipped(env: TeamsEnv, teams: TeamsStandIn) -> None:
    for team_id in ("19:team-a@thread.tacv2", "19:team-b@thread.tacv2"):
        added = conversation_update_activity(
            service_url=teams.service_url, app_id=APP_ID, conversation_type="channel", conversation_id=team_id
        )
        added["channelData"]["team"] = {"id": team_id}
        assert await env.post(added) == 202
    await env.drain()
    teams.fail_next("pagedmembers", status=404)  # the first team no longer has the app
    await env.say("hi")
    await env.say("yes")
    await env.say("Nowak and I work together.")
    assert "[REDACTED] and I work together." in await stored_texts(env)
    assert [call.conversation_id for call in teams.calls("pagedmembers")][:2] == [
        "19:team-a@thread.tacv2",
        "19:team-b@thread.tacv2",
    ]
