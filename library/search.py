"""Search the library: honest answers, facets with honest counts, snippets, suggestions, related documents.

A search runs in named steps, each small enough to test alone: clean the request, parse what was typed,
match the text, filter by facets and years, page (rank, then snippets), count the facets, answer, and
suggest a correction. Matching, ranking and stored documents are the engine's (library.engine); everything
here is bitsets, document numbers and Documents.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Container, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

from . import snippets
from .answer import Answer, count_answer
from .engine.parsed import Matched, ParsedQuery
from .facets import FACET_FIELDS, MEMBER, FacetIndex
from .generation import Generation, Published, Status
from .model import Document
from .ranking import Ranking
from .results import MAX_PER_PAGE, SORTS, FacetValue, Hit, SearchRequest, SearchResult
from .store import IndexStore
from .vocab import REGIONS, Theme, Vocabularies
from .wording import YearPhrase

__all__ = ["MAX_PER_PAGE", "SORTS", "FacetValue", "Hit", "Library", "SearchRequest", "SearchResult"]

SYNTAX_SECONDS = 1.0  # the longest a search in query syntax may run before it stops with what it has
LABELS_HELD = 10_000  # facet value labels kept per facet


@dataclass(frozen=True)
class Filters:
    """What the facet and year choices of a request allow, as bitsets."""

    years: int  # the year range (and the members-only filter, which has no counts of its own)
    selections: dict[str, int]  # each facet's chosen values
    allowed: int  # all of them together


@dataclass(frozen=True)
class Paging:
    """Which page of how many results a request gets."""

    total: int
    page: int
    per_page: int
    pages: int

    @property
    def first(self) -> int:
        return self.per_page * (self.page - 1)


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
        # facet -> value -> (label, its lowercase sort key): a search lists hundreds of facet values, which come from
        # the vocabularies and the index, so a bounded set (and LABELS_HELD bounds it).
        self._labels: dict[str, dict[str, tuple[str, str]]] = {}
        # facet -> value -> its place among the facet's labelled values in label order (lowercase label, then
        # value), rebuilt when a value without one turns up: listing a facet is then two sorts keyed in C.
        self._label_order: dict[str, dict[str, int]] = {}

    @contextmanager
    def published(self) -> Iterator[Generation]:
        """The published generation, held for the duration (one being replaced is closed only after)."""
        with self._published.using() as generation:
            yield generation

    @property
    def generation(self) -> int:
        return self._published.now().number

    @property
    def facets(self) -> FacetIndex:
        return self._published.now().facets

    def use_ranking(self, ranking: Ranking) -> None:
        """Rank plain-words searches with other weights from now on (the evaluation tries several)."""
        self.ranking = ranking
        self._published.now().results.clear()

    def close(self) -> None:
        self._published.close()

    def status(self) -> Status:
        """The published generation's number, time and number of documents."""
        with self.published() as generation:
            return generation.status

    def first_published(self, doc_id: str) -> float | None:
        """When a document was first published in the library (Unix time); None for one it does not hold."""
        with self.published() as generation:
            docnum = generation.reader.docnum(doc_id)
            added = generation.reader.added(docnum) if docnum is not None else 0
        return float(added) if added else None

    def search(self, request: SearchRequest) -> SearchResult:
        """Run a search with facet counts, snippets and a spelling suggestion.

        Results are cached per generation, so a repeated search (a popular query, the back button, the
        home page's overview) costs nothing; treat a returned result as read-only.
        """
        with self.published() as generation:
            result = generation.results.get(request)
            if result is None:
                result = self._search(generation, request)
                generation.results.put(request, result)
            return result

    def export(self, request: SearchRequest) -> SearchResult:
        """Run a search and return every result on one page, without snippets."""
        with self.exported(request) as (result, hits):
            result.results = list(hits)
            return result

    @contextmanager
    def exported(self, request: SearchRequest) -> Iterator[tuple[SearchResult, Iterator[Hit]]]:
        """A search's every result, without snippets, read one document at a time while the caller writes it out:
        an export of the whole library holds one document at a time, not all of them. The generation searched
        stays open until the caller is done. The result's own `results` is empty."""
        with self.published() as generation:
            result = self._search(generation, replace(request, page=1, per_page=0), with_snippets=False)
            hits = result.results
            result.results = []
            yield result, iter(hits)

    def recently_added(self, limit: int = 5) -> list[Hit]:
        """The documents most recently added to the library, newest document first among equals."""
        with self.published() as generation:
            return [self._hit(doc, snippets.plain_snippet(doc.summary)) for doc in generation.reader.newest(limit)]

    def _search(
        self, generation: Generation, request: SearchRequest, retry_misspelled: bool = True,
        with_snippets: bool = True,
    ) -> SearchResult:  # fmt: skip
        notices: list[str] = []
        request = self._clean_filters(request, notices)
        parsed, request = self._parse(generation, request, notices)
        matched = generation.reader.match(parsed, self.syntax_seconds, notices)
        filters = _filters(generation.facets, request)
        final = matched.mask & filters.allowed
        paging = _paging(final.bit_count(), request, notices)
        hits = self._page(generation, matched, request, final, paging, with_snippets) if paging.total else []
        answer = self._answer(generation, matched, final, filters.allowed, request)
        suggestion = generation.speller.suggest(request.query, parsed.words) if parsed.words else None
        if suggestion and retry_misspelled and (paging.total == 0 or generation.speller.misspelled(answer.missing)):
            corrected = self._corrected(generation, request, suggestion, (answer, paging.total), notices, with_snippets)
            if corrected is not None:
                return corrected
        return SearchResult(
            query=request.query, total=paging.total, page=paging.page, per_page=paging.per_page,
            pages=paging.pages, notice=" ".join(notices) or None, suggestion=suggestion, results=hits,
            facets=self._facets(generation.facets, matched.mask & filters.years, filters.selections, request),
            answer=answer, generation=generation.number, request=request, years=parsed.years,
        )  # fmt: skip

    def _parse(
        self, generation: Generation, request: SearchRequest, notices: list[str]
    ) -> tuple[ParsedQuery, SearchRequest]:
        """Read what was typed; years named in words become the year filter (unless the request sets one)."""
        parsed = generation.reader.parse(request.query, self.today())
        notices += parsed.notices
        return parsed, self._apply_years(request, parsed.years, notices)

    def _corrected(
        self, generation: Generation, request: SearchRequest, suggestion: str, found: tuple[Answer, int],
        notices: list[str], with_snippets: bool,
    ) -> SearchResult | None:  # fmt: skip
        """The results of the corrected search, when a word that is in no document and is not English was
        mistyped and its correction finds as much or more; None to keep the search as typed."""
        answer, total = found
        corrected = self._search(generation, replace(request, query=suggestion), False, with_snippets)
        if not corrected.total or (corrected.answer.documents < answer.documents and total):
            return None
        corrected.query, corrected.suggestion, corrected.corrected = request.query, suggestion, True
        corrected.request = replace(corrected.request, query=request.query)
        corrected.notice = " ".join([*notices, _corrected_notice(answer.missing, request.query, suggestion)])
        return corrected

    def _apply_years(self, request: SearchRequest, years: YearPhrase | None, notices: list[str]) -> SearchRequest:
        """Use years named in words ("since 2020") as the year filter, unless the request sets one itself."""
        if years is None:
            return request
        if request.year_from is not None or request.year_to is not None:
            notices.append(f"“{years.text}” was not searched for, and the year range you chose was kept.")
            return request
        notices.append(f"“{years.text}” was read as the years {years.description}, not searched for as words.")
        return replace(request, year_from=years.year_from, year_to=years.year_to)

    def _facets(
        self, facets: FacetIndex, base: int, selections: dict[str, int], request: SearchRequest
    ) -> dict[str, list[FacetValue]]:
        """Each facet's counts over the matches, ignoring the facet's own selection but respecting the others'."""
        counted = {}
        for name in FACET_FIELDS:
            mask = base
            for other, selected in selections.items():
                if other != name:
                    mask &= selected
            counted[name] = self._facet_values(name, facets.counts(name, mask), request.selected(name))
        return counted

    def _answer(
        self, generation: Generation, matched: Matched, final: int, filtered: int, request: SearchRequest
    ) -> Answer:
        """Count what the search found honestly: documents holding every distinctive word, and who did it."""
        facets = generation.facets
        return count_answer(
            matched.parsed,
            matched.concepts,
            final,
            filtered,
            final.bit_count(),
            filtered != facets.live,
            lambda docs: self._councils(facets, docs, request),
        )

    def close_themes(self, query: str, limit: int = 4) -> list[Theme]:
        """Themes sharing a word (or a synonym's word) with a search, best first: a way on from a dead end."""
        with self.published() as generation:
            return generation.reader.close_themes(generation.reader.parse(query, self.today()), limit)

    def _councils(self, facets: FacetIndex, docs: int, request: SearchRequest) -> int:
        """How many councils did the practice in these documents (declared ones; inferred where none is).

        With councils or regions chosen, only those councils count: a region's page counts its own councils,
        not every member a network report in that region lists.
        """
        chosen, regions = set(request.council), set(request.region)
        return sum(
            1
            for council_id in facets.counts("practice", docs)
            if (not chosen or council_id in chosen) and (not regions or self.region_of(council_id) in regions)
        )

    def region_of(self, council_id: str) -> str:
        council = self.vocab.councils.get(council_id)
        return council.region_id if council else ""

    def _page(
        self, generation: Generation, matched: Matched, request: SearchRequest, final: int, paging: Paging,
        with_snippets: bool,
    ) -> list[Hit]:  # fmt: skip
        """One page of hits: ranked (or by date), each with its snippet and the searched words it lacks."""
        reader = generation.reader
        count = paging.first + paging.per_page
        if request.sort in ("newest", "oldest") or matched.parsed.is_everything:
            docnums = generation.dates.first(final, count, oldest=request.sort == "oldest")
        else:
            docnums = reader.rank(matched, final, count, self.ranking)
        highlighter = None
        if with_snippets and not matched.parsed.is_everything:
            highlighter = snippets.Highlighter(reader.highlight_terms(matched.parsed))
        if not with_snippets:  # an export: its hits are made as they are read
            return _LazyHits(
                docnums[paging.first :], lambda d: self._hit(reader.stored(d), "", matched.missing_from(d))
            )
        hits = []
        for docnum in docnums[paging.first :]:
            doc = reader.stored(docnum)
            text = highlighter.snippet(doc.body, doc.summary) if highlighter else snippets.plain_snippet(doc.summary)
            hits.append(self._hit(doc, text, matched.missing_from(docnum)))
        return hits

    def _hit(self, doc: Document, snippet_html: str, missing: list[str] | None = None) -> Hit:
        return Hit(
            id=doc.id, title=doc.title, type=doc.doc_type, date=doc.date.iso if doc.date else "", year=doc.year,
            councils=[{"id": c, "name": self.council_name(c)} for c in doc.council_ids],
            themes=[{"id": t, "label": self.theme_label(t)} for t in doc.theme_ids],
            summary=doc.summary, snippet=snippet_html,
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
        """A facet's values: most documents first, then by label (years newest first), the chosen ones included."""
        labels = self._labels.setdefault(name, {})
        present = {*counts, *selected}
        for value in [v for v in present if v not in labels]:
            label = self.label(name, value)
            if len(labels) < LABELS_HELD:
                labels[value] = (label, label.lower())
        if name == "year":
            return [FacetValue(v, v, counts.get(v, 0), v in selected) for v in sorted(present, reverse=True)]
        order = self._label_order.get(name, {})
        if not present <= order.keys() and present <= labels.keys():
            ranked = sorted(labels, key=lambda v: (labels[v][1], v))
            order = self._label_order[name] = {v: place for place, v in enumerate(ranked)}
        if present <= order.keys():
            counted = counts
            unmatched = [v for v in selected if v not in counts]  # chosen, but in none of the matches
            if unmatched:
                counted = {**counts, **dict.fromkeys(unmatched, 0)}
            ordered = sorted(present, key=order.__getitem__)
            ordered.sort(key=counted.__getitem__, reverse=True)  # stable: equal counts stay in label order
            return [FacetValue(v, labels[v][0], counted[v], v in selected) for v in ordered]
        keyed = sorted(
            (-counts.get(v, 0), labels[v][1] if v in labels else self.label(name, v).lower(), v) for v in present
        )
        return [
            FacetValue(v, labels[v][0] if v in labels else self.label(name, v), -c, v in selected) for c, _, v in keyed
        ]

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
        with self.published() as generation:
            docnum = generation.reader.docnum(doc_id)
            return generation.reader.stored(docnum) if docnum is not None else None

    def related(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Documents sharing themes, councils and distinctive words with this one, itself excluded."""
        with self.published() as generation:
            docnum = generation.reader.docnum(doc_id)
            if docnum is None:
                return []
            return [
                self._hit(doc, snippets.plain_snippet(doc.summary))
                for doc in map(generation.reader.stored, generation.reader.similar(docnum, limit))
            ]


def _filters(facets: FacetIndex, request: SearchRequest) -> Filters:
    """The documents a request's facet choices, year range and members-only filter allow."""
    years = facets.year_range(request.year_from, request.year_to)
    if request.members_only:  # a filter with no counts of its own: it narrows every facet alike
        years &= facets.value(MEMBER, "yes")
    selections = {name: facets.select(name, request.selected(name)) for name in FACET_FIELDS}
    allowed = years
    for mask in selections.values():
        allowed &= mask
    return Filters(years, selections, allowed)


class _LazyHits(list[Hit]):
    """Hits made one at a time as they are iterated (for exports); empty to anything that does not iterate."""

    def __init__(self, docnums: list[int], make: Callable[[int], Hit]) -> None:
        super().__init__()
        self._docnums, self._make = docnums, make

    def __iter__(self) -> Iterator[Hit]:
        return map(self._make, self._docnums)


def _paging(total: int, request: SearchRequest, notices: list[str]) -> Paging:
    """The page asked for, or the last one when it asks past the end (with a notice)."""
    per_page = max(1, min(request.per_page, MAX_PER_PAGE) if request.per_page else total)
    pages = max(1, math.ceil(total / per_page))
    page = max(1, request.page)
    if page > pages:
        notices.append(
            f"There {'is' if pages == 1 else 'are'} only {pages} page{'s' if pages > 1 else ''} of results; showing the last."
        )
        page = pages
    return Paging(total, page, per_page, pages)


def _corrected_notice(missing: list[str], typed: str, suggestion: str) -> str:
    if missing:
        words = " or ".join(f"“{w}”" for w in missing)
        return f"No document mentions {words}, so these are the results for “{suggestion}”."
    return f"Nothing matched “{typed}”, so these are the results for “{suggestion}”."
