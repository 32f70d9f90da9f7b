"""Errors that name the file, entry or value at fault and say what to do next."""

from __future__ import annotations


class LibraryError(Exception):
    """Base class for errors the library reports to its users."""


class ParseError(LibraryError):
    """A document could not be read; the file is skipped."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {reason}")


class VocabularyError(LibraryError):
    """A vocabulary file (themes, councils, document types) is invalid."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path} is invalid:\n{listing}\nFix the entries above and run again.")


class IndexBusyError(LibraryError):
    """Another indexer run holds the lock on this index."""


class IndexUnavailableError(LibraryError):
    """There is no published index generation to read."""
