"""Links that change one part of a search and keep the rest, so every state is a bookmarkable URL."""

from __future__ import annotations

from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

# Parameters in the order they appear in a URL; page is dropped whenever anything else changes.
ORDER = (
    "q", "theme", "council", "type", "region", "principle", "status", "evidence", "organisation", "member", "from",
    "to", "sort", "page",
)  # fmt: skip


def search_url(
    args: MultiDict[str, str],
    add: tuple[str, str] | None = None,
    remove: tuple[str, str | None] | None = None,
    endpoint: str = "/search",
    **replace: str | None,
) -> str:
    """Return the search URL with one value added, one removed, or some replaced; the page resets unless given."""
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
    query = urlencode(pairs)
    return f"{endpoint}?{query}" if query else endpoint


def toggle_url(args: MultiDict[str, str], name: str, value: str) -> str:
    """Select a facet value if it is not selected, or unselect it if it is."""
    if value in (v.strip() for v in args.getlist(name)):  # values are read stripped of spaces
        return search_url(args, remove=(name, value))
    return search_url(args, add=(name, value))


def has_filters(args: MultiDict[str, str]) -> bool:
    return any(args.get(name) for name in ORDER if name not in ("q", "sort", "page"))
