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
import ctypes
import ctypes.util
import gc
import heapq
import marshal
import os
import pickle
import queue
import signal
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeAlias

from whoosh.codec.base import OutOfOrderError
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3Segment
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from ...errors import LibraryError
from .arrays import EXTENSION, ArraysWriter
from .lengths import writing_lengths
from .query import PLAIN_FIELDS, PROXIMITY_FIELDS

# Whoosh has no types: its indexes, writers, storages, segments, schemas and readers are Any here.
Whoosh: TypeAlias = Any
Posting: TypeAlias = tuple[str, bytes, int, float, bytes | None]
Group: TypeAlias = tuple[list[int], list[float], list[bytes]]

PARALLEL_FROM = 500  # documents to write before analysing them in parallel pays for the worker processes
LIMIT_MB = 128  # postings a writer process holds in memory before it spills a sorted run to disk (estimated)
POLL_SECONDS = 0.2  # how often a waiting run checks that its writer workers are still alive
JOIN_SECONDS = 10  # how long a finished or killed worker may take to exit
_PR_SET_PDEATHSIG = 1
_STOPS = {signal.SIGINT, signal.SIGTERM}
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" else None


def open_writer(ix: Whoosh, documents: int) -> Whoosh:
    """A writer for `documents` new documents: analysed on every core when there are enough of them."""
    # Separate segment files, not one compound file: Whoosh reads a compound file's parts into memory,
    # which would make every server process hold a copy of the postings.
    settings: dict[str, Any] = {"limitmb": LIMIT_MB, "compound": False, "codec": LeanCodec()}
    procs = min(4, os.cpu_count() or 1)
    if documents < PARALLEL_FROM or procs < 2:
        return LeanSegmentWriter(ix, **settings)
    # Each worker writes its own segment, so nothing is merged at the end.
    return ParallelWriter(ix, procs=procs, multisegment=True, **settings)


class LeanSegmentWriter(SegmentWriter):  # type: ignore[misc]  # Whoosh's writers have no types
    """Whoosh's SegmentWriter with postings grouped by word in a WordPool."""

    def __init__(self, ix: Whoosh, limitmb: int = LIMIT_MB, **kwargs: object) -> None:
        super().__init__(ix, limitmb=limitmb, **kwargs)
        self.pool = WordPool(self._tempstorage, limitmb)


class WriterWorkerError(LibraryError):
    """A writer worker process died or failed, so its share of the documents was not written."""


