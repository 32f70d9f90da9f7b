"""Search the library: honest answers, facets with honest counts, snippets, suggestions, related documents."""

from __future__ import annotations

import math
from collections.abc import Callable, Container
from contextlib import AbstractContextManager
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeAlias

from whoosh import query as Q
from whoosh import sorting

from . import snippets
from .answer import Answer, count_answer
from .bounds import SyntaxMatches, bound_expansions, syntax_matches
from .facets import FACET_FIELDS, MEMBER, DateOrder, FacetIndex, members
from .generation import Generation, Published
from .matching import (
    ConceptMatches,
    MatchCache,
    Ranking,
    best_first,
    concept_matches,
    most_similar,
    only_words,
    to_flags,
)
from .model import Document
from .query import TEXT_FIELDS, ParsedQuery, QueryBuilder
from .results import MAX_PER_PAGE, SORTS, FacetValue, Hit, SearchRequest, SearchResult
from .schema import stored_document
from .spelling import Speller
from .store import IndexStore, Manifest
from .vocab import REGIONS, Theme, Vocabularies
from .wording import YearPhrase

__all__ = ["MAX_PER_PAGE", "SORTS", "FacetValue", "Hit", "Library", "SearchRequest", "SearchResult"]

# Whoosh has no types: its searchers and queries are Any here.
Searcher: TypeAlias = Any

SYNTAX_SECONDS = 1.0  # the longest a search in query syntax may run before it stops with what it has


