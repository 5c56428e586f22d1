"""What a Teams message says, as plain text: mentions and HTML removed, entities decoded."""

from __future__ import annotations

import html
import re

_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t]+")


def plain_text(text: str | None) -> str:
    """Teams sends HTML (``<p>``, ``<at>Candor</at>``, ``&nbsp;``): keep only what the person wrote."""
    if not text:
        return ""
    if "<" not in text and "&" not in text:
        return text.strip()  # plain text: keep it exactly as typed
    text = _MENTION.sub(" ", text)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()