class ParallelWriter(MpWriter):  # type: ignore[misc]  # Whoosh's writers have no types
    """Whoosh's multi-process writer, whose workers are LeanSegmentWriters and whose death fails the commit.

    Whoosh's MpWriter waits on its workers without a timeout and drops the segment of one that died, so
    a worker killed by the kernel's out-of-memory killer lost its documents silently, and one killed while
    waiting for a job left the run waiting for ever. This writer polls: every wait has a timeout, after
    which it checks that no worker has died before its segment came back, and raises WriterWorkerError
    naming the one that did. On any failure it kills the workers and waits for them to go.
    """

    def __init__(self, ix: Whoosh, **kwargs: object) -> None:
        super().__init__(ix, **kwargs)
        self.worker_segments: dict[int, object] = {}  # each finished worker's segment, by its process id

    def _new_task(self) -> _LeanTask:
        task = _LeanTask(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, True)
        task.daemon = True  # if all else fails, multiprocessing terminates it when this process exits
        self.tasks.append(task)
        # The worker is forked from a run holding every document it read. Frozen, those objects are out of
        # the worker's garbage collections, which would otherwise write to each one's header and so copy
        # every page of them into the worker (copy-on-write): the run's memory, once per worker.
        # SIGINT and SIGTERM stay blocked across the fork until the worker has set its own handlers
        # (_bind_to_run): one landing in the child while Python still ran its after-fork hooks reached the
        # run's handler there, whose exception Python can only print.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
        try:
            gc.freeze()
            try:
                task.start()
            finally:
                gc.unfreeze()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a stop that came meanwhile is delivered here
        return task

    def _enqueue(self) -> None:
        """Write the buffered documents to a job file and queue it, without waiting on a dead worker."""
        filename = f"{random_name()}.doclist"
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, 2)
        if len(self.tasks) < self.procs:
            self._new_task()
        self._put((filename, len(self.docbuffer)))
        self.docbuffer: list[Whoosh] = []

    def _put(self, job: tuple[str, int] | None) -> None:
        self._check_workers()
        while True:
            try:
                self.jobqueue.put(job, timeout=POLL_SECONDS)
                return
            except queue.Full:
                self._check_workers()

    def commit(self, mergetype: Whoosh = None, optimize: bool | None = None, merge: bool | None = None) -> None:
        try:
            super().commit(mergetype, optimize, merge)
        except BaseException:
            self._stop_workers()
            raise

    def _commit(self, mergetype: Whoosh, optimize: bool | None, merge: bool | None) -> None:
        """MpWriter._commit for the multisegment case, polling the workers instead of waiting on them."""
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self._put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        while len(self.worker_segments) < len(self.tasks):
            if not self._receive():
                self._check_workers()
        self._stop_workers()
        finalsegments += list(self.worker_segments.values())
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def _receive(self) -> bool:
        """Take one worker's segment off the result queue; False if none came within the poll interval."""
        try:
            pid, outcome = self.resultqueue.get(timeout=POLL_SECONDS)
        except queue.Empty:
            return False
        if isinstance(outcome, BaseException):
            raise _worker_failure(pid, outcome)
        self.worker_segments[pid] = outcome
        return True

    def _check_workers(self) -> None:
        """Raise WriterWorkerError if a worker has exited without delivering its segment."""
        if all(task.exitcode is None or task.pid in self.worker_segments for task in self.tasks):
            return
        while self._receive():  # what it sent on its way out: its segment, or why it failed
            pass
        for task in self.tasks:
            if task.exitcode is not None and task.pid not in self.worker_segments:
                raise WriterWorkerError(_death_message(task.pid, task.exitcode))

    def cancel(self) -> None:
        try:
            self._stop_workers()
        finally:
            SegmentWriter.cancel(self)

    def _stop_workers(self) -> None:
        """Kill the workers that are still running and wait until every one has gone."""
        for task in self.tasks:
            if task.exitcode is None:
                with contextlib.suppress(OSError):
                    task.kill()
        for task in self.tasks:
            task.join(timeout=JOIN_SECONDS)
        self.jobqueue.cancel_join_thread()  # never wait at exit to hand jobs to workers that are gone


def _death_message(pid: int | None, exitcode: int) -> str:
    if exitcode < 0:
        name = signal.Signals(-exitcode).name
        cause = " (the kernel's out-of-memory killer sends it when memory runs short; see dmesg)"
        return (
            f"writer worker process {pid} was killed by {name}{cause if -exitcode == signal.SIGKILL else ''}"
            " before it finished its share of the documents"
        )
    return f"writer worker process {pid} exited with code {exitcode} before it finished its share of the documents"


def _worker_failure(pid: int, error: BaseException) -> BaseException:
    """The error a worker reported: a disk error as it is, anything else as WriterWorkerError."""
    if isinstance(error, OSError):
        return error
    return WriterWorkerError(f"writer worker process {pid} failed: {type(error).__name__}: {error}")


class _LeanTask(SubWriterTask):  # type: ignore[misc]  # Whoosh's writer tasks have no types
    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.run_pid = os.getpid()

    def run(self) -> None:
        """SubWriterTask.run for the multisegment case: write with a LeanSegmentWriter, die with the run."""
        _bind_to_run(self.run_pid)
        try:
            outcome = self._write()
        except Exception as exc:  # report it: the run fails with the reason instead of a missing segment
            outcome = exc if _picklable(exc) else WriterWorkerError(repr(exc))
        self.resultqueue.put((os.getpid(), outcome), timeout=JOIN_SECONDS)

    def _write(self) -> Whoosh:
        ix = self.storage.open_index(self.indexname)
        writer = self.writer = LeanSegmentWriter(ix, _lk=False, **self.kwargs)
        while True:
            job = self.jobqueue.get()
            if job is None:
                return writer._finalize_segment()
            self._process_file(*job)


