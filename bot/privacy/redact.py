"""First-line redaction: e-mail addresses, phone numbers and the participant's own names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

REDACTED = "[REDACTED]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
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


class Redactor:
    """Replaces identifying spans with ``[REDACTED]``; applying it twice changes nothing more."""

    def __init__(self, placeholder: str = REDACTED) -> None:
        self.placeholder = placeholder

    def redact(self, text: str, names: Iterable[str] = ()) -> str:
        text = unicodedata.normalize("NFC", text)
        text = _EMAIL.sub(self.placeholder, text)
        text = _PHONE.sub(lambda m: self.placeholder if _is_phone(m.group()) else m.group(), text)
        for pattern in _name_patterns(names):
            text = pattern.sub(lambda m: self.placeholder + (m.group(1) or ""), text)
        return text


def _name_patterns(names: Iterable[str]) -> list[re.Pattern[str]]:
    """Full names first, then each part of them, so "Dana Smith" leaves no "Smith" behind."""
    variants: set[str] = set()
    for name in names:
        name = unicodedata.normalize("NFC", name).strip().lstrip("@")
        if len(name) < 2 or "@" in name:
            continue  # e-mail addresses are found by pattern; their parts ("example") are not names
        variants.add(name)
        variants.update(part for part in re.split(r"[\s._-]+", name) if len(part) >= 2)
    ordered = sorted(variants, key=len, reverse=True)
    return [re.compile(rf"(?<![\w@])@?{re.escape(v)}('s|’s)?(?!\w)", re.IGNORECASE) for v in ordered]
