"""Pattern redaction: e-mails, phones, URLs, IP addresses, card numbers, IBANs, the participant's own
names and the deployment's own terms (company, product and project code names)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from enum import StrEnum

from bot.privacy.directory import Directory

REDACTED = "[REDACTED]"


class Placeholders(StrEnum):
    """``redacted`` writes the public dataset's ``[REDACTED]``; ``typed`` writes ``[EMAIL]``, ``[NAME]``, ..."""

    REDACTED = "redacted"
    TYPED = "typed"


_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)")
_IPV6 = re.compile(r"(?i)(?<![\w:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![\w:])")
_URL_TRAILER = re.compile(r"[.,;:!?)\]'\"]+$")
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w])")
# International and national formats: +44 20 7946 0958, (555) 123-4567, 555.123.4567, 0151 496 0000.
# At least 7 digits, so years, versions and counts ("20 branches", "2024") stay.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d[\d\s.-]{5,16}\d(?![\w])")
_DIGITS = re.compile(r"\d")


def _is_phone(candidate: str) -> bool:
    digits = len(_DIGITS.findall(candidate))
    if not 7 <= digits <= 15:
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


Check = Callable[[str], bool]


class Redactor:
    """Replaces identifying spans; applying it twice changes nothing more, and the text around stays."""

    def __init__(
        self, placeholder: str = REDACTED, *, style: Placeholders = Placeholders.REDACTED, terms: Iterable[str] = ()
    ) -> None:
        self.placeholder = placeholder
        self.style = style
        self._terms = _word_patterns(terms)

    def _mark(self, kind: str) -> str:
        return f"[{kind}]" if self.style is Placeholders.TYPED else self.placeholder

    def redact(self, text: str, names: Iterable[str] = (), directory: Directory | None = None) -> str:
        text = unicodedata.normalize("NFC", text)
        lowered = text.lower()
        # Cheap look-ups first: most answers hold no link, no @ and few digits, so most patterns never run.
        if "http" in lowered or "www." in lowered:
            text = _URL.sub(lambda m: self._mark("URL") + _trailer(m.group()), text)
        steps: list[tuple[re.Pattern[str], str, Check | None]] = []
        if "@" in text:
            steps.append((_EMAIL, "EMAIL", None))
        if len(_DIGITS.findall(text)) >= 4:
            steps += [(_IBAN, "IBAN", _iban_ok), (_CARD, "CARD", _luhn), (_IPV4, "IP", _is_ip)]
            steps.append((_PHONE, "PHONE", _is_phone))
        if "::" in text or text.count(":") >= 2:
            steps.insert(0, (_IPV6, "IP", _is_ipv6))
        for pattern, kind, check in steps:
            text = pattern.sub(_replacer(self._mark(kind), check), text)
        for pattern in _word_patterns(_name_variants(names)):
            text = pattern.sub(lambda m: self._mark("NAME") + (m.group(1) or ""), text)
        if directory is not None and len(directory):
            text = self._people(text, directory)
        for pattern in self._terms:
            text = pattern.sub(lambda m: self._mark("TERM") + (m.group(1) or ""), text)
        return text

    def _people(self, text: str, directory: Directory) -> str:
        mark = self._mark("NAME")
        for start, end in reversed(directory.spans(text)):
            span = text[start:end]
            ending = span[-2:] if span.lower().endswith(("'s", "’s")) else ""
            text = text[:start] + mark + ending + text[end:]
        return text


def _replacer(mark: str, check: Check | None) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return mark if check is None or check(match.group()) else match.group()

    return replace


def _trailer(url: str) -> str:
    """Punctuation after a link belongs to the sentence, not the link."""
    found = _URL_TRAILER.search(url)
    return found.group() if found else ""


def _name_variants(names: Iterable[str]) -> list[str]:
    """Full names first, then each part of them, so "Dana Smith" leaves no "Smith" behind."""
    variants: set[str] = set()
    for name in names:
        name = unicodedata.normalize("NFC", name).strip().lstrip("@")
        if len(name) < 2 or "@" in name:
            continue  # e-mail addresses are found by pattern; their parts ("example") are not names
        variants.add(name)
        variants.update(part for part in re.split(r"[\s._-]+", name) if len(part) >= 2)
    return list(variants)


def _word_patterns(words: Iterable[str]) -> list[re.Pattern[str]]:
    """Longest first; whole words only, any case, with a possessive kept outside the placeholder."""
    cleaned = {unicodedata.normalize("NFC", w).strip() for w in words if len(w.strip()) >= 2}
    ordered = sorted(cleaned, key=len, reverse=True)
    return [re.compile(rf"(?<![\w@])@?{re.escape(v)}('s|’s)?(?!\w)", re.IGNORECASE) for v in ordered]
