"""Every reader, on good files and on each kind of bad one."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from library.errors import ParseError
from library.readers import read_file
from tests.helpers import pdf_bytes, write_markdown

LIMIT = 1_000_000


def read(path: Path):
    return read_file(path, path.name, LIMIT)


def test_markdown_front_matter_and_body(tmp_path):
    path = write_markdown(
        tmp_path,
        "a.md",
        "# Heading\n\nA **bold** [link](http://x) and list:\n\n- one",
        title="T",
        year=2016,
        colour="blue",
    )
    raw = read(path)
    assert raw.meta == {"title": "T", "year": 2016, "colour": "blue"}
    assert raw.found_title == "Heading"
    assert "A bold link and list" in raw.body and "one" in raw.body and "**" not in raw.body


def test_markdown_without_front_matter(tmp_path):
    path = tmp_path / "plain.md"
    path.write_text("Just words about co-operative housing.\n", encoding="utf-8")
    assert read(path).meta == {}


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"---\ntitle: [unclosed\n---\nbody", "malformed YAML"),
        (b"---\ntitle: x\nbody without a closing fence", "never closed"),
        (b"", "is empty"),
        (b"\x00\x01\x02\x03binary\x00junk" * 20, "binary data"),
        (b"---\n- just\n- a list\n---\nbody", "key: value"),
        (b"---\ntitle: !!python/object/apply:os.system ['true']\n---\nbody", "Python objects"),
        (b"---\na: &a [x, x]\nb: [*a, *a]\n---\nbody", "aliases"),
    ],
    ids=["malformed-yaml", "unclosed", "empty", "binary", "not-a-mapping", "python-tag", "aliases"],
)
def test_markdown_bad_input_names_the_problem(tmp_path, content, reason):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(ParseError) as caught:
        read(path)
    assert caught.value.path == "bad.md"
    assert reason in caught.value.reason


def test_malformed_yaml_reports_the_line(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: ok\nthemes: [a, b\nyear: 2016\n---\nbody", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        read(path)
    assert caught.value.line in (3, 4, 5)


@pytest.mark.parametrize("first", ["title: ok", "title: ok *"])  # libyaml, and the guarded pure-Python loader
@pytest.mark.parametrize("last", ["themes: [a, b", 'summary: "never closed'])
def test_an_unclosed_bracket_or_quote_on_the_last_line_is_reported_on_that_line(tmp_path, first, last):
    path = tmp_path / "bad.md"
    path.write_text(f"---\n{first}\n{last}\n---\nbody", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        read(path)
    assert caught.value.line == 3


def test_a_control_character_in_front_matter_is_named_with_its_line(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text("---\ntitle: ok\nsummary: a\x01b\n---\nbody", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        read(path)
    assert caught.value.line == 3 and "U+0001 is not allowed" in caught.value.reason
    assert "\n" not in caught.value.reason


def test_windows_1252_is_read_with_a_warning(tmp_path):
    path = tmp_path / "old.md"
    path.write_bytes("---\ntitle: Caf\xe9 co-op\n---\nIt\x92s a \x93quoted\x94 text.".encode("latin-1"))
    raw = read(path)
    assert raw.meta["title"] == "Café co-op"
    assert "It’s a “quoted” text." in raw.body
    assert any("Windows-1252" in w for w in raw.warnings)


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "huge.md"
    path.write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(ParseError, match="over the 100-byte limit"):
        read_file(path, "huge.md", 100)


def test_symlink_loop_is_reported(tmp_path):
    os.symlink(tmp_path / "b.md", tmp_path / "a.md")
    os.symlink(tmp_path / "a.md", tmp_path / "b.md")
    with pytest.raises(ParseError, match="loops back"):
        read(tmp_path / "a.md")


PRESS_RELEASE = """<!doctype html><html><head><title>News | Council</title>
<meta property="og:title" content="Council opens co-operative food hub">
<meta property="article:published_time" content="2019-06-21T09:00:00Z">
<style>body {color: red}</style><script>var tracking = "secret-tracker";</script></head>
<body><header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/bins">Bins and recycling</a></nav></header>
<div class="cookie-banner">We use cookies to improve this site. Accept all cookies</div>
<main><article><h1>Food hub opens</h1><p>The council and local growers opened a co-operative food hub today,
selling fresh produce grown by residents on allotments across the borough, with profits shared among members.</p></article></main>
<aside class="related">Related: parking permits</aside>
<footer>Copyright the council. Accessibility statement.</footer><script>console.log('footer')</script></body></html>"""


def test_html_press_release(tmp_path):
    path = tmp_path / "release.html"
    path.write_text(PRESS_RELEASE, encoding="utf-8")
    raw = read(path)
    assert raw.found_title == "Council opens co-operative food hub"
    assert raw.found_date.startswith("2019-06-21")
    assert "co-operative food hub today" in raw.body
    for chrome in (
        "cookies",
        "Bins and recycling",
        "secret-tracker",
        "color: red",
        "Copyright",
        "parking permits",
        "console.log",
    ):
        assert chrome not in raw.body


def test_html_title_and_date_fallbacks(tmp_path):
    path = tmp_path / "r.html"
    body = "<p>" + "Residents and the council worked together on a community energy scheme. " * 3 + "</p>"
    path.write_text(
        f"<html><head><title>Page title</title></head><body><h1>Heading title</h1><p>Published 3 October 2018</p>{body}</body></html>",
        encoding="utf-8",
    )
    raw = read(path)
    assert raw.found_title == "Heading title"
    assert raw.found_date == "2018-10-03"
    path.write_text(
        f"<html><head><title>Only title</title></head><body><time datetime='2016-07-05'>5 July</time>{body}</body></html>",
        encoding="utf-8",
    )
    raw = read(path)
    assert (raw.found_title, raw.found_date) == ("Only title", "2016-07-05")


def test_html_that_is_all_navigation_is_refused(tmp_path):
    path = tmp_path / "nav.html"
    path.write_text(
        "<html><body><nav>Home News Contact</nav><div id='cookie-consent'>Accept cookies</div><footer>Footer</footer></body></html>",
        encoding="utf-8",
    )
    with pytest.raises(ParseError, match="all navigation"):
        read(path)


ARTICLE = (
    "<h1>Residents run the community centre</h1>"
    "<p>Residents of the Northfield estate have formed a co-operative to take over the running of their"
    " community centre from the council next spring.</p>"
    "<p>The council will lease the building to the co-operative for a peppercorn rent and provide a"
    " start-up grant for the first three years.</p>"
)


@pytest.mark.parametrize(
    "wrapper",
    ['<div class="shared-services-news">{}</div>', '<div class="layout has-sidebar"><div>{}</div></div>'],
    ids=["share-in-class", "sidebar-in-class"],
)
def test_html_article_in_an_element_named_like_chrome_is_read(tmp_path, wrapper):
    path = tmp_path / "release.html"
    page = "<html><head><title>News</title></head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>{}"
    path.write_text(page.format(wrapper.format(ARTICLE)) + "<footer>Copyright</footer></body></html>", encoding="utf-8")
    raw = read(path)
    assert raw.found_title == "Residents run the community centre"
    assert "formed a co-operative to take over the running" in raw.body
    assert "start-up grant for the first three years" in raw.body
    assert "Copyright" not in raw.body and "Home" not in raw.body


NOTICE = "Central Library will close on Friday 12 July for roof repairs and will reopen the following Monday morning."
MENU = "<header><nav><a href='/'>Home</a> | <a href='/bins'>Bins and recycling</a> | <a href='/tax'>Council tax</a></nav></header>"


@pytest.mark.parametrize(
    "main",
    ["<main>{}</main>", "<article>{}</article>", "<div role='main'>{}</div>"],
    ids=["main", "article", "role-main"],
)
def test_html_short_notice_marked_as_the_main_content_is_read(tmp_path, main):
    path = tmp_path / "notice.html"
    dated = NOTICE.replace("Friday 12 July", "<time datetime='2024-07-12'>Friday 12 July</time>")
    notice = main.format(f"<h1>Library closure</h1><p>{dated}</p>")
    path.write_text(f"<html><body>{MENU}{notice}<footer>Contact us</footer></body></html>", encoding="utf-8")
    raw = read(path)
    assert raw.body == NOTICE and len(raw.body.split()) == 18
    assert (raw.found_title, raw.found_date) == ("Library closure", "2024-07-12")


@pytest.mark.parametrize(
    "content",
    [
        f"<div><p>{NOTICE}</p></div>",  # short, and not marked as the page's main content
        "<main><h1>Page not found</h1><p>Sorry, we could not find that page.</p></main>",
        "<main><p>Loading</p></main>",
    ],
    ids=["short-outside-main", "not-found", "loading"],
)
def test_html_with_too_little_text_is_refused(tmp_path, content):
    path = tmp_path / "short.html"
    path.write_text(f"<html><body>{MENU}{content}<footer>Contact us</footer></body></html>", encoding="utf-8")
    with pytest.raises(ParseError, match="all navigation"):
        read(path)


COUNCIL_CHROME_TOP = """<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Tenants form first housing co-operative | News | Example Borough Council</title>
<meta name="viewport" content="width=device-width"><link rel="stylesheet" href="/css/site.css">
<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}</script></head>
<body class="news-page">
<a class="skip-link" href="#content">Skip to main content</a>
<div class="cookie-banner" role="region" aria-label="Cookies on this site"><p>We use some essential cookies to make
this website work. We would like to set additional cookies to understand how you use the site.</p>
<button class="cookie-accept">Accept additional cookies</button><button class="cookie-reject">Reject additional cookies</button></div>
<header class="site-header"><a class="logo" href="/">Example Borough Council</a>
<nav class="main-menu" aria-label="Main"><ul><li><a href="/">Home</a> |</li><li><a href="/bins">Bins and recycling</a> |</li>
<li><a href="/council-tax">Council tax</a> |</li><li><a href="/housing">Housing</a></li></ul></nav>
<form class="site-search" action="/search"><label for="q">Search this site</label><input id="q" name="q"><button>Search</button></form></header>
<nav class="breadcrumb" aria-label="Breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/news">News and press releases</a></li>
<li>Tenants form first housing co-operative</li></ol></nav>
<div class="page-layout has-sidebar">"""
COUNCIL_ARTICLE = """<main id="content"><article class="news-article">
<h1>Tenants form first housing co-operative</h1>
<p class="meta">Published 14 March 2024</p>
<p>Tenants on the Hillside estate have voted to form the borough's first tenant management co-operative, taking
over repairs, cleaning and the letting of empty homes from the council in April.</p>
<p>The council will pay the co-operative a yearly management allowance and keep ownership of the 240 homes. An
elected committee of residents will decide how the money is spent, with training from the regional federation.</p>
<blockquote><p>"People who live here know what needs fixing first," said the chair of the new co-operative.</p></blockquote>
<p>The cabinet member for housing said other estates had already asked how they could follow Hillside's lead.</p>
<div class="share-links"><h2>Share this page</h2><ul><li><a href="https://facebook.com/share">Share on Facebook</a></li>
<li><a href="https://x.com/share">Share on X</a></li><li><a href="mailto:?body=link">Email a friend</a></li></ul></div>
</article></main>"""
COUNCIL_CHROME_BOTTOM = """<aside class="related-links"><h2>Related pages</h2><ul><li><a href="/parking">Apply for a parking
permit</a></li><li><a href="/missed-bin">Report a missed bin collection</a></li><li><a href="/rent">Pay your rent online</a></li></ul></aside>
</div>
<div class="feedback"><form action="/feedback"><p>Was this page useful?</p><button>Yes</button><button>No</button></form></div>
<footer class="site-footer"><ul><li><a href="/contact">Contact us</a></li><li><a href="/accessibility">Accessibility statement</a></li>
<li><a href="/privacy">Privacy notice</a></li></ul><p>&copy; Example Borough Council 2024</p></footer>
<script src="/js/site.js"></script><script>gtag('config', 'G-TRACKER');</script></body></html>"""


def test_html_council_press_release_yields_only_the_article(tmp_path):
    path = tmp_path / "tenants.html"
    path.write_text(COUNCIL_CHROME_TOP + COUNCIL_ARTICLE + COUNCIL_CHROME_BOTTOM, encoding="utf-8")
    raw = read(path)
    assert raw.found_title == "Tenants form first housing co-operative"
    assert raw.found_date == "2024-03-14"
    for sentence in (
        "Tenants on the Hillside estate have voted to form the borough's first tenant management co-operative",
        "An elected committee of residents will decide how the money is spent",
        "People who live here know what needs fixing first",
        "other estates had already asked how they could follow Hillside's lead.",
    ):
        assert sentence in " ".join(raw.body.split())
    for chrome in (
        "Home",
        "Bins and recycling",
        "Council tax",
        "Housing",
        "cookies",
        "Skip to main content",
        "Search this site",
        "News and press releases",
        "Share on Facebook",
        "Email a friend",
        "parking",
        "missed bin",
        "Was this page useful",
        "Accessibility statement",
        "Example Borough Council",
        "gtag",
    ):
        assert chrome not in raw.body, chrome
    paragraphs = raw.body.split("\n\n")
    assert len(paragraphs) >= 4 and paragraphs[0].startswith("Tenants on the Hillside estate")


def test_html_council_page_without_its_article_is_refused(tmp_path):
    path = tmp_path / "no-article.html"
    path.write_text(COUNCIL_CHROME_TOP + COUNCIL_CHROME_BOTTOM, encoding="utf-8")
    with pytest.raises(ParseError, match="all navigation") as caught:
        read(path)
    assert caught.value.path == "no-article.html"


def test_html_article_laid_out_in_a_table_without_paragraphs_is_read(tmp_path):
    path = tmp_path / "old-site.html"
    article = (
        "Residents of the Northfield estate have formed a co-operative to run their community centre.<br>"
        "The council will lease the building for a peppercorn rent and provide a start-up grant."
    )
    path.write_text(
        "<html><head><title>Council news</title></head><body><table><tr>"
        "<td class='menu'><a href='/'>Home</a><br><a href='/bins'>Bins and recycling</a></td>"
        f"<td><b>Community centre</b><br>{article}</td></tr></table></body></html>",
        encoding="utf-8",
    )
    body = " ".join(read(path).body.split())
    assert "formed a co-operative to run their community centre." in body and "peppercorn rent" in body


def test_html_fragment_without_an_html_element_is_read(tmp_path):
    path = tmp_path / "fragment.html"
    path.write_text(f"<article>{ARTICLE}</article>", encoding="utf-8")
    assert "peppercorn rent" in read(path).body


def test_html_extraction_writes_nothing_to_stderr_or_the_log(tmp_path, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    good, bad = tmp_path / "good.html", tmp_path / "bad.html"
    good.write_text(COUNCIL_CHROME_TOP + COUNCIL_ARTICLE + COUNCIL_CHROME_BOTTOM, encoding="utf-8")
    bad.write_text(COUNCIL_CHROME_TOP + COUNCIL_CHROME_BOTTOM, encoding="utf-8")
    read(good)
    with pytest.raises(ParseError):
        read(bad)
    assert capfd.readouterr().err == ""
    assert not [record for record in caplog.records if record.name.startswith("trafilatura")]


@pytest.mark.parametrize("markup", ["<![ ", "<html><body><![if x <p>text</p></body></html>"])
def test_html_the_parser_rejects_is_refused_with_its_name(tmp_path, markup):
    path = tmp_path / "broken.html"
    path.write_text(markup, encoding="utf-8")
    with pytest.raises(ParseError) as raised:
        read(path)
    assert "broken.html" in str(raised.value)


def test_html_sidecar_metadata(tmp_path):
    path = tmp_path / "release.html"
    path.write_text(PRESS_RELEASE, encoding="utf-8")
    (tmp_path / "release.yaml").write_text("type: press-release\nthemes: [food]\n", encoding="utf-8")
    assert read(path).meta == {"type": "press-release", "themes": ["food"]}


def test_pdf_text_per_page_and_sidecar(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(
        pdf_bytes(["First page about co-operative energy.", "Second page about housing."], title="A Report")
    )
    (tmp_path / "report.yaml").write_text("title: The Report\nyear: 2019\n", encoding="utf-8")
    raw = read(path)
    assert "First page about co-operative energy." in raw.body and "Second page about housing." in raw.body
    assert raw.found_title == "A Report"
    assert raw.meta["title"] == "The Report"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nxref\ngarbage", "PDF"),
        (b"this is not a pdf at all", "not a PDF"),
    ],
    ids=["zero-byte", "corrupt", "not-a-pdf"],
)
def test_bad_pdfs_are_refused(tmp_path, content, reason):
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(ParseError, match=reason):
        read(path)


def test_encrypted_pdf_is_refused(tmp_path):
    from pypdf import PdfReader, PdfWriter

    source = tmp_path / "plain.pdf"
    source.write_bytes(pdf_bytes(["Secret co-operative plans."]))
    writer = PdfWriter()
    for page in PdfReader(source).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    with pytest.raises(ParseError, match="encrypted"):
        read(path)


def test_plain_text_first_line_is_the_title(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Events of the year\n\nA list of events in Croydon and Bristol.\n", encoding="utf-8")
    raw = read(path)
    assert raw.found_title == "Events of the year"
    assert raw.body.startswith("A list of events")


def test_control_and_direction_characters_are_dropped(tmp_path):
    path = write_markdown(tmp_path, "x.md", "Body\u202e text\x07 here", title="x")
    assert read(path).body == "Body text here"


meta_values = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(str.strip)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=meta_values, summary=meta_values, councils=st.lists(meta_values, max_size=3))
def test_front_matter_round_trips(tmp_path, title, summary, councils):
    path = write_markdown(tmp_path, "round.md", "Body text.", title=title, summary=summary, councils=councils)
    meta = read(path).meta
    assert meta["title"] == title and meta["summary"] == summary and meta["councils"] == councils


def test_an_html_page_too_big_to_parse_safely_is_refused_before_parsing(tmp_path):
    from library.readers.html import MAX_HTML_BYTES

    path = tmp_path / "huge.html"
    path.write_bytes(b"<html><body>" + b"<i>x</i>" * (MAX_HTML_BYTES // 8) + b"</body></html>")
    with pytest.raises(ParseError) as caught:
        read_file(path, "huge.html", 10 * MAX_HTML_BYTES)
    assert "pages over" in caught.value.reason


def test_a_sidecar_is_found_the_same_from_a_folder_listing_as_from_the_file_system(tmp_path):
    from library.readers import sidecar_for

    for name in ("a.md", "a.yaml", "b.html", "b.html.yml", "c.txt", "c.yml", "c.txt.yaml", "d", "d.yaml", "e.pdf"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / "e.yaml").mkdir()  # a folder is not a sidecar
    (tmp_path / "f.md").write_text("x", encoding="utf-8")
    (tmp_path / "f.yaml").symlink_to(tmp_path / "missing.yaml")  # nor is a link to nothing
    names = frozenset(os.listdir(tmp_path))
    found = {}
    for name in ("a.md", "b.html", "c.txt", "d", "e.pdf", "f.md"):
        path = tmp_path / name
        assert sidecar_for(path, names) == sidecar_for(path), name
        found[name] = sidecar_for(path, names)
    assert {k: v.name for k, v in found.items() if v} == {
        "a.md": "a.yaml", "b.html": "b.html.yml", "c.txt": "c.txt.yaml", "d": "d.yaml",
    }  # fmt: skip
