"""The steps of an indexer run: scan → read → tag → write → publish.

`coop-library index` takes every step; `coop-library check` shares scan, read and tag, then only reports.
The scan finds the files at once (the progress bar needs their number) but compares each with its published
version only when the run reaches it, so a file is hashed just before it is read and the bar moves as files are
handled.
"""

from __future__ import annotations

import contextlib
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from library import settings
from library.errors import ParseError
from library.model import Document
from library.readers import RawDocument, content_hash, file_stat, read_file
from library.store import Builder, IndexStore, Manifest
from library.tagging import Tagger, record_gaps
from library.vocab import Vocabularies

from .report import FileNote, RunReport
from .scan import Found, scan_corpus
from .spool import Spool, Upserts

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Published:
    """What the published generation says about the corpus: each document's manifest entry, and each file's id."""

    documents: dict[str, dict[str, object]] = field(default_factory=dict)
    ids_by_path: dict[str, str] = field(default_factory=dict)
    vocabulary: dict[str, str] = field(default_factory=dict)  # fingerprints of the vocabularies it was tagged with

    @classmethod
    def from_manifest(cls, manifest: Manifest) -> Published:
        """Read a generation's manifest as the run needs it."""
        documents = manifest.documents or {}
        by_path = {str(entry["path"]): doc_id for doc_id, entry in documents.items()}
        return cls(documents, by_path, manifest.vocabulary or {})


NOTHING_PUBLISHED = Published()  # what check mode compares with, so it reads every file


@dataclass(frozen=True)
class Scan:
    """The document files found in the corpus, in a stable order, and the paths passed over with the reason."""

    files: list[Found]
    passed_over: list[FileNote]


@dataclass
class Seen:
    """A document file found in this run, and what the run has learned of it so far."""

    shown: str
    size: int
    mtime: int
    hash: str = ""
    unchanged: bool = False  # the same as its published version: kept without reading
    doc_id: str = ""
    spooled: int = -1  # where its document is in the run's spool, once read and tagged


@dataclass
class Changes:
    """What the new generation is to hold: its manifest, the documents to write and the ids to delete."""

    manifest: dict[str, dict[str, object]]
    upserts: Upserts
    deletes: list[str]
    kept: set[str]  # the ids of stale documents, whose last good versions stay in the index

    @property
    def nothing_to_write(self) -> bool:
        """Whether the published generation already holds all this: no document to write or delete."""
        return not self.upserts and not self.deletes


# ---- scan


def scan(corpus: Path) -> Scan:
    """Find the corpus's document files; raise ParseError when the corpus is not a folder."""
    if not corpus.is_dir():
        raise ParseError(str(corpus), "is not a folder of documents; pass --corpus or set COOP_LIBRARY_CORPUS")
    notes: list[tuple[str, str]] = []
    files = list(scan_corpus(corpus, notes))
    return Scan(files, [FileNote(path, reason) for path, reason in notes])


def compare_with_published(item: Found, published: Published, full: bool, max_bytes: int) -> Seen:
    """Tell whether a file is unchanged since it was published: by size and time first, then by content hash."""
    try:
        size, mtime = file_stat(item.path, item.neighbours)
    except OSError:
        size, mtime = -1, -1
    entry = Seen(item.shown, size, mtime)
    doc_id = published.ids_by_path.get(item.shown, "")
    previous = published.documents.get(doc_id)
    if not full and previous and (previous["size"], previous["mtime"]) == (size, mtime):
        entry.doc_id, entry.hash, entry.unchanged = doc_id, str(previous["hash"]), True
        return entry
    entry.hash = content_hash(item.path, max_bytes)
    if not full and previous and previous["hash"] == entry.hash:  # touched, not edited: no need to read it
        entry.doc_id, entry.unchanged = doc_id, True
    return entry


# ---- read and tag


def reject(report: RunReport, published: Published, shown: str, reason: str) -> None:
    """Report a file the run cannot take: stale if an earlier version is published (it stays), else failed."""
    if shown in published.ids_by_path:
        report.stale.append(FileNote(shown, reason, published.ids_by_path[shown]))
    else:
        report.failed.append(FileNote(shown, reason))


def _reason(exc: ParseError) -> str:
    """Why a file was refused, with the line of the fault where the reader knows it."""
    return exc.reason if not exc.line else f"line {exc.line}: {exc.reason}"


