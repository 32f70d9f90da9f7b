"""Template helpers: URLs that keep the search state, dates, plurals and the answer line."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask, current_app

from library.network import amount, people_count
from library.search import FacetValue, SearchResult
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


def selected_filters(result: SearchResult) -> list[tuple[str, FacetValue]]:
    """Every selected facet value of a search, as (facet name, value), in facet order."""
    return [(name, v) for name, values in result.facets.items() for v in values if v.selected]


def split_selected(values: list[FacetValue]) -> tuple[list[FacetValue], list[FacetValue]]:
    """A facet's chosen values and the others, each in their given order."""
    chosen = [v for v in values if v.selected]
    return chosen, [v for v in values if not v.selected] if chosen else values


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        lib_label=lib_label,
        search_url=search_url,
        toggle_url=toggle_url,
        has_filters=has_filters,
        split_selected=split_selected,
        selected_filters=selected_filters,
        FACET_NAMES=FACET_NAMES,
        FACET_ORDER=FACET_ORDER,
        FACET_PLURALS=FACET_PLURALS,
        FACET_SHOWN=FACET_SHOWN,
        FACET_LISTED=FACET_LISTED,
    )
    app.jinja_env.filters.update(
        plural=plural,
        answer_line=answer_line,
        answer_details=answer_details,
        close_themes=close_themes,
        text_blocks=text_blocks,
        when=when,
        long_date=long_date,
        pounds=amount,
        people=people_count,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
