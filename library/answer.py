"""The honest answer to "has any council done this?": what the documents hold, said in words that are true.

"7 documents from 22 councils" for `climate change`, when no document mentions climate, reads as seven
precedents. The answer counts only documents holding every distinctive word of the search, counts the
councils that did the practice (not every council a text names), and says which words no document holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine.parsed import ParsedQuery
    from .ranking import ConceptMatches


@dataclass
class Answer:
    """What a search found, counted honestly; `to_json` is the public part."""

    documents: int  # results holding every distinctive word (all results for a browse or syntax search)
    councils: int  # councils that did the practice in those documents
    missing: list[str] = field(default_factory=list)  # distinctive words no document in the library holds
    expanded: list[str] = field(default_factory=list)  # synonyms, acronym phrases and years added to the search
    synonyms: list[str] = field(default_factory=list)  # the synonyms and acronym phrases alone
    dropped: list[str] = field(default_factory=list)  # words left out because they only frame the question
    words: list[str] = field(default_factory=list)  # the distinctive words counted, as typed
    word_counts: list[int] = field(default_factory=list)  # documents holding each of `words`, within the filters
    results: int = 0  # every result listed (those holding any distinctive word)
    filtered: bool = False  # whether filters narrowed the documents counted
    plain_words: bool = False  # whether `words` come from a plain-words search

    def to_json(self) -> dict[str, object]:
        return {
            "documents": self.documents,
            "councils": self.councils,
            "missing": list(self.missing),
            "expanded": list(self.expanded),
            "dropped": list(self.dropped),
        }

    def headline(self) -> str:
        """The first sentence: what the library holds for this search."""
        return self.sentences()[0]

    def sentences(self) -> list[str]:
        """The answer in plain sentences, the headline first; each is true of the index."""
        where = " in the chosen filters" if self.filtered else ""
        if not self.plain_words or not self.words:
            if not self.documents:
                return [f"No documents found{where}."]
            return [f"{_documents(self.documents)}{_from(self.councils)}."]
        if self.documents:
            lines = [f"{_documents(self.documents)}{_from(self.councils)} {_verb(self.documents)} {_all(self.words)}."]
            others = self.results - self.documents
            if others:
                lines.append(
                    f"{_count(others, 'more result', 'more results')} {_verb(others)} only some of these words."
                )
            return lines
        held = [(w, n) for w, n in zip(self.words, self.word_counts, strict=True) if n]
        lines = []
        if self.missing:
            lines.append(f"No document mentions {_any(self.missing)}.")
        absent_here = [w for w, n in zip(self.words, self.word_counts, strict=True) if not n and w not in self.missing]
        if absent_here:
            lines.append(f"No document{where} mentions {_any(absent_here)}.")
        if not lines:
            lines.append(f"No document{where} mentions {_all(self.words)} together.")
        lines += [f"{_documents(n)} {_verb(n)} “{w}”." for w, n in held[:3]]
        if len(held) > 3:
            lines.append(f"Other words are mentioned in {_count(self.results, 'document', 'documents')} in all.")
        return lines


def count_answer(
    parsed: ParsedQuery,
    concepts: ConceptMatches | None,
    final: int,
    filtered: int,
    total: int,
    is_filtered: bool,
    councils: Callable[[int], int],
) -> Answer:
    """The answer for a search whose results are the bitset `final` within the filtered documents `filtered`.

    `councils` counts the councils that did the practice in a bitset of documents.
    """
    expanded = parsed.expanded + ([f"the years {parsed.years.description}"] if parsed.years else [])
    if concepts is None:  # a browse or a search in query syntax: every result counts
        return Answer(total, councils(final), [], expanded, parsed.expanded, parsed.dropped, results=total,
                      filtered=is_filtered)  # fmt: skip
    together = concepts.all(final)
    return Answer(
        documents=together.bit_count(),
        councils=councils(together),
        missing=[label for label, p in zip(concepts.labels, concepts.postings, strict=True) if not p.mask],
        expanded=expanded,
        synonyms=parsed.expanded,
        dropped=parsed.dropped,
        words=list(concepts.labels),
        word_counts=[(p.mask & filtered).bit_count() for p in concepts.postings],
        results=total,
        filtered=is_filtered,
        plain_words=True,
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def _documents(n: int) -> str:
    return _count(n, "document", "documents")


def _verb(n: int) -> str:
    return "mentions" if n == 1 else "mention"


def _from(councils: int) -> str:
    return f" from {_count(councils, 'council', 'councils')}" if councils else ""


def _quoted(words: list[str]) -> list[str]:
    return [f"“{w}”" for w in words]


def _all(words: list[str]) -> str:
    """“a”; both “a” and “b”; all of “a”, “b” and “c”."""
    quoted = _quoted(words)
    if len(quoted) == 1:
        return quoted[0]
    joined = ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return ("both " if len(quoted) == 2 else "all of ") + joined


def _any(words: list[str]) -> str:
    """“a”; “a” or “b”; “a”, “b” or “c”."""
    quoted = _quoted(words)
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
