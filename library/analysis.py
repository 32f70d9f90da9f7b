"""Text analysis shared by indexing and querying: English stemming, folded accents, one spelling of co-operative."""

from __future__ import annotations

from whoosh.analysis import CharsetFilter, Filter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.support.charset import accent_map

# Prefixes that are written both with and without a hyphen: co-operative/cooperative, co-production/coproduction.
JOINED_PREFIXES = frozenset({"co", "re", "pre", "non", "anti", "multi", "inter", "sub", "e"})
# Whole words that mean the same thing once hyphens are gone.
SAME_WORDS = {"coop": "cooperative", "coops": "cooperatives"}
TOKEN_PATTERN = r"\w+(?:-\w+)*"


class DomainSpellingFilter(Filter):
    """Join 'co-operative' to 'cooperative', split other hyphenated words, read 'co-op' as 'cooperative'."""

    def __call__(self, tokens):  # type: ignore[no-untyped-def]
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


def text_analyzer():  # type: ignore[no-untyped-def]
    """Return the analyzer for title, summary and body text."""
    return word_analyzer() | StemFilter(cachesize=50000)


def word_analyzer():  # type: ignore[no-untyped-def]
    """Return the analyzer that keeps words as written (lowercased), for spelling suggestions."""
    return (
        RegexTokenizer(TOKEN_PATTERN)
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | DomainSpellingFilter()
        | StopFilter()
    )
