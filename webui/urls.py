"""Links that change one part of a search and keep the rest, so every state is a bookmarkable URL.

The paths come from Flask's url_for; this module only builds the query strings, in one canonical order.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import has_request_context, url_for
from werkzeug.datastructures import MultiDict

from .params import FILTERS, MEMBER

# Parameters in the order they appear in a URL; page is dropped whenever anything else changes.
ORDER = ("q", *FILTERS, MEMBER, "from", "to", "sort", "page")
# Parameters that narrow a search (the words, the order and the page do not).
NARROWING = tuple(name for name in ORDER if name not in ("q", "sort", "page"))


def search_query(
    args: MultiDict[str, str],
    add: tuple[str, str] | None = None,
    remove: tuple[str, str | None] | None = None,
    **replace: str | None,
) -> str:
    """The search's query string (without '?') with one value added, one removed, or some replaced.

    The page resets unless given; empty values are dropped; parameters come in ORDER.
    """
    pairs: list[tuple[str, str]] = []
    for name in ORDER:
        if name in replace:
            if replace[name]:
                pairs.append((name, str(replace[name])))
            continue
        if name == "page":
            continue
        for value in args.getlist(name):
            if not value or (remove and remove[0] == name and remove[1] in (None, value, value.strip())):
                continue
            pairs.append((name, value))
        if add and add[0] == name and add not in pairs:
            pairs.append(add)
    return urlencode(pairs)


def with_query(path: str, query: str) -> str:
    """A path with a query string, or the path alone when the query is empty."""
    return f"{path}?{query}" if query else path


def search_url(
    args: MultiDict[str, str],
    add: tuple[str, str] | None = None,
    remove: tuple[str, str | None] | None = None,
    path: str | None = None,
    **replace: str | None,
) -> str:
    """The search page's URL (or path's, such as an export's) for search_query's parameters.

    The path defaults to the search page's, from url_for. Outside a request there is no app to ask, and the link is
    the query alone, relative to the page it is on; the property tests read the parameters of links built that way.
    """
    if path is None:
        path = url_for("pages.search") if has_request_context() else ""
    return with_query(path, search_query(args, add, remove, **replace))


def toggle_url(args: MultiDict[str, str], name: str, value: str) -> str:
    """Select a facet value if it is not selected, or unselect it if it is."""
    if value in (v.strip() for v in args.getlist(name)):  # values are read stripped of spaces
        return search_url(args, remove=(name, value))
    return search_url(args, add=(name, value))


def has_filters(args: MultiDict[str, str]) -> bool:
    return any(args.get(name) for name in NARROWING)
