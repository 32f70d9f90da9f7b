"""HTML press releases saved from council websites."""

from __future__ import annotations

import re
import warnings as _warnings
from pathlib import Path

from ..errors import ParseError
from .common import RawDocument, clean_text, decode_text, read_bytes, read_sidecar

_CHROME_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "dialog",
)
_CHROME_HINTS = re.compile(
    r"cookie|consent|banner|breadcrumb|skip|share|social|newsletter|menu|navbar|sidebar|related", re.I
)
_BLOCK_TAGS = ("p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "br", "section", "blockquote", "dd", "dt")
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_VISIBLE_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTHS})\s+(\d{{4}})\b")
MIN_WORDS = 20
# BeautifulSoup holds a page in memory at up to two hundred times its size, so a page much larger than any
# press release is refused rather than parsed: 4 MB of markup costs at most about 800 MB.
MAX_HTML_BYTES = 4_000_000


def read_html(path: Path, shown: str, max_bytes: int) -> RawDocument:
    """Read a saved web page: title, date and article text, without the site's chrome."""
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
    from bs4.exceptions import ParserRejectedMarkup

    warnings: list[str] = []
    data = read_bytes(path, shown, max_bytes)
    if len(data) > MAX_HTML_BYTES:
        raise ParseError(
            shown, f"is an HTML page of {len(data):,} bytes; pages over {MAX_HTML_BYTES:,} bytes are not read"
        )
    html = decode_text(data, shown, warnings)
    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            _warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            soup = BeautifulSoup(html, "html.parser")
        title = _meta(soup, "og:title") or _text_of(soup.find("h1")) or _text_of(soup.title)
        found_date = _meta(soup, "article:published_time") or _time_datetime(soup)
        for tag in soup.find_all(_CHROME_TAGS):
            tag.decompose()
        for tag in soup.find_all(_is_chrome):
            tag.decompose()
        content = soup.find("main") or soup.find("article") or soup.body or soup
        body = clean_text(re.sub(r"[ \t\xa0]+", " ", _text_with_breaks(content)))
    except RecursionError:
        raise ParseError(shown, "is HTML nested too deeply to read") from None
    except ParserRejectedMarkup as exc:  # e.g. a declaration the parser cannot read, such as a bare "<!["
        reason = str(exc).rsplit(":", 1)[-1].strip() or "markup it cannot read"
        raise ParseError(shown, f"is HTML the parser refuses ({reason[:80]})") from None
    heading = body.split("\n", 1)[0].strip()
    if heading and heading in (title, _text_of(soup.find("h1"))):
        body = body[len(heading) :].strip()
    if len(body.split()) < MIN_WORDS:
        raise ParseError(shown, "has no article text: the page is all navigation, banners or scripts")
    if not found_date:
        m = _VISIBLE_DATE.search(body)
        if m:
            found_date = f"{m.group(3)}-{_MONTHS.split('|').index(m.group(2)) + 1:02d}-{int(m.group(1)):02d}"
    meta = read_sidecar(path, shown, max_bytes, warnings)
    return RawDocument(shown, meta, body, found_title=title, found_date=found_date, warnings=warnings)


def _text_with_breaks(content) -> str:  # type: ignore[no-untyped-def]
    """The text of a tree, with a line break before and after each block, in one pass over the tree.

    Inserting the breaks into the tree instead costs a walk of each block's descendants, which for
    thousands of nested blocks is time that grows with the square of the nesting.
    """
    parts: list[str] = []
    wanted = content.interesting_string_types
    stack = [(child, False) for child in reversed(content.contents)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            parts.append("\n")
        elif node.name is None:
            if type(node) in wanted:
                parts.append(str(node))
        else:
            if node.name in _BLOCK_TAGS:
                parts.append("\n")
                stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
    return "".join(parts)


def _meta(soup, prop: str) -> str:  # type: ignore[no-untyped-def]
    tag = soup.find("meta", attrs={"property": prop}) or soup.find("meta", attrs={"name": prop})
    content = tag.get("content") if tag else None
    return content.strip() if isinstance(content, str) else ""


def _time_datetime(soup) -> str:  # type: ignore[no-untyped-def]
    tag = soup.find("time", attrs={"datetime": True})
    value = tag.get("datetime") if tag else None
    return value.strip() if isinstance(value, str) else ""


def _text_of(tag) -> str:  # type: ignore[no-untyped-def]
    return " ".join(tag.get_text(" ").split()) if tag else ""


def _is_chrome(tag) -> bool:  # type: ignore[no-untyped-def]
    if tag.name in ("main", "article", "body", "html") or tag.attrs is None:
        return False
    hints = " ".join([str(tag.get("id") or ""), " ".join(tag.get("class") or []), str(tag.get("role") or "")])
    return (
        bool(hints.strip())
        and bool(_CHROME_HINTS.search(hints))
        or tag.get("role") in ("navigation", "banner", "contentinfo")
    )
