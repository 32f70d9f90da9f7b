"""'Did you mean': corrections from the index's own words and the names of councils and themes.

A word is corrected only when it is neither in the index, nor a council, place or theme name, nor an
English word (library.english): "flood", "hire" and "pothole" are never turned into other topics.
"""

from __future__ import annotations

import re
import threading
from typing import Protocol

from .english import is_english_word
from .names import tokens
from .vocab import Vocabularies

MIN_WORD = 4
FIELDS = ("title", "summary", "body", "tags")


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (adjacent transpositions count as one edit)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


class IndexWords(Protocol):
    """What the speller asks of a generation's index (an engine's reader provides it)."""

    def terms(self, text: str) -> list[str]:
        """Text analysed as the index analyses it."""

    def document_frequency(self, fieldname: str, term: str) -> int: ...

    def close_words(self, word: str, limit: int, maxdist: int) -> list[str]:
        """Words as written in the index within `maxdist` edits of `word`."""


class Speller:
    """Suggests a corrected query when its words look misspelled."""

    def __init__(self, words: IndexWords, vocab: Vocabularies) -> None:
        self.words = words
        names = set()
        for council in vocab.councils.values():
            for name in (council.name, council.place, *council.aliases):
                names.update(tokens(name))
        for theme in vocab.themes.values():
            for name in (theme.label, *theme.signals):
                names.update(tokens(name))
        for doc_type in vocab.doc_types.values():
            names.update(tokens(doc_type.label))
        self.names = sorted(w for w in names if len(w) >= MIN_WORD and w.isalpha())
        self._name_set = frozenset(self.names)
        self._lock = threading.RLock()  # the index's words are read through one searcher, one thread's at a time

    def _known(self, word: str) -> bool:
        analysed = self.words.terms(word)
        if not analysed:
            return True  # a stop word is never misspelled
        return (
            all(any(self.words.document_frequency(f, term) for f in FIELDS) for term in analysed)
            or word in self._name_set
            or is_english_word(word)
        )

    def misspelled(self, words: list[str]) -> bool:
        """Whether any of these words is one the speller would correct."""
        with self._lock:
            return any(self.correct(w) for w in words)

    def correct(self, word: str) -> str | None:
        """Return the closest known word, or None if the word is known or nothing is close."""
        with self._lock:
            return self._correct(word)

    def _correct(self, word: str) -> str | None:
        lower = word.lower()
        if len(lower) < MIN_WORD or not lower.isalpha() or self._known(lower):
            return None
        candidates = set(self.words.close_words(lower, limit=10, maxdist=2))
        candidates.update(n for n in self.names if abs(len(n) - len(lower)) <= 2 and n[0] == lower[0])
        scored = [(edit_distance(lower, c), -self._frequency(c), c) for c in candidates]
        # Only words the index holds: a suggestion must lead to results.
        scored = [s for s in scored if s[0] <= (1 if len(lower) < 6 else 2) and s[1] < 0]
        return min(scored)[2] if scored else None

    def _frequency(self, word: str) -> int:
        return sum(self.words.document_frequency(f, t) for f in ("title", "body") for t in self.words.terms(word))

    def suggest(self, text: str, words: list[str]) -> str | None:
        """Return the query with misspelled words corrected, or None."""
        with self._lock:
            return self._suggest(text, words)

    def _suggest(self, text: str, words: list[str]) -> str | None:
        suggestion = text
        changed = False
        for word in dict.fromkeys(words):
            fixed = self.correct(word)
            if fixed:
                fixed = fixed.capitalize() if word[:1].isupper() else fixed
                suggestion = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", fixed, suggestion)
                changed = True
        return suggestion if changed else None
