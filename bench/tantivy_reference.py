"""An outside anchor: tantivy (Rust, through its Python bindings) fed the same documents with the same rules.

It has the interface of bench.reference.Reference: `index(corpus)` brings the index up to date (re-reading
files whose size or mtime changed) and `search(request)` answers {"total", "ids", "results", "facets"}.

- Documents are read and tagged by the product's readers and tagger and indexed from what the product
  indexes (library.engine.fields.document_fields): title, summary, body and tags stemmed in English
  (tantivy's own pipeline: simple tokenizer, long words dropped, lowercased, Snowball English stemmer),
  each facet a raw-tokenized, fast field, the year an indexed fast integer, date_sort a fast integer.
- A search matches by the product's rule (bench.reference.chosen_words: a word in more than half the
  documents only ranks), each word a should-clause over the four fields boosted at query time like the
  product's fields (title 3, summary 2, body 1, tags 3), BM25 ranked; facet selections and the year range
  are unscored filter clauses.
- Facets are counted by tantivy's terms aggregations, each facet's counts ignoring its own selection but
  respecting the others' (one aggregation over every unselected facet, one more per selected facet).
- Snippets come from tantivy's SnippetGenerator, for the page's ten results only.

Importing this module imports tantivy; the rest of bench imports it only where tantivy is wanted, so the
benchmark runs without it (and says that the tantivy column was skipped).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import tantivy
from tantivy import FieldType, Occur, Order, Query

from library.search import SearchRequest
from library.tagging import Tagger
from library.vocab import Vocabularies

from .reference import FACETS, changed_files, chosen_words, facet_rows, frame_filtered, known_values, unsupported

TEXT_FIELDS = {"title": 3.0, "summary": 2.0, "body": 1.0, "tags": 3.0}  # the product's field boosts
ANALYZER = "bench_english"
LARGEST = 1_000_000  # an aggregation's bucket limit, beyond any facet's number of values: counts are exact
HEAP_BYTES = 256_000_000
STATE = "bench-state.json"  # path -> [size, mtime, hash]: what the index holds, to skip unchanged files


def english() -> tantivy.TextAnalyzer:
    """tantivy's en_stem pipeline, built here so queries are analysed by exactly what indexed the text."""
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    builder = builder.filter(tantivy.Filter.remove_long(40)).filter(tantivy.Filter.lowercase())
    return builder.filter(tantivy.Filter.stemmer("english")).build()


