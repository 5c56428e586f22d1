"""Directory-aware redaction: colleagues' names leave answers, everyday words stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.privacy import Redactor
from bot.privacy.directory import Directory, Person

PEOPLE = Directory(
    [
        Person(("Will Turner", "will.t")),
        Person(("Priya Raman", "priya")),
        Person(("May Chen",)),
        Person(("Grant Okafor",)),
        Person(("The Dude",)),
    ]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I asked Priya and Will Turner; Priya's team agreed.",
            "I asked [REDACTED] and [REDACTED]; [REDACTED]'s team agreed.",
        ),
        (
            "We will see. May I add something? In May we shipped.",
            "We will see. May I add something? In May we shipped.",
        ),
        (
            "I met with Grant yesterday, and the grant was approved.",
            "I met with [REDACTED] yesterday, and the grant was approved.",
        ),
        (
            "Will you help? I told Will about it. Raman said no.",
            "Will you help? I told [REDACTED] about it. [REDACTED] said no.",
        ),
        ("May Chen reviewed it with me.", "[REDACTED] reviewed it with me."),
        ("The tool is fine.", "The tool is fine."),
        ("OKAFOR was away.", "[REDACTED] was away."),
    ],
)
def test_colleagues_names_are_redacted_and_everyday_words_kept(text: str, expected: str) -> None:
    assert Redactor().redact(text, (), PEOPLE) == expected


async def test_slack_answers_lose_colleagues_names(redis_url: str, tmp_path: Path) -> None:
    from tests.slack_harness import TEAM, TOKEN, candor_settings, running, slack_settings
    from tests.slack_standin import SlackStandIn

    with SlackStandIn() as slack:
        slack.add_workspace(TEAM, TOKEN)
        slack.add_user("U100", real_name="Dana Whitfield", team_id=TEAM)
        for user, name in (("U200", "Priya Raman"), ("U300", "Grant Okafor"), ("U400", "Tomasz Nowak")):
            slack.add_user(user, real_name=name, display_name=name.split()[0], team_id=TEAM)
        async for env in running(slack, candor_settings(redis_url, tmp_path), slack_settings(slack)):
            await env.say("U100", "hi")
            await env.say("U100", "yes")
            await env.say("U100", "Priya and I pair on it; Nowak reviews, and I met with Grant about the grant.")
            engine = env.service.runtime.engine
            from bot.types import Participant, Platform

            turns = await engine.store.turns(engine.key_for(Participant(Platform.SLACK, TEAM, "U100")))
            assert "[REDACTED] and I pair on it; [REDACTED] reviews, and I met with [REDACTED] about the grant." in [
                t.text for t in turns
            ]
            assert len(slack.calls("users.list")) >= 2  # paged through
