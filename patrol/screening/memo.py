"""A bounded memo for what screening derives from one short text.

Listings of one marketplace repeat most of their short fields: a shop's name on every
listing of the shop, declared brands, categories, templated descriptions. What a matcher
finds in such a text depends on the text and on the (immutable) index alone, so the
indexes remember their answers for texts up to
:data:`~patrol.screening.normalise.KEY_CACHE_CHARS` long (a long description is rarely
seen twice and would cost memory for nothing).

The memo holds only immutable values (tuples of frozen matches), so a value handed out
can be shared; two threads may at worst compute one answer twice, never mix two. It is
bounded by clearing itself when full — not an LRU, but a patrol's working set refills it
in a few hundred listings and no bookkeeping is paid on every hit.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["BoundedMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    """Answers by key, at most ``size`` of them (all forgotten when that is reached)."""

    __slots__ = ("_entries", "size")

    def __init__(self, size: int = 16_384) -> None:
        if size < 1:
            raise ValueError(f"a memo holds at least one answer, not {size}")
        self.size = size
        self._entries: dict[K, V] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        return self._entries.get(key)

    def put(self, key: K, value: V) -> V:
        """Remember ``value`` for ``key`` and return it."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = value
        return value
