"""The seam between the library and the search engine that holds its index.

Everything above this package (store, generation, search, answers, snippets, spelling) speaks the project's
own types: Documents, field dictionaries (library.engine.fields), document numbers and bitsets (one Python
int per set of documents, one bit per document number). An engine provides three things:

- `IndexWriter`: upserts and deletes of field dictionaries into a generation folder, then commit or cancel;
- `GenerationReader`: one published generation, opened once per process and shared by its threads, answering
  matches and scores, facet bitsets, dates, stored Documents, highlight terms and spelling words;
- the module-level operations of `Engine`: create, open, check and read a generation folder, and analyse text
  the way the index does.

Whoosh is the engine today (library.engine.whoosh, the only package that imports whoosh). A second engine
implements the same protocols; docs/architecture.md says what that would change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..facets import DateOrder, FacetIndex
    from ..model import Document
    from ..ranking import Ranking
    from ..spelling import Speller
    from ..vocab import Theme, Vocabularies
    from .parsed import Matched, ParsedQuery


@runtime_checkable
class IndexWriter(Protocol):
    """Writes one generation: new and changed documents, deletions, then commit (or cancel on failure)."""

    def upsert(self, fields: dict[str, object], new: bool) -> None:
        """Add a document's fields; `new` says no earlier version can be in the generation (a full build)."""

    def delete(self, doc_id: str) -> None: ...

    def commit(self) -> None: ...

    def cancel(self) -> None: ...


@runtime_checkable
class GenerationReader(Protocol):
    """One published generation as searches see it. Built once; every attribute is read-only after."""

    facets: FacetIndex
    dates: DateOrder
    speller: Speller

    def parse(self, text: str, today: date | None = None) -> ParsedQuery:
        """What a person typed, read into the engine's query (plain words, or query syntax for those who know it)."""

    def close_themes(self, parsed: ParsedQuery, limit: int) -> list[Theme]: ...

    def match(self, parsed: ParsedQuery, seconds: float, notices: list[str]) -> Matched:
        """Which documents the query's text matches (a bitset), and how to rank them."""

    def rank(self, matched: Matched, within: int, count: int, ranking: Ranking) -> list[int]:
        """The best `count` document numbers of `within`, best first (newest first among equals)."""

    def highlight_terms(self, parsed: ParsedQuery) -> set[str]:
        """The analysed words of the query the generation holds, for snippets."""

    def stored(self, docnum: int) -> Document: ...

    def newest(self, limit: int) -> list[Document]:
        """The documents most recently added to the library, newest document first among equals."""

    def docnum(self, doc_id: str) -> int | None: ...

    def added(self, docnum: int) -> int:
        """When the document was first published in the library, Unix time (0 if the index does not say)."""

    def similar(self, docnum: int, limit: int) -> list[int]:
        """Documents sharing themes, councils and distinctive words with this one, best first, itself excluded."""

    def close(self) -> None: ...


@runtime_checkable
class Engine(Protocol):
    """What the store and the indexer need of an engine, outside a published generation."""

    schema_version: int  # raised with any change to what a generation holds; a changed version rebuilds in full
    token_pattern: str  # a word, as the index's analysis reads one

    def create(self, path: Path) -> None: ...

    def can_open(self, path: Path) -> bool: ...

    def document_count(self, path: Path) -> int: ...

    def indexed_ids(self, path: Path) -> list[str]:
        """The id of every live document in a generation, once per document (so duplicates show)."""

    def stored_documents(self, path: Path, doc_ids: Sequence[str] | None = None) -> dict[str, Document]: ...

    def writer(self, path: Path, documents: int) -> IndexWriter: ...

    def reader(self, path: Path, vocab: Vocabularies) -> GenerationReader: ...

    def terms(self, text: str) -> list[str]:
        """Text analysed as the index analyses it (lowercased, stemmed, stop words dropped)."""

    def mapped_parts(self, path: Path) -> list[tuple[int, int, str]]:
        """(first byte, end, name) of each part of a file of the index that searches map into memory, for memory
        profiles (bench.server_memory); [] for any other file."""


def engine() -> Engine:
    """The engine that holds this installation's index."""
    from .whoosh import ENGINE

    return ENGINE