def read(item: Found, max_bytes: int, published: Published, report: RunReport) -> RawDocument | None:
    """Read a new or changed file; report one that cannot be read, by path and reason, and return None."""
    try:
        return read_file(item.path, item.shown, max_bytes)
    except ParseError as exc:
        reject(report, published, item.shown, _reason(exc))
        return None


def tag(raw: RawDocument, entry: Seen, tagger: Tagger, published: Published, report: RunReport) -> Document | None:
    """Make a file's document, tagged against the vocabularies; note its warnings, or report why it has none."""
    try:
        doc, warnings = tagger.build(raw, entry.hash)
    except ParseError as exc:
        reject(report, published, entry.shown, _reason(exc))
        return None
    report.warnings += [FileNote(entry.shown, warning, doc.id) for warning in warnings]
    return doc


def folded_id(doc_id: str) -> str:
    """An id as a reader sees it: Unicode NFC and case folded, so "Housing-Plan" and "housing-plan" are one."""
    return unicodedata.normalize("NFC", doc_id).casefold()


def refuse_duplicate_ids(seen: list[Seen], published: Published, report: RunReport) -> list[Seen]:
    """Report every file whose id another file also uses (or one a reader cannot tell apart); return the rest."""
    by_id: dict[str, list[Seen]] = defaultdict(list)
    for entry in seen:
        by_id[folded_id(entry.doc_id)].append(entry)
    clashes = {key: entries for key, entries in by_id.items() if len(entries) > 1}
    for entries in clashes.values():
        for entry in entries:
            others = ", ".join(f"{e.shown} (id {e.doc_id!r})" for e in entries if e is not entry)
            same = all(e.doc_id == entry.doc_id for e in entries)
            clash = "is also used by" if same else "looks the same as the id of"
            reject(
                report, published, entry.shown, f"id {entry.doc_id!r} {clash} {others}; give each document its own id"
            )
    return [entry for entry in seen if folded_id(entry.doc_id) not in clashes]


def read_corpus(
    found: Scan,
    published: Published,
    vocab: Vocabularies,
    report: RunReport,
    progress: Progress | None = None,
    on_total: Callable[[int], None] | None = None,
    *,
    spool: Spool,
) -> list[Seen]:
    """Read and tag each new or changed file the scan found, keep the unchanged ones; refuse ids used twice.

    Each document read goes to `spool`; its entry keeps where.
    """
    tagger = Tagger(vocab)
    max_bytes = settings.get_int("max_file_bytes")
    report.warnings += found.passed_over
    if on_total:
        on_total(len(found.files))
    seen: list[Seen] = []
    for item in found.files:
        if progress:
            progress(item.shown)
        entry = compare_with_published(item, published, report.full, max_bytes)
        if not entry.unchanged:
            raw = read(item, max_bytes, published, report)
            doc = tag(raw, entry, tagger, published, report) if raw is not None else None
            if doc is None:
                continue
            entry.doc_id, entry.spooled = doc.id, spool.add(doc)
        seen.append(entry)
    return refuse_duplicate_ids(seen, published, report)


# ---- check mode


def report_gaps(seen: list[Seen], spool: Spool, report: RunReport) -> None:
    """Count the documents check mode could read, and note what each one's record for the network lacks."""
    report.documents = len(seen)
    for entry in seen:
        if entry.spooled >= 0:
            report.warnings += [
                FileNote(entry.shown, gap, entry.doc_id) for gap in record_gaps(spool.read(entry.spooled))
            ]


# ---- write and publish


def rebuild_in_full_when_needed(
    store: IndexStore, published: Published, fingerprint: dict[str, str], vocab_folder: Path, report: RunReport
) -> None:
    """Mark the run full when the published index was built by an earlier version or with other vocabularies."""
    if not published.documents or report.full:
        return
    if not store.schema_matches():
        report.full = True
        report.warnings.append(
            FileNote(str(store.root), "the index was built by an earlier version, so this run rebuilt it in full")
        )
    elif published.vocabulary != fingerprint:
        report.full = True
        report.warnings.append(FileNote(str(vocab_folder), _vocabulary_change(published.vocabulary, fingerprint)))


