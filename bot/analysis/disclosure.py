"""The minimum group size, applied the same way everywhere a count about people is shown.

A number under the minimum is withheld; and when withheld numbers could be worked out from a total
that is shown (the total minus the groups shown), more are withheld until those hidden together
reach the minimum.
"""

from __future__ import annotations

from collections.abc import Mapping


def withheld(counts: Mapping[str, int], k: int) -> set[str]:
    """The keys of ``counts`` to withhold: each under ``k``, then the smallest others as needed."""
    hidden = {key for key, count in counts.items() if count < k}
    if hidden:
        rest = sorted((count, key) for key, count in counts.items() if key not in hidden)
        while rest and sum(counts[key] for key in hidden) < k:
            hidden.add(rest.pop(0)[1])
    return hidden


def cells(bases: Mapping[str, int], counts: Mapping[str, int], k: int) -> set[str]:
    """Cells of a breakdown (``counts`` out of ``bases`` per group) to withhold.

    A group too small to show hides its cell; a cell counting fewer than ``k`` people is hidden too;
    then enough further cells that the hidden counts cannot be recovered from the overall count.
    """
    hidden = withheld(bases, k) | {key for key, count in counts.items() if count < k}
    if hidden:
        rest = sorted((counts[key], key) for key in counts if key not in hidden)
        while rest and sum(counts[key] for key in hidden) < k:
            hidden.add(rest.pop(0)[1])
    return hidden
