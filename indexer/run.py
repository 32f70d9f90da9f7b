"""One indexer run: scan, read what changed, write one new generation, publish it."""

from __future__ import annotations

import contextlib
import signal
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from library import settings
from library.errors import ParseError
from library.model import Document
from library.readers import content_hash, file_stat, read_file
from library.store import IndexStore
from library.tagging import Tagger, record_gaps
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
from .scan import scan_corpus

__all__ = [
    "EXIT_BUSY", "EXIT_FATAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REJECTED", "EXIT_TERMINATED",
    "RunInterrupted", "RunReport", "check_corpus", "run_indexer", "stopped_by_signals",
]  # fmt: skip

Progress = Callable[[str], None]


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


@contextlib.contextmanager
def stopped_by_signals() -> Iterator[None]:
    """Turn the first SIGINT or SIGTERM into RunInterrupted, so the run removes what it built and exits."""
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if not stopping:  # a second signal must not cut the clean-up short
            stopping.append(signum)
            raise RunInterrupted(signum)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@dataclass
class _Seen:
    """A document file found in this run."""

    shown: str
    size: int
    mtime: int
    hash: str = ""
    doc: Document | None = None
    doc_id: str = ""


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
            _run(corpus, store, vocab, report, progress, on_total)
        except RunInterrupted as stop:
            if store.current_name() != serving:
                stop.published_generation = store.current_generation()
            raise
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


def _run(
    corpus: Path,
    store: IndexStore | None,
    vocab: Vocabularies,
    report: RunReport,
    progress: Progress | None,
    on_total: Callable[[int], None] | None,
) -> None:
    if not corpus.is_dir():
        raise ParseError(str(corpus), "is not a folder of documents; pass --corpus or set COOP_LIBRARY_CORPUS")
    manifest = store.manifest() if store else None
    old = (manifest.documents or {}) if manifest else {}
    if store and old and not report.full and not store.schema_matches():
        report.full = True
        report.warnings.append(
            FileNote(str(store.root), "the index was built by an earlier version, so this run rebuilt it in full")
        )
    fingerprint = tagging_fingerprint(vocab.folder)
    if manifest and old and not report.full and (manifest.vocabulary or {}) != fingerprint:
        report.full = True
        report.warnings.append(FileNote(str(vocab.folder), _vocabulary_change(manifest.vocabulary or {}, fingerprint)))
    old_by_path = {str(entry["path"]): doc_id for doc_id, entry in old.items()}
    tagger = Tagger(vocab)
    max_bytes = settings.get_int("max_file_bytes")
    notes: list[tuple[str, str]] = []
    found = list(scan_corpus(corpus, notes))
    report.warnings += [FileNote(path, reason) for path, reason in notes]
    if on_total:
        on_total(len(found))

    seen: list[_Seen] = []
    for item in found:
        if progress:
            progress(item.shown)
        try:
            size, mtime = file_stat(item.path, item.neighbours)
        except OSError:
            size, mtime = -1, -1
        entry = _Seen(item.shown, size, mtime)
        previous = old.get(old_by_path.get(item.shown, ""))
        if not report.full and previous and (previous["size"], previous["mtime"]) == (size, mtime):
            entry.doc_id, entry.hash = old_by_path[item.shown], str(previous["hash"])
            seen.append(entry)
            continue
        entry.hash = content_hash(item.path, max_bytes)
        if not report.full and previous and previous["hash"] == entry.hash:
            entry.doc_id = old_by_path[item.shown]
            seen.append(entry)
            continue
        try:
            raw = read_file(item.path, item.shown, max_bytes)
            entry.doc, warnings = tagger.build(raw, entry.hash)
            entry.doc_id = entry.doc.id
            report.warnings += [FileNote(item.shown, w, entry.doc_id) for w in warnings]
        except ParseError as exc:
            _reject(report, old_by_path, item.shown, exc.reason if not exc.line else f"line {exc.line}: {exc.reason}")
            continue
        seen.append(entry)

    _refuse_duplicate_ids(report, seen, old_by_path)
    if store is None:
        report.documents = len(seen)
        report.warnings += [FileNote(e.shown, gap, e.doc_id) for e in seen if e.doc for gap in record_gaps(e.doc)]
        return
    _apply(store, vocab, report, seen, old, old_by_path, fingerprint)


def _vocabulary_change(before: dict[str, str], now: dict[str, str]) -> str:
    """Why a run re-tags every document: which vocabulary files changed since the published generation."""
    if not before:
        return (
            "the index does not record the vocabularies it was tagged with, so every document was re-read and re-tagged"
        )
    changed = " and ".join(name for name in now if before.get(name) != now[name])
    return f"{changed} changed since the last run, so every document was re-read and re-tagged"


