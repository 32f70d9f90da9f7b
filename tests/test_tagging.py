"""Resolving declared councils and themes, and inferring them from text."""

from __future__ import annotations

import pytest

from library.model import DECLARED, INFERRED
from library.readers.common import RawDocument
from library.tagging import Tagger


@pytest.fixture(scope="module")
def tagger(vocab):
    return Tagger(vocab)


def build(tagger, body="Some text.", path="2016/x.md", **meta):
    meta.setdefault("title", "A title")
    return tagger.build(RawDocument(path, meta, body), "hash")


@pytest.mark.parametrize(
    "name", ["London Borough of Croydon", "Croydon Council", "croydon", "CROYDON COUNCIL", "Croydon  council."]
)
def test_declared_council_names_resolve_to_one_id(tagger, name):
    doc, warnings = build(tagger, councils=[name])
    assert [(t.value, t.source) for t in doc.councils] == [("croydon", DECLARED)]
    assert warnings == []


@pytest.mark.parametrize(
    ("name", "council_id"),
    [
        ("Newcastle City Council", "newcastle-upon-tyne"),
        ("Newcastle Upon Tyne Council", "newcastle-upon-tyne"),
        ("Newcastle Under Lyme Council", "newcastle-under-lyme"),
        ("Newcastle-under-Lyme Borough Council", "newcastle-under-lyme"),
        ("Edinburgh City Council", "edinburgh"),
        ("City of Edinburgh Council", "edinburgh"),
        ("Stevenage District Council", "stevenage"),
        ("York City Council", "york"),
        ("Telford & Wrekin Council", "telford-and-wrekin"),
    ],
)
def test_aliases_in_the_wild(tagger, name, council_id):
    doc, _ = build(tagger, councils=[name])
    assert doc.council_ids == [council_id]


def test_unknown_declared_values_are_reported_and_the_document_kept(tagger):
    doc, warnings = build(
        tagger, title="T", councils=["Croydon", "Gotham City Council"], themes=["housing", "Underwater basket weaving"]
    )
    assert doc.council_ids == ["croydon"] and doc.theme_ids == ["housing"]
    assert any("'Gotham City Council' is not in the council register" in w for w in warnings)
    assert any("'Underwater basket weaving' is not in the themes" in w for w in warnings)


def test_theme_labels_resolve_like_ids(tagger):
    doc, _ = build(tagger, themes=["Violence against women and girls", "community-wealth-building"])
    assert doc.theme_ids == ["vawg", "community-wealth-building"]


def test_longest_council_name_wins_in_text(tagger):
    text = "Newcastle-under-Lyme Borough Council joined the network this year."
    assert tagger.infer_councils(text) == ["newcastle-under-lyme"]
    assert tagger.infer_councils("Newcastle upon Tyne City Council and Newcastle-under-Lyme") == [
        "newcastle-upon-tyne",
        "newcastle-under-lyme",
    ]
    assert tagger.infer_councils("A conference in Newcastle.") == []


def test_city_of_edinburgh_is_edinburgh_city_council(tagger):
    assert tagger.infer_councils("The City of Edinburgh Council led it.") == ["edinburgh"]
    assert tagger.infer_councils("Edinburgh City Council led it.") == ["edinburgh"]


def test_place_names_need_capitals(tagger):
    assert tagger.infer_councils("We met in Oldham.") == ["oldham"]
    assert tagger.infer_councils("we met in oldham.") == []
    assert tagger.infer_councils("Reading the report, councillors agreed.") == []


def test_undeclared_tags_are_inferred_with_provenance(tagger):
    body = "Sunderland City Council launched a community energy co-operative to cut fuel poverty, with solar panels on homes."
    doc, _ = build(tagger, body=body, path="2019/release.html", title="Energy co-op launched", type=None)
    assert [(t.value, t.source) for t in doc.councils] == [("sunderland", INFERRED)]
    assert "energy" in doc.theme_ids and all(t.source == INFERRED for t in doc.themes)
    assert (doc.doc_type, doc.doc_type_source) == ("press-release", INFERRED)


def test_acronyms_suggest_their_theme(tagger):
    assert "vawg" in tagger.infer_themes("New VAWG strategy", "The council's VAWG plan was agreed.")
    assert "community-wealth-building" in tagger.infer_themes("CWB", "Our CWB work with anchor institutions.")


def test_explicit_empty_list_means_no_councils(tagger):
    doc, _ = build(tagger, body="Oldham Council hosted it.", councils=[])
    assert doc.councils == []


def test_id_defaults_to_path_and_front_matter_id_wins(tagger):
    assert build(tagger)[0].id == "2016/x"
    assert build(tagger, id="housing/croydon-commission")[0].id == "housing/croydon-commission"
    doc, warnings = build(tagger, id="../../etc/passwd")
    assert doc.id == "2016/x" and any("not usable" in w for w in warnings)


def test_dates_and_years(tagger):
    assert build(tagger, date="2016-07-05")[0].date.iso == "2016-07-05"
    assert build(tagger, year=2019)[0].date.iso == "2019"
    doc, warnings = build(tagger, date="31 February")
    assert doc.date is None and any("date" in w for w in warnings)


def test_unknown_keys_are_kept_and_reported_once(tagger):
    doc, warnings = build(tagger, title="T", colour="blue", mood="happy")
    assert doc.extra == {"colour": "blue", "mood": "happy"}
    assert [w for w in warnings if "unknown" in w] == ["unknown metadata keys kept but not used: colour, mood"]


def test_javascript_source_urls_are_dropped(tagger):
    doc, warnings = build(tagger, source_url="javascript:alert(1)")
    assert doc.source_url == "" and warnings


def test_tags_are_inferred_from_the_start_of_a_very_long_text(tagger):
    from library.tagging import INFER_CHARS

    early = "Croydon Council set up a housing commission with tenants. "
    late = "Oldham Council ran a food co-operative. "
    raw = RawDocument("long.md", {"title": "A long report"}, early + "x " * (INFER_CHARS // 2) + late * 50)
    doc, _ = tagger.build(raw, "hash")
    assert doc.council_ids == ["croydon"]
    assert "food" not in doc.theme_ids
