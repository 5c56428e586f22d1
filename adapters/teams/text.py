"""What a Teams message says, as plain text: mentions and HTML removed, entities decoded."""

from __future__ import annotations

import html
import re
from collections.abc import Collection

from bot.privacy import REDACTED

_MENTION = re.compile(r"<at[^>]*>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)
# Only the tags Teams puts into messages; a bare "<" or ">" the person typed stays.
_TAG = re.compile(
    r"</?(?:p|div|span|b|i|u|s|em|strong|strike|del|ins|sub|sup|code|pre|blockquote|a|img|ul|ol|li|h[1-6]|"
    r"table|thead|tbody|tr|td|th|hr|font|emoji|systemspan|br)(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)


def plain_text(text: str | None, bot: Collection[str] = ()) -> str:
    """Teams sends HTML (``<p>``, ``<at>Candor</at>``, ``&nbsp;``): keep only what the person wrote.

    A mention of the bot (one of the names in ``bot``) is dropped; any other mention names a
    colleague, so it becomes the redaction placeholder before the text goes anywhere.
    """
    if not text:
        return ""
    own = {name.casefold() for name in bot if name}

    def mention(match: re.Match[str]) -> str:
        said = html.unescape(_TAG.sub("", match.group(1))).replace("\xa0", " ").strip()
        return "" if said.casefold() in own else REDACTED

    text = _MENTION.sub(mention, text)
    text = _BREAK.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).strip()