def _vocabulary_change(before: dict[str, str], now: dict[str, str]) -> str:
    """Why a run re-tags every document: which vocabulary files changed since the published generation."""
    if not before:
        return (
            "the index does not record the vocabularies it was tagged with, so every document was re-read and re-tagged"
        )
    changed = " and ".join(name for name in now if before.get(name) != now[name])
    return f"{changed} changed since the last run, so every document was re-read and re-tagged"


def plan(seen: list[Seen], published: Published, report: RunReport, spool: Spool) -> Changes:
    """Work out the new generation from the documents kept; count what was added, changed, deleted and unchanged.

    `spool` is the one read_corpus wrote the documents to.
    """
    old = published.documents
    manifest: dict[str, dict[str, object]] = {}
    offsets: list[int] = []
    ids: list[str] = []
    now = round(time.time())
    for entry in seen:
        added = old.get(entry.doc_id, {}).get("added", now)
        manifest[entry.doc_id] = {
            "path": entry.shown, "hash": entry.hash, "size": entry.size, "mtime": entry.mtime, "added": added,
        }  # fmt: skip
        if entry.spooled < 0:
            report.unchanged += 1
            continue
        offsets.append(entry.spooled)
        ids.append(entry.doc_id)
        known = entry.doc_id in old or published.ids_by_path.get(entry.shown)
        (report.changed if known else report.added).append(FileNote(entry.shown, "", entry.doc_id))
    kept = {note.id for note in report.stale}
    for doc_id in kept:
        if doc_id not in manifest:
            manifest[doc_id] = old[doc_id]
    deletes = [doc_id for doc_id in old if doc_id not in manifest]
    report.deleted = [FileNote(str(old[d]["path"]), "", d) for d in deletes]
    report.documents = len(manifest)
    return Changes(manifest, Upserts(spool, offsets, ids), deletes, kept)


def keep_last_good_versions(store: IndexStore, vocab: Vocabularies, changes: Changes, report: RunReport) -> None:
    """For a full rebuild, take stale documents from the published index, since their files cannot be read."""
    writing = set(changes.upserts.ids)
    doc_ids = [d for d in changes.kept if d not in writing]
    if not doc_ids:
        return
    found = store.stored_documents(doc_ids)
    for note in [n for n in report.stale if n.id in doc_ids and n.id not in found]:
        changes.manifest.pop(note.id, None)
        report.stale.remove(note)
        report.failed.append(FileNote(note.path, f"{note.reason}; its last good version was missing from the index"))
    report.documents = len(changes.manifest)
    changes.upserts.hold(_known_tags_only(doc, vocab) for doc in found.values())


def _known_tags_only(doc: Document, vocab: Vocabularies) -> Document:
    """A stale document's last good version, without tags the vocabularies no longer hold (it cannot be re-read)."""
    doc.councils = [t for t in doc.councils if t.value in vocab.councils]
    doc.themes = [t for t in doc.themes if t.value in vocab.themes]
    return doc


@contextlib.contextmanager
def new_generation(store: IndexStore, full: bool) -> Iterator[Builder]:
    """Start a generation beside the published one; throw it away if the run fails or is stopped before publishing."""
    builder = store.begin(full=full)
    try:
        yield builder
    except BaseException:  # RunInterrupted too: a stopped run leaves no half-built generation
        builder.abort()
        raise


def write(builder: Builder, changes: Changes, vocab: Vocabularies, full: bool) -> None:
    """Write new and changed documents into the generation being built, and remove deleted ones."""
    added = {doc_id: _added_time(changes.manifest.get(doc_id, {})) for doc_id in changes.upserts.ids}
    builder.write(changes.upserts, changes.deletes, vocab, added, full)


def _added_time(entry: dict[str, object]) -> int:
    """When a manifest entry's document was first published (Unix time; 0 if it does not say)."""
    value = entry.get("added", 0)
    if not isinstance(value, int | float | str):
        raise TypeError(f"a manifest entry's 'added' is not a number: {value!r}")
    return int(value)


def publish(builder: Builder, changes: Changes, fingerprint: dict[str, str], report: RunReport) -> None:
    """Check the new generation holds what the manifest lists, then make it the one readers see."""
    builder.publish(changes.manifest, fingerprint)
    report.generation = builder.number
    report.published = True
