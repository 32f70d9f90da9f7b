"""Name matching for councils and themes: resolving declared names and finding names in text."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

_WORD = re.compile(r"[a-z0-9]+")
_NOISE_PHRASES = ("london borough of", "royal borough of", "borough of", "city of", "county of")
_NOISE_WORDS = {"council", "borough", "city", "county", "district", "metropolitan", "mbc", "the", "cyngor"}
# Place names that are also everyday English words: only the full council name counts in text.
_COMMON_WORD_PLACES = {"reading", "bath", "hart", "rugby", "wells", "eden"}
_CONNECTORS = {"and", "upon", "under", "on", "of", "the", "le", "in", "by"}


def fold(text: str) -> str:
    """Lowercase, strip accents and spell '&' as 'and'."""
    if text.isascii():  # nothing to decompose: the per-character pass below is most of the tagger's time
        return text.replace("&", " and ").lower()
    decomposed = unicodedata.normalize("NFKD", text.replace("&", " and "))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def tokens(text: str) -> list[str]:
    """Split a name or text into folded word tokens."""
    return _WORD.findall(fold(text))


def exact_key(name: str) -> str:
    return " ".join(tokens(name))


# Names in which the noise words are part of the name itself.
_PROPER_NAMES = {"city of london": "cityoflondon"}


def loose_key(name: str) -> str:
    """Key that ignores 'Council', 'Borough of' and similar noise."""
    key = f" {exact_key(name)} "
    for proper, kept in _PROPER_NAMES.items():
        key = key.replace(f" {proper} ", f" {kept} ")
    for phrase in _NOISE_PHRASES:
        key = key.replace(f" {phrase} ", " ")
    return " ".join(t for t in key.split() if t not in _NOISE_WORDS)


class NameIndex:
    """Resolve an id, name or alias to one id, ignoring case, punctuation and noise words."""

    def __init__(self) -> None:
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._loose: dict[str, set[str]] = defaultdict(set)

    def add(self, ident: str, *names: str) -> None:
        for name in names:
            if not name:
                continue
            self._exact[exact_key(name)].add(ident)
            loose = loose_key(name)
            if loose:
                self._loose[loose].add(ident)

    def resolve(self, name: str) -> tuple[str | None, list[str]]:
        """Return (id, []) when the name is known, (None, candidates) when not or ambiguous."""
        for table, key in ((self._exact, exact_key(name)), (self._loose, loose_key(name))):
            found = table.get(key)
            if found and len(found) == 1:
                return next(iter(found)), []
            if found:
                return None, sorted(found)
        return None, []


class Gazetteer:
    """Find council names in running text; the longest name wins."""

    def __init__(self) -> None:
        self._terms: dict[tuple[str, ...], tuple[str, bool]] = {}
        self._longest = 1
        self._places: dict[tuple[str, ...], set[str]] = defaultdict(set)

    def add_names(self, ident: str, *names: str) -> None:
        """Add names matched in any case (official names and aliases)."""
        for name in names:
            key = tuple(tokens(name))
            if key:
                self._terms[key] = (ident, False)
                self._longest = max(self._longest, len(key))

    def add_place(self, ident: str, place: str) -> None:
        """Add a bare place name, matched only when written with capitals."""
        key = tuple(tokens(place))
        if key and " ".join(key) not in _COMMON_WORD_PLACES:
            self._places[key].add(ident)

    def _term(self, key: tuple[str, ...]) -> tuple[str, bool] | None:
        term = self._terms.get(key)
        if term:
            return term
        owners = self._places.get(key)
        if owners and len(owners) == 1:
            return next(iter(owners)), True
        return None

    def find(self, text: str) -> list[tuple[str, str]]:
        """Return (council id, matched words) for each council named, in order of first mention."""
        originals = re.findall(r"[A-Za-z0-9]+", unicodedata.normalize("NFKD", text.replace("&", " and ")))
        lowered = [w.lower() for w in originals]
        found: dict[str, str] = {}
        i = 0
        while i < len(lowered):
            for n in range(min(self._longest, len(lowered) - i), 0, -1):
                term = self._term(tuple(lowered[i : i + n]))
                if term is None:
                    continue
                ident, needs_capitals = term
                words = originals[i : i + n]
                if needs_capitals and not all(w[0].isupper() or w.lower() in _CONNECTORS for w in words):
                    continue
                found.setdefault(ident, " ".join(words))
                i += n - 1
                break
            i += 1
        return list(found.items())
