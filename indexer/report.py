"""What a run did, for the terminal, for cron and as a JSON report."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field

from library.exits import EXIT_BUSY, EXIT_FATAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_REJECTED, EXIT_TERMINATED

__all__ = [
    "EXIT_BUSY", "EXIT_FATAL", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_REJECTED", "EXIT_TERMINATED", "FileNote",
    "RunReport", "printable",
]  # fmt: skip

# Control characters and direction overrides, which a file name or a reason could use to rewrite a terminal line.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe to print on a terminal or in cron mail: control characters written as escapes."""
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


@dataclass
class FileNote:
    path: str
    reason: str = ""
    id: str = ""


@dataclass
class RunReport:
    corpus: str
    index: str
    full: bool = False
    started: float = field(default_factory=time.time)
    finished: float = 0.0
    generation: int = 0
    published: bool = False
    documents: int = 0
    unchanged: int = 0
    added: list[FileNote] = field(default_factory=list)
    changed: list[FileNote] = field(default_factory=list)
    deleted: list[FileNote] = field(default_factory=list)
    failed: list[FileNote] = field(default_factory=list)
    stale: list[FileNote] = field(default_factory=list)
    warnings: list[FileNote] = field(default_factory=list)
    repairs: list[FileNote] = field(default_factory=list)  # damage to the index folder this run found and mended

    @property
    def exit_code(self) -> int:
        return EXIT_REJECTED if self.failed or self.stale else EXIT_OK

    def summary_line(self) -> str:
        """One line for cron mail and logs."""
        state = (
            f"published generation {self.generation}"
            if self.published
            else f"no changes; generation {self.generation} still serving"
        )
        return (
            f"coop-library index: {state}; {self.documents} documents "
            f"({len(self.added)} added, {len(self.changed)} changed, {len(self.deleted)} deleted, {self.unchanged} unchanged); "
            f"{len(self.failed)} failed, {len(self.stale)} stale, {len(self.warnings)} warnings; "
            f"{self.finished - self.started:.1f}s"
        )

    def problem_lines(self) -> list[str]:
        """One line per rejected file and warning, saying what was done about it."""
        lines = [f"REPAIRED {n.path}: {n.reason}" for n in self.repairs]
        lines += [f"FAILED {n.path}: {n.reason} (skipped)" for n in self.failed]
        lines += [f"STALE {n.path}: {n.reason} (kept the last good version of {n.id!r})" for n in self.stale]
        lines += [f"WARNING {n.path}: {n.reason}" for n in self.warnings]
        return [printable(line) for line in lines]

    def to_json(self) -> str:
        data = asdict(self)
        data["exit_code"] = self.exit_code
        data["summary"] = self.summary_line()
        return json.dumps(data, indent=2, ensure_ascii=False)