def _bind_to_run(run_pid: int) -> None:
    """Make a worker die with the run that started it and hold none of the run's terminal, pipes or lock.

    The kernel sends the worker SIGKILL when the run dies, however it dies (PR_SET_PDEATHSIG, which
    watches the thread that started the worker: the run's main thread), so no orphan is left holding
    the inherited index lock or keeping cron's pipe open; library.store also closes the lock in every
    forked child. Its standard streams
    go to /dev/null: a failure comes back to the run through the result queue. Ctrl+C reaches the
    whole process group; the run alone decides what to do about it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)  # blocked by the run across the fork (_new_task)
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != run_pid:  # the run died before the line above took effect
        os._exit(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _picklable(error: BaseException) -> bool:
    try:
        pickle.dumps(error)
    except Exception:
        return False
    return True


class WordPool:
    """The postings of one segment, grouped by (field, word), each group in the order it was added.

    Whoosh's PostingPool keeps one tuple per posting and sorts them all; documents are added in
    number order, so grouping by word on arrival leaves only the words to sort, and takes about a
    third of the memory. Past its limit the pool writes its groups, sorted, to a run file; at the end
    the runs are merged word by word, and a word's groups from several runs join in run order.
    """

    def __init__(self, tempstore: Whoosh, limitmb: float) -> None:
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.words: dict[tuple[str, bytes], Group] = {}
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []

    def add(self, item: Posting) -> None:
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
            postings: Iterable[tuple[int, float, bytes]] = zip(docnums, weights, values, strict=True)
            if docnums != sorted(docnums):  # documents arrive in number order; Whoosh requires it
                postings = sorted(postings)
            for posting in postings:
                yield (fieldname, word, *posting)

    def _read_run(self, name: str) -> Iterator[tuple[tuple[str, bytes], Group]]:
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


def _key(entry: tuple[tuple[str, bytes], Group]) -> tuple[str, bytes]:
    return entry[0]


def _joined(entries: Iterable[tuple[tuple[str, bytes], Group]]) -> Iterator[tuple[tuple[str, bytes], Group]]:
    """Join consecutive groups of the same word (from different runs) into one."""
    current: tuple[tuple[str, bytes], Group] | None = None
    for key, group in entries:
        if current is not None and current[0] == key:
            mine = current[1]
            mine[0].extend(group[0])
            mine[1].extend(group[1])
            mine[2].extend(group[2])
            continue
        if current is not None:
            yield current
        current = (key, (list(group[0]), list(group[1]), list(group[2])))
    if current is not None:
        yield current


class LeanCodec(W3Codec):  # type: ignore[misc]  # Whoosh's codecs have no types
    """Whoosh's codec, writing postings with each field's lengths read once instead of once per posting."""

    def field_writer(self, storage: Whoosh, segment: Whoosh) -> _LeanFieldWriter:
        return _LeanFieldWriter(self, storage, segment)

    def new_segment(self, storage: Whoosh, indexname: str) -> Whoosh:
        # The segment is recorded in the index's table of contents with its codec: keep that Whoosh's.
        return W3Segment(W3Codec(self._blocklimit, self._compression, self._inlinelimit), indexname)


class _LeanFieldWriter(W3FieldWriter):  # type: ignore[misc]  # Whoosh's codecs have no types
    """Whoosh's field writer, reading lengths once per field, and writing the segment's arrays file as well."""

    def __init__(self, codec: Whoosh, storage: Whoosh, segment: Whoosh) -> None:
        super().__init__(codec, storage, segment)
        self._arrays = ArraysWriter(PLAIN_FIELDS, PROXIMITY_FIELDS, getattr(storage, "folder", None))

    def close(self) -> None:
        super().close()
        out = self._segment.create_file(self._storage, EXTENSION)
        try:
            self._arrays.write(out)
        finally:
            out.close()

    def add_postings(self, schema: Whoosh, lengths: Whoosh, items: Iterable[Posting]) -> None:
        """FieldWriter.add_postings with one length lookup per field instead of one per posting."""
        lastfn = lasttext = None
        add: Whoosh = None
        kept = None  # the arrays file's postings of this field, if it keeps the field
        field_lengths = writing_lengths(None, "")  # replaced at the first posting's field
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
                field_lengths = writing_lengths(lengths, fieldname)
                kept = self._arrays.field(fieldname)
            if docnum == -1:  # Whoosh's marker for a spelling word, which this schema does not write
                continue
            if btext != lasttext:
                if lasttext is not None:
                    if btext < lasttext:
                        raise OutOfOrderError(f"Term {fieldname}:{lasttext!r} .. {fieldname}:{btext!r}")
                    self.finish_term()
                self.start_term(btext)
                if kept is not None:
                    kept.start_word(btext)
                lasttext = btext
                add = self._postwriter.add_posting
            value = b"" if value is None else value
            add(docnum, weight, value, field_lengths[docnum])
            if kept is not None:
                kept.add(docnum, weight, value)
        if lasttext is not None:
            self.finish_term()
        if lastfn is not None:
            self.finish_field()
