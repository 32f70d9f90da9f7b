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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from whoosh import index as whoosh_index

from . import settings
from .errors import IndexBusyError, IndexUnavailableError
from .model import Document
from .schema import build_schema, schema_matches, stored_document

_GEN = re.compile(r"^gen-(\d{6,})$")
_BUILDING = re.compile(r"^building-(\d{6,})-")
MANIFEST = "manifest.json"


@dataclass
class Manifest:
    """What a generation holds: each document's source file, its hash and file stat."""

    generation: int = 0
    created: float = 0.0
    documents: dict[str, dict[str, object]] | None = None

    def to_json(self) -> str:
        return json.dumps({"generation": self.generation, "created": self.created, "documents": self.documents or {}})

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        data = json.loads(text)
        return cls(int(data["generation"]), float(data["created"]), dict(data["documents"]))


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

    def open(self) -> tuple[int, whoosh_index.Index]:
        """Open the published generation: (generation number, Whoosh index)."""
        path = self.current_path()
        try:
            return int(path.name.split("-")[1]), whoosh_index.open_dir(str(path))
        except (OSError, whoosh_index.EmptyIndexError) as exc:
            raise IndexUnavailableError(f"the published index {path} cannot be opened: {exc}") from None

    def schema_matches(self) -> bool:
        """Whether the published generation has the fields this version writes."""
        try:
            _, ix = self.open()
        except IndexUnavailableError:
            return True
        return schema_matches(ix.schema)

    def documents(self) -> dict[str, Document]:
        """Return every document in the published generation, by id."""
        _, ix = self.open()
        with ix.searcher() as searcher:
            return {doc.id: doc for doc in map(stored_document, searcher.all_stored_fields())}

    def manifest(self) -> Manifest:
        """Return the published generation's manifest, or an empty one."""
        try:
            return Manifest.from_json((self.current_path() / MANIFEST).read_text(encoding="utf-8"))
        except (IndexUnavailableError, FileNotFoundError):
            return Manifest(documents={})

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
            yield
        finally:
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
                ix = whoosh_index.open_dir(str(path))
            else:
                ix = whoosh_index.create_in(str(path), build_schema())
        except BaseException:  # a full disk, say: leave nothing half-made behind
            shutil.rmtree(path, ignore_errors=True)
            raise
        return Builder(self, number, path, ix)

    def clean_up(self) -> None:
        """Remove dead builds, unpublished generations and all but the newest published ones."""
        if not self.root.is_dir():
            return
        current = self.current_generation()
        keep = max(1, int(settings.get("keep_generations")))  # type: ignore[call-overload]
        published = sorted(n for n in self._numbers(_GEN) if n <= current)
        for item in self.root.iterdir():
            gen, building = _GEN.match(item.name), _BUILDING.match(item.name)
            stale_build = building and not _alive(item.name)
            old_gen = gen and (int(gen.group(1)) > current or int(gen.group(1)) not in published[-keep:])
            if stale_build or old_gen:
                shutil.rmtree(item, ignore_errors=True)
        for item in self.root.glob("CURRENT.*"):
            item.unlink(missing_ok=True)

    def _numbers(self, pattern: re.Pattern[str]) -> list[int]:
        if not self.root.is_dir():
            return []
        return [int(m.group(1)) for m in (pattern.match(p.name) for p in self.root.iterdir()) if m]


def _alive(building_name: str) -> bool:
    pid = int(building_name.rsplit("-", 1)[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Builder:
    """A generation under construction."""

    store: IndexStore
    number: int
    path: Path
    index: whoosh_index.Index

    def publish(self, documents: dict[str, dict[str, object]]) -> Path:
        """Write the manifest, make the generation durable, then point CURRENT at it."""
        manifest = Manifest(self.number, time.time(), documents)
        (self.path / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        for item in self.path.iterdir():
            _fsync(item)
        _fsync(self.path)
        final = self.store.root / f"gen-{self.number:06d}"
        os.rename(self.path, final)
        pointer = self.store.root / f"CURRENT.{os.getpid()}"
        pointer.write_text(final.name + "\n", encoding="ascii")
        _fsync(pointer)
        os.replace(pointer, self.store.root / "CURRENT")
        _fsync(self.store.root)
        self.store.clean_up()
        return final

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
