"""Relevance of the library's search on a labelled evaluation set, beside a plain SQLite FTS5 bm25 baseline.

python -m bench.relevance                  # every query; prints success@1, success@5 and MRR@10 per form
python -m bench.relevance --split holdout  # only the held-out queries
python -m bench.relevance --failures       # also list the answerable queries the product misses at 5
python -m bench.relevance --tune           # try ranking weights on the dev queries (never on the holdout)

The queries live in tests/relevance/queries.yaml (see its README). The baseline indexes the same
documents (as the library stores them) in FTS5 with the porter tokenizer and ranks the typed words,
OR-ed, by bm25 with the library's field weights: what a competent engineer gets from SQLite in an hour.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml

from library.model import Document
from library.ranking import Ranking
from library.search import Library, SearchRequest
from library.store import IndexStore
from library.vocab import load_vocabularies

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "tests" / "relevance" / "queries.yaml"
CORPUS = ROOT / "corpus"
FORMS = ("plain", "paraphrase", "question", "misspelling", "acronym", "not-covered")
DEPTH = 10
TODAY = date(2026, 12, 1)  # "last year" in a query counts from this day, so the figures do not drift


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    form: str
    relevant: tuple[str, ...]
    split: str = "dev"


@dataclass
class Scores:
    """Success@1, success@5 and MRR@10 over answerable queries, and honest zeros over not-covered ones."""

    answerable: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0
    not_covered: int = 0
    answered_none: int = 0  # not-covered queries answered with documents == 0
    misses: list[str] = field(default_factory=list)

    def add(self, item: LabelledQuery, ranked: list[str], documents: int) -> None:
        if not item.relevant:
            self.not_covered += 1
            self.answered_none += documents == 0
            if documents:
                self.misses.append(f"{item.query!r}: answered {documents} documents, expected none")
            return
        self.answerable += 1
        rank = next((n for n, doc_id in enumerate(ranked[:DEPTH], 1) if doc_id in item.relevant), None)
        self.hits_at_1 += rank == 1
        self.hits_at_5 += rank is not None and rank <= 5
        self.reciprocal_ranks += 1 / rank if rank else 0.0
        if rank is None or rank > 5:
            self.misses.append(
                f"{item.query!r} [{item.form}]: {item.relevant[0]} at {rank or '>10'}; top: {ranked[:3]}"
            )

    @property
    def success_at_1(self) -> float:
        return self.hits_at_1 / self.answerable if self.answerable else 0.0

    @property
    def success_at_5(self) -> float:
        return self.hits_at_5 / self.answerable if self.answerable else 0.0

    @property
    def mrr(self) -> float:
        return self.reciprocal_ranks / self.answerable if self.answerable else 0.0


def load_queries(path: Path = QUERIES, split: str | None = None) -> list[LabelledQuery]:
    """The labelled queries, optionally only one split (dev or holdout)."""
    items = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
        item = LabelledQuery(str(raw["query"]), raw["form"], tuple(raw.get("relevant") or ()), raw.get("split", "dev"))
        if item.form not in FORMS:
            raise ValueError(f"{path}: query {item.query!r} has an unknown form {item.form!r}")
        if split is None or item.split == split:
            items.append(item)
    return items


class Baseline:
    """Plain SQLite FTS5: the typed words OR-ed together, ranked by bm25 with the library's field weights."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self.db = sqlite3.connect(":memory:")
        self.db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(doc_id UNINDEXED, title, summary, body,"
            " tokenize='porter unicode61 remove_diacritics 2')"
        )
        self.db.executemany(
            "INSERT INTO fts(doc_id, title, summary, body) VALUES (?, ?, ?, ?)",
            [(d.id, d.title, d.summary, d.body) for d in documents],
        )

    def search(self, text: str) -> tuple[list[str], int]:
        """The top document ids and how many documents match any word."""
        words = re.findall(r"\w+", text.lower())
        if not words:
            return [], 0
        match = " OR ".join(f'"{w}"' for w in words)
        ranked = [
            row[0]
            for row in self.db.execute(
                "SELECT doc_id FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 0, 3.0, 2.0, 1.0) LIMIT ?", (match, DEPTH)
            )
        ]
        total = self.db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (match,)).fetchone()[0]
        return ranked, total

    def close(self) -> None:
        self.db.close()


