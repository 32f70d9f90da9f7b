"""The HTML pages: home, search, document, council, theme, the lists of both, and search help."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from library import citation
from library.model import Document
from library.search import Library, SearchRequest
from library.vocab import COUNCIL_TYPES, REGIONS, Theme

from .hosts import external_url
from .params import FILTERS, search_request
from .shared import cached_page, document_or_404, library
from .templating import More, document_page, facet_page, home_page, search_page, theme_page

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    lib = library()
    overview = lib.search(SearchRequest())
    return render_template(
        "home.html", overview=overview, recent=lib.recently_added(6), status=lib.status(), **home_page(overview)
    )


@bp.get("/search")
def search():
    result = library().search(search_request(request.args))
    return cached_page(
        result.generation,
        lambda: render_template(
            "search.html",
            result=result,
            args=request.args,
            **search_page(result, request.args),
        ),
    )


@bp.get("/search/facet/<name>")
def facet_values(name: str):
    """Every value of one facet for a search, to choose from when there are too many for the search page."""
    if name not in FILTERS:
        abort(404)
    result = library().search(search_request(request.args))
    return render_template("facet_values.html", result=result, name=name, **facet_page(result, name, request.args))


@bp.get("/doc/<path:doc_id>")
def document(doc_id: str):
    lib = library()
    doc = document_or_404(doc_id)
    return cached_page(lib.generation, lambda: _document_page(lib, doc))


def _document_page(lib: Library, doc: Document) -> str:
    url = external_url("pages.document", doc_id=doc.id)
    return render_template(
        "document.html",
        doc=doc,
        lib=lib,
        related=lib.related(doc.id),
        more_from_council=_more(lib, doc, "council", doc.council_ids),
        more_on_theme=_more(lib, doc, "theme", doc.theme_ids),
        citation=citation.plain(doc, lib.council_name, url),
        source_url=doc.source_url if doc.source_url.startswith(("https://", "http://")) else "",
        **document_page(lib, doc),
    )


def _more(lib: Library, doc: Document, facet: Literal["council", "theme"], ids: list[str]) -> More | None:
    """Up to five other documents, newest first, of the document's first council or theme; None if there are none."""
    if not ids:
        return None
    only: dict[str, Any] = {facet: (ids[0],)}
    result = lib.search(replace(SearchRequest(sort="newest", per_page=6), **only))
    hits = [hit for hit in result.results if hit.id != doc.id][:5]
    name = lib.council_name(ids[0]) if facet == "council" else lib.theme_label(ids[0])
    return More(ids[0], name, result.total, hits) if hits else None


@bp.get("/council/<council_id>")
def council(council_id: str):
    lib = library()
    found = lib.vocab.councils.get(council_id)
    if found is None:
        resolved, _ = lib.vocab.council_names.resolve(council_id.replace("-", " "))
        if resolved:
            return redirect(url_for("pages.council", council_id=resolved), code=301)
        abort(404)
    page = search_request(request.args).page
    result = lib.search(SearchRequest(council=(found.id,), sort="newest", page=page))
    return render_template(
        "council.html",
        contacts=lib.contacts(found.id),
        page_url=lambda n: url_for("pages.council", council_id=found.id, page=n),
        council=found,
        result=result,
        region=REGIONS.get(found.region_id, found.region_id),
        council_type=COUNCIL_TYPES.get(found.type, found.type),
        lib=lib,
    )


@bp.get("/theme/<theme_id>")
def theme(theme_id: str):
    return _tag_page("theme", library().vocab.themes.get(theme_id), "theme.html", "theme_id")


@bp.get("/councils")
def councils():
    overview = library().search(SearchRequest(per_page=1))
    by_region: dict[str, list] = {}
    lib = library()
    for value in sorted(overview.facets["council"], key=lambda v: v.label):
        region = lib.vocab.councils[value.value].region_id if value.value in lib.vocab.councils else ""
        by_region.setdefault(REGIONS.get(region, "Other"), []).append(value)
    return render_template("councils.html", by_region=dict(sorted(by_region.items())), overview=overview)


@bp.get("/themes")
def themes():
    lib = library()
    overview = lib.search(SearchRequest(per_page=1))
    counts = {v.value: v.count for v in overview.facets["theme"]}
    listed = sorted(lib.vocab.themes.values(), key=lambda t: t.label)
    return render_template("themes.html", themes=listed, counts=counts)


@bp.get("/principle/<principle_id>")
def principle(principle_id: str):
    return _tag_page("principle", library().vocab.principles.get(principle_id), "principle.html", "principle_id")


def _tag_page(facet: Literal["theme", "principle"], found: Theme | None, template: str, key: str):
    """A theme's or principle's documents, newest first, a page at a time; 404 if there is no such one."""
    if found is None:
        abort(404)
    page = search_request(request.args).page
    newest = SearchRequest(sort="newest", page=page)
    only = replace(newest, theme=(found.id,)) if facet == "theme" else replace(newest, principle=(found.id,))
    result = library().search(only)
    return render_template(
        template,
        result=result,
        page_url=lambda n: url_for(f"pages.{facet}", **{"page": n, key: found.id}),
        **{facet: found},
        **(theme_page(result) if facet == "theme" else {}),
    )


@bp.get("/principles")
def principles():
    lib = library()
    overview = lib.search(SearchRequest(per_page=1))
    counts = {v.value: v.count for v in overview.facets["principle"]}
    return render_template("principles.html", principles=list(lib.vocab.principles.values()), counts=counts)


@bp.get("/network")
def network():
    """The network itself: membership, reach and budget by year, who led it, and the members the sources name."""
    lib = library()
    members = sorted((c for c in lib.vocab.councils.values() if c.is_member), key=lambda c: c.name)
    return render_template(
        "network.html", network=current_app.extensions["network"], members=members, lib=lib,
        publications=lib.vocab.publications,
    )  # fmt: skip


@bp.get("/help")
def help_page():
    return render_template("help.html")
