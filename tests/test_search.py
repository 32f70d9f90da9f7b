"""Search over the bundled corpus and over hostile documents: relevance, facets, syntax, escaping, generations."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer import run_indexer
from library.facets import FacetIndex, members
from library.ranking import to_bitset
from library.search import Library, SearchRequest
from library.store import IndexStore
from tests.conftest import BUNDLED
from tests.helpers import engine_reader, write_markdown


@pytest.fixture(scope="module")
def bundled(tmp_path_factory, vocab):
    index_dir = tmp_path_factory.mktemp("search") / "index"
    run_indexer(BUNDLED, index_dir)
    library = Library(index_dir, vocab)
    yield library, IndexStore(index_dir).documents()
    library.close()


def ids(result, top=None):
    return [hit.id for hit in result.results[:top]]


# A councillor's plain description of each precedent, and the document it should find in the top three.
PRECEDENTS = [
    ("has any council set up a housing commission?", "2016/croydon-housing-commission"),
    (
        "council helping refugees and asylum seekers with volunteers",
        "2016/cardiff-welcoming-and-helping-refugees-and-asylum-seekers",
    ),
    ("homework clubs for vulnerable children out of school", "2016/edinburgh-closing-the-education-attainment-gap"),
    ("mental health event with a crisis network", "2016/telford-and-wrekin-mental-health-day"),
    (
        "what happens to community groups after they take over a building",
        "2016/newcastle-upon-tyne-beyond-asset-transfer",
    ),
    ("measuring how co-operative a council is", "2016/co-operative-performance-framework"),
    ("tackling violence against women", "2023/tackling-violence-against-women-and-girls"),
    ("VAWG", "2023/tackling-violence-against-women-and-girls"),
    ("toolkit to get social value from procurement", "2023/social-value-toolkit-for-councils"),
    ("directory of co-ops for anchor institutions to buy from", "2023/oxford-co-operative-mapping-pilot"),
    ("care co-operatives in Torbay", "2023/torbay-care-co-operative-development-pilot"),
    ("turning a council plan into art", "2023/turning-strategic-plans-into-art"),
    ("kindness bank", "2023/co-operative-community-bank-of-kindness"),
    ("people helping people social action programme", "2019/promoting-the-cities-of-service-model-of-social-action"),
    ("doubling the size of the co-op economy", "2019/co-operatives-unleashed"),
    ("sustainable food and food poverty", "2019/co-operative-approaches-to-sustainable-food"),
    ("which council won council of the year 2019", "2019/co-operative-council-of-the-year-2019"),
    (
        "payday lenders and credit unions",
        "2014/plymouth-workshop-co-operative-approaches-to-payday-lending-and-financial-inclusion",
    ),
    ("community energy co-operatives", "2014/plymouth-workshop-co-operative-energy"),
    (
        "session on mutualisation and the right to challenge",
        "2014/workshop-on-the-benefits-of-mutualisation-with-the-cabinet-office",
    ),
    (
        "jobs and employment support commission chaired by Lambeth",
        "2014/policy-commission-on-community-resilience-jobs-and-enterprise",
    ),
    ("visit to co-operatives in the Basque country", "2023/study-visit-to-mondragon"),
    ("training councils in the co-op option", "2023/co-op-option-training"),
    ("neighbourhood working with town councils", "2022/co-operation-at-the-grassroots"),
]


@pytest.mark.parametrize(("question", "expected"), PRECEDENTS)
def test_each_precedent_is_found_from_a_plain_description(bundled, question, expected):
    library, _ = bundled
    assert expected in ids(library.search(SearchRequest(query=question)), 3)


@pytest.mark.parametrize("spelling", ["co-operative", "cooperative", "co-op", "coop", "Co-Operative", "coöperative"])
def test_spellings_of_co_operative_match_each_other(bundled, spelling):
    library, _ = bundled
    assert (
        library.search(SearchRequest(query=spelling)).total
        == library.search(SearchRequest(query="co-operative")).total
        > 30
    )


def test_stemming_and_coproduction(bundled):
    library, _ = bundled
    assert (
        library.search(SearchRequest(query="coproduction")).total
        == library.search(SearchRequest(query="co-production")).total
        > 0
    )
    assert (
        library.search(SearchRequest(query="commissions")).total
        == library.search(SearchRequest(query="commission")).total
    )


def test_acronyms_expand_to_their_phrases(bundled):
    library, _ = bundled
    cwb = ids(library.search(SearchRequest(query="CWB")))
    assert "2023/community-economic-development-plans" in cwb or "2023/oxford-co-operative-mapping-pilot" in cwb


def test_documents_with_all_words_rank_first_and_a_missing_word_never_empties(bundled):
    library, _ = bundled
    both = set(ids(library.search(SearchRequest(query="housing AND commission", per_page=100))))
    either = set(ids(library.search(SearchRequest(query="housing OR commission", per_page=100))))
    assert both and either > both
    result = library.search(SearchRequest(query="housing commission zebra", per_page=100))
    assert set(ids(result)) == either
    assert set(ids(result)[: len(both)]) == both


def test_phrases_operators_and_fields(bundled):
    library, documents = bundled
    phrase = library.search(SearchRequest(query='"violence against women and girls"'))
    assert all(
        "violence against women and girls" in (documents[i].body + documents[i].title).lower() for i in ids(phrase)
    )
    plymouth = library.search(SearchRequest(query="council:plymouth", per_page=100))
    assert plymouth.total == sum(1 for d in documents.values() if "plymouth" in d.council_ids)
    assert library.search(SearchRequest(query="theme:housing")).total == sum(
        1 for d in documents.values() if "housing" in d.theme_ids
    )
    labs_2016 = library.search(SearchRequest(query="type:policy-lab year:2016"))
    assert labs_2016.total == sum(1 for d in documents.values() if d.doc_type == "policy-lab" and d.year == 2016) == 4
    either = library.search(SearchRequest(query="council:torbay OR council:inverclyde")).total
    assert either == sum(1 for d in documents.values() if {"torbay", "inverclyde"} & set(d.council_ids))
    without = library.search(SearchRequest(query="housing NOT council:croydon", per_page=100))
    assert without.total and all("croydon" not in documents[i].council_ids for i in ids(without))


@pytest.mark.parametrize(
    "broken",
    ['"housing', "housing AND", "AND", "council:", "(housing", "housing)", "nosuchfield:housing", "OR OR", "theme:"],
)
def test_queries_the_parser_cannot_read_are_searched_as_plain_words(bundled, broken):
    library, _ = bundled
    result = library.search(SearchRequest(query=broken))
    assert result.notice and "plain words" in result.notice
    assert result.total > 0


def test_empty_query_lists_everything_newest_first(bundled):
    library, documents = bundled
    result = library.search(SearchRequest(per_page=100))
    assert result.total == len(documents)
    keys = [documents[i].date.sort_key for i in ids(result)]
    assert keys == sorted(keys, reverse=True)


def test_sorting_and_pagination(bundled):
    library, documents = bundled
    oldest = library.search(SearchRequest(sort="oldest", per_page=5, page=2))
    assert (oldest.page, oldest.pages, len(oldest.results)) == (2, -(-len(documents) // 5), 5)
    everything = [documents[i].date.sort_key for i in ids(library.search(SearchRequest(sort="oldest", per_page=100)))]
    assert everything == sorted(everything)
    beyond = library.search(SearchRequest(page=999))
    assert beyond.page == beyond.pages and beyond.notice


def independent_counts(documents, facet, keep):
    counts = Counter()
    for doc in documents.values():
        if keep(doc):
            values = {
                "theme": doc.theme_ids,
                "council": doc.council_ids,
                "type": [doc.doc_type],
                "year": [str(doc.year)] if doc.year else [],
            }[facet]
            counts.update(values)
    return dict(counts)


def test_facet_counts_match_counts_computed_from_the_corpus(bundled):
    library, documents = bundled
    result = library.search(SearchRequest())
    for facet in ("theme", "council", "type", "year"):
        assert {v.value: v.count for v in result.facets[facet]} == independent_counts(
            documents, facet, lambda d: True
        ), facet


@settings(max_examples=150, deadline=None)
@given(
    size=st.integers(1, 400),
    values=st.dictionaries(st.sampled_from(["2019", "2020", "2021", "2022", "2031"]), st.sets(st.integers(0, 399))),
    base=st.sets(st.integers(0, 399)),
)
def test_facet_counts_are_exact_for_common_values_held_as_bitsets_and_rare_ones_held_as_arrays(size, values, base):
    """Common values (one document in 32 or more) are bitsets, rarer ones arrays; both count, select and take
    year ranges exactly as a set of document numbers would, and a value no document has selects nothing."""
    docs = {v: sorted(d for d in found if d < size) for v, found in values.items()}
    chosen = {d for d in base if d < size}
    facets = FacetIndex(size, to_bitset(np.arange(size), size), {"year": {v: np.array(d) for v, d in docs.items()}})

    expected = {v: len(chosen & set(d)) for v, d in docs.items() if chosen & set(d)}
    assert facets.counts("year", to_bitset(np.array(sorted(chosen), dtype=np.int64), size)) == expected
    for value, held in docs.items():
        assert members(facets.value("year", value)) == held
    assert facets.value("year", "1999") == 0 and facets.select("year", []) == facets.live
    assert members(facets.select("year", ["2019", "2031"])) == sorted({*docs.get("2019", []), *docs.get("2031", [])})
    in_range = {d for v, found in docs.items() if int(v) >= 2020 for d in found}
    assert members(facets.year_range(2020, None)) == sorted(in_range)
    assert facets.year_range(2023, 2030) == 0


def test_multi_select_is_or_within_a_facet_and_and_across_facets(bundled):
    library, documents = bundled
    request = SearchRequest(theme=("housing", "food"), type=("policy-lab",))
    result = library.search(request)
    expected = {
        d.id for d in documents.values() if {"housing", "food"} & set(d.theme_ids) and d.doc_type == "policy-lab"
    }
    assert set(ids(result)) == expected and result.total == len(expected)
    # A facet's counts ignore its own selection but respect the others'.
    themes = {v.value: v for v in result.facets["theme"]}
    assert {k: v.count for k, v in themes.items() if v.count} == independent_counts(
        documents, "theme", lambda d: d.doc_type == "policy-lab"
    )
    assert themes["housing"].selected and themes["food"].selected and not themes["vawg"].selected
    types = {v.value: v.count for v in result.facets["type"]}
    assert types == independent_counts(documents, "type", lambda d: bool({"housing", "food"} & set(d.theme_ids)))


def test_selected_values_are_listed_even_at_zero(bundled):
    library, _ = bundled
    result = library.search(SearchRequest(query="kindness", council=("glasgow",)))
    glasgow = [v for v in result.facets["council"] if v.value == "glasgow"]
    assert result.total == 0 and glasgow and glasgow[0].selected and glasgow[0].count == 0


def test_year_range_and_region(bundled):
    library, documents = bundled
    result = library.search(SearchRequest(year_from=2016, year_to=2019, per_page=100))
    assert result.total == sum(1 for d in documents.values() if 2016 <= d.year <= 2019)
    scotland = library.search(SearchRequest(region=("scotland",), per_page=100))
    assert {h.id for h in scotland.results} == {
        d.id for d in documents.values() if {"edinburgh", "glasgow", "inverclyde", "dundee"} & set(d.council_ids)
    }
    assert {v.value for v in scotland.facets["region"]} >= {"scotland", "london", "north-west"}


def test_unknown_filter_values_are_ignored_with_a_notice(bundled):
    library, documents = bundled
    result = library.search(SearchRequest(council=("gotham",), theme=("basket-weaving",), sort="sideways"))
    assert result.total == len(documents)
    assert "gotham" in result.notice and "basket-weaving" in result.notice and "relevance" in result.notice


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("Sunderlnd", "Sunderland"), ("cooperitive", "cooperative"), ("Stevnage housing", "Stevenage housing")],
)
def test_did_you_mean(bundled, typed, suggested):
    library, _ = bundled
    assert library.search(SearchRequest(query=typed)).suggestion == suggested


def test_correct_words_get_no_suggestion(bundled):
    library, _ = bundled
    assert library.search(SearchRequest(query="housing commission Croydon")).suggestion is None


def test_related_documents_share_themes_and_exclude_themselves(bundled):
    library, documents = bundled
    related = library.related("2023/torbay-care-co-operative-development-pilot")
    assert related and "2023/torbay-care-co-operative-development-pilot" not in [h.id for h in related]
    source = set(documents["2023/torbay-care-co-operative-development-pilot"].theme_ids)
    assert set(documents[related[0].id].theme_ids) & source
    assert library.related("no/such/document") == []


def test_json_shape(bundled):
    library, _ = bundled
    data = library.search(SearchRequest(query="housing")).to_json()
    assert list(data) == [
        "query", "total", "page", "per_page", "pages", "notice", "suggestion", "results", "facets", "corrected", "answer"
    ]  # fmt: skip
    assert list(data["answer"]) == ["documents", "councils", "missing", "expanded", "dropped"]
    assert list(data["results"][0]) == [
        "id",
        "title",
        "type",
        "date",
        "year",
        "councils",
        "themes",
        "summary",
        "snippet",
        "lead",
        "lead_contact",
        "missing",
        "principles",
        "organisations",
        "status",
        "evidence",
        "outcomes",
        "sources",
    ]
    assert list(data["facets"]) == [
        "theme", "council", "type", "year", "region", "principle", "status", "evidence", "organisation"
    ]  # fmt: skip
    assert set(data["facets"]["theme"][0]) == {"value", "label", "count", "selected"}
    assert "url" not in data["results"][0]  # the library knows no web addresses; the API adds them (test_urls.py)


def test_snippets_mark_matches_and_escape_hostile_text(corpus_dir, index_dir, vocab):
    hostile = "<script>alert('x')</script> The <mark>housing</mark> plan & <img src=x onerror=alert(1)> co-operative housing for all."
    write_markdown(corpus_dir, "evil.md", hostile, title="<b>Housing</b> plan", summary="<i>summary</i> & more")
    run_indexer(corpus_dir, index_dir)
    library = Library(index_dir, vocab)
    try:
        hit = library.search(SearchRequest(query="housing")).results[0]
        soup = BeautifulSoup(hit.snippet, "html.parser")
        assert [tag.name for tag in soup.find_all(True)] == ["mark"] * len(soup.find_all("mark"))
        assert {m.get_text().lower() for m in soup.find_all("mark")} == {"housing"}
        assert "&lt;/script&gt;" in hit.snippet and "<script>" not in hit.snippet and "<img" not in hit.snippet
        listing = library.search(SearchRequest()).results[0].snippet
        assert listing == "&lt;i&gt;summary&lt;/i&gt; &amp; more"
    finally:
        library.close()


def test_a_word_found_only_in_the_body_is_marked_in_the_snippet(corpus_dir, index_dir, vocab):
    write_markdown(
        corpus_dir, "a.md", "Residents built a windmill together. " * 3, title="Energy plan", summary="A plan."
    )
    write_markdown(corpus_dir, "b.md", "Tenants run the homes. " * 3, title="Housing", summary="Homes.")
    run_indexer(corpus_dir, index_dir)
    library = Library(index_dir, vocab)
    try:
        for query in ("windmill", "energy windmill", '"built a windmill"'):
            snippet = library.search(SearchRequest(query=query)).results[0].snippet
            assert "<mark>windmill</mark>" in snippet, (query, snippet)
    finally:
        library.close()


def test_searcher_picks_up_a_new_generation_without_restart(corpus_dir, index_dir, vocab):
    write_markdown(corpus_dir, "a.md", "Co-operative housing in Oldham.", title="First")
    run_indexer(corpus_dir, index_dir)
    library = Library(index_dir, vocab)
    try:
        assert library.search(SearchRequest()).total == 1
        reader = engine_reader(library)
        assert engine_reader(library) is reader  # the generation is built once and reused across searches
        write_markdown(corpus_dir, "b.md", "Community energy in Plymouth.", title="Second")
        run_indexer(corpus_dir, index_dir)
        result = library.search(SearchRequest(query="energy"))
        assert ids(result) == ["b"] and library.search(SearchRequest()).total == 2
    finally:
        library.close()


filter_values = st.lists(
    st.sampled_from(["housing", "food", "croydon", "oldham", "policy-lab", "scotland", "zzz", "", "<x>"]), max_size=3
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    query=st.text(max_size=80) | st.sampled_from(['"', "AND", "council:", "((", "*", "?", "year:[2010 TO", "theme:housing OR", "-x", "NOT NOT"]),
    themes=filter_values, councils=filter_values, year_from=st.none() | st.integers(-5, 3000), page=st.integers(-3, 50),
    sort=st.sampled_from(["relevance", "newest", "oldest", "bogus"]),
)  # fmt: skip
def test_any_query_and_filters_never_raise(bundled, query, themes, councils, year_from, page, sort):
    library, _ = bundled
    result = library.search(
        SearchRequest(
            query=query, theme=tuple(themes), council=tuple(councils), year_from=year_from, page=page, sort=sort
        )
    )
    assert 1 <= result.page <= result.pages and result.total >= 0
    for hit in result.results:
        assert not re.search(r"<(?!/?mark>)", hit.snippet)


def test_documents_that_tie_keep_one_order_from_build_to_build(corpus_dir, index_dir, vocab):
    """Documents of the same date, and documents a search scores alike, are listed by id, not by where the
    index happened to write them: a nightly run that rewrites one (giving it a new document number) or a full
    rebuild leaves every page, export and feed in the same order."""
    for name in ("c", "a", "d", "b"):
        write_markdown(corpus_dir, f"2020/{name}.md", "Allotment text.", title="Allotments", year=2020)
    searches = {"browse": SearchRequest(), "relevance": SearchRequest(query="allotments"),
                "newest": SearchRequest(query="allotments", sort="newest")}  # fmt: skip
    runs = []
    for change in ("first build", "a", "c", "full rebuild"):
        if len(change) == 1:  # a change the ranking does not see: the scores stay equal
            write_markdown(
                corpus_dir, f"2020/{change}.md", "Allotment text.", title="Allotments", year=2020,
                lead_contact=f"{change}@example.org",
            )  # fmt: skip
        report = run_indexer(corpus_dir, index_dir, full=change == "full rebuild")
        assert len(change) > 1 or [n.id for n in report.changed] == [f"2020/{change}"]
        library = Library(index_dir, vocab)
        try:
            found = {name: ids(library.search(request)) for name, request in searches.items()}
            found["oldest"] = ids(library.search(SearchRequest(sort="oldest")))
            found["recently added"] = [hit.id for hit in library.recently_added(4)]
        finally:
            library.close()
        runs.append(found)
    by_id = ["2020/a", "2020/b", "2020/c", "2020/d"]
    for found in runs:
        assert found == {**dict.fromkeys(searches, by_id), "oldest": by_id[::-1], "recently added": by_id}, found
