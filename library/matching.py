"""Which documents hold which of a plain-words search's words, for matching, ranking and the answer line.

A word found in most documents ("council", "co-operative" in this library) says little about what a
search is for, so, as in Lucene's CommonTermsQuery, common words add to the score but neither widen
the matches nor count towards "holds all your words".
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from .facets import bitset

COMMON_SHARE = 0.5  # a word in more than this share of documents is common...
COMMON_MIN_DOCUMENTS = 20  # ...once the library holds at least this many documents


@dataclass
class WordMatches:
    """The distinctive words of a search and, for each, the bitset of documents holding it."""

    labels: list[str]
    masks: list[int]

    def any(self) -> int:
        """Documents holding at least one distinctive word."""
        mask = 0
        for word_mask in self.masks:
            mask |= word_mask
        return mask

    def all(self, within: int) -> int:
        """Documents within `within` holding every distinctive word."""
        for word_mask in self.masks:
            within &= word_mask
        return within

    def tiers(self, within: int) -> list[int]:
        """Split `within` into bitsets by how many distinctive words each document holds, most first."""
        at_least = [within] + [0] * len(self.masks)  # at_least[k]: documents holding k or more words
        for word_mask in self.masks:
            for k in range(len(self.masks), 0, -1):
                at_least[k] |= at_least[k - 1] & word_mask
        exactly = [at_least[k] & ~at_least[k + 1] for k in range(1, len(self.masks))] + [at_least[-1]]
        return [mask for mask in reversed(exactly) if mask]


class MatchCache:
    """Bitsets of the documents each query matches in one generation, most recently used kept.

    Words recur across searches (a few hundred make up most queries), so, as Lucene caches filters per
    segment, the set of documents a word matches is worked out once per generation.
    """

    def __init__(self, searcher, live: int, size: int, capacity: int = 4096) -> None:  # type: ignore[no-untyped-def]
        self.searcher, self.live, self.size, self.capacity = searcher, live, size, capacity
        self._masks: OrderedDict[str, int] = OrderedDict()

    def matches(self, query) -> int:  # type: ignore[no-untyped-def]
        key = repr(query)
        mask = self._masks.get(key)
        if mask is None:
            mask = bitset(self.searcher.docs_for_query(query), self.size) & self.live
            self._masks[key] = mask
            if len(self._masks) > self.capacity:
                self._masks.popitem(last=False)
        else:
            self._masks.move_to_end(key)
        return mask


def word_matches(cache: MatchCache, word_queries: list, labels: list[str]) -> WordMatches:  # type: ignore[type-arg]
    """Find each word's documents and keep the distinctive words (all of them if every word is common)."""
    live = cache.live
    masks = [cache.matches(q) for q in word_queries]
    total = live.bit_count()
    if total >= COMMON_MIN_DOCUMENTS:
        rare = [i for i, mask in enumerate(masks) if mask.bit_count() <= COMMON_SHARE * total]
        if rare:
            return WordMatches([labels[i] for i in rare], [masks[i] for i in rare])
    return WordMatches(list(labels), masks)
