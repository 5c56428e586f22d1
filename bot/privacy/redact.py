"""Redaction of what identifies people in an answer: links, e-mails, handles, phone numbers, IP addresses,
card numbers, IBANs, government ids (when the deployment enables them), the participant's own names,
colleagues' names from the directory and the study's own terms (company, product and project code names).

Everything is found as spans on the original text first, then replaced in one pass, so one finding never
cuts another in half (the URL inside an e-mail, the name inside a handle), the text around a span is left
exactly as it was, and existing placeholders are never matched again: redacting twice changes nothing.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum
from functools import lru_cache

from bot.privacy.directory import Directory, Person, Words

REDACTED = "[REDACTED]"


class Placeholders(StrEnum):
    """``redacted`` writes the public dataset's ``[REDACTED]``; ``typed`` writes ``[EMAIL]``, ``[NAME]``, ..."""

    REDACTED = "redacted"
    TYPED = "typed"


Span = tuple[int, int, str]  # start, end, kind
Check = Callable[[str], bool]

# What each kind becomes with typed placeholders.
TYPED = {
    "name": "NAME",
    "own_name": "NAME",
    "handle": "NAME",
    "email": "EMAIL",
    "phone": "PHONE",
    "url": "URL",
    "ip": "IP",
    "card": "CARD",
    "iban": "IBAN",
    "term": "TERM",
    "us_ssn": "ID",
    "uk_nino": "ID",
}
_PLACEHOLDER = re.compile(r"\[(?:REDACTED|NAME|EMAIL|PHONE|URL|IP|CARD|IBAN|TERM|ID)\]")

_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A bare domain with a well-known or internal top-level domain, with or without a path: "wiki.corp.example/x".
# A cheap first look for "<word>.<known ending>": most answers have none, and the full pattern is slow.
_DOMAIN_HINT = re.compile(
    r"(?i)\w\.(?:com|org|net|io|dev|app|co|uk|de|fr|es|nl|eu|in|internal|local|corp|example|cloud|ai)(?![\w@-])"
)
_DOMAIN = re.compile(
    r"(?i)(?<![\w@./-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|org|net|io|dev|app|co|uk|de|fr|es|nl|eu|in|internal|local|corp|example|cloud|ai)"
    r"(?:/[^\s<>\"']*)?(?![\w@-])"
)
_HANDLE = re.compile(r"(?<![\w@])@[^\W\d_][\w.-]*")
_SLACK_SPECIAL = frozenset({"@here", "@channel", "@everyone"})
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
_IPV6 = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])")
_TRAILER = re.compile(r"[.,;:!?)\]'\"’”-]+$")
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"(?<!\w)[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?!\w)")
# International and national formats: +44 20 7946 0958, +44 (0)20 7946 0011, (555) 123-4567, 0151 496 0000.
# One separator at most between digits, so a number never runs on into the next sentence's.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .\u00a0-]?)?(?:\(\d{1,4}\)[ .\u00a0-]?)?\d(?:[ .\u00a0-]?\d){5,16}(?![\w])"
)
_NOT_PHONE = re.compile(r"(?:19|20)\d\d-\d\d-\d\d|(?:19|20)\d\d ?- ?(?:19|20)\d\d|\d{1,2}\.\d{1,2}\.(?:19|20)\d\d")
_DIGITS = re.compile(r"\d")
# Government ids, only where the deployment turns them on.
_US_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
_UK_NINO = re.compile(
    r"(?<!\w)(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?!\w)"
)
IDS: dict[str, re.Pattern[str]] = {"us_ssn": _US_SSN, "uk_nino": _UK_NINO}


def _is_phone(candidate: str) -> bool:
    digits = len(_DIGITS.findall(candidate))
    if not 7 <= digits <= 15 or _NOT_PHONE.fullmatch(candidate):
        return False
    # A plain run of digits with no separators is more likely an id or an amount unless it is long.
    return not (candidate.isdigit() and digits < 10)


def _luhn(candidate: str) -> bool:
    digits = [int(d) for d in _DIGITS.findall(candidate)]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "")
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return 15 <= len(compact) <= 34 and int(number) % 97 == 1


def _is_ip(candidate: str) -> bool:
    return all(0 <= int(part) <= 255 for part in candidate.split("."))


def _is_ipv6(candidate: str) -> bool:
    # Times ("10:30:15") have no hex letters and no "::"; an address has one or the other.
    hex_digits = sum(ch.isalnum() for ch in candidate)
    return candidate.count(":") >= 2 and hex_digits >= 4 and ("::" in candidate or any(c.isalpha() for c in candidate))


class _Taken:
    """The spans found so far, kept in order; a later, weaker finding may not overlap them.

    Sorted with bisect, so a message made of thousands of handles or numbers stays linear-ish.
    """

    def __init__(self) -> None:
        self.spans: list[Span] = []

    def free(self, start: int, end: int) -> bool:
        index = bisect.bisect_left(self.spans, (start,))
        if index and self.spans[index - 1][1] > start:
            return False
        return index == len(self.spans) or self.spans[index][0] >= end

    def add(self, start: int, end: int, kind: str) -> None:
        if start < end and self.free(start, end):
            bisect.insort(self.spans, (start, end, kind))

    def scan(self, pattern: re.Pattern[str], text: str, kind: str, check: Check | None = None) -> None:
        for match in pattern.finditer(text):
            if check is None or check(match.group()):
                self.add(match.start(), match.end(), kind)


