"""Answers a councillor can trust: each failure seen on the bundled corpus, through the library, the CLI and the page.

False yeses, correct words "corrected" into other topics, question words that widen the results,
council counts that count every council a text names, tags that could not be searched, paraphrases
that found nothing, and years searched as words.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer import run_indexer
from library.errors import VocabularyError
from library.search import Library, SearchRequest
from library.store import IndexStore
from library.vocab import load_vocabularies
from library.wording import read_years
from tests.helpers import write_markdown

CARDIFF_REFUGEES = "2016/cardiff-welcoming-and-helping-refugees-and-asylum-seekers"
ASSET_TRANSFER = "2016/newcastle-upon-tyne-beyond-asset-transfer"
SOCIAL_VALUE_TOOLKIT = "2023/social-value-toolkit-for-councils"


@pytest.fixture(scope="module")
def bundled(bundled_index, vocab):
    library = Library(bundled_index, vocab, today=lambda: date(2026, 12, 1))
    yield library
    library.close()


def search(library: Library, query: str, **filters: object):
    return library.search(SearchRequest(query=query, **filters))  # type: ignore[arg-type]


def ids(result, top: int | None = None) -> list[str]:
    return [hit.id for hit in result.results[:top]]


def page(client, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, url
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def line(soup: BeautifulSoup, selector: str) -> str:
    found = soup.select_one(selector)
    assert found is not None, selector
    return " ".join(found.get_text(" ").split())


# False "yes": a word no document holds is said, and nothing is counted as a precedent.


def test_a_word_no_document_holds_is_named_and_no_precedent_is_counted(bundled):
    result = search(bundled, "climate change")
    assert result.answer.documents == 0 and result.answer.missing == ["climate"]
    assert result.total > 0  # the documents mentioning "change" are still listed...
    assert all(hit.missing == ["climate"] for hit in result.results)  # ...each marked as not mentioning climate
    assert result.answer.sentences()[0] == "No document mentions “climate”."
    assert result.answer.sentences()[1] == f"{result.total} documents mention “change”."


def test_the_false_yes_through_the_cli_and_the_page(run_cli, bundled_index, client):
    data = json.loads(run_cli("search", "--index", str(bundled_index), "--json", "climate change").stdout)
    assert data["answer"] == {"documents": 0, "councils": 0, "missing": ["climate"], "expanded": [], "dropped": []}
    listing = run_cli("search", "--index", str(bundled_index), "climate change").stdout
    assert "No document mentions “climate”." in listing and "documents from" not in listing
    soup = page(client, "/search?q=climate+change")
    assert line(soup, "h1#answer").startswith("No document mentions “climate”.")
    assert line(soup, ".answer-more").endswith("documents mention “change”.")
    assert "Does not mention: climate" in line(soup, ".result-missing")


def test_words_that_are_all_present_but_never_together_are_said_to_be_apart(bundled):
    result = search(bundled, "mondragon plymouth")
    assert result.answer.missing == [] and result.answer.documents == 0 and result.total > 0
    sentences = result.answer.sentences()
    assert sentences[0] == "No document mentions both “mondragon” and “plymouth” together."
    assert any(s.endswith("mention “plymouth”.") for s in sentences[1:])


# Correct words are never "corrected" into other topics.


@pytest.mark.parametrize("query", ["flood defences", "pothole repairs", "people fleeing war", "hire", "teaching",
                                   "send", "heat", "council tax"])  # fmt: skip
def test_real_english_words_are_never_corrected(bundled, query):
    result = search(bundled, query)
    assert result.suggestion is None and not result.corrected, result.notice


def test_flood_defences_are_not_searched_as_food(bundled, client):
    result = search(bundled, "flood defences")
    assert result.total == 0 and result.answer.missing == ["flood", "defences"]
    soup = page(client, "/search?q=flood+defences")
    assert line(soup, "h1#answer").startswith("No document mentions “flood” or “defences”.")
    assert soup.select_one(".suggestion") is None and "food" not in line(soup, "#results-area").lower()


@pytest.mark.parametrize(
    ("typed", "corrected", "expected"),
    [("Sunderlnd", "Sunderland", "2014/sunderland-workshop-co-production-in-new-models-of-service-delivery"),
     ("refugess in Cardif", "refugees in Cardiff", CARDIFF_REFUGEES),
     ("Plymuth", "Plymouth", "2014/plymouth-workshop-co-operative-energy")],
)  # fmt: skip
def test_real_misspellings_are_corrected_and_the_page_says_so(bundled, typed, corrected, expected):
    result = search(bundled, typed)
    assert result.corrected and result.suggestion == corrected and result.query == typed
    assert f"so these are the results for “{corrected}”" in result.notice
    assert expected in ids(result)


# Question words are left out, shown, and change nothing.


def test_question_words_neither_widen_nor_reorder(bundled):
    question = search(bundled, "has any council done something on food poverty?")
    plain = search(bundled, "food poverty")
    assert ids(question) == ids(plain) and question.total == plain.total
    assert question.answer.documents == plain.answer.documents
    assert question.answer.dropped == ["has", "any", "council", "done", "something", "on"]


def test_who_do_i_contact_about_social_value_puts_the_toolkit_first(bundled):
    result = search(bundled, "who do I contact about social value")
    assert ids(result, 1) == [SOCIAL_VALUE_TOOLKIT] == ids(search(bundled, "social value"), 1)
    assert result.answer.dropped == ["who", "do", "I", "contact", "about"]


def test_how_many_councils_are_members_searches_more_than_many(bundled, client):
    result = search(bundled, "how many councils are members")
    assert "many" in result.answer.dropped and "many" not in result.answer.words
    assert result.total > 0
    soup = page(client, "/search?q=how+many+councils+are+members")
    assert "how, many" in line(soup, ".dropped")


# Council counts: the councils that did the practice, not every council a text names.


def test_the_council_count_counts_who_did_it_not_who_is_named(corpus_dir, index_dir, vocab):
    write_markdown(corpus_dir, "a.md", "Plymouth, Oldham, Lambeth, Croydon and Sunderland were all there. Zebra crossings.",
                   title="Zebra crossings", councils=["stevenage"], year=2020)  # fmt: skip
    write_markdown(corpus_dir, "b.md", "Preston and Wigan painted zebra crossings.", title="Crossings report")
    run_indexer(corpus_dir, index_dir)
    library = Library(index_dir, vocab)
    try:
        result = search(library, "zebra crossings")
        assert result.answer.documents == 2
        # a.md declares Stevenage (five named councils do not count); b.md declares none, so its two inferred count.
        assert result.answer.councils == 3
        assert result.answer.headline() == "2 documents from 3 councils mention both “zebra” and “crossings”."
        hit = next(h for h in result.results if h.id == "a")
        assert hit.lead == {"id": "stevenage", "name": "Stevenage Borough Council", "kind": "council"}
    finally:
        library.close()


def test_a_region_counts_the_councils_of_that_region_that_did_the_work(bundled, bundled_index, vocab):
    result = search(bundled, "", region=("north-east",))
    region = {c.id for c in vocab.councils.values() if c.region_id == "north-east"}
    documents = IndexStore(bundled_index).documents().values()
    expected = {
        c for doc in documents for c in doc.practice_council_ids if c in region and set(doc.council_ids) & region
    }
    assert result.answer.councils == len(expected) and result.answer.documents == result.total
    assert result.answer.headline() == f"{result.total} documents from {len(expected)} councils."


# Tags are searchable.


def test_a_theme_label_finds_documents_tagged_with_it_whatever_their_words(corpus_dir, index_dir, vocab):
    write_markdown(corpus_dir, "estate.md", "Residents of the estate ran their own repairs board.",
                   title="Estate repairs board", themes=["housing"], councils=["greenwich"], year=2021)  # fmt: skip
    write_markdown(corpus_dir, "other.md", "A plan for the market.", title="Market plan", year=2021)
    run_indexer(corpus_dir, index_dir)
    library = Library(index_dir, vocab)
    try:
        assert ids(search(library, "housing")) == ["estate"]
        assert ids(search(library, "greenwich")) == ["estate"]  # a council's name is a tag too
        assert search(library, "participatory budgeting").total == 0  # a theme's signal words are not its tags
    finally:
        library.close()


def test_every_bundled_housing_document_is_found_by_housing(bundled):
    tagged = set(ids(bundled.export(SearchRequest(theme=("housing",)))))
    found = set(ids(bundled.export(SearchRequest(query="housing"))))
    assert tagged and tagged <= found


# Vocabulary mismatch: the curated thesaurus.


def test_people_fleeing_war_finds_the_refugee_prototype_and_says_what_else_was_searched(bundled, client):
    result = search(bundled, "people fleeing war")
    assert ids(result, 1) == [CARDIFF_REFUGEES]
    assert "refugees" in result.answer.expanded and "asylum seekers" in result.answer.expanded
    assert result.answer.documents >= 1
    soup = page(client, "/search?q=people+fleeing+war")
    assert line(soup, ".expanded").startswith("Also searched: refugees, asylum seekers")


def test_letting_community_groups_run_council_buildings_finds_asset_transfer(bundled):
    result = search(bundled, "letting community groups run council buildings")
    assert ASSET_TRANSFER in ids(result, 3)
    assert "asset transfer" in result.answer.expanded


def test_a_thesaurus_that_cannot_be_read_names_the_file_and_the_entry(corpus_dir):
    (corpus_dir / "synonyms.yaml").write_text("synonyms:\n  - same: [only one]\n  - words: [a]\n", encoding="utf-8")
    with pytest.raises(VocabularyError) as raised:
        load_vocabularies(corpus_dir)
    message = str(raised.value)
    assert "synonyms.yaml" in message and "entry 1" in message and "entry 2" in message


# Ranking by a blended score, not strictly by how many words a document holds.


def test_a_strong_match_on_one_word_can_outrank_a_passing_mention_of_both(corpus_dir, index_dir, vocab):
    write_markdown(corpus_dir, "strong.md", "Allotments. " + "Allotments for every estate. " * 8,
                   title="Allotments for every estate", year=2020)  # fmt: skip
    filler = " ".join(["The council met to discuss its budget and its many services."] * 30)
    write_markdown(corpus_dir, "weak.md", f"{filler} Allotments were mentioned once, and so was a kiosk.",
                   title="Budget meeting", year=2020)  # fmt: skip
    run_indexer(corpus_dir, index_dir)
    library = Library(index_dir, vocab)
    try:
        result = search(library, "allotments kiosk")
        assert ids(result) == ["strong", "weak"]
        assert result.answer.documents == 1  # the answer still counts only the document holding both
    finally:
        library.close()


# Dates in words become the year filter.


@pytest.mark.parametrize(
    ("query", "years"),
    [("housing since 2020", (2020, None)), ("food from 2016 to 2019", (2016, 2019)), ("energy in 2014", (2014, 2014)),
     ("co-production before 2016", (None, 2015)), ("social value last year", (2025, 2025)),
     ("events in 2018-19", (2018, 2019))],
)  # fmt: skip
def test_years_in_words_become_the_year_filter(bundled, query, years):
    result = search(bundled, query)
    assert (result.request.year_from, result.request.year_to) == years
    assert result.years is not None and result.years.text.lower() in query.lower()
    assert all(word not in result.answer.words for word in ("since", "2020", "2019", "2016", "last", "year"))
    assert f"“{result.years.text}” was read as the years" in result.notice
    assert any(e.startswith("the years") for e in result.answer.expanded)


def test_a_year_filter_from_words_is_shown_and_can_be_removed(client):
    soup = page(client, "/search?q=housing+since+2020")
    chip = soup.select_one(".chips a.chip")
    assert chip is not None and "Years: 2020 onwards" in chip.get_text()
    assert chip["href"] == "/search?q=housing"
    assert soup.select_one("input#q")["value"] == "housing since 2020"


def test_chosen_years_win_over_years_in_words(bundled):
    result = search(bundled, "housing since 2020", year_from=2014, year_to=2016)
    assert (result.request.year_from, result.request.year_to) == (2014, 2016)
    assert "the year range you chose was kept" in result.notice


# Who to contact.


def test_result_cards_show_the_lead_council_and_who_to_contact(client):
    soup = page(client, "/search?q=housing+commission")
    card = soup.select_one("li.result")
    assert card.select_one(".result-title a")["href"] == "/doc/2016/croydon-housing-commission"
    contact = line(card, ".result-contact")
    assert "Led by: London Borough of Croydon" in contact and "Who to contact: Croydon Council" in contact
    assert card.select_one('.result-contact a[href="/council/croydon"]')


def test_a_council_page_lists_its_contacts_by_document(client):
    soup = page(client, "/council/croydon")
    items = soup.select(".contacts li")
    assert any(li.select_one('a[href="/doc/2016/croydon-housing-commission"]') for li in items)
    assert all(":" in li.get_text() for li in items)


# Dead ends.


def test_a_search_with_no_results_is_not_a_dead_end(client):
    soup = page(client, "/search?q=flood+defences+zzqx&theme=housing")
    assert soup.select_one("input#q")["value"] == "flood defences zzqx"
    assert not soup.select('a[href^="/search.csv"]') and not soup.select('a[href^="/search.atom"]')
    soup = page(client, "/search?q=pothole+repairs")
    assert soup.select_one(".no-results") is not None
    assert not soup.select('a[href^="/search.csv"]') and not soup.select('a[href^="/search.atom"]')
    assert "tell the network" in line(soup, ".tell-the-network")


def test_a_dead_end_offers_themes_whose_words_are_close(client):
    soup = page(client, "/search?q=homelessness+hostels+zzqx")
    assert "Housing" in [a.get_text() for a in soup.select(".close-themes a")]


# The JSON contract.


def test_the_answer_is_in_the_api_and_its_openapi_description(client):
    data = client.get("/api/search?q=people+fleeing+war").get_json()
    assert set(data["answer"]) == {"documents", "councils", "missing", "expanded", "dropped"}
    assert data["answer"]["documents"] >= 1 and "refugees" in data["answer"]["expanded"]
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    assert schemas["SearchResult"]["properties"]["answer"] == {"$ref": "#/components/schemas/Answer"}
    assert set(schemas["Answer"]["required"]) == {"documents", "councils", "missing", "expanded"}


# Years in words, for any year and any words around them.

_PHRASES = [("since {a}", "{a}", None), ("from {a} to {b}", "{lo}", "{hi}"), ("in {a}", "{a}", "{a}"),
            ("before {a}", None, "{a1m}"), ("after {a}", "{a1p}", None), ("between {a} and {b}", "{lo}", "{hi}")]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    phrase=st.sampled_from(_PHRASES),
    a=st.integers(1801, 2199),
    b=st.integers(1801, 2199),
    before=st.text(alphabet="abc xyz", max_size=12),
    after=st.text(alphabet="abc xyz", max_size=12),
)
def test_a_year_phrase_anywhere_in_a_search_becomes_its_range(phrase, a, b, before, after):
    template, start, end = phrase
    values = {"a": a, "b": b, "lo": min(a, b), "hi": max(a, b), "a1m": a - 1, "a1p": a + 1}
    typed = template.format(**values)
    rest, years = read_years(f"{before} {typed} {after}", date(2026, 12, 1))
    assert years is not None and years.text == typed
    expected = tuple(int(x.format(**values)) if x else None for x in (start, end))
    assert (years.year_from, years.year_to) == expected
    assert rest == " ".join(f"{before} {after}".split())
    assert years.remove_from(f"{before} {typed} {after}") == rest


# Every failure at once: the library, the CLI and the page give the same honest answer.

ISSUE_QUERIES = [
    "climate change", "flood defences", "pothole repairs", "people fleeing war", "hire", "teaching",
    "has any council done something on food poverty?", "who do I contact about social value",
    "how many councils are members", "housing", "letting community groups run council buildings",
    "housing since 2020", "food in 2019", "co-production before 2016",
]  # fmt: skip


@pytest.mark.parametrize("query", ISSUE_QUERIES)
def test_the_cli_the_api_and_the_page_give_the_same_answer(run_cli, bundled_index, client, query):
    from urllib.parse import urlencode

    data = json.loads(run_cli("search", "--index", str(bundled_index), "--json", query).stdout)
    api = client.get("/api/search?" + urlencode({"q": query})).get_json()
    assert data["answer"] == api["answer"] and data["total"] == api["total"]
    assert [h["id"] for h in data["results"]] == [h["id"] for h in api["results"]]
    soup = page(client, "/search?" + urlencode({"q": query}))
    headline = line(soup, "h1#answer").split(" Your search:")[0]
    listing = run_cli("search", "--index", str(bundled_index), query).stdout.splitlines()
    assert listing[1] == headline  # the CLI's first line after "Search: ..." is the page's headline
    if api["answer"]["dropped"]:
        assert line(soup, ".dropped") == "Left out as question words: " + ", ".join(api["answer"]["dropped"]) + "."
    if api["answer"]["missing"]:
        assert headline.startswith("No document")


def test_an_export_reads_its_documents_one_at_a_time_in_the_order_of_the_search(bundled):
    """`exported` hands back every result lazily, in the search's order; `export` gathers the same list."""
    request = SearchRequest(query="housing co-operative")
    page = bundled.search(SearchRequest(query="housing co-operative", per_page=100))
    with bundled.exported(request) as (result, hits):
        assert result.results == [] and result.total == page.total
        assert next(hits).id == page.results[0].id
        rest = [hit.id for hit in hits]
    assert [page.results[0].id, *rest] == [hit.id for hit in page.results][: page.total]
    assert [hit.id for hit in bundled.export(request).results] == [page.results[0].id, *rest]
