"""Template helpers: the pages' words for facets and orders, dates, plurals, the answer line, and each page's parts.

Templates only display: anything that builds a list, picks values or works out a link or a label is done here and
handed over as a prepared value (the search page's filter panel, chips and sort menu; the document page's labels and
neighbours), or as a filter or global. Every link is built with url_for, here or in a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, request, url_for
from werkzeug.datastructures import MultiDict

from library.model import Document
from library.network import amount, people_count
from library.search import SORTS, FacetValue, Hit, Library, SearchResult
from library.vocab import Theme

from .params import FILTERS, MEMBER
from .urls import ORDER, has_filters, search_url, toggle_url


@dataclass(frozen=True)
class FacetWords:
    """What the pages call a facet."""

    legend: str  # its name, as the filter panel's legend and in a chip: "Document type"
    one: str  # one value, counted: "1 theme"
    many: str  # several values: "All 12 themes"


# The web's words for every facet of library.facets.FACET_FIELDS, in the order the search page's filter panel
# shows them; the year, chosen with From and To, comes last, in its own box.
FACETS = {
    "theme": FacetWords("Theme", "theme", "themes"),
    "principle": FacetWords("Network principle", "principle", "principles"),
    "council": FacetWords("Council", "council", "councils"),
    "region": FacetWords("Region", "region", "regions"),
    "organisation": FacetWords("Organisation taking part", "organisation", "organisations"),
    "status": FacetWords("Status", "status", "statuses"),
    "evidence": FacetWords("What came of it: evidence", "evidence level", "evidence levels"),
    "type": FacetWords("Document type", "type", "types"),
    "year": FacetWords("Year", "year", "years"),
}
FACET_NAMES = {name: words.legend for name, words in FACETS.items()}
FACET_PLURALS = {name: words.many for name, words in FACETS.items()}
FACET_ORDER = tuple(name for name in FACETS if name in FILTERS)  # the filter panel's facets with values to tick
FACET_SHOWN = 6  # values of a facet shown before "more"
FACET_LISTED = 40  # values listed on the search page; the rest are on the facet's own page
SORT_LABELS = {"relevance": "Best match", "newest": "Newest first", "oldest": "Oldest first"}  # one for each of SORTS
RESULT_COUNCILS = 4  # councils a result names before "and 2 more"
RESULT_ORGANISATIONS = 3  # organisations a result names before "and 2 more"
THEME_COUNCILS = 20  # councils listed beside a theme's documents
HOME_COUNCILS = 15  # councils listed on the home page


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


@dataclass(frozen=True)
class YearLink:
    """A year of the results, linking to the same search in that year alone."""

    year: str
    count: int
    url: str


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
        all_url = search_url(args, path=url_for("pages.facet_values", name=name))
    elif len(others) > FACET_SHOWN:
        more_label = f"All {len(values)} {many}"
    shown, more = chosen + others[:FACET_SHOWN], others[FACET_SHOWN:FACET_LISTED]
    return FacetGroup(name, FACET_NAMES[name], shown, more, more_label, all_label, all_url)


def year_links(result: SearchResult, args: MultiDict[str, str]) -> list[YearLink]:
    """The years of the results, each a link to the same search in that year alone."""
    links = []
    for value in result.facets.get("year", []):
        only: dict[str, Any] = {"from": value.value, "to": value.value}
        links.append(YearLink(value.value, value.count, search_url(args, **only)))
    return links


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
        chips.append(Chip("Network members' practice only", search_url(args, remove=(MEMBER, None)), removes))
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


def listing_heading(result: SearchResult) -> str:
    """A council's, theme's or principle's list of documents: 'Documents, newest first'."""
    return f"Documents, {SORT_LABELS[result.request.sort].lower()}"


def export_url(args: MultiDict[str, str], result: SearchResult, endpoint: str) -> str:
    """The search's CSV or Atom address, in the order the page used (the exports refuse an order they do not know)."""
    sort = result.request.sort
    return search_url(args, path=url_for(endpoint), sort=sort if sort != "relevance" else None)


def search_page(result: SearchResult, args: MultiDict[str, str]) -> dict[str, object]:
    """Everything search.html shows besides the result itself, worked out once."""
    nothing_found = bool(result.query) and not result.answer.documents
    return {
        "facets": facet_groups(result, args),
        "year_links": year_links(result, args),
        "chips": filter_chips(result, args),
        "unfiltered_url": unfiltered_url(result),
        "offer_unfiltered": has_filters(args) or result.years is not None,
        "suggestion_url": search_url(args, q=result.suggestion) if result.suggestion and not result.corrected else "",
        "sort_options": sort_options(result),
        "csv_url": export_url(args, result, "exports.search_csv"),
        "atom_url": export_url(args, result, "exports.search_atom"),
        "nothing_found": nothing_found,
        "close_themes": close_themes(result) if nothing_found else [],
        "page_url": lambda n: search_url(args, page=n),
    }


