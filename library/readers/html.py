"""HTML press releases saved from council websites, or fetched from members' news feeds by the harvester.

The article text is found by trafilatura, a maintained extractor built to tell an article from the site
around it: menus, cookie banners, breadcrumbs, share buttons, related links, footers and scripts are left
out. It is only ever given the page's text, never an address, so it fetches nothing.

Title and date come from the page's own markup in a fixed order (og:title, the first <h1>, <title>;
article:published_time, <time datetime>, a date written as "5 July 2016" in the article), and a sidecar
YAML file overrides both.

The word floor. What trafilatura finds is the article when it holds a sentence, a block of at least
MIN_MAIN_WORDS (8) words, and MIN_WORDS (20) words in all; a short notice is enough when every word of it
lies in what the page marks as its main content (<main>, <article> or role="main"). A page of menu
entries, buttons and "Page not found", "Loading" or "Please enable JavaScript to view this page" is
refused as all navigation; a one-sentence notice inside <main> is read.
"""

from __future__ import annotations

import logging
import re
import warnings as _warnings
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ParseError
from .common import RawDocument, clean_text, decode_text, read_bytes, read_sidecar

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

# Trafilatura logs a warning or an error for every page it finds no article in; the reader reports each of
# those itself, as a ParseError naming the file, so its log would only repeat them on stderr.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_VISIBLE_DATE = re.compile(rf"\b(\d{{1,2}})\s+({_MONTHS})\s+(\d{{4}})\b")
_WORD = re.compile(r"\w+")
_TIME_TAG = re.compile(r"<(/?)time\b", re.I)
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][-\w:.]*")
MIN_WORDS = 20
MIN_MAIN_WORDS = 8
# BeautifulSoup holds a page in memory at up to two hundred times its size, so a page much larger than any
# press release is refused rather than parsed: 4 MB of markup costs at most about 800 MB.
MAX_HTML_BYTES = 4_000_000
# libxml2, which parses for trafilatura, drops whatever lies below 255 levels of nesting; no real page
# comes near this depth, so the tags beyond it are left out first and their text kept, a line apart.
MAX_DEPTH = 200
_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th", "br", "section", "blockquote", "dd", "dt"}
)


def read_html(path: Path, shown: str, max_bytes: int) -> RawDocument:
    """Read a saved web page: title, date and article text, without the site's chrome."""
    raw = read_html_bytes(read_bytes(path, shown, max_bytes), shown)
    raw.meta = read_sidecar(path, shown, max_bytes, raw.warnings)
    return raw


def read_html_bytes(data: bytes, shown: str, meta: dict[str, object] | None = None) -> RawDocument:
    """Read a web page from its bytes (a saved file or a fetched page); `shown` names it in errors."""
    warnings: list[str] = []
    if not data:
        raise ParseError(shown, "is empty")
    if len(data) > MAX_HTML_BYTES:
        raise ParseError(
            shown, f"is an HTML page of {len(data):,} bytes; pages over {MAX_HTML_BYTES:,} bytes are not read"
        )
    html = decode_text(data, shown, warnings)
    soup = _parse(html, shown)
    page = _survey(soup)
    # Our own order rather than trafilatura's metadata: that runs htmldate, which guesses a date from
    # addresses, copyright lines and any text, where a wrong year is worse than none.
    title = page.meta("og:title") or page.h1 or page.title
    found_date = page.meta("article:published_time") or page.time
    body = _article_text(_flattened(soup) if page.too_deep else html, shown)
    heading = body.split("\n", 1)[0].strip()
    if heading and heading in (title, page.h1):
        body = body[len(heading) :].strip()
    if not _enough_text(body, page):
        raise ParseError(shown, "has no article text: the page is all navigation, banners or scripts")
    if not found_date:  # a byline such as "Published 5 July 2016" is often left out of the article text
        found_date = _visible_date(body) or next(filter(None, map(_visible_date, page.main_texts())), "")
    return RawDocument(shown, dict(meta or {}), body, found_title=title, found_date=found_date, warnings=warnings)


def _parse(html: str, shown: str) -> BeautifulSoup:
    """Parse a page with Python's own HTML parser, which reads any depth of nesting."""
    from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
    from bs4.exceptions import ParserRejectedMarkup

    try:
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            _warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            return BeautifulSoup(html, "html.parser")
    except RecursionError:
        raise ParseError(shown, "is HTML nested too deeply to read") from None
    except ParserRejectedMarkup as exc:  # e.g. a declaration the parser cannot read, such as a bare "<!["
        reason = str(exc).rsplit(":", 1)[-1].strip() or "markup it cannot read"
        raise ParseError(shown, f"is HTML the parser refuses ({reason[:80]})") from None


