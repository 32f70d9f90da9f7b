"""One indexer run: scan, read and tag what changed, write one new generation, publish it.

Check mode shares the scan, read and tag steps and then only reports; the steps live in indexer.steps.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from library.store import IndexStore
from library.vocab import Vocabularies, load_vocabularies, tagging_fingerprint, vocabulary_folder

from .report import (
    EXIT_BUSY,
    EXIT_FATAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_TERMINATED,
    FileNote,
    RunReport,
)
from .spool import Spool
from .steps import (
    NOTHING_PUBLISHED,
    Progress,
    Published,
    keep_last_good_versions,
    new_generation,
    plan,
    publish,
    read_corpus,
    rebuild_in_full_when_needed,
    report_gaps,
    scan,
    write,
)
from .steps import folded_id as folded_id  # kept importable from here, where it used to live

__all__ = [
    "EXIT_BUSY", "EXIT_FATAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REJECTED", "EXIT_TERMINATED",
    "RunInterrupted", "RunReport", "check_corpus", "run_indexer", "stopped_by_signals",
]  # fmt: skip


class RunInterrupted(
    BaseException
):  # like KeyboardInterrupt: a request to stop, which `except Exception` must not swallow
    """The run was asked to stop by SIGINT or SIGTERM; it cleans up on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.published_generation = 0  # set when the stop came after the new generation was published

    @property
    def exit_code(self) -> int:
        return EXIT_INTERRUPTED if self.signum == signal.SIGINT else EXIT_TERMINATED


_asked: list[int] = []  # the signal that asked the run under stopped_by_signals to stop, once one has


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Turn the first SIGINT or SIGTERM into RunInterrupted, so the run removes what it built and exits."""
    _asked.clear()

    def stop(signum: int, _frame: object) -> None:
        if not _asked:  # a second signal must not cut the clean-up short
            _asked.append(signum)
            raise RunInterrupted(signum)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _asked.clear()


def stop_if_asked() -> None:
    """Raise RunInterrupted if a signal asked the run to stop but its exception never reached the run.

    Python reports and drops an exception raised in a fork hook: a signal that lands while the writer starts its
    worker processes would otherwise be lost, and the run would publish and exit 0 as if never asked to stop.
    """
    if _asked:
        raise RunInterrupted(_asked[0])


def run_indexer(
    corpus: Path,
    index_root: Path,
    full: bool = False,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
) -> RunReport:
    """Bring the index up to date with the corpus; raise LibraryError subclasses on fatal problems."""
    vocab = load_vocabularies(vocabulary_folder(corpus))
    report = RunReport(corpus=str(corpus), index=str(index_root), full=full)
    store = IndexStore(index_root)
    with store.lock():
        _repair(store, report)
        serving = store.current_name()
        try:
            _update(corpus, store, vocab, report, progress, on_total)
        except RunInterrupted as stop:
            if store.current_name() != serving:
                stop.published_generation = store.current_generation()
            raise
    report.finished = time.time()
    return report


def check_corpus(corpus: Path, progress: Progress | None = None) -> RunReport:
    """Read and tag every document and validate the vocabularies, without touching any index."""
    vocab = load_vocabularies(vocabulary_folder(corpus))
    report = RunReport(corpus=str(corpus), index="", full=True)
    found = scan(corpus)
    with Spool() as spool:
        report_gaps(read_corpus(found, NOTHING_PUBLISHED, vocab, report, progress, spool=spool), spool, report)
    report.finished = time.time()
    return report


def _repair(store: IndexStore, report: RunReport) -> None:
    """Mend what a dead run or a damaged folder left: CURRENT, building folders, an index short of its manifest."""
    recovered = store.recover_current()
    if recovered:
        report.repairs.append(FileNote(str(store.root / "CURRENT"), recovered))
    store.clean_up()
    check = store.check()
    if check is not None and not check.consistent:
        report.full = True
        report.repairs.append(FileNote(str(store.root), f"{check.describe()}, so this run rebuilt the index in full"))


def _update(
    corpus: Path,
    store: IndexStore,
    vocab: Vocabularies,
    report: RunReport,
    progress: Progress | None,
    on_total: Callable[[int], None] | None,
) -> None:
    """The steps of an index run, with the lock held: scan, read, tag, then write and publish what changed."""
    found = scan(corpus)  # first: a corpus that is not a folder is the error to report, whatever the index holds
    published = Published.from_manifest(store.manifest())
    fingerprint = tagging_fingerprint(vocab.folder)
    rebuild_in_full_when_needed(store, published, fingerprint, vocab.folder, report)
    with Spool(store.root) as spool:
        seen = read_corpus(found, published, vocab, report, progress, on_total, spool=spool)
        stop_if_asked()
        changes = plan(seen, published, report, spool)
        report.generation = store.current_generation()
        if changes.nothing_to_write and not report.full:
            return
        if report.full:
            keep_last_good_versions(store, vocab, changes, report)
        with new_generation(store, report.full) as builder:
            write(builder, changes, vocab, report.full)
            stop_if_asked()  # before publishing: a stop lost while the writer forked its workers still stops the run
            publish(builder, changes, fingerprint, report)
