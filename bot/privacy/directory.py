"""Directory-aware redaction: the workspace's people, so colleagues' names leave answers too.

Names are matched as whole words, ignoring case and accents ("Zoe" finds "Zoë"), full names before single
names, with possessives ("Dana's", "Dana’s", "James'") left outside the match, short forms from a nickname
table ("Bob" for "Robert") and handles written without their "@" ("dana.s").

A name that is also an everyday word (Will, May, Grant, Bill, Hope, Mark, June, Frank, Park, ...) is only
taken for a name when the words around it say so, because "we may grant access next May" must survive:

- it is followed by a surname of the directory, or is possessive ("Will's team");
- it comes right after a word that introduces a person ("asked", "told", "with", "cc", ...);
- it comes right before a verb of what people do ("said", "thinks", "reviewed", ...), or "and I";
- it stands in a list with another name ("Mark, Grant and Will");
- it is capitalised in the middle of a sentence, unless it is a month (a month needs one of the cues above);
- written in lower case, only right after "asked", "told", "pinged" and the like.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from bot.privacy.nicknames import short_forms

# Given names and surnames that are also common English words, months or adjectives.
COMMON_WORDS = frozenset(
    """will may june april august grant bill rose mark pat hope joy faith grace dawn sky summer autumn
    rich frank art sue jack ray gene chase drew hunter miles rob page lane dean wade carol
    amber ruby pearl iris violet lily daisy holly ivy jade robin victor earl king penny sandy kit max nick
    don guy young park tan brown white black green gray grey hall wood stone price cook baker long little
    bell hill rich gold small short sharp fox field cash love bliss""".split()
)
_MONTHS = frozenset({"may", "june", "april", "august"})
# Words right before a person, in any position ("I asked Will", "with Grant").
_BEFORE = frozenset(
    """with asked told called emailed messaged pinged met thanked cc cc'd tell ask ping thank dm dm'd
    manager lead boss colleague teammate mentor buddy by from to for and""".split()
)
# The same for months, where "to", "for", "from", "by", "with" and "and" would mistake dates.
_BEFORE_MONTH = frozenset(
    """asked told called emailed messaged pinged met thanked cc cc'd tell ask ping thank dm dm'd
    manager lead boss colleague teammate mentor buddy""".split()
)
# Before a lower-case name-word: only verbs that need a person ("I told will", not "with hope").
_BEFORE_LOWER = frozenset("asked told pinged messaged emailed thanked cc cc'd dm dm'd ping ask tell".split())
# Verbs of what people do, right after a name ("Will said", "May reviewed").
_AFTER = frozenset(
    """said says told tells asked asks thinks thought wrote writes mentioned suggested suggests agreed agrees
    replied explained argued promised emailed messaged pinged called sent shared reviewed approved joined
    left wants wanted runs ran owns owned built fixed set helped presented signed noticed found pointed
    keeps kept knows knew prefers preferred insisted disagreed disagrees decided reckons believes
    covered chairs leads led manages managed asked booked cancels cancelled""".split()
)
# Auxiliaries after a name ("Will was out"); not for months or "hope" ("May was busy", "Hope is not a plan").
_AFTER_AUX = frozenset("is was has had will would can could should did does here".split())
_SELF = frozenset("i'm im am me is call called".split())  # "I'm Grace", "call me Grace": the participant's own
_DETERMINERS = frozenset("the a an this that these those every each".split())
_TIME_WORDS = frozenset("in last next this early late mid since until till by of than from during before after".split())
# Words a display name may contain that are never a person's name on their own ("The Dude", "Out of office").
_NOT_NAMES = frozenset(
    """the a an and or of in on at to for from by with is it be not no out off office team admin bot test
    user support help desk it's mr mrs ms dr sir he him his she her hers they them their theirs""".split()
)
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_HANDLE_LIKE = re.compile(r"(?<![\w@.])[^\W_][\w]*(?:[._][\w]+)+")
_DISPLAY_EXTRAS = re.compile(r"\([^)]*\)|\[[^\]]*\]|[|/•·].*$")
_SENTENCE_END = frozenset('.!?:;"“(\n')
_LIST_JOINS = frozenset({",", "and", "or", "&", "/"})

GIVEN, SURNAME, WEAK, MONTH = 1, 2, 4, 8


