"""The one-pass indexing of text writes exactly what Whoosh's analyzer chain would."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from whoosh.fields import TEXT

from library.engine.whoosh.analysis import index_terms, text_analyzer, word_analyzer
from library.engine.whoosh.schema import ProseField, build_schema

# Words that exercise every branch: joined prefixes, split hyphenation, the co-op spellings, stop words,
# one-letter words, accents that fold to several letters, digits and underscores.
PIECES = [
    "co-operative", "Co-Op", "coops", "re-use", "e-mail", "anti-social", "well-being", "a-b-c", "x--y",
    "-", "--", "the", "and", "a", "I", "of", "Ærø", "straße", "ﬁnance", "naïve", "Œuvre", "ǅemal", "İstanbul",
    "housing", "commissions", "councils'", "2023", "co_op", "_", "ǈ", "Ω", "µ", "½", "ⅷ", "\u0301", "٣",
]  # fmt: skip
texts = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(alphabet="abcé-ÆŒ ", max_size=8)), max_size=40).map(" ".join),
    st.lists(st.sampled_from([*PIECES, " ", "-", ".", "\n"]), max_size=60).map("".join),
)


def chain_terms(text: str, analyzer) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    terms: dict[str, list[int]] = {}
    for token in analyzer(text, positions=True, mode="index"):
        terms.setdefault(token.text, []).append(token.pos)
    return terms


@settings(max_examples=400, deadline=None)
@given(text=texts)
@example(text="the co-operative well-being of a-b-c and re-use")
@example(text="of the - x--y co-op")
def test_one_pass_terms_are_the_analyzer_chains_terms(text):
    assert index_terms(text, stemmed=True) == chain_terms(text, text_analyzer())
    assert index_terms(text, stemmed=False) == chain_terms(text, word_analyzer())


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_each_prose_field_writes_the_postings_a_text_field_would(text):
    for name, field in build_schema().items():
        if not isinstance(field, ProseField):
            continue
        plain = TEXT(analyzer=field.analyzer, phrase=field.format.__class__.__name__ == "Positions",
                     field_boost=field.format.field_boost)  # fmt: skip
        assert type(plain.format) is type(field.format), name
        assert sorted(field.index(text)) == sorted(plain.index(text)), name


def test_a_prose_field_is_searched_with_its_analyzer():
    schema = build_schema()
    assert [t.text for t in schema["body"].analyzer("Co-operative housing", mode="query")] == ["cooper", "hous"]
    assert [t.text for t in schema["words"].analyzer("Co-operative housing", mode="query")] == [
        "cooperative", "housing",
    ]  # fmt: skip
