"""Template helpers: URLs that keep the search state, dates, plurals, the answer line, and the search page's parts.

Templates only display: anything that builds a list, picks values or works out a link is done here and handed over
as a prepared value (the search page's filter panel, chips and sort menu), or as a filter or global.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask, current_app, url_for
from werkzeug.datastructures import MultiDict

from library.network import amount, people_count
from library.search import SORTS, FacetValue, SearchResult
from library.vocab import Theme

from .urls import has_filters, search_url, toggle_url

FACET_NAMES = {
    "theme": "Theme", "council": "Council", "type": "Document type", "region": "Region", "year": "Year",
    "principle": "Network principle", "status": "Status", "evidence": "What came of it: evidence",
    "organisation": "Organisation taking part",
}  # fmt: skip
FACET_PLURALS = {
    "theme": "themes", "council": "councils", "type": "types", "region": "regions", "year": "years",
    "principle": "principles", "status": "statuses", "evidence": "evidence levels", "organisation": "organisations",
}  # fmt: skip
FACET_ORDER = ("theme", "principle", "council", "region", "organisation", "status", "evidence", "type")
FACET_SHOWN = 6  # values of a facet shown before "more"
FACET_LISTED = 40  # values listed on the search page; the rest are on the facet's own page
SORT_LABELS = {"relevance": "Best match", "newest": "Newest first", "oldest": "Oldest first"}  # one for each of SORTS


@dataclass(frozen=True)
class FacetGroup:
    """One facet of the filter panel: the values shown, those under "more", and a link to the rest if any."""

    name: str
    legend: str
    shown: list[FacetValue]  # the chosen values, then the first FACET_SHOWN others
    more: list[FacetValue]  # values listed under the "more" disclosure
    more_label: str  # its summary; empty when there is no "more"
    all_label: str  # a link to the facet's own page, when the search page cannot list every value; or empty
    all_url: str


@dataclass(frozen=True)
class Chip:
    """A filter in use, shown as a link that removes it."""

    text: str
    url: str
    removes: str  # what following the link does, said to screen readers


@dataclass(frozen=True)
class SortOption:
    """One order in the sort menu."""

    value: str
    label: str
    selected: bool


def plural(count: int, singular: str, many: str | None = None) -> str:
    """'1 document', '2 documents'."""
    return f"{count:,} {singular if count == 1 else (many or singular + 's')}"


def answer_line(result: SearchResult) -> str:
    """The precedent question's answer, its first sentence: '4 documents from 3 councils mention “food”.'"""
    return result.answer.headline()


def answer_details(result: SearchResult) -> list[str]:
    """The answer's other sentences: how many results hold only some words, or which words each holds."""
    return result.answer.sentences()[1:]


def close_themes(result: SearchResult) -> list[Theme]:
    """Themes whose words are close to a search's, offered when nothing matched."""
    return current_app.extensions["library"].close_themes(result.query)


def text_blocks(body: str) -> list[tuple[str, str]]:
    """Split a document's text into ('heading' | 'paragraph', text) blocks; a short unpunctuated line is a heading."""
    blocks = []
    for block in (b.strip() for b in body.split("\n\n")):
        if not block:
            continue
        is_heading = len(block) <= 80 and "\n" not in block and not block.endswith((".", ":", "!", "?", ";", ","))
        blocks.append(("heading" if is_heading else "paragraph", block))
    return blocks


def when(timestamp: float) -> str:
    """A Unix time as '22 November 2026 at 02:00 UTC'."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return f"{moment.day} {moment:%B %Y} at {moment:%H:%M} UTC"


def long_date(iso: str) -> str:
    """'2016-07-05' as '5 July 2016'; a year or year-month as it stands."""
    try:
        day = datetime.strptime(iso, "%Y-%m-%d")
    except ValueError:
        try:
            return f"{datetime.strptime(iso, '%Y-%m'):%B %Y}"
        except ValueError:
            return iso
    return f"{day.day} {day:%B %Y}"


def lib_label(facet: str, value: str) -> str:
    """A facet value's label, such as a document type's."""
    return current_app.extensions["library"].label(facet, value)


def first_number(result: SearchResult) -> int:
    """The number of a page's first result in the whole list, for an ordered list's start."""
    return (result.page - 1) * result.per_page + 1


def page_numbers(result: SearchResult) -> range:
    """The page numbers the pagination links to: up to two either side of the current page."""
    return range(max(1, result.page - 2), min(result.pages, result.page + 2) + 1)


def facet_groups(result: SearchResult, args: MultiDict[str, str]) -> list[FacetGroup]:
    """The search page's filter panel, facet by facet in FACET_ORDER; a facet with no values is left out."""
    return [_facet_group(name, result.facets[name], args) for name in FACET_ORDER if result.facets.get(name)]