@dataclass(frozen=True, slots=True)
class Person:
    names: tuple[str, ...]  # display name, real name, handle, given and family name


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """Lower case without accents, one kind of apostrophe: "Zoë" and "zoe" are the same name."""
    decomposed = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=65536)
def _base(token: str) -> tuple[str, int]:
    """The name without a possessive ending, and the length of that ending."""
    folded = fold(token)
    if folded.endswith("'s") and len(folded) > 3:
        return folded[:-2], 2
    return folded, 0


class Directory:
    """An index of the people of one workspace, built once and shared by every message."""

    def __init__(self, people: Iterable[Person], *, own: bool = False) -> None:
        self.own = own
        self.tokens: dict[str, int] = {}
        self.full: set[tuple[str, ...]] = set()
        self.handles: set[str] = set()
        self.longest = 1
        for person in people:
            for name in person.names:
                self._add(unicodedata.normalize("NFC", name))
        self.first_of_full = {f[0] for f in self.full}

    def _add(self, name: str) -> None:
        name = name.strip().lstrip("@")
        if "@" in name or not name:
            return  # e-mail addresses are found by pattern; their parts ("example") are not names
        if " " not in name and re.search(r"[._\d]", name):
            self.handles.add(fold(name))
        name = _DISPLAY_EXTRAS.sub(" ", name)  # "Sam (he/him)", "Nadia | Design"
        words = [fold(w) for w in _TOKEN.findall(name)]
        words = [w for w in words if len(w) >= 2 and w not in _NOT_NAMES]
        if len(words) > 1:
            self.full.add(tuple(words))
            self.longest = max(self.longest, len(words))
        for index, word in enumerate(words):
            last = index == len(words) - 1 and len(words) > 1
            self._flag(word, SURNAME if last else GIVEN)
            if not last:
                for form in short_forms(word):
                    self._flag(fold(form), GIVEN)

    def _flag(self, word: str, role: int) -> None:
        flags = self.tokens.get(word, 0) | role
        if word in COMMON_WORDS:
            flags |= WEAK
        if word in _MONTHS:
            flags |= MONTH
        self.tokens[word] = flags

    def __len__(self) -> int:
        return len(self.tokens)

    def spans(self, text: str, words: Words | None = None) -> list[tuple[int, int]]:
        """Where names of the directory appear in the text (start, end), without overlaps, in order.

        ``words`` is ``Words(text)``, for a caller that asks several directories about the same text.
        """
        words = words or Words(text)
        found = _Names(self, words).resolve() if not self.tokens.keys().isdisjoint(words.keys) else []
        if self.handles and ("." in text or "_" in text):
            found += [(m.start(), m.end()) for m in _HANDLE_LIKE.finditer(text) if fold(m.group()) in self.handles]
        return _merge(sorted(found), text)