def check_corpus(corpus: Path, progress: Progress | None = None) -> RunReport:
    """Read and tag every document and validate the vocabularies, without touching any index."""
    vocab = load_vocabularies(vocabulary_folder(corpus))
    report = RunReport(corpus=str(corpus), index="", full=True)
    _run(corpus, None, vocab, report, progress, None)
    report.finished = time.time()
    return report


def _reject(report: RunReport, old_by_path: dict[str, str], shown: str, reason: str) -> None:
    if shown in old_by_path:
        report.stale.append(FileNote(shown, reason, old_by_path[shown]))
    else:
        report.failed.append(FileNote(shown, reason))


def folded_id(doc_id: str) -> str:
    """An id as a reader sees it: Unicode NFC and case folded, so "Housing-Plan" and "housing-plan" are one."""
    return unicodedata.normalize("NFC", doc_id).casefold()


def _refuse_duplicate_ids(report: RunReport, seen: list[_Seen], old_by_path: dict[str, str]) -> None:
    by_id: dict[str, list[_Seen]] = defaultdict(list)
    for entry in seen:
        by_id[folded_id(entry.doc_id)].append(entry)
    for entries in by_id.values():
        if len(entries) < 2:
            continue
        for entry in entries:
            others = ", ".join(f"{e.shown} (id {e.doc_id!r})" for e in entries if e is not entry)
            same = all(e.doc_id == entry.doc_id for e in entries)
            clash = "is also used by" if same else "looks the same as the id of"
            _reject(
                report, old_by_path, entry.shown, f"id {entry.doc_id!r} {clash} {others}; give each document its own id"
            )
            seen.remove(entry)


def _apply(
    store: IndexStore,
    vocab: Vocabularies,
    report: RunReport,
    seen: list[_Seen],
    old: dict[str, dict[str, object]],
    old_by_path: dict[str, str],
    fingerprint: dict[str, str],
) -> None:
    new: dict[str, dict[str, object]] = {}
    upserts: list[Document] = []
    now = round(time.time())
    for entry in seen:
        added = old.get(entry.doc_id, {}).get("added", now)
        new[entry.doc_id] = {
            "path": entry.shown, "hash": entry.hash, "size": entry.size, "mtime": entry.mtime, "added": added,
        }  # fmt: skip
        if entry.doc is None:
            report.unchanged += 1
            continue
        upserts.append(entry.doc)
        previous_id = old_by_path.get(entry.shown)
        target = report.changed if entry.doc_id in old or previous_id else report.added
        target.append(FileNote(entry.shown, "", entry.doc_id))
    kept = {note.id for note in report.stale}
    for doc_id in kept:
        if doc_id not in new:
            new[doc_id] = old[doc_id]
    deletes = [doc_id for doc_id in old if doc_id not in new]
    report.deleted = [FileNote(str(old[d]["path"]), "", d) for d in deletes]
    report.documents = len(new)
    report.generation = store.current_generation()
    if not upserts and not deletes and not report.full:
        return

    if report.full:
        stale = _last_good_versions(store, report, new, [d for d in kept if all(u.id != d for u in upserts)])
        upserts += [_known_tags_only(doc, vocab) for doc in stale]
    builder = store.begin(full=report.full)
    try:
        added = {doc.id: _added_time(new.get(doc.id, {})) for doc in upserts}
        builder.write(upserts, deletes, vocab, added, report.full)
        builder.publish(new, fingerprint)
    except BaseException:
        builder.abort()
        raise
    report.generation = builder.number
    report.published = True


def _added_time(entry: dict[str, object]) -> int:
    """When a manifest entry's document was first published (Unix time; 0 if it does not say)."""
    value = entry.get("added", 0)
    if not isinstance(value, int | float | str):
        raise TypeError(f"a manifest entry's 'added' is not a number: {value!r}")
    return int(value)


def _known_tags_only(doc: Document, vocab: Vocabularies) -> Document:
    """A stale document's last good version, without tags the vocabularies no longer hold (it cannot be re-read)."""
    doc.councils = [t for t in doc.councils if t.value in vocab.councils]
    doc.themes = [t for t in doc.themes if t.value in vocab.themes]
    return doc


def _last_good_versions(
    store: IndexStore, report: RunReport, new: dict[str, dict[str, object]], doc_ids: list[str]
) -> list[Document]:
    """Fetch stale documents from the published index, so a full rebuild keeps them; report any it lacks."""
    if not doc_ids:
        return []
    found = store.stored_documents(doc_ids)
    for note in [n for n in report.stale if n.id in doc_ids and n.id not in found]:
        new.pop(note.id, None)
        report.stale.remove(note)
        report.failed.append(FileNote(note.path, f"{note.reason}; its last good version was missing from the index"))
    report.documents = len(new)
    return list(found.values())
