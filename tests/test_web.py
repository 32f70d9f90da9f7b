"""The web pages, through the real Flask app over a real index, checked by parsing the HTML."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import write_markdown

CROYDON = "2016/croydon-housing-commission"


def page(client, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(soup: BeautifulSoup, selector: str) -> str:
    found = soup.select_one(selector)
    assert found is not None, selector
    return " ".join(found.get_text(" ").split())


def result_ids(soup: BeautifulSoup) -> list[str]:
    return [a["href"].removeprefix("/doc/") for a in soup.select(".result-title a")]


def facet_boxes(soup: BeautifulSoup, name: str) -> dict[str, tuple[bool, str]]:
    return {
        box["value"]: (box.has_attr("checked"), text(soup, f'label[for="{box["id"]}"]'))
        for box in soup.select(f'input[type=checkbox][name="{name}"]')
    }


def test_home_has_search_browse_lists_recent_and_last_indexed(client):
    soup = page(client, "/")
    assert soup.select_one("form[role=search] input[name=q]")
    headings = [h.get_text() for h in soup.select("h2")]
    for wanted in ("Recently added", "Browse by theme", "Browse by council", "Browse by region"):
        assert wanted in headings
    assert len(soup.select("section[aria-labelledby=recent-heading] .result")) == 6
    assert soup.select_one('a[href="/theme/housing"]')
    assert soup.select_one('a[href="/council/plymouth"]')
    assert soup.select_one('a[href="/search?region=london"]')
    assert "Last indexed" in text(soup, ".indexed") and "68 documents" in text(soup, ".indexed")


def test_the_precedent_question_gets_an_answer_line_and_the_precedent_first(client):
    soup = page(client, "/search?q=has+any+council+set+up+a+housing+commission%3F")
    assert result_ids(soup)[0] == CROYDON
    answer = text(soup, "h1#answer")
    assert re.match(r"\d+ documents? from \d+ councils? mentions? both “housing” and “commission”\.", answer), answer
    assert text(soup, ".dropped") == "Left out as question words: has, any, council, set, up, a."
    assert soup.select_one("#result-status[role=status][aria-live=polite]") is not None


def test_every_page_describes_itself_for_search_engines_and_link_previews(client):
    """A page's meta description says what it holds: the library on most pages, a document's own summary on
    its page, and on a search page the same honest answer line the page leads with."""
    home = page(client, "/").select_one('meta[name="description"]')["content"]
    assert home.startswith("Case studies, policy lab reports") and "\n" not in home
    doc = page(client, f"/doc/{CROYDON}")
    assert doc.select_one('meta[name="description"]')["content"] == text(doc, "p.lead")[:300]
    search = page(client, "/search?q=housing+commission")
    assert search.select_one('meta[name="description"]')["content"] == search.select_one("h1#answer").contents[0]
    nothing = page(client, "/search?q=spaceport")
    assert nothing.select_one('meta[name="description"]')["content"] == "No document mentions “spaceport”."


def test_snippets_are_highlighted(client):
    soup = page(client, "/search?q=housing+commission")
    marks = [m.get_text().lower() for m in soup.select(".snippet mark")]
    assert "housing" in marks and "commission" in marks


def test_facet_checkboxes_show_counts_and_selection_and_can_be_removed(client):
    soup = page(client, "/search?q=co-operative&theme=housing&theme=energy&council=plymouth")
    themes = facet_boxes(soup, "theme")
    assert themes["housing"][0] and themes["energy"][0]
    assert not themes["co-operative-economy"][0]
    assert "(" in themes["co-operative-economy"][1]  # a count beside every value
    assert facet_boxes(soup, "council")["plymouth"][0]
    chips = {a.get_text(" ", strip=True): a["href"] for a in soup.select(".chips a")}
    remove_housing = next(href for label, href in chips.items() if "Housing" in label)
    assert "theme=housing" not in remove_housing and "theme=energy" in remove_housing
    assert "council=plymouth" in remove_housing and "q=co-operative" in remove_housing
    clear = soup.find("a", string="Clear all filters")
    assert clear["href"] == "/search?q=co-operative"


def test_a_facet_page_lists_every_value_and_keeps_the_rest_of_the_search(client):
    soup = page(client, "/search/facet/council?q=co-operative&theme=housing&council=plymouth&sort=newest&page=2")
    form = soup.select_one("form#search-form")
    assert form["action"] == "/search" and form["method"] == "get"
    kept = [(i["name"], i["value"]) for i in form.select("input[type=hidden]")]
    assert kept == [("q", "co-operative"), ("theme", "housing"), ("sort", "newest")]
    assert text(soup, "h1").startswith("1 council in ") or " councils in " in text(soup, "h1")
    councils = facet_boxes(soup, "council")
    overview = page(client, "/search?q=co-operative&theme=housing&council=plymouth")
    assert councils == facet_boxes(overview, "council")
    assert councils["plymouth"][0] and sum(checked for checked, _ in councils.values()) == 1
    page(client, "/search/facet/year", 404)
    page(client, "/search/facet/..%2Fsecrets", 404)


def test_a_long_facet_lists_the_first_values_and_links_to_the_rest(tmp_path, make_app):
    from bench.corpus import CorpusGenerator
    from indexer import run_indexer
    from webui.templating import FACET_LISTED

    corpus = CorpusGenerator(seed=4).write(tmp_path / "corpus", 300)
    run_indexer(corpus, tmp_path / "index")
    client = make_app(tmp_path / "index", corpus).test_client()
    soup = page(client, "/search")
    assert len(facet_boxes(soup, "council")) == FACET_LISTED
    link = soup.select_one("#facet-council .all-values a")
    assert link is not None and link["href"].startswith("/search/facet/council")
    everything = page(client, link["href"])
    assert len(facet_boxes(everything, "council")) > FACET_LISTED
    assert soup.select_one("#facet-theme .all-values a") is None


def test_filtered_results_match_every_filter(client, app):
    soup = page(client, "/search?theme=food&region=south-west")
    library = app.extensions["library"]
    for doc_id in result_ids(soup):
        doc = library.document(doc_id)
        assert "food" in doc.theme_ids
        regions = {library.vocab.councils[c].region_id for c in doc.council_ids}
        assert "south-west" in regions


def test_year_range_sort_and_pagination_links_keep_state(client):
    soup = page(client, "/search?q=co-operative&from=2015&to=2019&sort=newest")
    years = [int(y) for y in (s.get_text() for s in soup.select(".result-meta span")) if y.isdigit()]
    assert years and all(2015 <= y <= 2019 for y in years) and years == sorted(years, reverse=True)
    next_link = soup.select_one(".pagination a[rel=next]")
    assert next_link is not None
    href = next_link["href"]
    assert all(part in href for part in ("q=co-operative", "from=2015", "to=2019", "sort=newest", "page=2"))
    second = page(client, href)
    assert second.select_one(".pagination a[aria-current=page]").get_text() == "2"
    assert second.select_one("ol.results")["start"] == "11"
    assert second.select_one("#sort option[selected]")["value"] == "newest"


def test_did_you_mean_and_notices(client):
    soup = page(client, "/search?q=Sunderlnd+cooperitive")  # no document holds either word: corrected, and said so
    assert "these are the results for “Sunderland cooperative”" in text(soup, ".notice")
    assert result_ids(soup) and soup.select_one(".suggestion") is None
    soup = page(client, "/search?q=housing+Plymuth")  # a word that is not a word is corrected even beside real ones
    assert "No document mentions “Plymuth”, so these are the results for “housing Plymouth”." in text(soup, ".notice")
    assert soup.select_one("input#q")["value"] == "housing Plymuth"
    soup = page(client, "/search?q=%22housing")
    assert "plain words" in text(soup, ".notice")


def test_no_results_page_helps(client):
    soup = page(client, "/search?q=zzzzqqqq&theme=housing")
    assert text(soup, "h1#answer").startswith("No document mentions “zzzzqqqq”.")
    assert soup.find("a", string="Search again without filters")


def test_search_form_works_without_javascript(client):
    soup = page(client, "/search?q=food")
    form = soup.select_one("form#search-form")
    assert form["method"] == "get" and form["action"] == "/search"
    for box in soup.select("#facet-panel input"):
        assert box["form"] == "search-form"
    assert soup.select_one("button[type=submit][form=search-form]")


def test_document_page_has_metadata_text_related_and_citation(client):
    soup = page(client, f"/doc/{CROYDON}")
    assert text(soup, "h1") == "Croydon Housing Commission"
    meta = {dt.get_text(): dt.find_next_sibling("dd") for dt in soup.select(".doc-meta dt")}
    assert meta["Led by"].select_one('a[href="/council/croydon"]')
    assert meta["Themes"].select_one('a[href="/theme/housing"]')
    assert "Croydon Council" in meta["Who to contact"].get_text()
    assert "Partners" not in meta  # the builders and landowners were to be consulted, not partners
    assert "The Year Ahead 2016/17" in text(soup, ".provenance-note")
    assert "Policy Lab" in text(soup, ".doc-type") and "2016" in text(soup, ".doc-type")
    assert "Housing Commission" in text(soup, ".doc-body")
    assert soup.select(".doc-body h3"), "section headings of the text are shown as headings"
    assert soup.select("section[aria-labelledby=related-heading] li")
    assert CROYDON not in [a["href"] for a in soup.select("section[aria-labelledby=related-heading] a")]
    assert soup.select_one("#council-more-heading") and soup.select_one("#theme-more-heading")
    assert "Co-operative Practice Library (2026). Croydon Housing Commission." in text(soup, ".citation")
    assert soup.select_one(f'a[href="/doc/{CROYDON}/cite.bib"]') and soup.select_one(
        f'a[href="/doc/{CROYDON}/cite.ris"]'
    )


def test_council_page(client):
    soup = page(client, "/council/croydon")
    assert text(soup, "h1") == "London Borough of Croydon"
    assert "London" in text(soup, ".doc-meta") and "London borough" in text(soup, ".doc-meta")
    assert CROYDON in result_ids(soup)
    assert soup.select_one('a[href="/search?council=croydon&theme=housing"]')


def test_council_page_for_a_name_redirects_and_for_a_register_council_without_documents(client):
    response = client.get("/council/Croydon")
    assert response.status_code == 301 and response.headers["Location"].endswith("/council/croydon")
    soup = page(client, "/council/rutland")
    assert "No documents" in soup.get_text()


def test_theme_page_and_lists(client):
    soup = page(client, "/theme/housing")
    assert text(soup, "h1") == "Housing" and CROYDON in result_ids(soup)
    assert soup.select_one('a[href="/search?theme=housing&council=croydon"]')
    themes = page(client, "/themes")
    assert len(themes.select(".theme-list > li")) == 27
    councils = page(client, "/councils")
    assert councils.select_one('a[href="/council/plymouth"]')


def test_help_page_explains_the_syntax(client):
    soup = page(client, "/help")
    codes = {c.get_text() for c in soup.select("table.syntax code")}
    assert {"council:plymouth", "housing AND commission", '"community wealth building"'} <= codes


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/search?page=-1", 400, "page"),
        ("/search?page=abc", 400, "page"),
        ("/search?from=abc", 400, "year"),
        ("/search?to=99999", 400, "year"),
        ("/search?theme=" + "&theme=".join(["x"] * 51), 400, "at most"),
        ("/doc/2016/no-such-document", 404, "nothing at this address"),
        ("/council/no-such-council", 404, "nothing at this address"),
        ("/theme/no-such-theme", 404, "nothing at this address"),
        ("/no/such/page", 404, "nothing at this address"),
        ("/council/croydon?page=0", 400, "page"),
    ],
)
def test_bad_parameters_get_a_friendly_page(client, url, status, says):
    soup = page(client, url, status)
    assert says in soup.get_text().lower()
    assert "Traceback" not in str(soup)
    assert soup.select_one("a[href='/']")


def test_a_bad_parameter_page_offers_the_search_without_it(client):
    soup = page(client, "/search?q=food&from=abc", 400)
    link = soup.find("a", string=lambda s: s and "without" in s)
    assert link["href"] == "/search?q=food"


@pytest.mark.parametrize(
    ("url", "notice"),
    [
        ("/search?page=99999&q=housing", "only"),
        ("/search?q=" + "housing+" * 2000, "very long"),
        ("/search?council=no-such-council", "no council"),
        ("/search?sort=sideways", "sorted by relevance"),
        ("/search?from=2020&to=2014", "back to front"),
    ],
)
def test_odd_but_harmless_parameters_get_results_and_a_notice(client, url, notice):
    soup = page(client, url)
    assert notice in text(soup, ".notice").lower()


def test_security_headers_on_every_kind_of_response(client):
    for url in ("/", "/search?q=food", f"/doc/{CROYDON}", "/api/search", "/search.csv", "/search.atom",
                "/healthz", "/nope", "/search?page=-1", "/static/style.css"):  # fmt: skip
        response = client.get(url)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_no_inline_script_or_style_in_any_page(client):
    for url in ("/", "/search?q=food&theme=food", f"/doc/{CROYDON}", "/council/plymouth", "/theme/food", "/help"):
        soup = page(client, url)
        assert all(s.get("src") for s in soup.select("script")), url
        assert not soup.select("style") and not soup.select("[style]"), url
        assert not [t for t in soup.find_all(True) if any(a.startswith("on") for a in t.attrs)], url


def test_an_unexpected_error_gets_the_500_page_without_a_traceback(make_app, bundled_index, tmp_path):
    unready = make_app(tmp_path / "nothing-here")
    response = unready.test_client().get("/search?q=food")
    assert response.status_code == 503
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    assert soup.select_one("h1").get_text() == "The library is not ready yet"
    assert "index has not been built yet" in soup.select_one(".lead").get_text()
    assert unready.test_client().get("/healthz").get_json()["error"]["status"] == 503

    broken = make_app(bundled_index)

    @broken.get("/explode")
    def explode():  # a route that fails, standing in for any bug
        raise RuntimeError("boom")

    response = broken.test_client().get("/explode")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in body
    assert "boom" not in body and "Traceback" not in body


def test_hostile_document_is_escaped_everywhere(corpus_dir, index_dir, make_app):
    from indexer import run_indexer

    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    write_markdown(
        corpus_dir, "2020/hostile.md", f"Housing body text {payload} and <mark>fake mark</mark> here.",
        title=f"Housing {payload}", type="case-study", councils=["croydon"], themes=["housing"], year=2020,
        summary=f"Summary {payload}", source_url="javascript:alert(3)", lead_contact=payload, partners=[payload],
    )  # fmt: skip
    run_indexer(corpus_dir, index_dir)
    client = make_app(index_dir).test_client()
    for url in ("/search?q=housing", "/doc/2020/hostile", "/council/croydon", "/theme/housing", "/"):
        soup = page(client, url)
        assert not soup.select("script:not([src])"), url
        assert not soup.select("img"), url
        assert not [m for m in soup.select("mark") if "fake" in m.get_text()], url
        assert not soup.select('a[href^="javascript:"]'), url
        assert len(soup.select('meta[name="description"]')) == 1, url
    description = page(client, "/doc/2020/hostile").select_one('meta[name="description"]')["content"]
    assert description == f"Summary {payload}"  # an attribute's text, escaped in the HTML: no element came of it


PARAMETER_NAMES = ["q", "theme", "council", "type", "region", "from", "to", "sort", "page", "per_page", "other"]
parameter_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["housing", "croydon", "2016", "-1", "0", "99999", "newest", "<script>", "%00", "1e9", " "]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(PARAMETER_NAMES), parameter_values), max_size=8))
def test_any_url_parameters_get_a_page_or_a_4xx_never_a_500(client, pairs):
    from urllib.parse import urlencode

    query = urlencode(pairs)
    paths = ("/search", "/api/search", "/search.csv", "/search.atom", "/council/croydon", "/theme/housing",
             "/search/facet/council")  # fmt: skip
    for path in paths:
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)
        if response.mimetype == "text/html":
            assert "Traceback" not in response.get_data(as_text=True)


def test_repeated_search_and_document_pages_are_served_from_the_page_cache_until_a_new_generation(
    corpus_dir, index_dir, make_app
):
    from indexer import run_indexer

    write_markdown(corpus_dir, "a.md", "A community energy co-operative.", title="Solar shares", date="2020-01-01")
    run_indexer(corpus_dir, index_dir)
    app = make_app(index_dir, corpus_dir)
    client = app.test_client()
    first = client.get("/search?q=energy").get_data(as_text=True)
    assert "Solar shares" in first and len(app.extensions["pages"]) == 1
    assert client.get("/search?q=energy").get_data(as_text=True) == first
    document = client.get("/doc/a").get_data(as_text=True)
    assert client.get("/doc/a").get_data(as_text=True) == document and len(app.extensions["pages"]) == 2
    write_markdown(corpus_dir, "b.md", "An energy club for tenants.", title="Tenant energy club", date="2021-01-01")
    run_indexer(corpus_dir, index_dir)
    again = client.get("/search?q=energy").get_data(as_text=True)
    assert "Tenant energy club" in again and "Solar shares" in again
