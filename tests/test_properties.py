"""Properties that hold for any input: readers, front matter, tagging, query parsing, search totals, URL parameters.

Each test states a rule the product promises for every input, and Hypothesis looks for an input that breaks it.
The example counts keep the whole file to well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import string
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote, urlencode
from xml.etree import ElementTree

import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from library.engine.fields import document_fields, stored_document
from library.engine.whoosh.query import MAX_QUERY_CHARS, QueryBuilder
from library.engine.whoosh.schema import build_schema
from library.errors import ParseError
from library.model import Document
from library.readers import RawDocument, read_file
from library.readers.common import clean_text
from library.search import Library, SearchRequest
from library.tagging import Tagger
from library.vocab import REGIONS
from tests.helpers import pdf_bytes

LIMIT = 1_000_000
# What clean_text removes at the least: C0 controls but tab and newline, DEL, bidirectional embeddings and isolates.
UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
QUICK = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("properties")


@contextmanager
def written(scratch: Path, name: str, data: bytes, sidecar: bytes | None = None) -> Iterator[Path]:
    """Write one file (and its sidecar) to a fresh folder, for one example."""
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        if sidecar is not None:
            path.with_suffix(".yaml").write_bytes(sidecar)
        yield path


def read_or_refuse(path: Path) -> RawDocument | ParseError:
    """Read a file, returning the ParseError instead of raising it; any other exception fails the test."""
    try:
        return read_file(path, path.name, LIMIT)
    except ParseError as exc:
        return exc


def assert_clean(text: str) -> None:
    assert not UNWANTED.search(text), repr(text[:200])
    assert "\r" not in text


# --- Readers -----------------------------------------------------------------------------------------------------

# Pieces that trip readers up: fences, line endings, byte order marks, controls, direction overrides, markup.
TRICKY = [
    "---", "...", "--- ", "---\n", "\n---\n", "\r\n", "\r", "\n", "\ufeff", "\x00", "\x07", "\x0c", "\x1b", "\x7f",
    "\x85", "\u2028", "\u202e", "\u2066", "\ud800", "\udfff", "# ", "## ", "**", "_", "`", "[x](y)", "![a](b)", "> ",
    "- ", "1. ", "title: ", "date: ", "year: ", "themes: [", "]", "{", "}", "&a ", "*a", "!!python/name:os.system",
    "!!binary", "<", ">", "<script>", "</script>", "<style>", "<main>", "<article>", "<h1>", "<!--", "-->",
    "<![CDATA[", "&amp;", "&#0;", "&#x202e;", "%PDF-1.4", "Croydon", "housing", "co-operative", "2016-07-05",
]  # fmt: skip
tricky_text = st.lists(st.sampled_from(TRICKY) | st.text(max_size=12), max_size=40).map("".join)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1252", "latin-1"]


def encoded(text: str, encoding: str) -> bytes:
    """Encode text, keeping lone surrogates as the bytes a careless program writes for them."""
    if encoding.startswith("utf-8"):
        prefix = b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""
        return prefix + text.encode("utf-8", "surrogatepass")
    return text.encode(encoding, "replace")


file_bytes = st.binary(max_size=600) | st.builds(encoded, tricky_text, st.sampled_from(ENCODINGS))
# One huge line, within the size limit: each piece stresses a different pattern (words, tags, headings, links).
huge_lines = st.builds(
    lambda piece, count: (piece * count).encode("utf-8"),
    st.sampled_from(["a", "word ", "<b>", "<div>", "# x", "-", "[", "`a ", "**x", "&amp;", "---\n"]),
    st.integers(10_000, 50_000),
)
SUFFIXES = [".md", ".markdown", ".MD", ".html", ".htm", ".txt", ".pdf"]
# File names as a corpus folder may hold them: any text but '/' and NUL, and bytes that are not UTF-8 (which
# Python hands over as lone surrogates).
stems = st.lists(
    st.text(st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)), min_size=1, max_size=6)
    | st.sampled_from(["\udcff", "\udc80", " ", ".", "\x1b[31m", "\u202e"]),
    min_size=1,
    max_size=6,
).map("".join)


@pytest.fixture(scope="module")
def tagger(vocab) -> Tagger:
    return Tagger(vocab)


def assert_storable(doc: Document, vocab) -> None:  # type: ignore[no-untyped-def]
    """The index can store the document (UTF-8 text, JSON metadata) and gives back what was tagged."""
    fields = document_fields(doc, vocab)
    for value in fields.values():
        if isinstance(value, str):
            value.encode("utf-8")  # Whoosh stores text as UTF-8
    stored = stored_document({"meta": fields["meta"], "body": fields["body"]})
    assert json.dumps(stored.to_dict(), default=str) == json.dumps(doc.to_dict(), default=str)


@QUICK
@given(
    data=file_bytes,
    stem=st.just("doc") | stems,
    suffix=st.sampled_from(SUFFIXES),
    sidecar=st.none() | st.binary(max_size=200) | tricky_text.map(lambda t: t.encode("utf-8", "surrogatepass")),
)
@example(data=b"---\ndate: 2016-13-45\n---\nBody text.", stem="doc", suffix=".md", sidecar=None)
@example(data=b"---\ntitle: !!int ''\n---\nBody text.", stem="doc", suffix=".md", sidecar=None)
@example(data=b"Body text.", stem="doc", suffix=".txt", sidecar=b"date: !!timestamp nonsense\n")
@example(data=b"---\nx: " + b"9" * 5000 + b"\n---\nBody text.", stem="doc", suffix=".md", sidecar=None)
@example(data=b"---\nx: 0x" + b"f" * 1000 + b"\n---\nBody text.", stem="doc", suffix=".md", sidecar=None)
@example(data=b"---\nx:\n" + b"".join(b" " * i + b"k:\n" for i in range(1, 1200)) + b"---\nText.", stem="doc",
         suffix=".md", sidecar=None)  # fmt: skip
@example(data=b"---\ncolour: {2016-01-01: x}\n---\nBody text.", stem="doc", suffix=".md", sidecar=None)
@example(data=b"# Heading \xe2\x80\xae spoof\n\nBody text.", stem="doc", suffix=".md", sidecar=None)
@example(data=b"Body text.", stem="bad\udcff name", suffix=".txt", sidecar=None)
def test_any_file_becomes_a_storable_document_or_a_parse_error_that_names_it(
    scratch, tagger, data, stem, suffix, sidecar
):
    with written(scratch, stem + suffix, data, sidecar) as path:
        outcome = read_or_refuse(path)
        if isinstance(outcome, ParseError):
            assert outcome.path in (path.name, path.with_suffix(".yaml").name), outcome.path
            assert outcome.reason.strip(), "a refusal must say what was wrong"
            assert str(outcome).startswith(outcome.path)
            return
        assert outcome.path == path.name and isinstance(outcome.meta, dict)
        assert all(isinstance(key, str) for key in outcome.meta)
        assert_clean(outcome.body)
        assert clean_text(outcome.body) == outcome.body, "a body comes out already clean"
        doc, _ = tagger.build(outcome, "hash")
        assert_clean(doc.title)
        assert_storable(doc, tagger.vocab)


@settings(max_examples=12, deadline=None)
@given(data=huge_lines, suffix=st.sampled_from(SUFFIXES))
def test_a_huge_single_line_is_read_or_refused(scratch, data, suffix):
    with written(scratch, "huge" + suffix, data) as path:
        outcome = read_or_refuse(path)
        if isinstance(outcome, ParseError):
            assert outcome.reason.strip()
        else:
            assert_clean(outcome.body)


@QUICK
@given(st.text())
@example("a\n\u2028\n\x0c\n\n b")
def test_clean_text_leaves_no_unwanted_characters_and_is_idempotent(text):
    cleaned = clean_text(text)
    assert_clean(cleaned)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip() and "\n\n\n" not in cleaned


# Values yaml.safe_dump writes so that they read back equal: NaN is never equal to itself, PyYAML's writer
# puts a raw NEL (U+0085) into quoted text, where YAML reads it as a line break, and it writes a lone surrogate
# (not a character: no UTF-8 file can hold one) as an escape, "\uD800", that libyaml, which reads simple front
# matter, refuses; the reader then reports the file as malformed YAML, which is the answer wanted.
yaml_text = st.text(st.characters(exclude_characters="\x85", exclude_categories=("Cs",)), max_size=30)
yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=False), yaml_text, st.dates(),
    st.datetimes(),
)  # fmt: skip
yaml_values = st.recursive(
    yaml_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(yaml_text, inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
front_keys = st.sampled_from(["title", "summary", "councils", "themes", "date", "year", "type", "id"]) | yaml_text


# Text with fences and front-matter-like lines in it, but nothing that makes the file binary or not UTF-8.
body_text = st.lists(
    st.sampled_from(["---", "...", "\n", "\r\n", "# x", "title: y", "\ufeff"])
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10),
    max_size=20,
).map("".join)


@QUICK
@given(
    meta=st.dictionaries(front_keys, yaml_values, min_size=1, max_size=6),
    body=body_text,
    raw=st.booleans(),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    bom=st.booleans(),
)
def test_any_front_matter_yaml_writes_comes_back_unchanged(scratch, meta, body, raw, newline, bom):
    front = yaml.safe_dump(meta, allow_unicode=raw, sort_keys=False)
    text = ("\ufeff" if bom else "") + f"---\n{front}---\nThe body: {body}\n".replace("\n", newline)
    with written(scratch, "front.md", text.encode("utf-8")) as path:
        outcome = read_or_refuse(path)
        assert not isinstance(outcome, ParseError), outcome
        assert outcome.meta == meta
        assert_clean(outcome.body)


def test_front_matter_escaping_a_lone_surrogate_is_refused_by_name(scratch):
    """Not a character, so never a title or a key: the file is reported as malformed YAML and skipped."""
    with written(scratch, "front.md", b'---\ntitle: "Housing \\uD800"\n---\nThe body.\n') as path:
        outcome = read_or_refuse(path)
    assert isinstance(outcome, ParseError) and str(outcome).startswith("front.md, line 2: malformed YAML")


words = st.lists(st.sampled_from(["council", "housing", "tenants", "food", "energy", "Croydon", "youth", "care", "plan",
                                  "budget", "co-operative", "£5,000", "Caerdydd", "İstanbul", "naïve"]),
                 min_size=25, max_size=60).map(" ".join)  # fmt: skip
hidden_code = st.text(st.characters(exclude_characters="<", exclude_categories=("Cs", "Cc")), max_size=80)
BLOCKS = ["div", "section", "span", "p", "b", "em", "blockquote", "li", "td", "font", "center", "x-widget"]


@QUICK
@given(
    visible=words,
    script=hidden_code,
    style=hidden_code,
    wrappers=st.lists(st.sampled_from(BLOCKS), max_size=30),
    script_tag=st.sampled_from(["script", "SCRIPT", 'script type="text/template"', "style", "noscript", "template"]),
    where=st.sampled_from(["head", "before", "inside", "after"]),
)
def test_script_and_style_text_never_reaches_the_body(scratch, visible, script, style, wrappers, script_tag, where):
    name = script_tag.split()[0].lower()
    hidden = f"<{script_tag}>zzhiddenzz {script}</{name}><style>zzstylezz {style}</style>"
    opened = "".join(f"<{tag}>" for tag in wrappers)
    closed = "".join(f"</{tag}>" for tag in reversed(wrappers))
    inner = {"before": hidden + visible, "inside": visible[: len(visible) // 2] + hidden + visible[len(visible) // 2 :],
             "after": visible + hidden, "head": visible}[where]  # fmt: skip
    head = hidden if where == "head" else ""
    page = f"<!doctype html><html><head>{head}</head><body><main>{opened}{inner}{closed}</main></body></html>"
    with written(scratch, "page.html", page.encode("utf-8")) as path:
        outcome = read_or_refuse(path)
        assert not isinstance(outcome, ParseError), outcome
        assert "zzhiddenzz" not in outcome.body and "zzstylezz" not in outcome.body
        assert outcome.body.split() == visible.split()


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(0, 4000), tag=st.sampled_from(["div", "span", "b", "section", "table", "ul", "p", "x"]))
def test_html_nested_to_any_depth_is_read_or_refused(scratch, depth, tag):
    text = " ".join(["co-operative housing for tenants"] * 6)
    page = f"<html><body>{f'<{tag}>' * depth}{text}{f'</{tag}>' * depth}</body></html>"
    with written(scratch, "deep.html", page.encode()) as path:
        outcome = read_or_refuse(path)
        if isinstance(outcome, ParseError):
            assert "nested too deeply" in outcome.reason
        else:
            assert "co-operative housing for tenants" in outcome.body


# Printable Windows-1252 text, which the helper's Helvetica PDFs can carry.
pdf_text = st.text(st.characters(codec="cp1252", exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60)


@QUICK
@given(
    pages=st.lists(pdf_text, min_size=1, max_size=3),
    title=st.text(string.ascii_letters + string.digits + " ", max_size=20),
)
def test_a_pdf_gives_back_the_text_it_was_written_with(scratch, pages, title):
    with written(scratch, "report.pdf", pdf_bytes(pages, title)) as path:
        outcome = read_or_refuse(path)
        if not "".join(pages).strip():
            assert isinstance(outcome, ParseError) and "no extractable text" in outcome.reason
            return
        assert not isinstance(outcome, ParseError), outcome
        assert "".join(outcome.body.split()) == "".join("".join(pages).split())
        assert outcome.found_title == (title.strip() or outcome.body.split("\n")[0].strip()[:200])


@QUICK
@given(
    pages=st.lists(pdf_text, min_size=1, max_size=3),
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=6),
    cut=st.none() | st.floats(0, 1),
    splice=st.binary(max_size=40),
)
def test_a_damaged_pdf_is_read_or_refused_never_a_crash(scratch, pages, flips, cut, splice):
    data = bytearray(pdf_bytes(pages))
    header = len(b"%PDF-1.4\n")  # a file without it is refused before pypdf sees it
    for where, value in flips:
        data[header + int(where * (len(data) - header))] = value
    if cut is not None:
        at = header + int(cut * (len(data) - header))
        data = data[:at] + splice if splice else data[:at]
    with written(scratch, "damaged.pdf", bytes(data)) as path:
        outcome = read_or_refuse(path)
        if isinstance(outcome, ParseError):
            assert outcome.path == "damaged.pdf" and outcome.reason.strip()
        else:
            assert_clean(outcome.body)
            assert outcome.body


# --- Tagging -----------------------------------------------------------------------------------------------------

# Readers never hand over lone surrogates (YAML refuses them, decoding never makes them), nor integers over
# about 900 digits (the front matter loader refuses them). Dates stay within the years the library accepts
# until library/model.py checks the range of a YAML date (see the expected failure below).
readable = tricky_text.map(lambda text: text.encode("utf-8", "replace").decode("utf-8"))
accepted_dates = st.dates(dt.date(1800, 1, 1), dt.date(2200, 12, 31))
meta_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(2**3000), 2**3000), st.floats(allow_nan=False),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40), readable, accepted_dates,
    st.datetimes(dt.datetime(1800, 1, 1), dt.datetime(2200, 12, 31)),
    st.binary(max_size=8),
    st.sampled_from(["croydon", "Croydon Council", "housing", "Food", "case-study", "Press release", "2016",
                     "2016-02-30", "0000", "9999-01-01", "https://example.org/x", "javascript:alert(1)", "../x",
                     "a/b", "", " "]),
)  # fmt: skip
meta_values = st.recursive(
    meta_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6) | st.dates() | st.integers(),
                                                                inner, max_size=3) | st.sets(st.text(max_size=4)),
    max_leaves=15,
)  # fmt: skip
meta_dicts = st.dictionaries(
    st.sampled_from(["id", "title", "type", "councils", "themes", "date", "year", "summary", "source_url",
                     "lead_contact", "partners", "mentioned", "colour"]) | st.text(max_size=10),
    meta_values | st.lists(st.sampled_from(["croydon", "oldham", "housing", "x"]), min_size=100, max_size=600),
    max_size=8,
)  # fmt: skip


@QUICK
@given(meta=meta_dicts, found_title=readable, body=readable, path=st.sampled_from(["2016/a.md", "x.html", "r.pdf"]))
@example(meta={"colour": {dt.date(2016, 1, 1): "x"}}, found_title="", body="Text.", path="a.md")
@example(meta={"title": "Housing\u202e in Croydon\x07"}, found_title="", body="Text.", path="a.md")
@example(meta={}, found_title="Heading \u2066spoof\u2069 \x1b[31m", body="Text.", path="a.md")
def test_any_metadata_makes_a_document_the_index_can_store(tagger, meta, found_title, body, path):
    vocab = tagger.vocab
    raw = RawDocument(path, meta, clean_text(body), found_title=found_title)
    doc, warnings = tagger.build(raw, "hash")
    assert isinstance(doc, Document) and all(isinstance(w, str) and w for w in warnings)
    assert doc.title and doc.title == " ".join(doc.title.split()), repr(doc.title)
    for text in (doc.title, doc.summary, doc.lead_contact, *doc.partners):
        assert_clean(text)
    assert doc.doc_type in vocab.doc_types
    assert set(doc.council_ids) <= set(vocab.councils) and set(doc.theme_ids) <= set(vocab.themes)
    assert set(doc.mentioned) <= set(vocab.councils)
    assert doc.date is None or 1800 <= doc.date.year <= 2200
    assert doc.source_url == "" or doc.source_url.startswith(("http://", "https://"))
    assert ".." not in doc.id.split("/") and not doc.id.startswith("/")
    assert_storable(doc, vocab)


@pytest.mark.parametrize("written_date", ["2201-01-01", "0001-01-01"])
def test_a_front_matter_date_out_of_range_is_refused_like_a_year_out_of_range(tagger, written_date):
    meta = yaml.safe_load(f"date: {written_date}")
    doc, warnings = tagger.build(RawDocument("a.md", meta, "Text."), "hash")
    assert doc.date is None and any("out of range" in w for w in warnings)


# --- Query parsing and search ------------------------------------------------------------------------------------

QUERY_PIECES = [
    "housing", "Housing", "food", "co-operative", "coop", "VAWG", "youth", "energy", "Croydon", "zzyzx", "the", "has",
    "council:", "council:croydon", 'council:"Croydon Council"', "theme:", "theme:housing", "type:case-study",
    "type:Policy Lab", "region:london", "region:atlantis", "year:2016", "year:[2010 TO 2016]", "year:>2015",
    "year:abc", "title:", "body:x", "summary:", "colour:blue", "AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO", '"',
    "(", ")", "[", "]", "{", "}", "*", "?", "ho*", "?ood", "^2", "~", "~2", "-", "+", "'", ":", "\\", "/", "!", ",",
    ".", "<", ">", "=", "&", "|", "\x00", "\u202e", "İ", "ß", "ﬁ", "😀", "\u3000", "ّ", "0", "2016", "1e9",
]  # fmt: skip
queries = st.one_of(
    st.text(max_size=60),
    st.lists(st.tuples(st.sampled_from(QUERY_PIECES) | st.text(max_size=5), st.sampled_from(["", " ", "  ", "\t", "\n",
             "\xa0"])), max_size=14).map(lambda parts: "".join(a + b for a, b in parts)),
    st.builds(lambda word, count: " ".join([word] * count), st.sampled_from(["housing", "a", "(", '"x"']),
              st.integers(100, 400)),
)  # fmt: skip


@pytest.fixture(scope="module")
def library(bundled_index, vocab) -> Iterator[Library]:
    lib = Library(bundled_index, vocab)
    yield lib
    lib.close()


@QUICK
@given(text=queries)
@example(text="theme:housing OR (council:croydon AND NOT year:abc)")
def test_any_text_parses_the_same_way_twice_with_any_parser(vocab, text):
    first, second = QueryBuilder(build_schema(), vocab), QueryBuilder(build_schema(), vocab)
    one, two = first.parse(text), second.parse(text)
    assert one.query == two.query and one.notices == two.notices and one.words == two.words
    assert one.is_everything == (type(one.query).__name__ == "Every")  # Whoosh's match-everything query
    assert one.concepts == two.concepts and one.dropped == two.dropped and one.years == two.years
    assert all(c.terms for c in one.concepts) and not one.is_everything or not one.concepts
    long = len(" ".join(text.split())) > MAX_QUERY_CHARS
    assert long == any("very long" in n for n in one.notices)


FILTER_VALUES = {
    "theme": ["housing", "food", "energy", "community-wealth-building", "zzz", ""],
    "council": ["croydon", "oldham", "plymouth", "lambeth", "stevenage", "nowhere"],
    "type": ["case-study", "press-release", "report", "policy-lab", "event", "bogus"],
    "region": ["london", "north-west", "scotland", "wales", "south-west", "atlantis"],
}
# Mostly words the library holds, so that results and facets are seldom empty.
LIBRARY_WORDS = ["", "housing", "food", "co-operative council", "youth", "energy", "care", "social value",
                 "community wealth", "tenants", "Croydon", "has any council set up a commission?"]  # fmt: skip
likely_queries = st.one_of(st.sampled_from(LIBRARY_WORDS), st.sampled_from(LIBRARY_WORDS), queries)


def search_requests(most: int) -> st.SearchStrategy[SearchRequest]:
    """Searches with up to `most` values chosen in a facet (known ones, unknown ones and blanks).

    A facet or a year bound is left alone three times in four, so that the filters together seldom match nothing.
    """
    return st.builds(
        SearchRequest,
        query=likely_queries,
        **{name: st.one_of(*[st.just(())] * 3, st.lists(st.sampled_from(values), min_size=1, max_size=most).map(tuple))
           for name, values in FILTER_VALUES.items()},
        year_from=st.one_of(*[st.none()] * 3, st.integers(2010, 2025)),
        year_to=st.one_of(*[st.none()] * 3, st.integers(2010, 2025)),
        sort=st.sampled_from(["relevance", "newest", "oldest", "x"]),
        page=st.integers(1, 12),
        per_page=st.integers(1, 25),
    )  # fmt: skip


def retried(result) -> bool:  # type: ignore[no-untyped-def]
    """Whether the results are those of the spelling suggestion rather than of the words typed."""
    return result.corrected


@QUICK
@given(request=search_requests(3))
def test_totals_pages_and_facet_counts_agree(library, request):
    result = library.search(request)
    cleaned = result.request
    assert result.pages == max(1, math.ceil(result.total / result.per_page)) and 1 <= result.page <= result.pages
    on_page = max(0, min(result.per_page, result.total - (result.page - 1) * result.per_page))
    assert len(result.results) == on_page and len({hit.id for hit in result.results}) == on_page
    counts = {name: {v.value: v.count for v in values} for name, values in result.facets.items()}
    for name, values in result.facets.items():
        chosen = cleaned.selected(name)
        assert {v.value for v in values if v.selected} == set(chosen)
        assert all(v.count > 0 or v.selected for v in values)
        ordered = (
            sorted(values, key=lambda v: -int(v.value))
            if name == "year"
            else sorted(values, key=lambda v: (-v.count, v.label.lower(), v.value))
        )  # most documents first, then by label; years newest first
        assert values == ordered, name
        if not chosen:
            assert all(v.count <= result.total for v in values), name
        else:
            assert all(counts[name].get(value, 0) <= result.total for value in chosen), name
    # Every document has exactly one type, so the type counts add up to the total.
    assert sum(counts["type"][v] for v in (cleaned.type or counts["type"])) == result.total
    dated = sum(counts["year"].values())
    assert dated <= result.total and (cleaned.year_from is None and cleaned.year_to is None or dated == result.total)
    answer = result.answer
    assert 0 <= answer.documents <= result.total and answer.results == result.total
    if not cleaned.council:  # the councils counted did the practice, so each is among the council facet's values
        assert answer.councils <= sum(1 for count in counts["council"].values() if count)
    assert (answer.documents > 0) <= (not answer.missing)


@settings(max_examples=60, deadline=None)
@given(request=search_requests(1), data=st.data())
def test_a_facet_count_is_the_total_that_choosing_it_gives(library, request, data):
    for tried in (request, SearchRequest(query=request.query)):  # filters that together match nothing: drop them
        result = library.search(tried)
        cleaned = result.request
        open_facets = [name for name in ("theme", "council", "type", "region") if not cleaned.selected(name)]
        if cleaned.year_from is None and cleaned.year_to is None:
            open_facets.append("year")
        open_facets = [name for name in open_facets if result.facets[name]]
        if open_facets:
            break
    assume(open_facets and not retried(result))
    name = data.draw(st.sampled_from(open_facets))
    value = data.draw(st.sampled_from(result.facets[name]))
    if name == "year":
        narrowed = replace(cleaned, year_from=int(value.value), year_to=int(value.value), page=1)
    else:
        narrowed = replace(cleaned, page=1, **{name: (value.value,)})
    assert library.search(narrowed).total == value.count


@settings(max_examples=60, deadline=None)
@given(request=search_requests(2), data=st.data())
def test_filters_are_sets_and_a_year_range_has_no_direction(library, request, data):
    result = library.search(request)
    assume(not retried(result))
    shuffled = {name: tuple(data.draw(st.permutations(getattr(request, name)))) * 2 for name in FILTER_VALUES}
    years = (request.year_to, request.year_from) if None not in (request.year_from, request.year_to) else ()
    same = replace(request, **shuffled, **dict(zip(("year_from", "year_to"), years, strict=False)))
    again = library.search(same)
    assert again.total == result.total
    assert {hit.id for hit in again.results} <= {hit.id for hit in library.export(request).results}
    # Choosing one more value in a facet already in use widens the results (OR within a facet).
    name = data.draw(st.sampled_from(list(FILTER_VALUES)))
    if result.request.selected(name):
        extra = data.draw(st.sampled_from(FILTER_VALUES[name]))
        widened = library.search(replace(request, **{name: (*getattr(request, name), extra)}))
        assert widened.total >= result.total


@settings(max_examples=60, deadline=None)
@given(request=search_requests(2))
def test_each_page_is_its_slice_of_the_full_result_list(library, request):
    result = library.search(request)
    assume(not retried(result))
    everything = [hit.id for hit in library.export(request).results]
    assert len(everything) == result.total
    start = (result.page - 1) * result.per_page
    assert [hit.id for hit in result.results] == everything[start : start + result.per_page]


# --- URL parameters ----------------------------------------------------------------------------------------------

NAMES = ["q", "theme", "council", "type", "region", "from", "to", "sort", "page", "per_page", "x", "", "Q", "q[]"]
url_values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "housing", " housing ", "croydon", "2016", "2016 ", "0", "-1", "99999999999999999999", "9" * 5000,
                     "٣", "²", "1_000", "newest", "<script>", "\x00", "%", "%zz", "%ff", "%c3%28", "&", "=", "+", "#"]),
    st.text(min_size=190, max_size=210),
    st.builds(lambda ch, n: ch * n, st.sampled_from("a%é\x00"), st.integers(1_000, 6_000)),
)  # fmt: skip
pairs = st.lists(st.tuples(st.sampled_from(NAMES) | st.text(max_size=6), url_values), max_size=10)


def query_string(items: list[tuple[str, str]], raw: bool) -> str:
    """Encode parameters properly, or glue them together raw so stray '%', '&' and '=' reach the parser."""
    if not raw:
        return urlencode(items)
    return "&".join(f"{quote(name, safe='%&=')}={quote(value, safe='%&=+')}" for name, value in items)


path_segments = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["croydon", "housing", "2016/croydon-housing-commission", "Croydon Council", "..", "../..", ".",
                     "%2e%2e", "%00", "a%2Fb", "%", "council", "theme", "year", "type", "\u202e", "x" * 3000]),
)  # fmt: skip
PAGES = [
    "/search", "/api/search", "/search.csv", "/search.atom", "/search/facet/{}", "/doc/{}", "/council/{}",
    "/theme/{}", "/api/documents/{}", "/doc/{}/cite.bib", "/doc/2016/croydon-housing-commission/cite.{}",
]  # fmt: skip


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(PAGES), segment=path_segments, items=pairs, raw=st.booleans())
@example(page="/search", segment="", items=[("from", "²")], raw=False)
@example(page="/api/search", segment="", items=[("page", "9" * 5000)], raw=False)
@example(page="/council/{}", segment="croydon", items=[("page", "¹")], raw=False)
@example(page="/search", segment="", items=[("page", "٣")], raw=False)
def test_any_address_gets_a_page_a_redirect_or_a_friendly_4xx_never_a_500(client, page, segment, items, raw):
    path = page.format(quote(segment, safe="/%"))
    response = client.get(f"{path}?{query_string(items, raw)}")
    status = response.status_code
    assert status in (200, 301, 302, 308, 400, 404), (path, items, status)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if status >= 400:
        if path.startswith("/api/"):
            error = response.get_json()["error"]
            assert error["status"] == status and error["message"]
        else:
            soup = BeautifulSoup(body, "html.parser")
            assert soup.h1 is not None and soup.select_one("p.lead").get_text(strip=True)


def parsed(app, query: str, path: str = "/search"):  # type: ignore[no-untyped-def]
    """The SearchRequest the app reads from a query string, or the BadParameter it refuses it with."""
    from webui.params import BadParameter, search_request

    with app.test_request_context(f"{path}?{query}"):
        from flask import request

        try:
            return search_request(request.args), request.args.copy()
        except BadParameter as exc:
            return exc, request.args.copy()


@settings(max_examples=150, deadline=None)
@given(items=pairs, raw=st.booleans())
@example(items=[("q", ""), ("q", "housing")], raw=False)
@example(items=[("sort", ""), ("sort", "newest")], raw=False)
@example(items=[("from", ""), ("from", "2016")], raw=False)
@example(items=[("page", ""), ("page", "3")], raw=False)
def test_a_link_built_from_a_search_reads_back_as_the_same_search(app, items, raw):
    from webui.params import BadParameter
    from webui.urls import search_url

    wanted, args = parsed(app, query_string(items, raw))
    if isinstance(wanted, BadParameter):
        # The error page offers the search without the bad parameter; that link must not fail on it again.
        retry = search_url(args, remove=(wanted.name, None))
        again, _ = parsed(app, retry.partition("?")[2])
        assert not (isinstance(again, BadParameter) and again.name == wanted.name), (retry, again)
        return
    link = search_url(args, page=str(wanted.page) if wanted.page > 1 else None)
    again, _ = parsed(app, link.partition("?")[2])
    assert again == wanted, link


@settings(max_examples=100, deadline=None)
@given(items=pairs.filter(lambda found: all(v == v.strip() for _, v in found)), data=st.data())
def test_toggling_a_facet_value_twice_gives_back_the_same_search(app, items, data):
    from webui.params import BadParameter
    from webui.urls import toggle_url

    wanted, args = parsed(app, urlencode(items))
    assume(not isinstance(wanted, BadParameter))
    name = data.draw(st.sampled_from(["theme", "council", "type", "region"]))
    value = data.draw(st.sampled_from([*getattr(wanted, name), *FILTER_VALUES[name][:3]]))
    on = toggle_url(args, name, value)
    toggled, toggled_args = parsed(app, on.partition("?")[2])
    assert (value in getattr(toggled, name)) != (value in getattr(wanted, name))
    off = toggle_url(toggled_args, name, value)
    back, _ = parsed(app, off.partition("?")[2])
    assert {n: set(getattr(back, n)) for n in FILTER_VALUES} == {n: set(getattr(wanted, n)) for n in FILTER_VALUES}
    assert replace(back, page=1, **{n: () for n in FILTER_VALUES}) == replace(
        wanted, page=1, **{n: () for n in FILTER_VALUES}
    )


FEED_ENTRIES = 50


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.lists(
        st.tuples(st.sampled_from(["q", "theme", "council", "type", "region", "from", "to", "sort"]),
                  st.sampled_from(["2014", "2019", "newest", "2016 ", "x"]) | likely_queries
                  | st.sampled_from([v for values in FILTER_VALUES.values() for v in values])),
        max_size=5,
    )
)  # fmt: skip
def test_the_csv_and_the_feed_hold_the_results_the_api_counts(client, items):
    query = urlencode(items)
    api = client.get(f"/api/search?{query}")
    exported = client.get(f"/search.csv?{query}")
    feed = client.get(f"/search.atom?{query}")
    assert api.status_code == exported.status_code == feed.status_code
    if api.status_code == 400:
        return
    total = api.get_json()["total"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) - 1 == total and len({row[0] for row in rows[1:]}) == total
    entries = ElementTree.fromstring(feed.data).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == min(total, FEED_ENTRIES)


def test_the_remove_chip_of_a_value_written_with_spaces_removes_it(app, client):
    wanted, _ = parsed(app, "theme=+housing+")
    assert wanted.theme == ("housing",)
    soup = BeautifulSoup(client.get("/search?theme=+housing+").get_data(as_text=True), "html.parser")
    chip = soup.select_one("a.chip")["href"]
    after, _ = parsed(app, chip.partition("?")[2])
    assert "housing" not in after.theme, chip


def test_the_filter_values_tried_above_include_real_ones(vocab):
    known = {"theme": vocab.themes, "council": vocab.councils, "type": vocab.doc_types, "region": REGIONS}
    for name, values in FILTER_VALUES.items():
        assert len(set(values) & set(known[name])) >= 4, name
