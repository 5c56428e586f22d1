"""Directory-aware redaction: the workspace's people, so colleagues' names leave answers too.

Names are matched as whole words, full names before single names, possessives included. A name
that is also an everyday word (Will, May, Grant, Bill, ...) is only taken for a name when the
words around it say so: it is capitalised mid-sentence, or followed by a surname of the
directory, or preceded by a word that introduces a person ("with", "asked", "told", ...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Given names that are also common English words or months.
COMMON_WORDS = frozenset(
    """will may june april august grant bill rose mark pat hope joy faith dawn sky summer autumn
    rich frank art bob sue jack ray gene chase drew hunter miles rob page lane dean wade carol
    amber ruby pearl iris violet lily daisy holly ivy jade robin victor earl king penny sandy""".split()
)
_PERSON_CUES = frozenset(
    """with to from and asked told called emailed messaged pinged met thanked by for cc tell ask
    manager lead boss colleague teammate""".split()
)
# Months need a person's context even when capitalised mid-sentence ("in May we shipped").
_MONTHS = frozenset({"may", "june", "april", "august"})
# Words a display name may contain that are never a person's name on their own ("The Dude", "Out of office").
_NOT_NAMES = frozenset(
    """the a an and or of in on at to for from by with is it be not no out off office team admin bot test
    user support help desk it's mr mrs ms dr sir""".split()
)
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Person:
    names: tuple[str, ...]  # display name, real name, handle, given and family name


class Directory:
    """An index of the people of one workspace, built once and shared by every message."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.full: set[tuple[str, ...]] = set()
        self.single: set[str] = set()
        self.surnames: set[str] = set()
        for person in people:
            for name in person.names:
                words = tuple(w.lower() for w in _WORD.findall(unicodedata.normalize("NFC", name)))
                if not words:
                    continue
                if len(words) > 1:
                    self.full.add(words)
                    self.surnames.add(words[-1])
                self.single.update(w for w in words if len(w) >= 2 and w not in _NOT_NAMES)
        self.longest = max((len(f) for f in self.full), default=1)

    def __len__(self) -> int:
        return len(self.single)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where names of the directory appear in the text (start, end), without overlaps."""
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        found: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            taken = self._full_at(words, i)
            if taken:
                found.append((words[i][0], words[i + taken - 1][1]))
                i += taken
                continue
            if self._single_at(words, i, text):
                found.append((words[i][0], words[i][1]))
            i += 1
        return found

    def _full_at(self, words: list[tuple[int, int, str]], i: int) -> int:
        for size in range(min(self.longest, len(words) - i), 1, -1):
            if tuple(_base(w[2]) for w in words[i : i + size]) in self.full:
                return size
        return 0

    def _single_at(self, words: list[tuple[int, int, str]], i: int, text: str) -> bool:
        word = words[i][2]
        base = _base(word)
        if base not in self.single:
            return False
        if base not in COMMON_WORDS:
            return word[:1].isupper() or base in self.surnames
        # An everyday word: a name only with a person's context around it.
        if not word[:1].isupper():
            return False
        next_word = _base(words[i + 1][2]) if i + 1 < len(words) else ""
        previous = _base(words[i - 1][2]) if i > 0 else ""
        sentence_start = i == 0 or text[: words[i][0]].rstrip()[-1:] in ".!?\n"
        if next_word in self.surnames or previous in _PERSON_CUES:
            return True
        return base not in _MONTHS and not sentence_start


def _base(word: str) -> str:
    lowered = word.lower()
    for suffix in ("'s", "’s"):
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    return lowered
