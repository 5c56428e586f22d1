"""Commands, consent answers, input hygiene and first-line redaction."""

from __future__ import annotations

import pytest

from bot.engine.commands import Command, parse_command, parse_consent, parse_keep_or_delete
from bot.engine.hygiene import Problem, clean
from bot.privacy import Redactor


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("help", Command.HELP),
        ("SKIP", Command.SKIP),
        ("skip this question", Command.SKIP),
        ("Pause.", Command.PAUSE),
        ("/stop", Command.STOP),
        ("please withdraw", Command.WITHDRAW),
        ("stop the interview", Command.STOP),
        ("I want to stop using AI", None),
        ("help me", Command.HELP),
        ("skipping lunch", None),
    ],
)
def test_commands_are_plain_words(text: str, command: Command | None) -> None:
    assert parse_command(text) == command


@pytest.mark.parametrize(
    ("text", "consent"),
    [
        ("yes", True),
        ("Sure, let's go", True),
        ("No questions, lets begin!", True),
        ("No questions", True),
        ("Sounds good to me, no questions so far.", True),
        ("No,  I think I am ready to begin", True),
        ("no", False),
        ("Not now, maybe later", False),
        ("Sure, but maybe later", False),
        ("👎", False),
        ("what is this?", None),
    ],
)
def test_consent_answers(text: str, consent: bool | None) -> None:
    assert parse_consent(text) is consent


def test_keep_or_delete() -> None:
    assert parse_keep_or_delete("Keep them") is True
    assert parse_keep_or_delete("delete") is False
    assert parse_keep_or_delete("hmm") is None


def test_hygiene() -> None:
    assert clean("  \n ", 100).problem is Problem.EMPTY
    assert clean("🙂🙂", 100).problem is Problem.SYMBOLS_ONLY
    assert clean("x" * 101, 100).problem is Problem.TOO_LONG
    assert clean("a\x00b\x07c\u202e d\r\ne", 100) == clean("abc d\ne", 100)
    assert clean("one\n\n\n\n\ntwo", 100).text == "one\n\ntwo"


def test_redaction_of_contacts_and_own_names() -> None:
    redactor = Redactor()
    text = (
        "I'm Priya Raman (@praman), reach me at priya.raman@corp.example or +44 20 7946 0958 "
        "or (555) 123-4567. Priya's team connected 20 branches in 2024 on version 3.11.7."
    )
    out = redactor.redact(text, ["Priya Raman", "praman"])
    for secret in ("Priya", "Raman", "praman", "corp.example", "7946", "123-4567"):
        assert secret not in out
    assert "20 branches in 2024 on version 3.11.7" in out
    assert "[REDACTED]'s team" in out
    assert redactor.redact(out, ["Priya Raman", "praman"]) == out


def test_redaction_of_links_addresses_cards_ibans_and_terms() -> None:
    from bot.privacy.redact import Placeholders

    redactor = Redactor(style=Placeholders.TYPED, terms=["Project Falcon", "Acme"])
    text = (
        "See https://intranet.acme.com/x?y=1, mail dana@acme.com, card 4111 1111 1111 1111, "
        "IBAN GB82 WEST 1234 5698 7654 32, server 10.0.0.12 and fe80::1ff:fe23:4567:890a, call +44 20 7946 0958; "
        "Acme's Project Falcon. Version 3.11.7 in 2024 with 20 branches at 10:30:15, order 12345678. "
        "(see www.example.org)."
    )
    out = redactor.redact(text, ["Dana Whitfield"])
    assert out == (
        "See [URL], mail [EMAIL], card [CARD], IBAN [IBAN], server [IP] and [IP], call [PHONE]; "
        "[TERM]'s [TERM]. Version 3.11.7 in 2024 with 20 branches at 10:30:15, order 12345678. (see [URL])."
    )
    assert redactor.redact(out, ["Dana Whitfield"]) == out  # idempotent
    plain = Redactor().redact("a card 4111-1111-1111-1111 and 999.1.2.3 and 1.2.3.4")
    assert plain == "a card [REDACTED] and 999.1.2.3 and [REDACTED]"
