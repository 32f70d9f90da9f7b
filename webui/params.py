"""Read search parameters from a URL: everything a search can ask for, or a clear reason it cannot be run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from werkzeug.datastructures import MultiDict

from library.facets import FACET_FIELDS, MEMBER
from library.search import MAX_PER_PAGE, SORTS, SearchRequest

# The facets a URL filters by, as repeatable parameters named after them, in the library's order. Years are
# chosen with 'from' and 'to' instead, and MEMBER ('member') is a flag.
FILTERS = tuple(name for name in FACET_FIELDS if name != "year")
YES, NO = ("1", "yes", "true", "on"), ("0", "no", "false", "off")
MAX_VALUES = 50  # values of one filter in one URL
MAX_VALUE_CHARS = 200
MAX_PAGE = 100_000


@dataclass
class BadParameter(Exception):
    """A URL parameter that cannot be used, with what to do about it."""

    name: str
    message: str

    def __str__(self) -> str:
        return self.message


def search_request(
    args: MultiDict[str, str], per_page: int = 10, allow_per_page: bool = False, strict: bool = False
) -> SearchRequest:
    """Turn query-string arguments into a SearchRequest, raising BadParameter for values that make no sense.

    A page is lenient with what a form or a hand-edited link leaves behind: it sorts an unknown sort by relevance
    (and says so) and ignores empty and blank values. With strict (the API and the exports) such values are
    refused, as the OpenAPI description says: an unknown or empty sort, an empty number or year, and more than
    50 values of a facet or a value over 200 characters, blank ones included.
    """
    if strict:
        _refuse_empty(args)
    filters: dict[str, Any] = {}  # a tuple of values for each of FILTERS
    for name in FILTERS:
        given = args.getlist(name)
        values = [v.strip() for v in given if v.strip()]
        if len(given if strict else values) > MAX_VALUES:
            raise BadParameter(name, f"Choose at most {MAX_VALUES} values for '{name}' at once.")
        if any(len(v) > MAX_VALUE_CHARS for v in (given if strict else values)):
            raise BadParameter(name, f"A value for '{name}' is too long to be a {name} id.")
        filters[name] = tuple(values)
    if allow_per_page:
        per_page = _whole_number(args, "per_page", per_page, 1, MAX_PER_PAGE, "a number of results from 1 to 100")
    wanted = SearchRequest(
        query=_first(args, "q"),
        members_only=_flag(args, MEMBER, strict),
        year_from=_year(args, "from"),
        year_to=_year(args, "to"),
        sort=_sort(args, strict),
        page=_whole_number(args, "page", 1, 1, MAX_PAGE, "a page number such as 2"),
        per_page=per_page,
    )
    return replace(wanted, **filters)  # SearchRequest has a field for each of FILTERS, named after it


def _refuse_empty(args: MultiDict[str, str]) -> None:
    for name, example in (("from", "a year such as 2016"), ("to", "a year such as 2016"), ("page", "a page number"),
                          ("per_page", "a number of results"), ("sort", "one of " + ", ".join(SORTS))):  # fmt: skip
        if "" in args.getlist(name):
            raise BadParameter(name, f"'{name}' is empty: give {example}, or leave it out.")


def _first(args: MultiDict[str, str], name: str) -> str:
    """The first value given for a parameter; an empty one counts as not given, as the links built in urls.py drop it."""
    return next((value for value in args.getlist(name) if value), "")


def _flag(args: MultiDict[str, str], name: str, strict: bool = False) -> bool:
    """A yes/no parameter: the API takes 1, 0 or nothing, as its description says; pages also take yes, on and the like."""
    raw = _first(args, name)
    if strict and raw not in ("", "0", "1"):
        raise BadParameter(name, f"'{name}' should be 1 (yes) or 0 (no), not {_shown(raw)}.")
    raw = raw.strip().lower()
    if raw in YES:
        return True
    if not raw or raw in NO:
        return False
    raise BadParameter(name, f"'{name}' should be 1 (yes) or 0 (no), not {_shown(raw)}.")


def _sort(args: MultiDict[str, str], strict: bool) -> str:
    sort = _first(args, "sort") or "relevance"
    if strict and sort not in SORTS:
        raise BadParameter("sort", f"'sort' should be one of {', '.join(SORTS)}, not {_shown(sort)}.")
    return sort


def _year(args: MultiDict[str, str], name: str) -> int | None:
    raw = _first(args, name).strip()
    if not raw:
        return None
    year = _digits(raw)
    if year is None or not 1800 <= year <= 2200:
        raise BadParameter(name, f"'{name}' should be a year such as 2016, not {_shown(raw)}.")
    return year


def _whole_number(args: MultiDict[str, str], name: str, default: int, low: int, high: int, example: str) -> int:
    raw = _first(args, name).strip()
    if not raw:
        return default
    number = _digits(raw)
    if number is None or not low <= number <= high:
        raise BadParameter(name, f"'{name}' should be {example}, not {_shown(raw)}.")
    return number


def _digits(raw: str) -> int | None:
    """The number a string of decimal digits stands for, or None ('²' passes str.isdigit() but int() refuses it)."""
    return int(raw) if raw.isdecimal() and len(raw) <= 12 else None


def _shown(raw: str) -> str:
    return repr(raw if len(raw) <= 40 else raw[:40] + "…")
