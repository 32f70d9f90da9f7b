"""Snippets: the passage with the most of the searched words, matches in <mark>, everything else escaped.

The passage is found by reading the stored text once with the tokenizer's pattern and looking each
word's analysed form up in the query's terms (cached per word), which is many times cheaper than
re-running the whole analyzer over every hit's text.
"""

from __future__ import annotations

import re
from html import escape

from .engine import engine

SNIPPET_CHARS = 240
LEAD_CHARS = 60  # context kept before the first match
_TOKEN = re.compile(engine().token_pattern)
_WORD = re.compile(r"\w")


class Highlighter:
    """Makes safe snippets for one query's analysed terms."""

    _forms: dict[str, frozenset[str]] = {}  # word as written (lowercased) -> its analysed terms, shared

    def __init__(self, terms: set[str]) -> None:
        self.terms = terms
        self._hits: dict[str, frozenset[str]] = {}  # lowercased word -> the searched terms it matches
        self._finders: dict[frozenset[str], re.Pattern[str]] = {}

    @classmethod
    def forms(cls, word: str) -> frozenset[str]:
        key = word.lower()
        found = cls._forms.get(key)
        if found is None:
            found = frozenset(engine().terms(key))
            if len(cls._forms) < 500_000:
                cls._forms[key] = found
        return found

    def snippet(self, body: str, summary: str) -> str:
        """Safe HTML: the best passage of the body, else of the summary, else the escaped summary."""
        for text in (body, summary):
            found = self._passage(text)
            if found:
                return found
        return plain_snippet(summary)

    def _matches(self, text: str) -> list[tuple[int, int, frozenset[str]]]:
        """(start, end, matched terms) of every searched word in the text, in order."""
        lowered = text.lower()
        if len(lowered) != len(text):  # a few characters change length when lowercased: take the slow road
            slow = ((m.start(), m.end(), self.forms(m.group()) & self.terms) for m in _TOKEN.finditer(text))
            return [match for match in slow if match[2]]
        # Each distinct word is analysed once per search (the hits of one search share most of their words), and
        # the text is read in C twice: once for its distinct words, once for where the few searched ones stand.
        hits, wanted = self._hits, []
        for word in set(_TOKEN.findall(lowered)):
            matched = hits.get(word)
            if matched is None:
                matched = hits[word] = self.forms(word) & self.terms
            if matched:
                wanted.append(word)
        if not wanted:
            return []
        found = []
        for match in self._finder(wanted).finditer(lowered):
            start, end = match.span()
            if not _joined(lowered, start, end):
                found.append((start, end, hits[match.group()]))
        return found

    def _finder(self, words: list[str]) -> re.Pattern[str]:
        """A pattern for any of these words as a whole word, longest first (so a word never stops inside another)."""
        key = frozenset(words)
        pattern = self._finders.get(key)
        if pattern is None:
            alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
            pattern = self._finders[key] = re.compile(rf"\b(?:{alternatives})\b")
        return pattern

    def _passage(self, text: str) -> str:
        if not self.terms or not text:
            return ""
        matches = self._matches(text)
        if not matches:
            return ""
        best, best_score = 0, (-1, -1)
        for i, (start, _, _) in enumerate(matches):
            seen: set[str] = set()
            count = 0
            for _, e, hit in matches[i:]:
                if e - start > SNIPPET_CHARS - LEAD_CHARS:
                    break
                seen |= hit
                count += 1
            if (len(seen), count) > best_score:
                best, best_score = i, (len(seen), count)
        first = matches[best][0]
        start = max(0, first - LEAD_CHARS)
        if start:
            space = text.find(" ", start, first)
            start = space + 1 if space != -1 else start
        end = min(len(text), start + SNIPPET_CHARS)
        if end < len(text):
            space = text.rfind(" ", matches[best][1], end)
            end = space if space != -1 else end
        out, cursor = [], start
        for s, e, _ in matches:
            if s < start or e > end:
                continue
            out += [escape(text[cursor:s], quote=True), "<mark>", escape(text[s:e], quote=True), "</mark>"]
            cursor = e
        out.append(escape(text[cursor:end], quote=True))
        passage = " ".join("".join(out).split())
        return ("… " if start else "") + passage + (" …" if end < len(text) else "")


def _joined(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is part of a longer hyphenated token ("x-housing", "housing-led") rather than one."""
    before = start >= 2 and text[start - 1] == "-" and _WORD.match(text, start - 2) is not None
    after = end + 1 < len(text) and text[end] == "-" and _WORD.match(text, end + 1) is not None
    return before or after


def plain_snippet(text: str) -> str:
    """Escaped text cut to snippet length at a word boundary."""
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return escape(text, quote=True)
