"""The Whoosh schema: how each field of library.engine.fields is analysed, stored and counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from .analysis import index_terms, text_analyzer, word_analyzer


class ProseField(TEXT):  # type: ignore[misc]  # Whoosh's fields have no types
    """A TEXT field that turns a document's text into postings in one pass (analysis.index_terms).

    It writes what TEXT writes with the same analyzer, byte for byte; queries and highlighting still go
    through the analyzer. Whoosh pickles the class's path into every index's schema: generations written
    before the engine package existed name library.schema.ProseField, which library/schema.py still answers.
    """

    def __init__(self, stemmed: bool, **kwargs: object) -> None:
        analyzer = text_analyzer() if stemmed else word_analyzer()
        super().__init__(analyzer=analyzer, **kwargs)
        self.stemmed = stemmed

    def index(self, value: object, **kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        fmt = self.format
        if not isinstance(value, str) or kwargs or type(fmt) not in (Positions, Frequency):
            yield from super().index(value, **kwargs)
            return
        boost = fmt.field_boost
        positional = type(fmt) is Positions
        for word, positions in index_terms(value, self.stemmed).items():
            count = len(positions)
            encoded = fmt.encode(positions) if positional else pack_uint(count)
            yield word.encode("utf-8"), count, float(count) * boost, encoded


# The version of what a generation holds: its fields, how they are analysed and what `meta` stores. Raise it with
# any such change; a generation whose manifest records another version (or none) is rebuilt in full. Recorded in
# manifest.json rather than read from the index, so the decision never depends on a class's module path.
# 2: the network's record (lead, organisations, status, evidence, sources; facets status, evidence,
#    organisation and member) and Culture Hub provenance.
# 3: each segment's postings arrays file (arrays.py); a generation without them is still searched, more slowly.
# 4: a column of ids, so documents that tie (the same date, the same score) keep one order from build to build.
SCHEMA_VERSION = 4


def build_schema() -> Schema:
    """Return the index schema: ranked text fields, facet fields and stored metadata."""
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=ProseField(stemmed=True, stored=True, field_boost=3.0),
        summary=ProseField(stemmed=True, stored=True, field_boost=2.0),
        body=ProseField(stemmed=True, stored=True),
        # The labels of a document's themes, councils and type, so "housing" finds every document tagged
        # Housing whatever words its text uses; weighted like the title. Not the themes' signal words: they
        # only suggest a theme, and a document tagged Democratic participation does not thereby mention
        # participatory budgeting.
        tags=ProseField(stemmed=True, field_boost=3.0),
        # Every word as written, for "did you mean". One plain field is much cheaper to write than Whoosh's
        # per-field spelling words, whose postings have no length column to look up.
        words=ProseField(stemmed=False, phrase=False),
        council=KEYWORD(stored=True, commas=True, scorable=True),
        theme=KEYWORD(stored=True, commas=True, scorable=True),
        principle=KEYWORD(stored=True, commas=True, scorable=True),
        # The councils that did the practice (declared ones, else inferred): what the answer line counts.
        practice=KEYWORD(commas=True),
        organisation=KEYWORD(commas=True),
        status=ID(),
        evidence=ID(),
        # "yes" when a council that did the practice is one the sources show in the network.
        member=ID(),
        type=ID(stored=True),
        region=KEYWORD(stored=True, commas=True),
        year=NUMERIC(int, bits=32, stored=True, sortable=True, signed=False),
        date_sort=NUMERIC(int, bits=32, sortable=True, signed=False),
        added=NUMERIC(int, bits=64, sortable=True, signed=False),
        path=ID(stored=True),
        meta=STORED(),
    )