def product_search(library: Library) -> Callable[[str], tuple[list[str], int]]:
    def search(text: str) -> tuple[list[str], int]:
        result = library.search(SearchRequest(query=text, per_page=DEPTH))
        return [hit.id for hit in result.results], result.answer.documents

    return search


def evaluate(search: Callable[[str], tuple[list[str], int]], queries: list[LabelledQuery]) -> dict[str, Scores]:
    """Scores per form, and over every query ('all')."""
    scores = {form: Scores() for form in (*FORMS, "all")}
    for item in queries:
        ranked, documents = search(item.query)
        scores[item.form].add(item, ranked, documents)
        scores["all"].add(item, ranked, documents)
    return scores


def build_library(folder: Path, corpus: Path = CORPUS) -> Library:
    """Index a corpus into a folder and open it (the indexer's own code path)."""
    from indexer import run_indexer

    run_indexer(corpus, folder / "index")
    return Library(folder / "index", load_vocabularies(corpus), today=lambda: TODAY)


def run(split: str | None = None, failures: bool = False) -> dict[str, dict[str, Scores]]:
    queries = load_queries(split=split)
    with tempfile.TemporaryDirectory() as tmp:
        library = build_library(Path(tmp))
        baseline = Baseline(IndexStore(Path(tmp) / "index").documents().values())
        try:
            figures = {
                "product": evaluate(product_search(library), queries),
                "fts5": evaluate(baseline.search, queries),
            }
        finally:
            library.close()
            baseline.close()
    print(table(figures, f"{len(queries)} queries" + (f" ({split})" if split else "")))
    if failures:
        for line in figures["product"]["all"].misses:
            print("  miss:", line)
    return figures


def tune() -> None:
    """Print the dev split's figures for a grid of ranking weights: how library.ranking.Ranking was chosen."""
    queries = load_queries(split="dev")
    with tempfile.TemporaryDirectory() as tmp:
        library = build_library(Path(tmp))
        try:
            print("coordination  proximity   s@1    s@5    MRR@10   (dev split)")
            for coordination, proximity in itertools.product([0, 0.5, 1, 1.5, 2, 3, 5], [0, 0.25, 0.5, 1, 2]):
                library.use_ranking(Ranking(coordination, proximity))
                s = evaluate(product_search(library), queries)["all"]
                print(f"{coordination:>12}  {proximity:>9}  {s.success_at_1:.3f}  {s.success_at_5:.3f}  {s.mrr:.3f}")
        finally:
            library.close()


def table(figures: dict[str, dict[str, Scores]], title: str) -> str:
    lines = [
        f"Relevance, {title}: success@1 / success@5 / MRR@10 over answerable queries",
        f"{'form':<13}{'n':>4}  {'product':>20}  {'FTS5 bm25':>20}  not-covered answered 0 (product / FTS5)",
    ]
    for form in (*FORMS, "all"):
        p, b = figures["product"][form], figures["fts5"][form]
        n = p.answerable + p.not_covered
        if not n:
            continue
        cells = [f"{s.success_at_1:.2f} / {s.success_at_5:.2f} / {s.mrr:.2f}" if s.answerable else "–" for s in (p, b)]
        zeros = f"{p.answered_none}/{p.not_covered} / {b.answered_none}/{b.not_covered}" if p.not_covered else ""
        lines.append(f"{form:<13}{n:>4}  {cells[0]:>20}  {cells[1]:>20}  {zeros}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=("dev", "holdout"), help="only this split of the queries")
    parser.add_argument("--failures", action="store_true", help="list the queries the product misses")
    parser.add_argument("--tune", action="store_true", help="try a grid of ranking weights on the dev split")
    args = parser.parse_args()
    if args.tune:
        tune()
    else:
        run(args.split, args.failures)


if __name__ == "__main__":
    main()
