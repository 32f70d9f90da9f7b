"""Find the document files in a corpus folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from library.readers import READERS
from library.readers.common import SIDECAR_SUFFIXES
from library.vocab import VOCABULARY_FILES

ROOT_SKIPS = {*VOCABULARY_FILES, "README.md", "tools"}


@dataclass(frozen=True)
class Found:
    path: Path
    shown: str  # path relative to the corpus, with '/' separators
    neighbours: frozenset[str] = frozenset()  # the names of the files in its folder, for finding its sidecar


def scan_corpus(corpus: Path, notes: list[tuple[str, str]]) -> Iterator[Found]:
    """Yield document files below the corpus in a stable order; note what is passed over."""
    for folder, dirnames, filenames in os.walk(corpus, followlinks=False):
        here = Path(folder)
        relative = here.relative_to(corpus)
        for name in sorted(dirnames):
            if (here / name).is_symlink():
                notes.append((_shown(relative / name), "is a symbolic link to a folder; not followed"))
        dirnames[:] = sorted(
            d for d in dirnames
            if not d.startswith((".", "_")) and not (here / d).is_symlink() and not (relative == Path(".") and d in ROOT_SKIPS)
        )  # fmt: skip
        neighbours = frozenset(filenames)
        for name in sorted(filenames):
            if name.startswith(".") or (relative == Path(".") and name in ROOT_SKIPS):
                continue
            suffix = Path(name).suffix.lower()
            if suffix in SIDECAR_SUFFIXES:
                continue
            shown = _shown(relative / name)
            if suffix not in READERS:
                notes.append((shown, f"has no reader for '{suffix or name}' files; skipped"))
                continue
            yield Found(here / name, shown, neighbours)


def _shown(path: Path) -> str:
    return path.as_posix()