class Words:
    """The words of one text with their folded, possessive-free forms, computed once per message."""

    __slots__ = ("bases", "keys", "text", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        self.bases = [_base(w[2]) for w in self.words]
        self.keys = {b[0] for b in self.bases}


class _Names:
    """The decisions for one text: which of its words are names."""

    def __init__(self, directory: Directory, words: Words) -> None:
        self.d = directory
        self.text = words.text
        self.words = words.words
        self.bases = words.bases
        self.is_name: dict[int, bool | None] = {}  # None: an everyday word its neighbours must decide

    def resolve(self) -> list[tuple[int, int]]:
        tokens = self.d.tokens
        after_full = 0
        for i, (base, _) in enumerate(self.bases):
            if i < after_full or base not in tokens:
                continue
            size = self._full_at(i)
            if size:
                self.is_name.update(dict.fromkeys(range(i, i + size), True))
                after_full = i + size
                continue
            flags = tokens[base]
            self.is_name[i] = True if not flags & WEAK else self._weak(i, flags)
        undecided = [k for k, state in self.is_name.items() if state is None]
        for _ in range(3 if undecided else 0):  # "Mark, Grant and Will": a name in a list makes its neighbours names
            decided = [k for k in undecided if self._listed_with_name(k)]
            self.is_name.update(dict.fromkeys(decided, True))
            undecided = [k for k in undecided if k not in decided]
            if not decided:
                break
        return [(self.words[k][0], self.words[k][1] - self.bases[k][1]) for k, state in self.is_name.items() if state]

    def _full_at(self, i: int) -> int:
        if self.bases[i][0] not in self.d.first_of_full:
            return 0
        for size in range(min(self.d.longest, len(self.words) - i), 1, -1):
            if tuple(b[0] for b in self.bases[i : i + size]) not in self.d.full:
                continue
            inner = range(i, i + size - 1)  # "Priya Raman", "Anne-Marie", not "Priya's Raman" or "Priya, Raman"
            if all(self._gap(k) in (" ", "-", "\u00a0") and not self.bases[k][1] for k in inner):
                return size
        return 0

    def _gap(self, left: int) -> str:
        return self.text[self.words[left][1] : self.words[left + 1][0]]

    def _prev(self, i: int) -> str:
        """The word just before, when only spaces separate them."""
        return self.bases[i - 1][0] if i > 0 and not self._gap(i - 1).strip() else ""

    def _next(self, i: int) -> str:
        return self.bases[i + 1][0] if i + 1 < len(self.words) and not self._gap(i).strip() else ""

    def _sentence_start(self, i: int) -> bool:
        before = self.text[: self.words[i][0]].rstrip(" \t\u00a0-–—*•")
        return not before or before[-1] in _SENTENCE_END

    def _possessive(self, i: int) -> bool:
        if self.bases[i][1]:
            return True
        _, end, word = self.words[i]
        apostrophe = self.text[end : end + 1] in ("'", "’")
        return word[-1:] in "sS" and apostrophe and not self.text[end + 1 : end + 2].isalpha()  # "James' notes"

    def _weak(self, i: int, flags: int) -> bool | None:
        """An everyday word that is also a name: True, False, or None to let its neighbours decide."""
        word = self.words[i][2]
        month = bool(flags & MONTH)
        prev = self._prev(i)
        if not word[:1].isupper():
            return prev in _BEFORE_LOWER and not month
        if word.isupper() and len(word) > 1:
            return None  # shouting ("WE WILL SHIP") decides nothing
        if self._possessive(i):
            return not (month and prev in _TIME_WORDS | _DETERMINERS)
        if self._cue(i, word, month, prev):
            return True
        if self._sentence_start(i):
            return True if self._gap(i).startswith(",") and not month else None
        if month or prev in _DETERMINERS:
            return None
        return True

    def _cue(self, i: int, word: str, month: bool, prev: str) -> bool:
        """A word next to this one that only goes with a person."""
        after = self._next(i)
        after_flags = self.d.tokens.get(after, 0)
        if after_flags & SURNAME and not after_flags & WEAK:
            return True
        if prev in (_BEFORE_MONTH if month else _BEFORE) or (self.d.own and prev in _SELF):
            return True
        if after in _AFTER or (not month and word.lower() != "hope" and after in _AFTER_AUX):
            return True
        if i + 2 >= len(self.words) or self._gap(i + 1).strip():
            return False
        beyond = self.words[i + 2][2]
        # "May and I", and "Bill from Finance" (a person's team), but not "Hope from the start".
        return (after == "and" and fold(beyond) in {"i", "me"}) or (
            after == "from" and not month and beyond[:1].isupper()
        )

    def _listed_with_name(self, k: int) -> bool:
        """A name-word joined to a name by a comma, "and" or "or" is a name too."""
        for other, gap_at in ((k - 1, k - 1), (k + 1, k)):
            if not 0 <= other < len(self.words):
                continue
            gap = self._gap(gap_at).strip()
            joined = gap in _LIST_JOINS
            if not joined and not gap and self.bases[other][0] in {"and", "or"}:
                beyond = other - 1 if other < k else other + 1
                if 0 <= beyond < len(self.words) and self.is_name.get(beyond) and self._is_capitalised(k):
                    return True
            if joined and self.is_name.get(other) and self._is_capitalised(k):
                return True
        return False

    def _is_capitalised(self, k: int) -> bool:
        return self.words[k][2][:1].isupper()


def _merge(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """One span for "Anne-Marie" or "Priya Raman" even when each part was found alone."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        elif merged and text[merged[-1][1] : start] in (" ", "-", "\u00a0"):
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged
