"""The curated thesaurus (corpus/synonyms.yaml): words and phrases a search also looks for, reviewed in one file.

Two kinds of entry, as in GOV.UK's search synonyms:

- `same: [a, b, c]`: each finds the others ("refugees", "asylum seekers", "people fleeing war");
- `words: [a]` with `also: [b, c]`: a search for a also looks for b and c, not the other way round.

Phrases are compared after the search's own analysis (stemmed, stop words gone), so "asylum seeker" in the
file matches "asylum seekers" in a search, and "community ownership of buildings" matches "community
ownership of a building".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import VocabularyError
from .yamlsafe import YamlProblem, load_yaml

SYNONYMS_FILE = "synonyms.yaml"
MAX_PHRASE_WORDS = 8


@dataclass(frozen=True)
class SynonymEntry:
    """One reviewed entry: searching any of `words` also searches `also` (and, for `same`, each other)."""

    words: tuple[str, ...]
    also: tuple[str, ...] = ()
    same: bool = False

    def expansions(self) -> dict[str, tuple[str, ...]]:
        """Each phrase that triggers this entry, with the phrases it adds."""
        if self.same:
            return {w: tuple(o for o in self.words if o != w) for w in self.words}
        return {w: self.also for w in self.words}


@dataclass
class Thesaurus:
    """Expansions keyed by the analysed words of the phrase that triggers them."""

    entries: list[SynonymEntry] = field(default_factory=list)
    _by_terms: dict[tuple[str, ...], list[str]] = field(default_factory=dict, init=False)
    longest: int = field(default=0, init=False)

    def prepare(self, analyse: Callable[[str], list[str]]) -> Thesaurus:
        """Index the entries by their analysed words (the search's analyzer); returns self."""
        self._by_terms.clear()
        for entry in self.entries:
            for phrase, added in entry.expansions().items():
                key = tuple(analyse(phrase))
                if not key:
                    continue
                found = self._by_terms.setdefault(key, [])
                found.extend(a for a in added if a not in found and tuple(analyse(a)) != key)
                self.longest = max(self.longest, len(key))
        return self

    def lookup(self, terms: tuple[str, ...]) -> list[str] | None:
        """The phrases a run of analysed words adds, or None if the thesaurus has no entry for it."""
        return self._by_terms.get(terms)


def load_thesaurus(folder: Path) -> Thesaurus:
    """Load and validate synonyms.yaml from a vocabulary folder; a folder without one has an empty thesaurus."""
    path = Path(folder) / SYNONYMS_FILE
    if not path.exists():
        return Thesaurus()
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise VocabularyError(str(path), [f"cannot be read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise VocabularyError(str(path), ["is not UTF-8 text"]) from None
    except YamlProblem as exc:
        raise VocabularyError(str(path), [f"line {exc.line}: {exc}" if exc.line else str(exc)]) from None
    if not isinstance(data, dict) or not isinstance(data.get("synonyms"), list):
        raise VocabularyError(str(path), ["expected a top-level 'synonyms:' list"])
    entries, problems = [], []
    for number, raw in enumerate(data["synonyms"], start=1):
        try:
            entries.append(_entry(raw))
        except ValueError as exc:
            problems.append(f"entry {number}: {exc}")
    if problems:
        raise VocabularyError(str(path), problems)
    return Thesaurus(entries)


def _phrases(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        raise ValueError(f"'{key}' should be a list of words or phrases")
    phrases = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"'{key}' should hold only words or phrases, not {item!r}")
        if len(item.split()) > MAX_PHRASE_WORDS:
            raise ValueError(f"{item!r} is longer than {MAX_PHRASE_WORDS} words")
        phrases.append(" ".join(item.split()))
    if len(set(p.lower() for p in phrases)) != len(phrases):
        raise ValueError(f"'{key}' lists a phrase twice")
    return tuple(phrases)


def _entry(raw: object) -> SynonymEntry:
    if not isinstance(raw, dict):
        raise ValueError(f"expected a mapping with 'same:' or 'words:' and 'also:', got {type(raw).__name__}")
    unknown = sorted(set(raw) - {"same", "words", "also", "note"})
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (use 'same:', or 'words:' with 'also:')")
    if "same" in raw:
        if "words" in raw or "also" in raw:
            raise ValueError("use either 'same:' or 'words:' with 'also:', not both")
        same = _phrases(raw, "same")
        if len(same) < 2:
            raise ValueError("'same:' needs at least two words or phrases")
        return SynonymEntry(same, same=True)
    return SynonymEntry(_phrases(raw, "words"), _phrases(raw, "also"))
