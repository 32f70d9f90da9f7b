"""The Whoosh engine behind the seam: its fast paths are taken (a Whoosh change fails here instead of slowing
every search), old generations still open, and the seam's protocols are what the engine provides."""

from __future__ import annotations

import pytest

from bench.corpus import CorpusGenerator
from indexer import run_indexer
from library.engine import Engine, GenerationReader, engine
from library.engine.whoosh import analysis, blocks, lengths, schema
from library.engine.whoosh.lengths import InternalsChangedError, column_bytes
from library.search import Library, SearchRequest
from library.vocab import load_vocabularies
from tests.helpers import engine_reader, write_markdown


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A 600-document library (past the parallel writer's threshold) in two runs, searched in many ways."""
    work = tmp_path_factory.mktemp("engine")
    generator = CorpusGenerator(seed=5)
    corpus = generator.write(work / "corpus", 600)
    lengths.FALLBACKS.clear()
    blocks.FALLBACKS.clear()
    run_indexer(corpus, work / "index")
    generator.nightly_change(corpus, 600)
    run_indexer(corpus, work / "index")
    library = Library(work / "index", load_vocabularies(corpus))
    for query in ("housing", "community energy co-operative", "hous* OR food", "title:energy", "plymouth food"):
        library.search(SearchRequest(query=query))
    first = library.search(SearchRequest()).results[0].id
    library.related(first)
    yield library
    library.close()


def test_searching_and_writing_took_no_slow_path(searched):
    assert lengths.FALLBACKS == [] and blocks.FALLBACKS == []


def test_whoosh_length_columns_read_as_the_fast_path_expects(searched):
    searcher = engine_reader(searched).searcher()
    leaves = [leaf for leaf, _ in searcher.reader().leaf_readers()]
    assert len(leaves) > 1
    for leaf in leaves:
        for field in ("title", "summary", "body", "tags"):
            data = column_bytes(leaf._perdoc, field)  # raises InternalsChangedError if Whoosh changed
            assert data is not None and len(data) == leaf.doc_count_all()
            expected = [leaf.doc_field_length(d, field, 0) for d in range(min(50, leaf.doc_count_all()))]
            assert list(lengths.segment_lengths(leaf, field)[: len(expected)]) == expected


def test_a_reader_without_the_private_attributes_is_reported_not_silently_slow():
    class Stranger:
        pass

    with pytest.raises(InternalsChangedError):
        column_bytes(Stranger(), "body")


def test_the_whoosh_engine_provides_the_seam():
    assert isinstance(engine(), Engine)


def test_a_generation_reader_provides_the_seam(searched):
    with searched.published() as generation:
        assert isinstance(generation.reader, GenerationReader)


def test_a_generation_written_before_the_engine_package_still_opens(tmp_path, vocab):
    """Old generations pickled `library.schema.ProseField` into their schema; the server must still open them."""
    write_markdown(tmp_path / "corpus", "a.md", "Co-operative housing in Oldham.", title="Old generation")
    moved = {schema.ProseField: "library.schema", analysis.DomainSpellingFilter: "library.analysis"}
    for cls, old in moved.items():
        cls.__module__ = old  # what Whoosh pickles is each class's module path
    try:
        run_indexer(tmp_path / "corpus", tmp_path / "index")
    finally:
        for cls in moved:
            cls.__module__ = schema.__name__ if cls is schema.ProseField else analysis.__name__
    pickled = b"".join(p.read_bytes() for p in (tmp_path / "index").glob("gen-*/*.toc"))
    assert b"library.schema" in pickled and b"library.analysis" in pickled and b"library.engine" not in pickled
    library = Library(tmp_path / "index", vocab)
    try:
        assert [hit.id for hit in library.search(SearchRequest(query="housing")).results] == ["a"]
    finally:
        library.close()
