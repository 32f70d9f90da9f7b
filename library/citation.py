"""Citations of a document: plain text, BibTeX and RIS."""

from __future__ import annotations

import re

from .model import Document

PUBLISHER = "Co-operative Councils' Innovation Network"


def authors(doc: Document, council_name) -> list[str]:  # type: ignore[no-untyped-def]
    """The councils behind a document, or the network when none is named."""
    return [council_name(c) for c in doc.council_ids] or [PUBLISHER]


def plain(doc: Document, council_name, url: str) -> str:  # type: ignore[no-untyped-def]
    """A reference in the author (year) title style."""
    year = f" ({doc.year})" if doc.year else " (n.d.)"
    return f"{'; '.join(authors(doc, council_name))}{year}. {doc.title}. {PUBLISHER}. Available at: {url}"


def bibtex(doc: Document, council_name, url: str) -> str:  # type: ignore[no-untyped-def]
    """A BibTeX @misc entry; organisation names are braced so they are not split into initials."""
    key = re.sub(r"[^A-Za-z0-9]+", "-", doc.id).strip("-") or "document"
    fields = [
        ("title", "{" + _bib(doc.title) + "}"),
        ("author", " and ".join("{" + _bib(a) + "}" for a in authors(doc, council_name))),
        ("year", _bib(str(doc.year)) if doc.year else ""),
        ("howpublished", _bib(PUBLISHER)),
        ("url", url),
        ("note", _bib(f"Co-operative Practice Library, {doc.doc_type}")),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}\n"


def ris(doc: Document, council_name, url: str) -> str:  # type: ignore[no-untyped-def]
    """An RIS record, as read by Zotero, EndNote and Mendeley."""
    lines = [("TY", "GEN"), ("TI", doc.title)]
    lines += [("AU", a) for a in authors(doc, council_name)]
    if doc.year:
        lines.append(("PY", str(doc.year)))
    if doc.date and doc.date.month and doc.date.day:
        lines.append(("DA", doc.date.iso.replace("-", "/")))
    lines += [("PB", PUBLISHER), ("UR", url)]
    if doc.summary:
        lines.append(("AB", doc.summary))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines)


def _bib(text: str) -> str:
    text = _one_line(text)
    for char in "\\{}":
        text = text.replace(char, " ")
    return re.sub(r"([&%$#_])", r"\\\1", text)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())
