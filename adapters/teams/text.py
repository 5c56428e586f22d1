"""What a Teams message says, as plain text: mentions and HTML removed, entities decoded."""

from __future__ import annotations

import html
import re

_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)
# Only the tags Teams puts into messages; a bare "<" or ">" the person typed stays.
_TAG = re.compile(
    r"</?(?:p|div|span|b|i|u|s|em|strong|strike|del|ins|sub|sup|code|pre|blockquote|a|img|ul|ol|li|h[1-6]|"
    r"table|thead|tbody|tr|td|th|hr|font|emoji|systemspan|br)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


def plain_text(text: str | None) -> str:
    """Teams sends HTML (``<p>``, ``<at>Candor</at>``, ``&nbsp;``): keep only what the person wrote."""
    if not text:
        return ""
    text = _MENTION.sub("", text)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()
