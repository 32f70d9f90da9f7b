"""The Whoosh engine: the only package that imports whoosh.

Modules, one concern each: `analysis` (how text becomes words), `schema` (how each field is indexed),
`query` (what a person typed, as a Whoosh query), `bounds` (what query syntax may cost), `matching` (each
word's documents and BM25F scores, cached per generation), `reader` (a published generation), `writing`
(the lean and parallel writers). Whoosh's private attributes are read only in `writing`, `lengths` and
`blocks`, each of which says what it reads and records when it has to fall back.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from ...model import Document
from ...vocab import Vocabularies
from ..fields import stored_document
from . import arrays
from .analysis import TOKEN_PATTERN, text_analyzer
from .reader import WhooshReader
from .schema import SCHEMA_VERSION, build_schema
from .writing import open_writer


class WhooshWriter:
    """Upserts and deletes into one generation folder through the lean (or parallel) writer."""

    def __init__(self, path: Path, documents: int) -> None:
        self._writer: Any = open_writer(whoosh_index.open_dir(str(path)), documents)

    def upsert(self, fields: dict[str, object], new: bool) -> None:
        put = self._writer.add_document if new else self._writer.update_document
        put(**fields)

    def delete(self, doc_id: str) -> None:
        self._writer.delete_by_term("id", doc_id)

    def commit(self) -> None:
        self._writer.commit()

    def cancel(self) -> None:
        with contextlib.suppress(Exception):  # the writer may be half-closed; the caller removes its folder
            self._writer.cancel()


class WhooshEngine:
    """The Engine protocol (library.engine) over Whoosh index folders."""

    schema_version = SCHEMA_VERSION
    token_pattern = TOKEN_PATTERN

    def __init__(self) -> None:
        self._analyzer = text_analyzer()

    def create(self, path: Path) -> None:
        whoosh_index.create_in(str(path), build_schema())

    def can_open(self, path: Path) -> bool:
        try:
            whoosh_index.open_dir(str(path)).close()
        except Exception:  # noqa: BLE001  # damaged, half-written or unreadable (a schema naming a missing class)
            return False
        return True

    def document_count(self, path: Path) -> int:
        with whoosh_index.open_dir(str(path)).reader() as reader:
            return int(reader.doc_count())

    def indexed_ids(self, path: Path) -> list[str]:
        ids: list[str] = []
        with whoosh_index.open_dir(str(path)).reader() as reader:
            for leaf, _ in reader.leaf_readers():
                words = leaf.lexicon("id")
                if leaf.has_deletions():  # a deleted document's id stays in the lexicon until a merge
                    words = [w for w in words if leaf.postings("id", w).is_active()]
                ids += [w.decode("utf-8") for w in words]
        return ids

    def stored_documents(self, path: Path, doc_ids: Sequence[str] | None = None) -> dict[str, Document]:
        with whoosh_index.open_dir(str(path)).searcher() as searcher:
            if doc_ids is None:
                return {doc.id: doc for doc in map(stored_document, searcher.all_stored_fields())}
            return {d: stored_document(fields) for d in doc_ids if (fields := searcher.document(id=d))}

    def writer(self, path: Path, documents: int) -> WhooshWriter:
        return WhooshWriter(path, documents)

    def reader(self, path: Path, vocab: Vocabularies) -> WhooshReader:
        return WhooshReader(path, vocab)

    def terms(self, text: str) -> list[str]:
        return [t.text for t in self._analyzer(text)]

    def mapped_parts(self, path: Path) -> list[tuple[int, int, str]]:
        return arrays.parts(path) if path.name.endswith(arrays.EXTENSION) else []


ENGINE = WhooshEngine()