def facet_page(result: SearchResult, name: str, args: MultiDict[str, str]) -> dict[str, object]:
    """Everything facet_values.html shows: one facet's every value, the search's other parameters kept."""
    values = result.facets[name]
    words = FACETS[name]
    for_query = f" for “{result.query}”" if result.query else ""
    return {
        "values": values,
        "many": words.many,
        "title": f"All {words.many}" + (f" for {result.query}" if result.query else ""),
        "heading": f"{plural(len(values), words.one, words.many)} in {plural(result.total, 'result')}{for_query}",
        "back_url": search_url(args),
        "kept": [(key, value) for key in ORDER if key not in (name, "page") for value in args.getlist(key) if value],
    }


def retry_url(parameter: str) -> str:
    """The page that refused a parameter, asked again without it."""
    path = url_for(request.endpoint, **(request.view_args or {})) if request.endpoint else request.path
    return search_url(request.args, remove=(parameter, None), path=path)


def names(items: list[dict[str, str]], shown: int) -> str:
    """'Croydon, Lambeth and 3 more': the names of the first few, and how many others."""
    text = ", ".join(item["name"] for item in items[:shown])
    return text + (f" and {len(items) - shown} more" if len(items) > shown else "")


def date_text(date: object) -> str:
    """A date as the library writes it: a DocDate's ISO form, or a string as it stands."""
    return str(getattr(date, "iso", date))


def publication_title(source: str) -> str:
    """The title of one of publications.yaml's sources, or the id as given when it is not there."""
    found = current_app.extensions["library"].vocab.publications.get(source)
    return found.title if found else source


@dataclass(frozen=True)
class More:
    """Other documents of a document's first council or theme, for its page's side."""

    id: str  # the council's or theme's
    name: str
    total: int  # all its documents, this one included
    hits: list[Hit]


def theme_page(result: SearchResult) -> dict[str, object]:
    """A theme page's list of councils, and whether there are more than it lists."""
    councils = result.facets.get("council", [])
    return {"councils": councils[:THEME_COUNCILS], "more_councils": len(councils) > THEME_COUNCILS}


def home_page(overview: SearchResult) -> dict[str, object]:
    """The home page's councils, the first of those with the most documents."""
    return {"councils": overview.facets["council"][:HOME_COUNCILS]}


@dataclass(frozen=True)
class HubProvenance:
    """How a document came in through the Culture Hub, and when."""

    how: str  # "Submitted by Oldham Council through the Culture Hub"
    received: str  # ISO dates, or empty
    reviewed: str


def document_page(lib: Library, doc: Document) -> dict[str, object]:
    """Everything document.html shows besides the document itself and its neighbours."""
    taking_part = [council for council in doc.councils if council.value != doc.lead]
    organisations = [organisation for organisation in doc.organisations if organisation != doc.lead]
    also = "also " if doc.lead else ""
    return {
        "taking_part": taking_part,
        "taking_part_label": f"{'Council' if len(taking_part) == 1 else 'Councils'} {also}taking part",
        "organisations": organisations,
        "organisations_label": (
            f"{'Organisations' if len(organisations) + len(doc.partners) > 1 else 'Organisation'} {also}taking part"
        ),
        "hub": hub_provenance(lib, doc),
    }


def hub_provenance(lib: Library, doc: Document) -> HubProvenance | None:
    """Where a document from the Culture Hub came from; None for the rest."""
    hub = doc.provenance
    if not hub.get("origin"):
        return None
    if hub["origin"] == "submission":
        how = f"Submitted by {hub.get('submitted_by') or 'a member of the network'} through the Culture Hub"
    else:
        feed = f"{lib.council_name(doc.lead)}’s" if doc.lead and doc.lead_kind == "council" else "a member council’s"
        how = f"Found in {feed} news feed"
    return HubProvenance(how, (hub.get("received") or "")[:10], (hub.get("reviewed_at") or "")[:10])


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        lib_label=lib_label,
        publication_title=publication_title,
        RESULT_COUNCILS=RESULT_COUNCILS,
        RESULT_ORGANISATIONS=RESULT_ORGANISATIONS,
    )
    app.jinja_env.filters.update(
        plural=plural,
        answer_line=answer_line,
        answer_details=answer_details,
        listing_heading=listing_heading,
        names=names,
        date_text=date_text,
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
