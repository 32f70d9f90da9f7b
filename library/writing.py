"""Writing an index generation: Whoosh's segment writer with a leaner path from postings to files.

Most of a full build is Whoosh's per-posting Python code. Each (word, document) pair becomes a tuple
that is checked and sized as it enters a sorting pool. The pool spills to disk as pickles, one per
posting, and is merged back one posting at a time. When the segment is written, each posting then
looks up its document's field length through three layers of readers.

The writer here keeps the postings grouped by word as they arrive, in document order, so there is
nothing to sort but the words. It spills and merges whole words, and reads each field's lengths once.
The files it writes are the files Whoosh writes, which tests/test_writing.py checks posting by
posting. The segments name Whoosh's own codec, so a library built this way reads back with plain
Whoosh.
"""

from __future__ import annotations

import contextlib
import heapq
import marshal
import os
from collections.abc import Iterator

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3FieldWriter, W3Segment, _lenfield
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

PARALLEL_FROM = 500  # documents to write before analysing them in parallel pays for the worker processes
LIMIT_MB = 256  # postings a writer process holds in memory before it spills a sorted run to disk
_BYTE_LENGTHS = [byte_to_length(b) or 0 for b in range(256)]


def open_writer(ix, documents: int):  # type: ignore[no-untyped-def]
    """A writer for `documents` new documents: analysed on every core when there are enough of them."""
    # Separate segment files, not one compound file: Whoosh reads a compound file's parts into memory,
    # which would make every server process hold a copy of the postings.
    settings = {"limitmb": LIMIT_MB, "compound": False, "codec": LeanCodec()}
    procs = min(4, os.cpu_count() or 1)
    if documents < PARALLEL_FROM or procs < 2:
        return LeanSegmentWriter(ix, **settings)
    # Each worker writes its own segment, so nothing is merged at the end.
    return ParallelWriter(ix, procs=procs, multisegment=True, **settings)


class LeanSegmentWriter(SegmentWriter):
    """Whoosh's SegmentWriter with postings grouped by word in a WordPool."""

    def __init__(self, ix, limitmb: int = LIMIT_MB, **kwargs: object) -> None:  # type: ignore[no-untyped-def]
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = WordPool(self._tempstorage, limitmb)


class ParallelWriter(MpWriter):
    """Whoosh's multi-process writer, whose workers are LeanSegmentWriters."""

    def _new_task(self):  # type: ignore[no-untyped-def]
        task = _LeanTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
        self.tasks.append(task)
        task.start()
        return task


class _LeanTask(SubWriterTask):
    def run(self) -> None:
        """SubWriterTask.run for the multisegment case, writing with a LeanSegmentWriter."""
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = LeanSegmentWriter(ix, _lk=False, **self.kwargs)
        while self.running:
            job = self.jobqueue.get()
            if job is None:
                break
            self._process_file(*job)
        if not self.running:
            writer.cancel()
            return
        fieldnames = writer.pool.fieldnames
        self.resultqueue.put((None, fieldnames, writer._finalize_segment()), timeout=5)


class WordPool:
    """The postings of one segment, grouped by (field, word), each group in the order it was added.

    Whoosh's PostingPool keeps one tuple per posting and sorts them all; documents are added in
    number order, so grouping by word on arrival leaves only the words to sort, and takes about a
    third of the memory. Past its limit the pool writes its groups, sorted, to a run file; at the end
    the runs are merged word by word, and a word's groups from several runs join in run order.
    """

    def __init__(self, tempstore, limitmb: float) -> None:  # type: ignore[no-untyped-def]
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.words: dict[tuple[str, bytes], tuple[list[int], list[float], list[bytes]]] = {}
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, word, docnum, weight, value = item
        group = self.words.get((fieldname, word))
        if group is None:
            group = self.words[fieldname, word] = ([], [], [])
            self.fieldnames.add(fieldname)
            self.size += 500 + len(word)  # its dict entry, key, tuple and three lists
        group[0].append(docnum)
        group[1].append(weight)
        group[2].append(value or b"")
        self.size += 120 + len(value or b"")  # a number, a float, a bytes object and three list slots
        if self.size > self.limit:
            self.save()

    def save(self) -> None:
        """Write the groups, sorted by field and word, to a run file and start again."""
        if not self.words:
            return
        name = f"{random_name()}.words"
        with self.tempstore.create_file(name).raw_file() as f:
            for key in sorted(self.words):
                marshal.dump((key, self.words[key]), f)
        self.runs.append(name)
        self.words, self.size = {}, 0

    def iter_postings(self) -> Iterator[tuple[str, bytes, int, float, bytes]]:
        """Every posting in (field, word, document) order."""
        if self.runs:
            self.save()
            groups = _joined(heapq.merge(*(self._read_run(name) for name in self.runs), key=_key))
        else:
            groups = ((key, self.words[key]) for key in sorted(self.words))
        for (fieldname, word), (docnums, weights, values) in groups:
            if docnums != sorted(docnums):  # documents arrive in number order; Whoosh requires it
                docnums, weights, values = zip(*sorted(zip(docnums, weights, values, strict=True)), strict=True)  # type: ignore[assignment]
            for posting in zip(docnums, weights, values, strict=True):
                yield (fieldname, word, *posting)

    def _read_run(self, name: str) -> Iterator[tuple[tuple[str, bytes], tuple[list, list, list]]]:  # type: ignore[type-arg]
        with self.tempstore.open_file(name).raw_file() as f:
            while True:
                try:
                    yield marshal.load(f)
                except EOFError:
                    return

    def cleanup(self) -> None:
        for name in self.runs:
            with contextlib.suppress(OSError):
                self.tempstore.delete_file(name)
        self.runs = []