def _article_text(markup: str, shown: str) -> str:
    """The article's text as trafilatura finds it, or "" when it finds none."""
    from trafilatura import extract

    # Trafilatura takes a page without "html" in its first 50 characters for something else and refuses
    # one that is a single element.
    if "html" not in markup[:50].lower():
        markup = "<!doctype html>\n" + markup
    # Trafilatura drops each <time> element with its text, the words of "closes on <time>12 July</time>".
    markup = _TIME_TAG.sub(r"<\1span", markup)
    try:
        text = extract(
            markup,
            fast=True,  # without its fallback extractors, which take up to 40 times as long on a page of menus
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=False,
            deduplicate=False,
            with_metadata=False,
            output_format="txt",
            # What a browser with scripts never shows; trafilatura can keep the text of either.
            prune_xpath=["//template", "//noscript"],
        )
    except RecursionError:
        raise ParseError(shown, "is HTML nested too deeply to read") from None
    except Exception as exc:  # lxml's and trafilatura's own errors: any of them means the page cannot be read
        raise ParseError(shown, f"is HTML the extractor cannot read ({type(exc).__name__}: {str(exc)[:80]})") from None
    # Trafilatura ends each paragraph, heading and list item with one line break; the site shows a blank
    # line between blocks, as the other readers give it.
    return clean_text(re.sub(r"[ \t\xa0]+", " ", text or "").replace("\n", "\n\n"))


def _enough_text(body: str, page: _Page) -> bool:
    """Whether the text holds a sentence, and MIN_WORDS words in all unless it is the page's main content."""
    if not any(len(block.split()) >= MIN_MAIN_WORDS for block in body.split("\n")):
        return False
    if len(body.split()) >= MIN_WORDS:
        return True
    words = set(_WORD.findall(body.lower()))
    return any(words <= set(_WORD.findall(text.lower())) for text in page.main_texts())


@dataclass
class _Page:
    """What the page's own markup says: its title, heading, dates, main content, and whether it nests too deep."""

    title: str = ""
    h1: str = ""
    time: str = ""
    metas: dict[str, str] = field(default_factory=dict)
    mains: list[Tag] = field(default_factory=list)
    too_deep: bool = False

    def meta(self, name: str) -> str:
        """The content of <meta property=NAME>, else of <meta name=NAME>."""
        return self.metas.get(f"property={name}") or self.metas.get(f"name={name}", "")

    def main_texts(self) -> list[str]:
        """The text of each element marked as the main content: <main>, <article>, role="main"."""
        return [tag.get_text(" ") for tag in self.mains]


def _survey(soup: BeautifulSoup) -> _Page:
    """Find the page's marks in one walk of the tree; a walk per question costs each its own pass."""
    from bs4 import Tag

    page = _Page()
    stack = [(child, 1) for child in reversed(soup.contents) if isinstance(child, Tag)]
    while stack:
        tag, depth = stack.pop()
        page.too_deep = page.too_deep or depth > MAX_DEPTH
        name = tag.name
        if name == "h1" and not page.h1:
            page.h1 = _text_of(tag)
        elif name == "title" and not page.title:
            page.title = _text_of(tag)
        elif name == "time" and not page.time:
            page.time = _attribute(tag, "datetime")
        elif name == "meta":
            content = _attribute(tag, "content")
            for kind in ("property", "name"):
                key = f"{kind}={_attribute(tag, kind)}"
                if content and key not in page.metas:
                    page.metas[key] = content
        if name in ("main", "article") or tag.get("role") == "main":
            page.mains.append(tag)
        stack.extend((child, depth + 1) for child in reversed(tag.contents) if isinstance(child, Tag))
    return page


def _visible_date(text: str) -> str:
    """The first date written out as "5 July 2016" in a text, as 2016-07-05, or ""."""
    m = _VISIBLE_DATE.search(text)
    if not m:
        return ""
    return f"{m.group(3)}-{_MONTHS.split('|').index(m.group(2)) + 1:02d}-{int(m.group(1)):02d}"


def _flattened(soup: BeautifulSoup) -> str:
    """The page as markup again, without the tags nested beyond MAX_DEPTH: their text stays, a line apart.

    Written out here in one pass rather than by unwrapping each element in the tree, which costs a walk of
    its ancestors and grows with the square of the nesting.
    """
    from bs4.element import NavigableString, Tag

    parts: list[str] = []
    stack: list[tuple[object, int, bool]] = [(child, 1, False) for child in reversed(soup.contents)]
    while stack:
        node, depth, leaving = stack.pop()
        if isinstance(node, Tag):
            if depth > MAX_DEPTH:
                if node.name in _BLOCK_TAGS and parts and parts[-1] != "<br>":
                    parts.append("<br>")
                if leaving:
                    continue
            elif leaving:
                parts.append(f"</{node.name}>")
                continue
            else:
                parts.append(f"<{node.name}{_attributes(node)}>")
            if not node.is_empty_element:
                stack.append((node, depth, True))
            stack.extend((child, depth + 1, False) for child in reversed(node.contents))
        elif type(node) is NavigableString:
            parts.append(escape(str(node), quote=False))
    return "".join(parts)


def _attributes(tag: Tag) -> str:
    """A tag's attributes as markup, keeping those with ordinary names."""
    parts = []
    for name, value in tag.attrs.items():
        if _ATTRIBUTE_NAME.fullmatch(name):
            text = " ".join(value) if isinstance(value, list) else str(value)
            parts.append(f' {name}="{escape(text)}"')
    return "".join(parts)


def _text_of(tag: Tag | None) -> str:
    return " ".join(tag.get_text(" ").split()) if tag else ""


def _attribute(tag: Tag, name: str) -> str:
    value = tag.get(name)
    return value.strip() if isinstance(value, str) else ""
