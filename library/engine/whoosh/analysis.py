"""Text analysis shared by indexing and querying: English stemming, folded accents, one spelling of co-operative."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, TypeAlias

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.filters import STOP_WORDS
from whoosh.lang.porter import stem
from whoosh.support.charset import accent_map

# Prefixes that are written both with and without a hyphen: co-operative/cooperative, co-production/coproduction.
JOINED_PREFIXES = frozenset({"co", "re", "pre", "non", "anti", "multi", "inter", "sub", "e"})
# Whole words that mean the same thing once hyphens are gone.
SAME_WORDS = {"coop": "cooperative", "coops": "cooperatives"}
TOKEN_PATTERN = r"\w+(?:-\w+)*"

# Whoosh has no types: its analyzers and tokens are Any here.
Analyzer: TypeAlias = Any
Token: TypeAlias = Any


class DomainSpellingFilter(Filter):  # type: ignore[misc]  # Whoosh's Filter has no types
    """Join 'co-operative' to 'cooperative', split other hyphenated words, read 'co-op' as 'cooperative'."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0
        for t in tokens:
            if t.positions:
                t.pos += shift
            text = t.text
            if "-" not in text:
                t.text = SAME_WORDS.get(text, text)
                yield t
                continue
            parts = [p for p in text.split("-") if p]
            if parts and parts[0] in JOINED_PREFIXES:
                joined = "".join(parts)
                t.text = SAME_WORDS.get(joined, joined)
                yield t
                continue
            start = t.startchar if t.chars else 0
            base = t.pos if t.positions else 0
            offset = 0
            for i, part in enumerate(parts):
                t.text = SAME_WORDS.get(part, part)
                if t.positions:
                    t.pos = base + i
                if t.chars:
                    at = text.find(part, offset)
                    t.startchar, t.endchar = start + at, start + at + len(part)
                    offset = at + len(part)
                yield t
            shift += max(len(parts) - 1, 0)


def text_analyzer() -> Analyzer:
    """Return the analyzer for title, summary and body text."""
    return word_analyzer() | StemFilter(cachesize=50000)


def word_analyzer() -> Analyzer:
    """Return the analyzer that keeps words as written (lowercased), for spelling suggestions."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | DomainSpellingFilter()
        | StopFilter()
    )


_TOKEN = re.compile(TOKEN_PATTERN)
_STEMS: dict[str, str] = {}
_MAX_STEMS = 200_000  # distinct words remembered; a corpus's vocabulary, not its text


def index_terms(text: str, stemmed: bool) -> dict[str, list[int]]:
    """Return each indexed word of a text with its positions, in order of first appearance.

    The same words and positions as text_analyzer() (stemmed) or word_analyzer() give when indexing,
    worked out in one loop over the regex matches instead of a chain of token generators, which is
    where Whoosh spends most of the time it takes to add a document. Query and highlighting still use
    the analyzers; tests/test_analysis.py checks that the two agree on any text.
    """
    terms: dict[str, list[int]] = {}
    shift = 0  # positions added by hyphenated words split in two or more
    renumbered = -1  # positions once stop words are gone: the first kept word keeps its own
    stems = _STEMS
    plain = text.isascii()  # then lowercasing it whole finds the same words, and no accent needs folding
    for at, word in enumerate(_TOKEN.findall(text.lower() if plain else text)):
        if not plain:
            word = word.lower()
            if not word.isascii():  # folding only changes capitals among ASCII letters, and they are gone
                word = word.translate(accent_map)
        at += shift
        if "-" not in word:
            words = (SAME_WORDS.get(word, word),)
        else:
            parts = [p for p in word.split("-") if p]
            if parts and parts[0] in JOINED_PREFIXES:
                joined = "".join(parts)
                words = (SAME_WORDS.get(joined, joined),)
            else:
                words = tuple(SAME_WORDS.get(p, p) for p in parts)
                shift += max(len(parts) - 1, 0)
        for offset, word in enumerate(words):
            if len(word) < 2 or word in STOP_WORDS:
                continue
            renumbered = at + offset if renumbered < 0 else renumbered + 1
            if stemmed:
                found = stems.get(word)
                if found is None:
                    if len(stems) >= _MAX_STEMS:
                        stems.clear()
                    found = stems[word] = stem(word)
                word = found
            positions = terms.get(word)
            if positions is None:
                terms[word] = [renumbered]
            else:
                positions.append(renumbered)
    return terms
