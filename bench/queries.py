"""Seeded searches: one to three words from the corpus's own vocabulary, some with facet filters, none repeated.

Every set is distinct within itself, so when a run times a set no request of it can be answered from a
result cache the set filled itself; `fresh_sets` cuts one seeded list into disjoint sets (a warm-up, the
timed searches, the web scenario's...), so no set repeats a request of another either.

The words are those every engine in the run reads alike: each stemmer groups the same words of the
generated text, and the same words of the tags (council names, places, theme and type labels), with a
query word, so every engine answers the same question and their totals and facet counts can be compared.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from library.engine import engine
from library.search import SearchRequest
from library.vocab import COUNCIL_TYPES, REGIONS, Vocabularies

from .corpus import domain_words
from .reference import porter_stems

Analyser = Callable[[list[str]], dict[str, str]]  # texts -> each text's words as one engine analyses them


@dataclass(frozen=True)
class QueryPool:
    """The words searches are drawn from, and which engines' stemmers they were checked against."""

    words: list[str]
    stemmers: tuple[str, ...]


def tag_strings(vocab: Vocabularies) -> list[str]:
    """Every text a document's tags can hold (library.engine.fields.tag_text), one string each."""
    texts = [theme.label for theme in vocab.themes.values()] + [t.label for t in vocab.doc_types.values()]
    texts += list(COUNCIL_TYPES.values())
    for council in vocab.councils.values():
        texts += [council.name, council.place, *council.aliases]
    return sorted({t for t in texts if t})


def _product_analyser(texts: list[str]) -> dict[str, str]:
    analyse = engine().terms
    return {t: " ".join(analyse(t)) for t in texts}


def analysers() -> dict[str, Analyser]:
    """How each engine of the run analyses text: the product and FTS5 always, tantivy where it is installed."""
    found: dict[str, Analyser] = {"product": _product_analyser, "fts5": porter_stems}
    try:
        from .tantivy_reference import tantivy_stems
    except ImportError:  # tantivy is not installed: the run has no tantivy column, and the pool does not ask it
        return found
    found["tantivy"] = tantivy_stems
    return found


def query_pool(vocab: Vocabularies, engines: dict[str, Analyser] | None = None) -> QueryPool:
    """Words whose family of forms every engine's stemmer agrees on, in the generated text and in the tags.

    A word qualifies when every engine matches it in the same domain words and the same tag strings (so no
    engine finds a document another misses), the product and FTS5 reduce it to the same stem (so both mark
    the same words in snippets), and the thesaurus does not expand it (the references have no thesaurus).
    """
    engines = engines or analysers()
    words, _ = domain_words()
    tags = tag_strings(vocab)
    held: dict[str, dict[str, frozenset[int]]] = {}  # engine -> stem -> the texts (words, then tags) holding it
    stem_of: dict[str, dict[str, str]] = {}
    for name, analyse in engines.items():
        stem_of[name] = analyse(words)
        analysed_tags = analyse(tags)
        holders: dict[str, set[int]] = {}
        for i, word in enumerate(words):
            holders.setdefault(stem_of[name][word], set()).add(i)
        for j, text in enumerate(tags, start=len(words)):
            for stem in analysed_tags[text].split():
                holders.setdefault(stem, set()).add(j)
        held[name] = {stem: frozenset(found) for stem, found in holders.items()}
    analyse_product = engine().terms
    expanded = {t for entry in vocab.synonyms.entries for phrase in entry.expansions() for t in analyse_product(phrase)}
    product, fts5 = stem_of["product"], stem_of["fts5"]
    pool = [
        w for w in words[30:1500]
        if len(w) > 3 and product[w] and product[w] == fts5[w] and product[w] not in expanded
        and len({held[name].get(stem_of[name][w]) for name in engines}) == 1
    ]  # fmt: skip
    return QueryPool(pool, tuple(engines))


def bench_queries(
    vocab: Vocabularies, count: int = 220, seed: int = 7, pool: QueryPool | None = None,
    exclude: Iterable[SearchRequest] = (),
) -> list[SearchRequest]:  # fmt: skip
    """`count` distinct searches, none of them in `exclude`; one in twenty browses (filters only, newest first).

    A third carry a facet filter or a year range. A drawn request that repeats an earlier one (or one of
    `exclude`) is drawn again, so the list never asks the same thing twice.
    """
    pool = pool or query_pool(vocab)
    rng = random.Random(seed)
    themes, types, regions = sorted(vocab.themes), sorted(vocab.doc_types), sorted(REGIONS)
    councils = sorted(c.id for c in vocab.councils.values() if not c.abolished)[:60]
    seen = set(exclude)
    queries: list[SearchRequest] = []
    for _ in range(count * 50):
        if len(queries) == count:
            break
        browse = len(queries) % 20 == 19
        text = "" if browse else " ".join(rng.sample(pool.words, rng.choice([1, 1, 2, 2, 2, 3])))
        request = SearchRequest(query=text)
        roll = rng.random()
        if roll < 0.12 or browse:
            request = replace(request, theme=(rng.choice(themes),))
        elif roll < 0.2:
            request = replace(request, region=(rng.choice(regions),))
        elif roll < 0.26:
            request = replace(request, council=tuple(rng.sample(councils, 2)))
        elif roll < 0.3:
            request = replace(request, type=(rng.choice(types),))
        elif roll < 0.35:
            start = rng.randint(2012, 2022)
            request = replace(request, year_from=start, year_to=start + 3)
        if browse and request in seen:  # few themes: a browse that repeats one narrows it by a region or years
            if rng.random() < 0.5:
                request = replace(request, region=(rng.choice(regions),))
            else:
                start = rng.randint(2012, 2022)
                request = replace(request, year_from=start, year_to=start + rng.randint(0, 3))
        if request not in seen:
            seen.add(request)
            queries.append(request)
    if len(queries) < count:
        raise ValueError(f"only {len(queries)} distinct searches could be drawn, not {count}")
    return queries


def fresh_sets(
    vocab: Vocabularies, sizes: dict[str, int], seed: int = 7, pool: QueryPool | None = None
) -> dict[str, list[SearchRequest]]:
    """Disjoint sets of searches, named and sized by `sizes`, cut in order from one seeded list of distinct ones."""
    everything = bench_queries(vocab, sum(sizes.values()), seed, pool)
    sets, start = {}, 0
    for name, size in sizes.items():
        sets[name] = everything[start : start + size]
        start += size
    return sets
