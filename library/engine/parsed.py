"""What a search asks, read by the engine, and what its words matched: the seam's request and answer types.

The engine's own query object travels inside (`query`), opaque to everything above the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..ranking import ConceptMatches
from ..wording import YearPhrase


@dataclass
class Concept:
    """One thing a plain-words search asks about: a word, or a phrase the thesaurus knows, and what matches it."""

    label: str  # as typed: "housing", "people fleeing war"
    query: Any  # the engine's own query: read only by the engine that made it
    terms: tuple[str, ...]  # the label's analysed words
    added: list[str] = field(default_factory=list)  # synonyms and acronym phrases searched too


@dataclass
class ParsedQuery:
    query: Any  # the engine's own query: read only by the engine that made it
    words: list[str] = field(default_factory=list)  # plain words, for "did you mean"
    notices: list[str] = field(default_factory=list)
    is_everything: bool = False
    concepts: list[Concept] = field(default_factory=list)  # plain words: what the search is about
    dropped: list[str] = field(default_factory=list)  # words that only framed the question
    years: YearPhrase | None = None  # years named in words ("since 2020"), taken out of the search
    near_pairs: list[tuple[int, int]] = field(default_factory=list)  # neighbouring one-word concepts (indexes)

    @property
    def expanded(self) -> list[str]:
        """Every synonym and acronym phrase the search added, in order."""
        return list(dict.fromkeys(a for c in self.concepts for a in c.added))


@dataclass(frozen=True)
class Matched:
    """The documents a search's text matches (a bitset), with what ranking them needs."""

    parsed: ParsedQuery  # the search as it was matched (wildcards bounded to the words they stand for)
    mask: int
    concepts: ConceptMatches | None = None  # plain words: each distinctive word's postings, for the answer line
    scores: dict[int, float] | None = None  # query syntax searched under a time budget: the scores it reached
    cached_words: bool = False  # words alone (or ORs of words): ranked from the engine's per-word score cache

    def missing_from(self, doc: int) -> list[str]:
        """The distinctive words of a plain-words search that one document does not hold."""
        return self.concepts.missing_from(doc) if self.concepts is not None else []
