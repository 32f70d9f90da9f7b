"""Snippets: the passage with the most of the searched words, matches in <mark>, everything else escaped.

The passage is found by reading the stored text once with the tokenizer's pattern and looking each
word's analysed form up in the query's terms (cached per word), which is many times cheaper than
re-running the whole analyzer over every hit's text.
"""

from __future__ import annotations

import re
import threading
from html import escape

from .engine import engine

SNIPPET_CHARS = 240
LEAD_CHARS = 60  # context kept before the first match
FORMS_HELD = 500_000  # words as written whose analysed terms are kept for every search
_TOKEN = re.compile(engine().token_pattern)
_WORD = re.compile(r"\w")
# Every ASCII character that is neither a word character (as \w reads ASCII) nor a hyphen, as a space.
_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) in "_-")})


class Highlighter:
    """Makes safe snippets for one query's analysed terms."""

    # Shared by every search (bounded): each word as written (lowercased) that has been analysed, its analysed
    # terms, and for each term the words seen that analyse to it. A text's words are then matched with set
    # operations in C, exactly: a word not yet analysed is analysed before any set is consulted.
    _forms: dict[str, frozenset[str]] = {}
    _known: set[str] = set()  # the keys of _forms, as a set for set difference in C
    _written: dict[str, frozenset[str]] = {}  # analysed term -> the words (as written, lowercased) it comes from
    _lock = threading.Lock()

    def __init__(self, terms: set[str]) -> None:
        self.terms = terms

    @classmethod
    def forms(cls, word: str) -> frozenset[str]:
        key = word.lower()
        found = cls._forms.get(key)
        if found is None:
            found = frozenset(engine().terms(key))
            if len(cls._forms) < FORMS_HELD:
                with cls._lock:
                    for term in found:
                        cls._written[term] = cls._written.get(term, frozenset()) | {key}
                    cls._forms[key] = found
                    cls._known.add(key)
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
        # The text is read in C twice: once for its distinct words, once for where the few searched ones stand.
        # Its words are matched to the searched terms by set intersection, once each has been analysed.
        words = _words(lowered)
        wanted = {word for word in words - self._known if not self.forms(word).isdisjoint(self.terms)}
        for term in self.terms:
            wanted |= words & self._written.get(term, frozenset())
        if not wanted:
            return []
        found = []
        for word in wanted:  # each place a wanted word stands as a whole token: few, found by str.find in C
            matched = self.forms(word) & self.terms
            at = lowered.find(word)
            while at != -1:
                if _token_end(lowered, at) == at + len(word):
                    found.append((at, at + len(word), matched))
                at = lowered.find(word, at + 1)
        found.sort(key=_start)
        return found

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


def _words(text: str) -> set[str]:
    """The distinct tokens of a text: what set(_TOKEN.findall(text)) gives, in about 60% of the time.

    In ASCII text a token never crosses a character that is neither a word character nor a hyphen, so those
    become spaces and the text splits (in C) into chunks. A chunk without a hyphen is all word characters: one
    token. Only the few chunks with a hyphen go through the tokenizer's pattern.
    """
    if not text.isascii():
        return set(_TOKEN.findall(text))
    words = set(text.translate(_SEPARATORS).split())
    hyphened = {word for word in words if "-" in word}
    if hyphened:
        words -= hyphened
        for chunk in hyphened:
            words.update(_TOKEN.findall(chunk))
    return words


def _start(match: tuple[int, int, frozenset[str]]) -> int:
    return match[0]


def _token_end(text: str, start: int) -> int:
    """Where the token starting at `start` ends, as the tokenizer reads the text; -1 if no token starts there.

    A token (TOKEN_PATTERN, words joined by single hyphens) starts where the character before is neither a
    word character nor a hyphen that follows one: otherwise the token before runs on through `start`.
    """
    if start and (
        _WORD.match(text, start - 1) or (text[start - 1] == "-" and start >= 2 and _WORD.match(text, start - 2))
    ):
        return -1
    token = _TOKEN.match(text, start)
    return token.end() if token else -1


def plain_snippet(text: str) -> str:
    """Escaped text cut to snippet length at a word boundary."""
    if len(text) > SNIPPET_CHARS:
        text = text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
    return escape(text, quote=True)
