"""Index generations on disk: build beside the live index, publish with one atomic rename.

Layout of an index folder:
    CURRENT             names the published generation ("gen-000042")
    gen-000042/         a complete Whoosh index plus manifest.json
    building-000043-*/  a generation being built (removed if a run dies)
    indexer.lock        held with flock by the run in progress

Readers only ever open the generation CURRENT names, so they never see a half-written
index. A new generation starts as hard links to the files of the current one (Whoosh
never rewrites a segment file), so an incremental run costs what changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .engine import IndexWriter, engine
from .engine.fields import document_fields
from .errors import IndexBusyError, IndexUnavailableError, LibraryError
from .model import Document
from .vocab import Vocabularies

_GEN = re.compile(r"^gen-(\d{6,})$")
_BUILDING = re.compile(r"^building-(\d{6,})-")
MANIFEST = "manifest.json"
_HELD_LOCKS: set[int] = set()  # descriptors of indexer locks this process holds


def _drop_held_locks_in_child() -> None:
    """Close a forked child's copies of the lock: the lock must end with the run, not with its last child."""
    for fd in _HELD_LOCKS:
        with contextlib.suppress(OSError):
            os.close(fd)  # closing, never LOCK_UN, which would release the parent's lock too
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_held_locks_in_child)


class IndexIncompleteError(LibraryError):
    """A new generation does not hold exactly the documents its manifest lists."""


@dataclass
class IndexCheck:
    """How a generation's index compares with its manifest."""

    generation: int
    indexed: int  # documents the index holds
    listed: int  # documents the manifest lists
    missing: list[str]  # listed by the manifest, absent from the index
    unlisted: list[str]  # in the index, not listed by the manifest

    @property
    def consistent(self) -> bool:
        return self.indexed == self.listed and not self.missing and not self.unlisted

    def describe(self) -> str:
        """Say what differs, with a few ids as examples."""
        parts = [f"generation {self.generation} holds {self.indexed} documents and its manifest lists {self.listed}"]
        if self.missing:
            parts.append(f"{len(self.missing)} listed but not indexed (e.g. {', '.join(self.missing[:3])})")
        if self.unlisted:
            parts.append(f"{len(self.unlisted)} indexed but not listed (e.g. {', '.join(self.unlisted[:3])})")
        return "; ".join(parts)


def compare(generation: int, path: Path, listed: set[str]) -> IndexCheck:
    """Compare the documents a generation folder holds with the ids its manifest lists."""
    ids = engine().indexed_ids(path)
    held = set(ids)
    return IndexCheck(generation, len(ids), len(listed), sorted(listed - held), sorted(held - listed))


@dataclass
class Manifest:
    """What a generation holds: each document's source file, its hash and file stat."""

    generation: int = 0
    created: float = 0.0
    documents: dict[str, dict[str, object]] | None = None
    vocabulary: dict[str, str] | None = None  # the tagging vocabularies' fingerprints the documents were tagged with
    schema: int = 0  # the SCHEMA_VERSION the generation was written with; 0 for generations older than the field

    def to_json(self) -> str:
        return json.dumps(
            {"generation": self.generation, "created": self.created, "schema": self.schema,
             "documents": self.documents or {}, "vocabulary": self.vocabulary or {}}
        )  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        vocabulary = data.get("vocabulary")
        schema = data.get("schema", 0)
        return cls(
            int(data["generation"]), float(data["created"]), dict(data["documents"]),
            dict(vocabulary) if isinstance(vocabulary, dict) else None,
            schema if isinstance(schema, int) and not isinstance(schema, bool) else 0,
        )  # fmt: skip


