"""Citations of a document: plain text, BibTeX and RIS.

A document the library wrote itself (``written_for_library``) is cited as the library's summary, by the
library, with the publications it summarises named in a note and given entries of their own: a council did
not write it, and a reader who cites it should be able to find the originals. Any other document is cited
by whoever led or took part in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .model import Document, Source

PUBLISHER = "Co-operative Councils' Innovation Network"
LIBRARY = "Co-operative Practice Library"


def authors(doc: Document, council_name: Callable[[str], str]) -> list[str]:
    """Who to name as the author: the library for its own summaries, else the councils behind it, else the network."""
    if doc.written_for_library:
        return [LIBRARY]
    return [council_name(c) for c in doc.council_ids] or [PUBLISHER]


def publisher(doc: Document) -> str:
    return LIBRARY if doc.written_for_library else PUBLISHER


def year(doc: Document) -> int | None:
    """The year the cited text was written: when the library last checked a summary, else the document's year."""
    if doc.written_for_library and doc.last_reviewed:
        return doc.last_reviewed.year
    return doc.year


def summarised(doc: Document) -> str:
    """'Summary of: The Year Ahead 2016/17, Co-operative Councils Innovation Network, 2016-07-20.'"""
    if not doc.sources:
        return ""
    return "Summary of: " + "; ".join(s.citation for s in doc.sources) + "."


def plain(doc: Document, council_name: Callable[[str], str], url: str) -> str:
    """A reference in the author (year) title style."""
    when = f" ({year(doc)})" if year(doc) else " (n.d.)"
    note = f" {summarised(doc)}" if doc.written_for_library and doc.sources else ""
    return f"{'; '.join(authors(doc, council_name))}{when}. {doc.title}. {publisher(doc)}.{note} Available at: {url}"


def bibtex(doc: Document, council_name: Callable[[str], str], url: str) -> str:
    """BibTeX @misc entries: the document, then each source it summarises. Names are braced so they stay whole."""
    key = _key(doc.id) or "document"
    notes = [f"{LIBRARY}, {doc.doc_type}"]
    if doc.written_for_library:
        notes.append(summarised(doc) or "A summary written for this library; its sources are not recorded.")
    fields = [
        ("title", "{" + _bib(doc.title) + "}"),
        ("author", " and ".join("{" + _bib(a) + "}" for a in authors(doc, council_name))),
        ("year", str(year(doc)) if year(doc) else ""),
        ("howpublished", _bib(publisher(doc))),
        ("url", url),
        ("note", _bib(" ".join(notes))),
    ]
    entries = [_bib_entry(key, fields)]
    for number, source in enumerate(doc.sources, start=1):
        entries.append(_bib_entry(f"{key}-source-{number}", _source_fields(source)))
    return "\n".join(entries)


def ris(doc: Document, council_name: Callable[[str], str], url: str) -> str:
    """RIS records, as read by Zotero, EndNote and Mendeley: the document, then each source it summarises."""
    lines = [("TY", "GEN"), ("TI", doc.title)]
    lines += [("AU", a) for a in authors(doc, council_name)]
    if year(doc):
        lines.append(("PY", str(year(doc))))
    if doc.date and doc.date.month and doc.date.day and not doc.written_for_library:
        lines.append(("DA", doc.date.iso.replace("-", "/")))
    lines += [("PB", publisher(doc)), ("UR", url)]
    if doc.summary:
        lines.append(("AB", doc.summary))
    if doc.written_for_library:
        lines.append(("N1", summarised(doc) or "A summary written for this library; its sources are not recorded."))
    lines.append(("ER", ""))
    for source in doc.sources:
        lines += [("TY", "GEN"), ("TI", source.title)]
        if source.publisher:
            lines += [("AU", source.publisher), ("PB", source.publisher)]
        if source.date:
            lines.append(("PY", source.date[:4]))
        if source.url:
            lines.append(("UR", source.url))
        lines.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines)


def _source_fields(source: Source) -> list[tuple[str, str]]:
    return [
        ("title", "{" + _bib(source.title) + "}"),
        ("author", "{" + _bib(source.publisher) + "}" if source.publisher else ""),
        ("year", source.date[:4]),
        ("howpublished", _bib(source.publisher)),
        ("url", source.url),
    ]


def _bib_entry(key: str, fields: list[tuple[str, str]]) -> str:
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}\n"


def _key(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def _bib(text: str) -> str:
    text = _one_line(text)
    for char in "\\{}":
        text = text.replace(char, " ")
    return re.sub(r"([&%$#_])", r"\\\1", text)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