class Library:
    """The published index, opened once and reopened when a new generation is published."""

    def __init__(
        self, index_root: Path, vocab: Vocabularies, today: Callable[[], date] = date.today,
        syntax_seconds: float = SYNTAX_SECONDS,
    ) -> None:  # fmt: skip
        self.store = IndexStore(index_root)
        self.syntax_seconds = syntax_seconds  # the time budget of a search in query syntax
        self.vocab = vocab
        self.today = today  # what "last year" in a search counts from
        self.ranking = Ranking()
        self._published = Published(self.store, vocab)

    def _using(self) -> AbstractContextManager[Generation]:
        """Run on the published generation (the one this thread is already on, inside a search)."""
        return self._published.using()

    @property
    def _now(self) -> Generation:
        """The generation this thread is searching, or the published one."""
        return self._published.now()

    def _current(self) -> Searcher:
        """This thread's searcher of the published generation."""
        return self._now.searcher()

    @property
    def generation(self) -> int:
        return self._now.number

    @property
    def manifest(self) -> Manifest:
        return self._now.manifest

    @property
    def facets(self) -> FacetIndex:
        return self._now.facets

    @property
    def dates(self) -> DateOrder:
        return self._now.dates

    @property
    def matches(self) -> MatchCache:
        return self._now.matches

    @property
    def queries(self) -> QueryBuilder:
        return self._now.queries

    @property
    def speller(self) -> Speller:
        return self._now.speller

    def use_ranking(self, ranking: Ranking) -> None:
        """Rank plain-words searches with other weights from now on (the evaluation tries several)."""
        self.ranking = ranking
        self._now.results.clear()

    def close(self) -> None:
        self._published.close()

    def status(self) -> Manifest:
        """The published generation's manifest: number, time and documents."""
        with self._using() as generation:
            return generation.manifest

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search with facet counts, snippets and a spelling suggestion.

        Results are cached per generation, so a repeated search (a popular query, the back button, the
        home page's overview) costs nothing; treat a returned result as read-only.
        """
        with self._using() as generation:
            result = generation.results.get(request)
            if result is None:
                result = self._search(generation.searcher(), request)
                generation.results.put(request, result)
            return result

    def export(self, request: SearchRequest) -> SearchResult:
        """Run a search and return every result on one page, without snippets, for exports."""
        with self._using() as generation:
            return self._search(generation.searcher(), replace(request, page=1, per_page=0), with_snippets=False)

    def recently_added(self, limit: int = 5) -> list[Hit]:
        """The documents most recently added to the library, newest document first among equals."""
        with self._using() as generation:
            searcher = generation.searcher()
            order = sorting.MultiFacet(
                [sorting.FieldFacet("added", reverse=True), sorting.FieldFacet("date_sort", reverse=True)]
            )
            results = searcher.search(Q.Every(), limit=limit, sortedby=order)
            return [
                self._hit(doc, snippets.plain_snippet(doc.summary))
                for doc in (stored_document(h.fields()) for h in results)
            ]

    def _search(
        self, searcher: Searcher, request: SearchRequest, retry_misspelled: bool = True, with_snippets: bool = True
    ) -> SearchResult:
        notices: list[str] = []
        syntax: SyntaxMatches | None = None
        request = self._clean_filters(request, notices)
        parsed = self.queries.parse(request.query, self.today())
        notices += parsed.notices
        request = self._apply_years(request, parsed.years, notices)
        concepts = concept_matches(self.matches, parsed.concepts, parsed.near_pairs) if parsed.concepts else None
        if concepts is None and not parsed.is_everything:  # query syntax: bound what wildcards and ranges cost
            parsed = replace(parsed, query=bound_expansions(parsed.query, searcher.reader(), notices))
        if parsed.is_everything:
            text_mask = self.facets.live
        elif concepts is not None:
            text_mask = concepts.any()
        elif only_words(parsed.query):  # wildcards become words, so most searches in syntax take the fast path
            text_mask = self.matches.postings(parsed.query).mask
        else:
            syntax = syntax_matches(
                searcher, parsed.query, self.syntax_seconds, self.facets.size, self.facets.live, notices
            )
            text_mask = syntax.mask
        years = self.facets.year_range(request.year_from, request.year_to)
        if request.members_only:  # a filter with no counts of its own: it narrows every facet alike
            years &= self.facets.values[MEMBER].get("yes", 0)
        selections = {name: self.facets.select(name, request.selected(name)) for name in FACET_FIELDS}
        filtered = years
        for mask in selections.values():
            filtered &= mask
        final = text_mask & filtered
        total = final.bit_count()
        per_page = max(1, min(request.per_page, MAX_PER_PAGE) if request.per_page else total)
        pages = max(1, math.ceil(total / per_page))
        page = max(1, request.page)
        if page > pages:
            notices.append(
                f"There {'is' if pages == 1 else 'are'} only {pages} page{'s' if pages > 1 else ''} of results; showing the last."
            )
            page = pages
        hits = (
            self._page(searcher, parsed, concepts, request, final, page, per_page, with_snippets, syntax)
            if total
            else []
        )
        answer = self._answer(parsed, concepts, final, filtered, total, request)
        suggestion = self.speller.suggest(request.query, parsed.words) if parsed.words else None
        if suggestion and retry_misspelled and (total == 0 or self.speller.misspelled(answer.missing)):
            corrected = self._search(searcher, replace(request, query=suggestion), False, with_snippets)
            # A word that is in no document and is not English was mistyped: show what its correction finds.
            if corrected.total and (corrected.answer.documents >= answer.documents or total == 0):
                corrected.query, corrected.suggestion, corrected.corrected = request.query, suggestion, True
                corrected.request = replace(corrected.request, query=request.query)
                corrected.notice = " ".join([*notices, _corrected_notice(answer.missing, request.query, suggestion)])
                return corrected
        return SearchResult(
            query=request.query, total=total, page=page, per_page=per_page, pages=pages,
            notice=" ".join(notices) or None, suggestion=suggestion, results=hits,
            facets=self._facets(text_mask & years, selections, request), answer=answer,
            generation=self.generation, request=request, years=parsed.years,
        )  # fmt: skip

    def _apply_years(self, request: SearchRequest, years: YearPhrase | None, notices: list[str]) -> SearchRequest:
        """Use years named in words ("since 2020") as the year filter, unless the request sets one itself."""
        if years is None:
            return request
        if request.year_from is not None or request.year_to is not None:
            notices.append(f"“{years.text}” was not searched for, and the year range you chose was kept.")
            return request
        notices.append(f"“{years.text}” was read as the years {years.description}, not searched for as words.")
        return replace(request, year_from=years.year_from, year_to=years.year_to)

    def _facets(self, base: int, selections: dict[str, int], request: SearchRequest) -> dict[str, list[FacetValue]]:
        """Each facet's counts over the matches, ignoring the facet's own selection but respecting the others'."""
        facets = {}
        for name in FACET_FIELDS:
            mask = base
            for other, selected in selections.items():
                if other != name:
                    mask &= selected
            facets[name] = self._facet_values(name, self.facets.counts(name, mask), request.selected(name))
        return facets

    def _answer(
        self, parsed: ParsedQuery, concepts: ConceptMatches | None, final: int, filtered: int, total: int,
        request: SearchRequest,
    ) -> Answer:  # fmt: skip
        """Count what the search found honestly: documents holding every distinctive word, and who did it."""
        return count_answer(
            parsed,
            concepts,
            final,
            filtered,
            total,
            filtered != self.facets.live,
            lambda docs: self._councils(docs, request),
        )

    def close_themes(self, query: str, limit: int = 4) -> list[Theme]:
        """Themes sharing a word (or a synonym's word) with a search, best first: a way on from a dead end."""
        return self.queries.close_themes(self.queries.parse(query, self.today()), limit)

    def _councils(self, docs: int, request: SearchRequest) -> int:
        """How many councils did the practice in these documents (declared ones; inferred where none is).

        With councils or regions chosen, only those councils count: a region's page counts its own councils,
        not every member a network report in that region lists.
        """
        chosen, regions = set(request.council), set(request.region)
        return sum(
            1
            for council_id, mask in self.facets.values["practice"].items()
            if mask & docs
            and (not chosen or council_id in chosen)
            and (not regions or self.region_of(council_id) in regions)
        )

    def region_of(self, council_id: str) -> str:
        council = self.vocab.councils.get(council_id)
        return council.region_id if council else ""

    def _page(
        self,
        searcher: Searcher,
        parsed: ParsedQuery,
        concepts: ConceptMatches | None,
        request: SearchRequest,
        final: int,
        page: int,
        per_page: int,
        with_snippets: bool,
        syntax: SyntaxMatches | None = None,
    ) -> list[Hit]:
        first = per_page * (page - 1)
        count = first + per_page
        if request.sort in ("newest", "oldest") or parsed.is_everything:
            docnums = self.dates.first(final, count, oldest=request.sort == "oldest")
        elif concepts is not None:
            docnums = concepts.ranked(final, count, self.dates.date, self.ranking)
        elif syntax is not None:
            allowed = to_flags(final, self.facets.size)
            keys = [(0, round(score, 6), doc) for doc, score in syntax.scores.items() if allowed[doc]]
            docnums = best_first(keys, count, self.dates.date)
        else:
            docnums = self._scored(searcher, parsed.query, final, count)
        highlighter = None
        if with_snippets and not parsed.is_everything:
            # Leaf by leaf: Whoosh's existing_terms reuses its `fieldname` argument as a loop variable, so
            # over a whole tree it stops at the first field and would miss words found only in the body.
            reader = searcher.reader()
            terms = {term for leaf in parsed.query.leaves() for term in leaf.existing_terms(reader, expand=True)}
            highlighter = snippets.Highlighter(
                {t.decode("utf-8") if isinstance(t, bytes) else t for f, t in terms if f in TEXT_FIELDS}
            )
        hits = []
        for docnum in docnums[first:]:
            doc = stored_document(searcher.stored_fields(docnum))
            text = highlighter.snippet(doc.body, doc.summary) if highlighter else snippets.plain_snippet(doc.summary)
            hits.append(self._hit(doc, text, concepts.missing_from(docnum) if concepts else []))
        return hits

    def _scored(self, searcher: Searcher, query: Q.Query, final: int, count: int) -> list[int]:
        """The best `count` documents of `final` for a query written in search syntax, scored by Whoosh."""
        if only_words(query):  # the cached per-word scores are Whoosh's own, summed as its Or sums them
            postings = self.matches.postings(query)
            flags = to_flags(final, self.facets.size)[postings.docs]
            keys = [
                (0, round(float(score), 6), int(doc))
                for doc, score in zip(postings.docs[flags], postings.scores[flags], strict=True)
            ]
            return best_first(keys, count, self.dates.date)
        allowed = None if final == self.matches.matches(query) else set(members(final))
        results = searcher.search(query, limit=count, filter=allowed)
        keys = [(0, round(hit.score, 6), hit.docnum) for hit in iter(results)]  # iter(): len() would count all
        return best_first(keys, count, self.dates.date)

    def _hit(self, doc: Document, snippet_html: str, missing: list[str] | None = None) -> Hit:
        return Hit(
            id=doc.id, title=doc.title, type=doc.doc_type, date=doc.date.iso if doc.date else "", year=doc.year,
            councils=[{"id": c, "name": self.council_name(c)} for c in doc.council_ids],
            themes=[{"id": t, "label": self.theme_label(t)} for t in doc.theme_ids],
            summary=doc.summary, snippet=snippet_html, url=f"/doc/{doc.id}",
            lead={"id": doc.lead, "name": self.lead_name(doc), "kind": doc.lead_kind} if doc.lead else None,
            lead_contact=doc.lead_contact, missing=missing or [],
            principles=[{"id": p, "label": self.principle_label(p)} for p in doc.principle_ids],
            organisations=[{"id": o, "name": self.organisation_name(o)} for o in doc.organisations],
            status={"id": doc.status, "label": self.label("status", doc.status)} if doc.status else None,
            evidence={"id": doc.evidence_id, "label": self.label("evidence", doc.evidence_id)},
            outcomes=doc.outcomes,
            sources=[{"title": s.title, "url": s.url, "date": s.date, "publisher": s.publisher} for s in doc.sources],
        )  # fmt: skip

    def _clean_filters(self, request: SearchRequest, notices: list[str]) -> SearchRequest:
        known: dict[str, Container[str]] = {
            "theme": self.vocab.themes,
            "council": self.vocab.councils,
            "type": self.vocab.doc_types,
            "region": REGIONS,
            "principle": self.vocab.principles,
            "status": self.vocab.statuses,
            "evidence": self.vocab.evidence,
            "organisation": self.vocab.organisations,
        }
        changes: dict[str, object] = {}
        for name, vocabulary in known.items():
            chosen = getattr(request, name)
            kept = tuple(dict.fromkeys(v for v in chosen if v in vocabulary))
            for unknown in (v for v in chosen if v not in vocabulary):
                notices.append(f"There is no {name} {unknown[:60]!r}, so that filter was left out.")
            if kept != chosen:
                changes[name] = kept
        if request.sort not in SORTS:
            notices.append(f"Results can be sorted by {', '.join(SORTS)}; sorted by relevance instead.")
            changes["sort"] = "relevance"
        if request.year_from is not None and request.year_to is not None and request.year_from > request.year_to:
            notices.append("The year range was back to front, so it was turned round.")
            changes["year_from"], changes["year_to"] = request.year_to, request.year_from
        if not changes:
            return request
        return SearchRequest(**{**asdict(request), **changes})

    def _facet_values(self, name: str, counts: dict[str, int], selected: tuple[str, ...]) -> list[FacetValue]:
        values = [FacetValue(v, self.label(name, v), counts.get(v, 0), v in selected) for v in {*counts, *selected}]
        if name == "year":
            return sorted(values, key=lambda f: f.value, reverse=True)
        return sorted(values, key=lambda f: (-f.count, f.label.lower()))

    def label(self, facet: str, value: str) -> str:
        """A facet value's human label."""
        if facet == "council":
            return self.council_name(value)
        if facet == "theme":
            return self.theme_label(value)
        if facet == "type":
            doc_type = self.vocab.doc_types.get(value)
            return doc_type.label if doc_type else value
        if facet == "region":
            return REGIONS.get(value, value)
        if facet == "principle":
            return self.principle_label(value)
        if facet == "organisation":
            return self.organisation_name(value)
        if facet in ("status", "evidence"):
            entry = (self.vocab.statuses if facet == "status" else self.vocab.evidence).get(value)
            return entry.label if entry else value.replace("-", " ").capitalize()
        return value

    def organisation_name(self, organisation_id: str) -> str:
        organisation = self.vocab.organisations.get(organisation_id)
        return organisation.name if organisation else organisation_id

    def lead_name(self, doc: Document) -> str:
        """The name of whoever led the practice, council or organisation."""
        if doc.lead_kind == "organisation":
            return self.organisation_name(doc.lead)
        return self.council_name(doc.lead)

    def council_name(self, council_id: str) -> str:
        council = self.vocab.councils.get(council_id)
        return council.name if council else council_id

    def principle_label(self, principle_id: str) -> str:
        principle = self.vocab.principles.get(principle_id)
        return principle.label if principle else principle_id

    def theme_label(self, theme_id: str) -> str:
        theme = self.vocab.themes.get(theme_id)
        return theme.label if theme else theme_id

    def contacts(self, council_id: str) -> list[Hit]:
        """The documents a council led that say who to contact, newest first."""
        everything = self.export(SearchRequest(council=(council_id,), sort="newest"))
        return [
            hit
            for hit in everything.results
            if hit.lead and hit.lead["kind"] == "council" and hit.lead["id"] == council_id and hit.lead_contact
        ]

    def document(self, doc_id: str) -> Document | None:
        """Return one document by id, or None."""
        with self._using() as generation:
            fields = generation.searcher().document(id=doc_id)
            return stored_document(fields) if fields else None

    def related(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Documents sharing themes, councils and distinctive words with this one, itself excluded."""
        with self._using() as generation:
            searcher = generation.searcher()
            docnum = searcher.document_number(id=doc_id)
            if docnum is None:
                return []
            doc = stored_document(searcher.stored_fields(docnum))
            clauses = [Q.Term("theme", t, boost=2.0) for t in doc.theme_ids]
            clauses += [Q.Term("council", c, boost=1.5) for c in doc.council_ids]
            clauses += [
                Q.Term("body", word, boost=weight) for word, weight in searcher.key_terms([docnum], "body", numterms=12)
            ]
            if not clauses:
                return []
            # Summed from the per-generation score cache: walking Whoosh's matchers for twenty-odd terms took
            # a fifth of a second at 10,000 documents, for every document page.
            postings = [self.matches.postings(clause) for clause in clauses]
            found = most_similar(postings, self.facets.size, docnum, limit, self.dates.date)
            return [
                self._hit(d, snippets.plain_snippet(d.summary))
                for d in (stored_document(searcher.stored_fields(n)) for n in found)
            ]


def _corrected_notice(missing: list[str], typed: str, suggestion: str) -> str:
    if missing:
        words = " or ".join(f"“{w}”" for w in missing)
        return f"No document mentions {words}, so these are the results for “{suggestion}”."
    return f"Nothing matched “{typed}”, so these are the results for “{suggestion}”."