class IndexStore:
    """The folder of index generations."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def current_name(self) -> str | None:
        try:
            name = (self.root / "CURRENT").read_text(encoding="ascii").strip()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return name if _GEN.match(name) else None

    def current_generation(self) -> int:
        name = self.current_name()
        return int(name.split("-")[1]) if name else 0

    def current_path(self) -> Path:
        name = self.current_name()
        if name is None:
            raise IndexUnavailableError(
                f"no index has been published in {self.root} yet; run 'coop-library index' first"
            )
        return self.root / name

    def open(self) -> tuple[int, Path]:
        """The published generation: (generation number, folder), checked to open."""
        path = self.current_path()
        if not engine().can_open(path):
            raise IndexUnavailableError(f"the published index {path} cannot be opened")
        return int(path.name.split("-")[1]), path

    def schema_matches(self) -> bool:
        """Whether the published generation was written with this version's schema (see SCHEMA_VERSION)."""
        if self.current_name() is None:
            return True
        return self.manifest().schema == engine().schema_version

    def stored_documents(self, doc_ids: list[str]) -> dict[str, Document]:
        """The published generation's stored versions of these documents, where it holds them."""
        return engine().stored_documents(self.open()[1], doc_ids)

    def documents(self) -> dict[str, Document]:
        """Return every document in the published generation, by id."""
        return engine().stored_documents(self.open()[1])

    def manifest(self) -> Manifest:
        """Return the published generation's manifest, or an empty one."""
        text = self.manifest_text()
        return Manifest(documents={}) if text is None else Manifest.from_json(text)

    def manifest_text(self) -> str | None:
        """The published generation's manifest as written, or None when there is none."""
        try:
            return (self.current_path() / MANIFEST).read_text(encoding="utf-8")
        except (IndexUnavailableError, FileNotFoundError):
            return None

    def check(self) -> IndexCheck | None:
        """Compare the published index with its manifest (count and ids); None if nothing is published."""
        try:
            generation, path = self.open()
        except IndexUnavailableError:
            return None
        try:  # the manifest of the generation just opened, even if CURRENT has moved on since
            text = (self.root / f"gen-{generation:06d}" / MANIFEST).read_text(encoding="utf-8")
            listed = set(Manifest.from_json(text).documents or {})
        except FileNotFoundError:
            listed = set()
        return compare(generation, path, listed)

    def recover_current(self) -> str | None:
        """Point a missing, garbled or dangling CURRENT at the newest complete generation; say what was done.

        Call with the lock held. Nothing is deleted: without this, a damaged CURRENT made the next run
        delete every kept generation and start again at generation 1.
        """
        pointer = self.root / "CURRENT"
        try:
            written = pointer.read_text(encoding="ascii", errors="replace").strip()
        except (FileNotFoundError, NotADirectoryError):
            written = None
        if written is not None and _GEN.match(written) and _complete(self.root / written, counted=False):
            return None  # a generation short of its manifest is check()'s to report: the run rebuilds it
        for number in sorted(self._numbers(_GEN), reverse=True):
            name = f"gen-{number:06d}"
            if _complete(self.root / name):
                _point_current_at(self.root, name)
                return f"{_damage(written, self.root)}; pointed it at {name}, the newest complete generation"
        return None

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the indexer lock; the kernel frees it if the process dies."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / "indexer.lock", "a+", encoding="ascii")  # noqa: SIM115
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "unknown"
                raise IndexBusyError(
                    f"another indexer run (process {holder}) is updating {self.root}; "
                    "this run stopped without changing anything. Try again when it has finished."
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            _HELD_LOCKS.add(handle.fileno())
            yield
        finally:
            _HELD_LOCKS.discard(handle.fileno())
            handle.close()

    def begin(self, full: bool) -> Builder:
        """Start a new generation beside the published one."""
        self.clean_up()
        number = max([self.current_generation(), *self._numbers(_GEN), *self._numbers(_BUILDING)]) + 1
        path = self.root / f"building-{number:06d}-{os.getpid()}"
        path.mkdir(parents=True)
        current = None if full else self.current_name()
        try:
            if current:
                for item in (self.root / current).iterdir():
                    if item.name != MANIFEST and "LOCK" not in item.name:
                        try:
                            os.link(item, path / item.name)
                        except OSError:
                            shutil.copy2(item, path / item.name)
                engine().document_count(path)  # opens the copy: a damaged one fails here, before anything is written
            else:
                engine().create(path)
        except BaseException:  # a full disk, say: leave nothing half-made behind
            shutil.rmtree(path, ignore_errors=True)
            raise
        return Builder(self, number, path)

    def clean_up(self) -> None:
        """Remove dead builds, unpublished generations and all but the newest published ones.

        Call with the lock held: then every building folder is a dead run's. Generations are only
        removed while CURRENT names one, so a damaged CURRENT never costs the kept generations.
        """
        if not self.root.is_dir():
            return
        current = self.current_generation() if self.current_name() and self.current_path().is_dir() else 0
        keep = max(1, settings.get_int("keep_generations"))
        published = sorted(n for n in self._numbers(_GEN) if n <= current)
        for item in self.root.iterdir():
            gen, building = _GEN.match(item.name), _BUILDING.match(item.name)
            old_gen = current and gen and (int(gen.group(1)) > current or int(gen.group(1)) not in published[-keep:])
            if building or old_gen:
                shutil.rmtree(item, ignore_errors=True)
        for item in self.root.glob("CURRENT.*"):
            item.unlink(missing_ok=True)

    def _numbers(self, pattern: re.Pattern[str]) -> list[int]:
        if not self.root.is_dir():
            return []
        return [int(m.group(1)) for m in (pattern.match(p.name) for p in self.root.iterdir()) if m]


def _complete(path: Path, counted: bool = True) -> bool:
    """Whether a generation folder holds a manifest that reads and an index that opens (with as many documents)."""
    try:
        manifest = Manifest.from_json((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    if not engine().can_open(path):
        return False
    return not counted or engine().document_count(path) == len(manifest.documents or {})


def _damage(written: str | None, root: Path) -> str:
    if written is None:
        return f"{root / 'CURRENT'} was missing"
    if not _GEN.match(written):
        return f"{root / 'CURRENT'} held {written[:40]!r}, which names no generation"
    return f"{root / 'CURRENT'} named {written}, which is missing or incomplete"


def _point_current_at(root: Path, name: str) -> None:
    """Replace CURRENT atomically with a pointer to generation folder `name`."""
    pointer = root / f"CURRENT.{os.getpid()}"
    pointer.write_text(name + "\n", encoding="ascii")
    _fsync(pointer)
    os.replace(pointer, root / "CURRENT")
    _fsync(root)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done, so a stopped run has published all or nothing."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@dataclass
class Builder:
    """A generation under construction."""

    store: IndexStore
    number: int
    path: Path

    def publish(self, documents: dict[str, dict[str, object]], vocabulary: dict[str, str] | None = None) -> Path:
        """Check the generation holds exactly `documents`, write the manifest, make it durable, point CURRENT at it."""
        self.verify(set(documents))
        manifest = Manifest(self.number, time.time(), documents, vocabulary, engine().schema_version)
        (self.path / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        for item in self.path.iterdir():
            _fsync(item)
        _fsync(self.path)
        final = self.store.root / f"gen-{self.number:06d}"
        with _signals_held():
            os.rename(self.path, final)
            _point_current_at(self.store.root, final.name)
        self.store.clean_up()
        return final

    def write(
        self, upserts: Collection[Document], deletes: list[str], vocab: Vocabularies, added: dict[str, int], full: bool
    ) -> None:
        """Write new and changed documents and remove deleted ones; `added` gives each id's first-published time.

        In a full build every document is new, so they are added without looking for an old version to replace.
        """
        writer: IndexWriter = engine().writer(self.path, len(upserts))
        try:
            for doc in upserts:
                writer.upsert(document_fields(doc, vocab, added.get(doc.id, 0)), new=full)
            for doc_id in deletes:
                writer.delete(doc_id)
            writer.commit()
        except BaseException:
            writer.cancel()  # the caller removes the folder
            raise

    def verify(self, listed: set[str]) -> None:
        """Raise IndexIncompleteError unless the new index holds each listed document once and nothing else."""
        check = compare(self.number, self.path, listed)
        if not check.consistent:
            raise IndexIncompleteError(
                f"the new index is not what the run wrote: {check.describe()}. Nothing was published; "
                "run again, and if this happens again run with --full."
            )

    def abort(self) -> None:
        """Throw the unfinished generation away."""
        shutil.rmtree(self.path, ignore_errors=True)


def _fsync(path: Path) -> None:
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
