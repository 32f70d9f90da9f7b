"""The documents a run has read and tagged, kept in a temporary file until the writer takes them.

A full build used to hold every document it read in the run's process until the writer asked for it: at
100,000 documents that was most of a gigabyte, before the writer's workers started. The spool pickles each
document to an unnamed temporary file as it is tagged, and the run keeps only its offset; the writer reads
them back one at a time, in order. The file is the run's own, written and read by the same process, and the
kernel removes it when the run ends, however it ends.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import overload

from library.model import Document


class Spool:
    """An append-only file of pickled documents, read back by offset."""

    def __init__(self, folder: Path | None = None) -> None:
        # Beside the index when there is one: /tmp may be held in memory, which is what the spool saves.
        self._file = tempfile.TemporaryFile(dir=folder, prefix="spool-")  # noqa: SIM115  # closed by close()
        self._end = 0

    def add(self, doc: Document) -> int:
        """Write a document at the end of the spool; return its offset."""
        offset = self._end
        self._file.seek(offset)
        pickle.dump(doc, self._file, pickle.HIGHEST_PROTOCOL)
        self._end = self._file.tell()
        return offset

    def read(self, offset: int) -> Document:
        """The document written at `offset`."""
        self._file.seek(offset)
        doc: Document = pickle.load(self._file)  # noqa: S301  # this run's own file, written by add()
        return doc

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class Upserts(Sequence[Document]):
    """The documents a generation is to write: spooled ones by offset, then any held in memory, with their ids."""

    def __init__(self, spool: Spool, offsets: list[int], ids: list[str]) -> None:
        self._spool = spool
        self._offsets = offsets
        self._held: list[Document] = []
        self.ids = ids

    def hold(self, docs: Iterable[Document]) -> None:
        """Add documents already in memory (the last good versions of stale ones), after the spooled ones."""
        for doc in docs:
            self._held.append(doc)
            self.ids.append(doc.id)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Document: ...
    @overload
    def __getitem__(self, index: slice) -> list[Document]: ...
    def __getitem__(self, index: int | slice) -> Document | list[Document]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        spooled = len(self._offsets)
        return self._spool.read(self._offsets[index]) if index < spooled else self._held[index - spooled]

    def __iter__(self) -> Iterator[Document]:
        for offset in self._offsets:
            yield self._spool.read(offset)
        yield from self._held
