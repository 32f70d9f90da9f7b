"""One published index generation as searches see it: built once, shared by every thread, swapped whole.

The engine's reader (library.engine) gives each thread what it needs to search at once; what is built once
per generation (facet bitsets, date order, the query builder) is immutable and shared. No lock is held across
a search, so the threads of one server process search side by side.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .engine import GenerationReader, engine
from .errors import IndexUnavailableError
from .facets import DateOrder, FacetIndex
from .results import SearchRequest, SearchResult
from .spelling import Speller
from .store import IndexStore, Manifest
from .vocab import Vocabularies

K = TypeVar("K")
V = TypeVar("V")
RESULT_CACHE_SIZE = 128  # searches whose results are kept per generation (a result is ~40 KB at 100,000 documents)


class LeastRecentlyUsed(Generic[K, V]):
    """A bounded map, safe to share between threads, that forgets the entry used longest ago."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass(frozen=True)
class Status:
    """What pages say of a published generation: its number, when it was written and how many documents it holds.

    Kept instead of the manifest, whose entries (path, hash, size, times) only the indexer needs: at 100,000
    documents the parsed manifest took 54 MB in every server process, and even each entry's first-published
    time alone took 13 MB. A document's first-published time is in the index (`Library.first_published`).
    """

    generation: int
    created: float
    documents: int

    @classmethod
    def of(cls, manifest: Manifest) -> Status:
        return cls(manifest.generation, manifest.created, len(manifest.documents or {}))

    @classmethod
    def read(cls, text: str | None) -> Status:
        """The status of a manifest as written (None: no manifest), each document's entry dropped as the JSON is
        parsed: parsed whole, 100,000 entries' paths and hashes (50 MB) were freed only to leave the server
        process's memory in pieces too small to give back."""
        if text is None:
            return cls.of(Manifest(documents={}))
        data = json.loads(text, object_hook=_entry_dropped)
        return cls(int(data["generation"]), float(data["created"]), len(data.get("documents") or {}))


def _entry_dropped(entry: dict[str, Any]) -> Any:
    """A JSON object_hook: a document's manifest entry (the objects with a path) becomes None."""
    return None if "path" in entry else entry


class Generation:
    """A published generation: its engine reader and the results of searches run on it. Built once, then shared.

    Every attribute is set here and never replaced; `users` and `retired` are changed only under Published's
    lock, to close a replaced generation when its last search ends.
    """

    def __init__(self, name: str, store: IndexStore, vocab: Vocabularies) -> None:
        self.name = name
        self.number, path = store.open()
        self.status = Status.read(store.manifest_text())
        self.reader: GenerationReader = engine().reader(path, vocab)
        self.facets: FacetIndex = self.reader.facets
        self.dates: DateOrder = self.reader.dates
        self.speller: Speller = self.reader.speller
        self.results: LeastRecentlyUsed[SearchRequest, SearchResult] = LeastRecentlyUsed(RESULT_CACHE_SIZE)
        self.users = 0  # searches running on it; a retired generation is closed when this reaches 0
        self.retired = False

    def close(self) -> None:
        """Close the engine's reader (no search may be running on it)."""
        self.reader.close()


class Published:
    """The generation CURRENT names, swapped for the next when the nightly run publishes one.

    A search holds its generation from start to end (`using`); a generation that has been replaced is
    closed when its last search ends. The lock is held only to swap generations and count their users.
    """

    def __init__(self, store: IndexStore, vocab: Vocabularies) -> None:
        self.store = store
        self.vocab = vocab
        self._lock = threading.Lock()
        self._generation: Generation | None = None
        self._active = threading.local()  # the generation this thread's search runs on

    @contextmanager
    def using(self) -> Iterator[Generation]:
        """Run on the published generation (the one this thread is already on, inside a search)."""
        outer = getattr(self._active, "generation", None)
        generation = self._enter(outer)
        self._active.generation = generation
        try:
            yield generation
        finally:
            self._active.generation = outer
            self._leave(generation)

    def now(self) -> Generation:
        """The generation this thread is searching, or the published one."""
        active: Generation | None = getattr(self._active, "generation", None)
        if active is not None:
            return active
        with self.using() as generation:
            return generation

    def close(self) -> None:
        """Close the current generation once no search is running on it."""
        with self._lock:
            if self._generation is not None:
                self._retire(self._generation)
            self._generation = None

    def _enter(self, outer: Generation | None) -> Generation:
        name = outer.name if outer is not None else self.store.current_name()
        if name is None:
            raise IndexUnavailableError(
                f"no index has been published in {self.store.root} yet; run 'coop-library index' first"
            )
        with self._lock:
            generation = outer or self._generation
            if generation is None or generation.name != name:
                fresh = Generation(name, self.store, self.vocab)  # built once; other threads wait only for this
                if self._generation is not None:
                    self._retire(self._generation)
                self._generation = generation = fresh
            generation.users += 1
            return generation

    def _leave(self, generation: Generation) -> None:
        with self._lock:
            generation.users -= 1
            if generation.retired and generation.users == 0:
                generation.close()

    @staticmethod
    def _retire(generation: Generation) -> None:
        generation.retired = True
        if generation.users == 0:
            generation.close()