class Redactor:
    """Replaces identifying spans; applying it twice changes nothing more, and the text around stays."""

    def __init__(
        self,
        placeholder: str = REDACTED,
        *,
        style: Placeholders = Placeholders.REDACTED,
        terms: Iterable[str] = (),
        ids: Iterable[str] = (),
    ) -> None:
        self.placeholder = placeholder
        self.style = style
        self._terms = _terms_pattern(terms)
        unknown = set(ids) - IDS.keys()
        if unknown:
            raise ValueError(f"unknown government id kinds {sorted(unknown)}; known: {sorted(IDS)}")
        self._ids = [(kind, IDS[kind]) for kind in ids]
        self._own = re.compile(re.escape(placeholder)) if not _PLACEHOLDER.fullmatch(placeholder) else None

    def _mark(self, kind: str) -> str:
        return f"[{TYPED[kind]}]" if self.style is Placeholders.TYPED else self.placeholder

    def redact(self, text: str, names: Iterable[str] = (), directory: Directory | None = None) -> str:
        text = unicodedata.normalize("NFC", text)
        parts: list[str] = []
        position = 0
        for start, end, kind in self.find(text, names, directory):
            parts += [text[position:start], self._mark(kind)]
            position = end
        parts.append(text[position:])
        return "".join(parts)

    def find(self, text: str, names: Iterable[str] = (), directory: Directory | None = None) -> list[Span]:
        """What ``redact`` replaces, as (start, end, kind) on ``text`` (NFC-normalised), in order."""
        taken = _Taken()
        taken.scan(_PLACEHOLDER, text, "")
        if self._own is not None:
            taken.scan(self._own, text, "")
        self._contacts(text, taken)
        if len(_DIGITS.findall(text)) >= 4:
            self._numbers(text, taken)
        if self._terms is not None:
            taken.scan(self._terms, text, "term")
        own = _own_directory(tuple(sorted(set(names)))) if names else None
        found: list[tuple[int, int, str]] = []
        if own is not None or (directory is not None and len(directory)):
            words = Words(text)  # tokenised once, and only when there are names to look for
            if own is not None:
                found += [(s, e, "own_name") for s, e in own.spans(text, words)]
            if directory is not None and len(directory):
                found += [(s, e, "name") for s, e in directory.spans(text, words)]
        for start, end, kind in _union(found):
            taken.add(start, end, kind)
        return [s for s in taken.spans if s[2]]

    def _contacts(self, text: str, taken: _Taken) -> None:
        """Links, e-mail addresses, handles and IP addresses, before anything can match inside them."""
        lowered = text.lower()
        if "http" in lowered or "www." in lowered:
            for match in _URL.finditer(text):
                trailer = _TRAILER.search(match.group())
                taken.add(match.start(), match.end() - (len(trailer.group()) if trailer else 0), "url")
        if "@" in text:
            taken.scan(_EMAIL, text, "email")
        if "." in text and _DOMAIN_HINT.search(text):
            for match in _DOMAIN.finditer(text):
                trailer = _TRAILER.search(match.group())
                taken.add(match.start(), match.end() - (len(trailer.group()) if trailer else 0), "url")
        if "@" in text:
            for match in _HANDLE.finditer(text):
                handle = match.group().rstrip(".-")
                if handle.lower() not in _SLACK_SPECIAL:
                    taken.add(match.start(), match.start() + len(handle), "handle")
        if text.count(":") >= 2:
            taken.scan(_IPV6, text, "ip", _is_ipv6)

    def _numbers(self, text: str, taken: _Taken) -> None:
        taken.scan(_IBAN, text, "iban", _iban_ok)
        taken.scan(_CARD, text, "card", _luhn)
        taken.scan(_IPV4, text, "ip", _is_ip)
        for kind, pattern in self._ids:
            taken.scan(pattern, text, kind)
        taken.scan(_PHONE, text, "phone", _is_phone)


def _union(spans: list[Span]) -> list[Span]:
    """Overlapping names become one span ("Dana" of the participant inside the colleague "Dana Silva")."""
    merged: list[Span] = []
    for start, end, kind in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(end, last[1]), "own_name" if "own_name" in (kind, last[2]) else kind)
        else:
            merged.append((start, end, kind))
    return merged


@lru_cache(maxsize=1024)
def _own_directory(names: tuple[str, ...]) -> Directory | None:
    """The participant's own names, as a directory of one that also knows "I'm ..." and "call me ..."."""
    usable = tuple(unicodedata.normalize("NFC", n) for n in names if n.strip())
    return Directory([Person(usable)], own=True) if usable else None


def _terms_pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all terms, longest first; whole words only, any case."""
    cleaned = {unicodedata.normalize("NFC", t).strip() for t in terms}
    ordered = sorted((t for t in cleaned if len(t) >= 2), key=len, reverse=True)
    if not ordered:
        return None
    return re.compile(r"(?<![\w@])(?:" + "|".join(re.escape(t) for t in ordered) + r")(?!\w)", re.IGNORECASE)
