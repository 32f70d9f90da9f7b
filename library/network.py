"""The network as its own reports describe it: membership, reach and budget by year, and who led it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .errors import VocabularyError
from .vocab import NETWORK_FILE, Publication, Vocabularies, read_yaml_file

_Entry = TypeVar("_Entry")


COUNTS = {
    "councils": "councils",
    "full_members": "full council members",
    "associate_members": "associate members",
    "affiliate_members": "affiliate members",
    "supporters": "supporters",
}
MONEY = {"budget_pounds": "budget", "grants_pounds": "grants to members"}
FIGURE_KEYS = {"year", "as_of", "source", "note", "residents", *COUNTS, *MONEY}


@dataclass(frozen=True)
class Figure:
    """The network's size in one year, as one source gives it."""

    year: int
    as_of: str
    source: Publication
    counts: tuple[tuple[str, int], ...] = ()  # (label, number), in COUNTS order
    residents: int | None = None
    money: tuple[tuple[str, int], ...] = ()  # (label, pounds)
    note: str = ""


@dataclass(frozen=True)
class Person:
    name: str
    role: str
    organisation: str
    year: int
    source: Publication


@dataclass(frozen=True)
class Board:
    name: str
    year: int
    source: Publication
    members: tuple[str, ...]
    note: str = ""


@dataclass
class Network:
    figures: list[Figure] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    boards: list[Board] = field(default_factory=list)


def load_network(vocab: Vocabularies) -> Network:
    """Read network.yaml beside the vocabularies; an empty Network if there is none. Problems name the entry."""
    path = Path(vocab.folder) / NETWORK_FILE
    if not path.exists():
        return Network()
    data = read_yaml_file(path)
    if not isinstance(data, dict):
        raise VocabularyError(str(path), ["expected top-level 'figures:', 'people:' and 'boards:' lists"])
    problems: list[str] = []
    network = Network()
    _read_section(data, "figures", _figure, network.figures, vocab, problems)
    _read_section(data, "people", _person, network.people, vocab, problems)
    _read_section(data, "boards", _board, network.boards, vocab, problems)
    if problems:
        raise VocabularyError(str(path), problems)
    network.figures.sort(key=lambda f: f.year)
    return network


def _read_section(
    data: dict[Any, Any],
    section: str,
    build: Callable[[dict[str, Any], Vocabularies], _Entry],
    out: list[_Entry],
    vocab: Vocabularies,
    problems: list[str],
) -> None:
    """Append a section's entries to `out`; each one that cannot be read is named in `problems`."""
    entries = data.get(section) or []
    if not isinstance(entries, list):
        problems.append(f"'{section}:' should be a list")
        return
    for number, raw in enumerate(entries, start=1):
        try:
            if not isinstance(raw, dict):
                raise ValueError("expected a mapping of keys")
            out.append(build(raw, vocab))
        except ValueError as exc:
            problems.append(f"{section} entry {number}: {exc}")


def _source(raw: dict[str, Any], vocab: Vocabularies) -> Publication:
    source = raw.get("source")
    publication = vocab.publications.get(str(source))
    if publication is None:
        raise ValueError(f"source {source!r} is not in publications.yaml")
    return publication


def _year(raw: dict[str, Any]) -> int:
    year = raw.get("year")
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2200:
        raise ValueError(f"year {year!r} should be a year such as 2019")
    return year


def _whole(raw: dict[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"'{key}' should be a whole number, not {value!r}")
    return value


def _text(raw: dict[str, Any], key: str, required: bool = True) -> str:
    value = raw.get(key)
    if value in (None, ""):
        if required:
            raise ValueError(f"'{key}' is missing")
        return ""
    return str(value).strip()


def _figure(raw: dict[str, Any], vocab: Vocabularies) -> Figure:
    unknown = sorted(set(raw) - FIGURE_KEYS)
    if unknown:
        raise ValueError(f"unknown keys {', '.join(map(str, unknown))} (known: {', '.join(sorted(FIGURE_KEYS))})")
    counts = tuple((label, n) for key, label in COUNTS.items() if (n := _whole(raw, key)) is not None)
    money = tuple((label, n) for key, label in MONEY.items() if (n := _whole(raw, key)) is not None)
    return Figure(
        _year(raw), _text(raw, "as_of", False) or str(raw["year"]), _source(raw, vocab), counts,
        _whole(raw, "residents"), money, _text(raw, "note", False),
    )  # fmt: skip


def _person(raw: dict[str, Any], vocab: Vocabularies) -> Person:
    return Person(
        _text(raw, "name"), _text(raw, "role"), _text(raw, "organisation", False), _year(raw), _source(raw, vocab)
    )


def _board(raw: dict[str, Any], vocab: Vocabularies) -> Board:
    members = raw.get("members")
    if not isinstance(members, list) or not all(isinstance(m, str) and m.strip() for m in members):
        raise ValueError("'members' should be a list of names")
    return Board(
        _text(raw, "name"), _year(raw), _source(raw, vocab), tuple(m.strip() for m in members),
        _text(raw, "note", False),
    )  # fmt: skip


def amount(pounds: int) -> str:
    """£9.5bn, £19.3bn, £50,000."""
    if pounds >= 1_000_000_000:
        return f"£{pounds / 1_000_000_000:.1f}bn"
    if pounds >= 1_000_000:
        return f"£{pounds / 1_000_000:.1f}m"
    return f"£{pounds:,}"


def people_count(number: int) -> str:
    """7.4m, 11.7m."""
    return f"{number / 1_000_000:.1f}m" if number >= 1_000_000 else f"{number:,}"