def _facet_group(name: str, values: list[FacetValue], args: MultiDict[str, str]) -> FacetGroup:
    chosen = [v for v in values if v.selected]
    others = [v for v in values if not v.selected] if chosen else values
    many = FACET_PLURALS[name]
    more_label = all_label = all_url = ""
    if len(others) > FACET_LISTED:
        more_label = f"{FACET_LISTED - FACET_SHOWN} more {many}"
        all_label = f"All {len(values)} {many} in these results"
        all_url = search_url(args, endpoint=url_for("pages.facet_values", name=name))
    elif len(others) > FACET_SHOWN:
        more_label = f"All {len(values)} {many}"
    shown, more = chosen + others[:FACET_SHOWN], others[FACET_SHOWN:FACET_LISTED]
    return FacetGroup(name, FACET_NAMES[name], shown, more, more_label, all_label, all_url)


def filter_chips(result: SearchResult, args: MultiDict[str, str]) -> list[Chip]:
    """Every filter the search used, each with a link to the same search without it."""
    removes = "remove this filter"
    chips = [
        Chip(f"{FACET_NAMES[name]}: {v.label}", toggle_url(args, name, v.value), removes)
        for name, values in result.facets.items()
        for v in values
        if v.selected
    ]
    if result.request.members_only:
        chips.append(Chip("Network members' practice only", search_url(args, remove=("member", None)), removes))
    for name, word in (("from", "From"), ("to", "To")):
        if args.get(name):
            chips.append(Chip(f"{word} {args.get(name)}", search_url(args, remove=(name, None)), "remove"))
    years = result.years
    if years and not args.get("from") and not args.get("to"):  # the years named in the words are the filter
        without = search_url(args, q=years.remove_from(result.query) or None)
        chips.append(Chip(f"Years: {years.description}", without, f"remove, and search without “{years.text}”"))
    return chips


def unfiltered_url(result: SearchResult) -> str:
    """The same words with no filter at all: years named in the words are taken out too, or they would filter again."""
    words = result.years.remove_from(result.query) if result.years else result.query
    return url_for("pages.search", q=words or None)


def sort_options(result: SearchResult) -> list[SortOption]:
    """The sort menu, with the order the results are in selected."""
    return [SortOption(value, SORT_LABELS[value], value == result.request.sort) for value in SORTS]


def export_url(args: MultiDict[str, str], result: SearchResult, endpoint: str) -> str:
    """The search's CSV or Atom address, in the order the page used (the exports refuse an order they do not know)."""
    sort = result.request.sort
    return search_url(args, endpoint=endpoint, sort=sort if sort != "relevance" else None)


def search_page(result: SearchResult, args: MultiDict[str, str]) -> dict[str, object]:
    """Everything search.html shows besides the result itself, worked out once."""
    return {
        "facets": facet_groups(result, args),
        "chips": filter_chips(result, args),
        "unfiltered_url": unfiltered_url(result),
        "offer_unfiltered": has_filters(args) or result.years is not None,
        "sort_options": sort_options(result),
        "csv_url": export_url(args, result, "/search.csv"),
        "atom_url": export_url(args, result, "/search.atom"),
    }


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        lib_label=lib_label,
        search_url=search_url,
        FACET_NAMES=FACET_NAMES,
        FACET_PLURALS=FACET_PLURALS,
    )
    app.jinja_env.filters.update(
        plural=plural,
        answer_line=answer_line,
        answer_details=answer_details,
        close_themes=close_themes,
        text_blocks=text_blocks,
        when=when,
        long_date=long_date,
        first_number=first_number,
        page_numbers=page_numbers,
        pounds=amount,
        people=people_count,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