def tantivy_stems(texts: list[str]) -> dict[str, str]:
    """How tantivy's English analysis reads each text: its terms, space-separated."""
    analyzer = english()
    return {text: " ".join(analyzer.analyze(text)) for text in texts}


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("path", tokenizer_name="raw", index_option="basic")
    for name in TEXT_FIELDS:
        builder.add_text_field(name, stored=name != "tags", tokenizer_name=ANALYZER)
    for name in FACETS:
        builder.add_text_field(name, fast=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    builder.add_integer_field("date_sort", fast=True)
    return builder.build()


class TantivyReference:
    """A tantivy index built and searched the way the product builds and searches its index."""

    def __init__(self, path: Path, vocab: Vocabularies) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.schema = schema()
        self.analyzer = english()
        self.index_ = tantivy.Index(self.schema, path=str(path), reuse=True)
        self.index_.register_tokenizer(ANALYZER, self.analyzer)
        self.vocab = vocab
        self.known = known_values(vocab)
        self.tagger = Tagger(vocab)
        state = path / STATE
        # Each shown path's [size, mtime, hash], as JSON keeps them.
        self.state: dict[str, list[Any]] = json.loads(state.read_text()) if state.exists() else {}
        self.searcher = self.index_.searcher()

    def close(self) -> None:
        """Nothing to close: tantivy's index and searcher go with the object."""

    def index(self, corpus: Path) -> dict[str, int]:
        """Bring the index up to date with the corpus: re-read files whose size or mtime changed."""
        seen: set[str] = set()
        counts = {"added": 0, "changed": 0, "deleted": 0, "unchanged": 0}
        writer = self.index_.writer(heap_size=HEAP_BYTES)
        known = {
            shown: (int(str(size)), int(str(mtime)), str(digest)) for shown, (size, mtime, digest) in self.state.items()
        }
        for item in changed_files(corpus, known, self.tagger, self.vocab, counts, seen):
            if item.fields is not None:
                if item.shown in self.state:
                    writer.delete_documents_by_term("path", item.shown)
                counts["changed" if item.shown in self.state else "added"] += 1
                writer.add_document(self._document(item.fields, item.shown))
            self.state[item.shown] = [item.size, item.mtime, item.digest]
        for shown in [s for s in self.state if s not in seen]:
            writer.delete_documents_by_term("path", shown)
            del self.state[shown]
            counts["deleted"] += 1
        if counts["added"] or counts["changed"] or counts["deleted"]:
            writer.commit()
            writer.wait_merging_threads()  # the merges a commit starts are part of the build
            self.index_.reload()
            self.searcher = self.index_.searcher()
        else:
            writer.rollback()
        (self.path / STATE).write_text(json.dumps(self.state))
        return counts

    def _document(self, fields: dict[str, object], shown: str) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("id", str(fields["id"]))
        doc.add_text("path", shown)
        for name in TEXT_FIELDS:
            doc.add_text(name, str(fields[name]))
        for name, value in facet_rows(fields):
            doc.add_text(name, value)
        if fields.get("year"):
            doc.add_integer("year", int(str(fields["year"])))
        doc.add_integer("date_sort", int(str(fields["date_sort"])))
        return doc

    def _word(self, word: str) -> Query:
        """One searched word in any of the four text fields, each boosted as the product boosts it."""
        terms = self.analyzer.analyze(word)
        clauses = []
        for name, boost in TEXT_FIELDS.items():
            if len(terms) == 1:
                query = Query.term_query(self.schema, name, terms[0])
            else:  # a word the tokenizer splits is a phrase (rare in searches)
                query = Query.phrase_query(self.schema, name, list(terms))
            clauses.append((Occur.Should, Query.boost_query(query, boost)))
        return Query.boolean_query(clauses)

    def _count(self, query: Query) -> int:
        return _total(self.searcher.search(query, limit=1, count=True))

    def search(self, request: SearchRequest) -> dict[str, object]:
        """Top results with snippets, the total and every facet's counts, as the product computes them."""
        unsupported(request)
        searcher = self.searcher
        words = frame_filtered(request.query)
        text = None
        if words:
            queries = {w: self._word(w) for w in dict.fromkeys(words) if self.analyzer.analyze(w)}
            counts = {w: self._count(q) for w, q in queries.items()}
            chosen = chosen_words(counts, searcher.num_docs) if counts else []
            text = Query.boolean_query([(Occur.Should, queries[w]) for w in chosen]) if chosen else Query.empty_query()
        filters: list[Query] = []
        if request.year_from is not None or request.year_to is not None:
            filters.append(
                Query.range_query(self.schema, "year", FieldType.Integer, request.year_from, request.year_to)
            )
        selections: dict[str, Query] = {}
        for name in FACETS:
            chosen_values = [v for v in dict.fromkeys(request.selected(name)) if v in self.known[name]]
            if chosen_values:
                selections[name] = Query.term_set_query(self.schema, name, chosen_values)

        def combined(skip: str | None = None) -> Query:
            clauses = [(Occur.Must, text if text is not None else Query.all_query())]
            kept = [*filters, *(q for name, q in selections.items() if name != skip)]
            clauses += [(Occur.Must, Query.const_score_query(q, 0.0)) for q in kept]
            return Query.boolean_query(clauses)

        final = combined()
        first = (max(1, request.page) - 1) * request.per_page
        if text is None or request.sort in ("newest", "oldest"):
            order = Order.Asc if request.sort == "oldest" else Order.Desc
            found = searcher.search(
                final, limit=request.per_page, offset=first, order_by_field="date_sort", order=order
            )
        else:
            found = searcher.search(final, limit=request.per_page, offset=first)
        facets = self._aggregate(final, [n for n in FACETS if n not in selections] + ["year"])
        for name in selections:
            facets |= self._aggregate(combined(skip=name), [name])
        results = self._results([address for _, address in found.hits], text)
        return {"total": _total(found), "ids": [r["id"] for r in results], "results": results, "facets": facets}

    def _aggregate(self, query: Query, names: list[str]) -> dict[str, dict[str, int]]:
        """Each named facet's counts over a query's documents: tantivy's terms aggregations, exact."""
        spec = {name: {"terms": {"field": name, "size": LARGEST, "segment_size": LARGEST}} for name in names}
        answer = self.searcher.aggregate(query, spec)
        counts = {}
        for name in names:
            buckets = answer[name]
            if buckets.get("sum_other_doc_count"):
                raise AssertionError(f"tantivy's {name} aggregation left values out")
            counts[name] = {_value(b["key"]): int(b["doc_count"]) for b in buckets["buckets"] if b["doc_count"]}
        return counts

    def _results(self, addresses: list[tantivy.DocAddress], text: Query | None) -> list[dict[str, str]]:
        snippets = (
            tantivy.SnippetGenerator.create(self.searcher, text, self.schema, "body") if text is not None else None
        )
        results = []
        for address in addresses:
            doc = self.searcher.doc(address)
            if snippets is not None:
                marked = _marked(snippets.snippet_from_doc(doc))
            else:
                marked = html.escape(str(doc.get_first("summary") or "")[:240])
            results.append({"id": str(doc.get_first("id")), "title": str(doc.get_first("title")), "snippet": marked})
        return results


def _value(key: object) -> str:
    """A bucket's key as the product names facet values: text as it is, a year as its digits."""
    return str(int(key)) if isinstance(key, float) else str(key)


def _total(found: tantivy.SearchResult) -> int:
    """How many documents a search matched (counted when it ran; the bindings' stub leaves `count` out)."""
    count: int = found.count  # type: ignore[attr-defined]  # tantivy 0.27 has SearchResult.count; its stub does not
    return count


def _marked(snippet: tantivy.Snippet) -> str:
    """A snippet as HTML with <mark> around the searched words (tantivy's ranges count bytes of UTF-8)."""
    data = snippet.fragment().encode("utf-8")
    out, at = [], 0
    for span in snippet.highlighted():
        out += [html.escape(data[at : span.start].decode("utf-8")), "<mark>"]
        out += [html.escape(data[span.start : span.end].decode("utf-8")), "</mark>"]
        at = span.end
    out.append(html.escape(data[at:].decode("utf-8")))
    return "".join(out)
