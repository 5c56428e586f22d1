"""Cleaning incoming text before anything else looks at it."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_BLANK_RUNS = re.compile(r"\n{3,}")


class Problem(StrEnum):
    EMPTY = "empty"
    SYMBOLS_ONLY = "symbols_only"
    TOO_LONG = "too_long"


@dataclass(frozen=True, slots=True)
class Cleaned:
    text: str
    problem: Problem | None = None


def clean(raw: str, max_chars: int) -> Cleaned:
    """Strip control and invisible characters; flag empty, symbol-only and over-long messages."""
    # Lone surrogates (from broken input encodings) cannot be stored as UTF-8: replace them.
    raw = raw.encode("utf-8", "replace").decode("utf-8")
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text).replace("\t", " ")
    text = _BLANK_RUNS.sub("\n\n", "\n".join(line.rstrip() for line in text.split("\n"))).strip()
    if not text:
        return Cleaned("", Problem.EMPTY)
    if len(text) > max_chars:
        return Cleaned(text, Problem.TOO_LONG)
    if not any(ch.isalnum() for ch in text):
        return Cleaned(text, Problem.SYMBOLS_ONLY)
    return Cleaned(text)