def _key(entry):  # type: ignore[no-untyped-def]
    return entry[0]


def _joined(entries):  # type: ignore[no-untyped-def]
    """Join consecutive groups of the same word (from different runs) into one."""
    current = None
    for key, group in entries:
        if current is not None and current[0] == key:
            for mine, theirs in zip(current[1], group, strict=True):
                mine.extend(theirs)
            continue
        if current is not None:
            yield current
        current = (key, tuple(list(part) for part in group))
    if current is not None:
        yield current


class LeanCodec(W3Codec):
    """Whoosh's codec, writing postings with each field's lengths read once instead of once per posting."""

    def field_writer(self, storage, segment):  # type: ignore[no-untyped-def]
        return _LeanFieldWriter(self, storage, segment)

    def new_segment(self, storage, indexname):  # type: ignore[no-untyped-def]
        # The segment is recorded in the index's table of contents with its codec: keep that Whoosh's.
        return W3Segment(W3Codec(self._blocklimit, self._compression, self._inlinelimit), indexname)


class _LeanFieldWriter(W3FieldWriter):
    def add_postings(self, schema, lengths, items):  # type: ignore[no-untyped-def]
        """FieldWriter.add_postings with one length lookup per field instead of one per posting."""
        lastfn = lasttext = None
        add = field_lengths = None
        for fieldname, btext, docnum, weight, value in items:
            if fieldname != lastfn:
                if lastfn is not None and fieldname < lastfn:
                    raise OutOfOrderError(f"Field {lastfn!r} .. {fieldname!r}")
                if lasttext is not None:
                    self.finish_term()
                if lastfn is not None:
                    self.finish_field()
                self.start_field(fieldname, schema[fieldname])
                lastfn, lasttext = fieldname, None
                field_lengths = _field_lengths(lengths, fieldname)
            if docnum == -1:  # Whoosh's marker for a spelling word, which this schema does not write
                continue
            if btext != lasttext:
                if lasttext is not None:
                    if btext < lasttext:
                        raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {fieldname}:{btext!r}")
                    self.finish_term()
                self.start_term(btext)
                lasttext = btext
                add = self._postwriter.add_posting
            add(docnum, weight, b"" if value is None else value, field_lengths[docnum])  # type: ignore[index, misc]
        if lasttext is not None:
            self.finish_term()
        if lastfn is not None:
            self.finish_field()


def _field_lengths(lengths, fieldname: str):  # type: ignore[no-untyped-def]
    """Every document's length in one field of the segment being written, as doc_field_length gives it."""
    if lengths is None:
        return _Zeros()
    try:
        column = lengths._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:  # a field without lengths: Whoosh passes 0
            return _Zeros()
        if column._fixedlen == 1:  # one byte per document, as Whoosh writes lengths
            table = [_BYTE_LENGTHS[b] for b in column._dbfile.get(column._basepos, column._count)]
            return table + [0] * (lengths.doc_count_all() - len(table))
    except AttributeError:
        pass
    return _AskEach(lengths, fieldname)  # another reader: ask for each length


class _Zeros:
    def __getitem__(self, docnum: int) -> int:
        return 0


class _AskEach:
    def __init__(self, lengths, fieldname: str) -> None:  # type: ignore[no-untyped-def]
        self._lengths, self._fieldname = lengths, fieldname

    def __getitem__(self, docnum: int) -> int:
        return self._lengths.doc_field_length(docnum, self._fieldname) or 0
