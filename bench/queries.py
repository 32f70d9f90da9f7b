"""A fixed, seeded set of searches: one to three words from the domain's vocabulary, some with facet filters."""

from __future__ import annotations

import random
from dataclasses import replace

from library.engine import engine
from library.search import SearchRequest
from library.vocab import REGIONS, Vocabularies

from .corpus import domain_words
from .reference import porter_stems


def bench_queries(vocab: Vocabularies, count: int = 220, seed: int = 7) -> list[SearchRequest]:
    rng = random.Random(seed)
    words, _ = domain_words()
    # Only words whose family of forms both engines' stemmers agree on, so both answer the same question.
    analyse = engine().terms
    fts5 = porter_stems(words)
    product = {w: " ".join(analyse(w)) for w in words}
    family_fts5: dict[str, set[str]] = {}
    family_product: dict[str, set[str]] = {}
    for w in words:
        family_fts5.setdefault(fts5[w], set()).add(w)
        family_product.setdefault(product[w], set()).add(w)
    # Nor words the thesaurus expands: the reference has no thesaurus, so both would not answer the same question.
    expanded = {t for entry in vocab.synonyms.entries for phrase in entry.expansions() for t in analyse(phrase)}
    pool = [
        w for w in words[30:1500]
        if len(w) > 3 and product[w] == fts5[w] and family_fts5[fts5[w]] == family_product[product[w]]
        and product[w] not in expanded
    ]  # fmt: skip
    themes, types, regions = sorted(vocab.themes), sorted(vocab.doc_types), sorted(REGIONS)
    councils = sorted(c.id for c in vocab.councils.values() if not c.abolished)[:60]
    queries = []
    for n in range(count):
        text = " ".join(rng.sample(pool, rng.choice([1, 1, 2, 2, 2, 3])))
        if n % 20 == 19:
            text = ""  # browsing: filters only, newest first
        request = SearchRequest(query=text)
        roll = rng.random()
        if roll < 0.12 or not text:
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
        queries.append(request)
    return queries
