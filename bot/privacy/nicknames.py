"""Short forms of given names, so "Bob" in an answer is found for a directory entry that says "Robert".

Small on purpose: the common English short forms and a few others seen in international teams. Both
directions are used: a directory "Bob" also finds "Robert" in the text.
"""

from __future__ import annotations

_TABLE: dict[str, tuple[str, ...]] = {
    "robert": ("bob", "bobby", "rob", "robbie", "bert"),
    "william": ("will", "bill", "billy", "liam", "willy"),
    "katherine": ("kate", "katie", "kat", "kathy"),
    "catherine": ("cat", "cathy", "kate", "katie"),
    "elizabeth": ("liz", "lizzie", "beth", "eliza", "betty"),
    "christopher": ("chris", "kit"),
    "christine": ("chris", "chrissy"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sam", "sammy"),
    "james": ("jim", "jimmy", "jamie"),
    "michael": ("mike", "mikey", "mick"),
    "jennifer": ("jen", "jenny"),
    "alexander": ("alex", "sasha"),
    "alexandra": ("alex", "sasha", "lexi"),
    "daniel": ("dan", "danny"),
    "thomas": ("tom", "tommy"),
    "richard": ("rick", "ricky", "rich"),
    "joseph": ("joe", "joey"),
    "benjamin": ("ben", "benny"),
    "matthew": ("matt",),
    "nicholas": ("nick", "nico"),
    "anthony": ("tony",),
    "andrew": ("andy", "drew"),
    "edward": ("ed", "eddie", "ted"),
    "jonathan": ("jon", "jonny"),
    "patricia": ("pat", "patty", "trish"),
    "patrick": ("pat", "paddy"),
    "victoria": ("vicky", "tori"),
    "rebecca": ("becky", "becca"),
    "susan": ("sue", "susie"),
    "deborah": ("deb", "debbie"),
    "abigail": ("abby",),
    "margaret": ("maggie", "meg", "peggy"),
    "stephanie": ("steph",),
    "stephen": ("steve",),
    "steven": ("steve",),
    "timothy": ("tim",),
    "gregory": ("greg",),
    "kenneth": ("ken", "kenny"),
    "oluwaseun": ("seun",),
    "oluwadamilare": ("dami",),
    "olusegun": ("segun",),
    "francisco": ("paco", "fran"),
    "josé": ("pepe",),
    "guillermo": ("memo",),
    "aleksandr": ("sasha",),
    "ekaterina": ("katya",),
    "tomasz": ("tomek",),
    "małgorzata": ("gosia",),
    "siddharth": ("sid",),
    "venkatesh": ("venky",),
}


def short_forms(given: str) -> tuple[str, ...]:
    """Short forms of a lower-case given name, and the full names a short form stands for."""
    forms = _TABLE.get(given, ())
    longer = tuple(full for full, shorts in _TABLE.items() if given in shorts)
    return forms + longer
