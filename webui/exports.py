"""Exports of a search (CSV of every result, an Atom feed) and citation downloads of one document."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, request

from library import citation
from library.search import Hit, Library

from .hosts import external_url
from .params import search_request
from .shared import document_or_404, library
from .templating import answer_line
from .urls import search_query, with_query

bp = Blueprint("exports", __name__)
ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 50
CSV_COLUMNS = (
    "id", "title", "type", "status", "lead", "councils", "organisations", "regions", "themes", "principles", "year",
    "date", "evidence", "outcomes", "summary", "contact", "sources", "url",
)  # fmt: skip
# A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection advice).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Stop a spreadsheet from running a cell as a formula by prefixing an apostrophe."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


@bp.get("/search.csv")
def search_csv() -> Response:
    """Every result of a search as CSV. Each document is read, written as a row and let go, so an export of the
    whole library holds its text, not every document."""
    lib = library()
    out = io.StringIO()
    out.write("\ufeff")  # the byte-order mark tells Excel the file is UTF-8, so "£" is not shown as "Â£"
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    with lib.exported(search_request(request.args, strict=True)) as (_, hits):
        for hit in hits:
            writer.writerow([neutralise(str(cell)) for cell in _csv_row(lib, hit)])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="co-operative-practice-search.csv"'},
    )


def _csv_row(lib: Library, hit: Hit) -> list[object]:
    regions = dict.fromkeys(lib.label("region", lib.region_of(c["id"])) for c in hit.councils if lib.region_of(c["id"]))
    return [
        hit.id, hit.title, lib.label("type", hit.type), hit.status["label"] if hit.status else "",
        hit.lead["name"] if hit.lead else "", _names(hit.councils, "name"), _names(hit.organisations, "name"),
        "; ".join(regions), _names(hit.themes, "label"), _names(hit.principles, "label"), hit.year or "", hit.date,
        hit.evidence.get("label", ""), hit.outcomes, hit.summary, hit.lead_contact,
        "; ".join(_cited(s) for s in hit.sources), external_url("pages.document", doc_id=hit.id),
    ]  # fmt: skip


def _names(items: list[dict[str, str]], key: str) -> str:
    return "; ".join(item[key] for item in items)


def _cited(source: dict[str, str]) -> str:
    words = ", ".join(v for v in (source["title"], source["publisher"], source["date"]) if v)
    return f"{words} <{source['url']}>" if source["url"] else words


@bp.get("/search.atom")
def search_atom() -> Response:
    lib = library()
    wanted = search_request(request.args, strict=True)
    result = lib.search(replace(wanted, sort="newest", page=1, per_page=FEED_ENTRIES))
    status = lib.status()
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    query = search_query(request.args)
    page_url = with_query(external_url("pages.search"), query)
    title = "Co-operative Practice Library: " + (f"search for “{result.query}”" if result.query else "new documents")
    _text(feed, "title", title)
    _text(feed, "subtitle", answer_line(result))
    _text(feed, "id", page_url)
    _text(feed, "updated", _stamp(status.created))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=with_query(external_url("exports.search_atom"), query))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=page_url)
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    _text(author, "name", citation.LIBRARY)  # the entries are the library's records; each links to its sources
    for hit in result.results:
        _entry(feed, hit, lib.first_published(hit.id) or status.created)
    body = ET.tostring(feed, encoding="unicode", xml_declaration=False)
    return Response('<?xml version="1.0" encoding="utf-8"?>\n' + body, mimetype="application/atom+xml")


def _entry(feed: ET.Element, hit: Hit, added: float) -> None:
    entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
    url = external_url("pages.document", doc_id=hit.id)
    _text(entry, "title", hit.title)
    _text(entry, "id", url)
    _text(entry, "updated", _stamp(added))
    if hit.date:
        _text(entry, "published", _document_time(hit.date))
    ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=url)
    for council in hit.councils:
        ET.SubElement(
            entry,
            f"{{{ATOM}}}category",
            scheme=external_url("pages.councils"),
            term=council["id"],
            label=council["name"],
        )
    for theme in hit.themes:
        ET.SubElement(entry, f"{{{ATOM}}}category", term=theme["id"], label=theme["label"])
    summary = _text(entry, "summary", hit.summary)
    summary.set("type", "text")


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = _xml_safe(text)
    return element


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry, such as stray control characters."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ch >= " " and ch not in "\ufffe\uffff"))


def _stamp(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _document_time(iso: str) -> str:
    parts = [int(p) for p in iso.split("-")] + [1, 1]
    return f"{parts[0]:04d}-{max(parts[1], 1):02d}-{max(parts[2], 1):02d}T00:00:00Z"


@bp.get("/doc/<path:doc_id>/cite.<fmt>")
def cite(doc_id: str, fmt: str) -> Response:
    if fmt not in ("bib", "ris"):
        abort(404)
    lib = library()
    doc = document_or_404(doc_id)
    url = external_url("pages.document", doc_id=doc.id)
    if fmt == "bib":
        text, mimetype = citation.bibtex(doc, lib.council_name, url), "application/x-bibtex"
    else:
        text, mimetype = citation.ris(doc, lib.council_name, url), "application/x-research-info-systems"
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", doc.id) + "." + fmt
    return Response(text, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
