"""Adaptive Cards for Teams: choices (consent, invitation, keep or delete) and the card after a click."""

from __future__ import annotations

from typing import Any

from adapters import optout
from bot.types import Reply, ReplyKind

CARD_VERB = "candor"
# The choice of a wave invitation's "Don't ask me again" button: handled by the bot, not the engine.
OPT_OUT = "optout"


# Teams shows consent as Start / Not now; the engine reads them as its yes / no.
_LABELS = {ReplyKind.CONSENT: {"yes": "Start", "no": "Not now"}}


def label(kind: ReplyKind, choice: str) -> str:
    if choice == OPT_OUT:
        return optout.LABEL
    return _LABELS.get(kind, {}).get(choice.lower(), choice.capitalize())


def choice_card(reply: Reply, opt_out: str | None = None) -> dict[str, Any]:
    """``Action.Submit`` buttons carry the kind of question, so an old card can't answer a new one.

    ``opt_out``: the label of a last button that opts out of every wave (wave invitations only).
    """
    labels = _LABELS.get(reply.kind, {})
    choices = [(labels.get(choice.lower(), choice), choice.lower()) for choice in reply.choices]
    if opt_out:
        choices.append((opt_out, OPT_OUT))
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": reply.text, "wrap": True}],
        "actions": [
            {
                "type": "Action.Submit",
                "title": title,
                # The question travels with the choice, so the answered card can still show it.
                "data": {"verb": CARD_VERB, "kind": reply.kind.value, "choice": choice, "text": reply.text},
            }
            for title, choice in choices
        ],
    }


def answered_card(text: str, choice: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": text, "wrap": True}] if text else []
    body.append({"type": "TextBlock", "text": f"You chose: **{choice}**", "wrap": True, "isSubtle": True})
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.4",
        "body": body,
    }


def card_text(card: dict[str, Any]) -> str:
    body = card.get("body") or []
    return str(body[0].get("text", "")) if body and isinstance(body[0], dict) else ""
