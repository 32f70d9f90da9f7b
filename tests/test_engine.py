"""The Whoosh engine behind the seam: its fast paths are taken (a Whoosh change fails here instead of slowing
every search), old generations still open, and the seam's protocols are what the engine provides."""

from __future__ import annotations

import itertools
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
from whoosh import query as Q
from whoosh.system import pack_uint

from bench.corpus import CorpusGenerator
from indexer import run_indexer
from library.engine import Engine, GenerationReader, engine
from library.engine.whoosh import analysis, arrays, blocks, lengths, matching, schema
from library.engine.whoosh.lengths import InternalsChangedError, column_bytes
from library.engine.whoosh.query import PLAIN_FIELDS
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


def _search_pages(library):
    pages = []
    for query in ("housing", "community energy co-operative", "plymouth food", "hous* OR food", "energy housing"):
        for page in (1, 2):
            result = library.search(SearchRequest(query=query, page=page))
            pages.append((result.total, [(hit.id, hit.snippet) for hit in result.results], result.facets))
    return pages


def test_every_segment_has_postings_arrays_that_hold_whoosh_postings(searched):
    """The arrays file beside each segment (arrays.py) holds, word by word, the postings Whoosh reads back."""
    assert arrays.ERRORS == []
    reader = engine_reader(searched)
    searcher = reader.searcher()
    segments = [leaf for leaf, _ in searcher.reader().leaf_readers()]
    held = [matching._segment_arrays(leaf) for leaf in segments]
    assert len(segments) > 1 and all(h is not None for h in held)
    checked = 0
    for leaf, kept in zip(segments, held, strict=True):
        for fieldname in PLAIN_FIELDS:
            field = kept.fields[fieldname]
            for word in leaf.lexicon(fieldname):
                assert field.word(word) is not None
                ids, weights = field.postings(field.word(word))
                live = [not leaf.is_deleted(d) for d in ids.tolist()]  # Whoosh's postings skip deleted documents
                ids, weights = ids[live], weights[live]
                postings = leaf.postings(fieldname, word)
                expected = []
                while postings.is_active():
                    positions = postings.value_as("positions") if field.positions is not None else None
                    expected.append((postings.id(), postings.weight(), positions))
                    postings.next()
                assert ids.tolist() == [d for d, _, _ in expected]
                assert weights.tolist() == [w for _, w, _ in expected]
                if field.positions is not None:
                    assert field.positions_in(field.word(word), ids.tolist()) == {d: p for d, _, p in expected}
                checked += 1
            assert field.word(b"zzzz-not-a-word") is None
    assert checked > 5000


def test_searches_answer_the_same_without_the_arrays_or_with_a_damaged_one(searched, tmp_path):
    """A segment without its arrays file (written before it existed), or with one that does not read back, is
    searched through Whoosh's blocks with the same results; the damaged file is reported."""
    expected = _search_pages(searched)
    root = searched.store.root
    for case in ("missing", "damaged"):
        copy = tmp_path / case
        shutil.copytree(root, copy)
        files = sorted((copy / searched.store.current_name()).glob("*" + arrays.EXTENSION))
        assert files
        if case == "missing":
            for path in files:
                path.unlink()
        else:
            files[0].write_bytes(files[0].read_bytes()[:100])
        arrays.ERRORS.clear()
        library = Library(copy, searched.vocab)
        try:
            assert _search_pages(library) == expected
        finally:
            library.close()
        assert (arrays.ERRORS != []) == (case == "damaged")
        assert all(files[0].name in error for error in arrays.ERRORS)
    arrays.ERRORS.clear()


def test_an_arrays_file_written_a_chunk_at_a_time_reads_back_whole(tmp_path, monkeypatch):
    """Postings wait in temporary files, and positions are computed a few postings at a time when the file is
    written; large ones stay exact."""
    monkeypatch.setattr(arrays, "CHUNK_POSTINGS", 2)
    monkeypatch.setattr(arrays, "SPILL_VALUES", 3)  # and held a few at a time, the rest in temporary files
    writer = arrays.ArraysWriter(("body", "tags"), ("body",), str(tmp_path))
    expected: dict[bytes, dict[int, list[int]]] = {}
    for word in (b"energy", b"housing"):
        postings = writer.field("body")
        postings.start_word(word)
        writer.field("tags").start_word(word)
        for doc in range(5):
            positions = [doc, 2**30 + doc, 2**31 - 10] if word == b"housing" else list(range(doc + 1))
            deltas = [positions[0]] + [b - a for a, b in itertools.pairwise(positions)]
            postings.add(doc, 3.0, pack_uint(len(deltas)) + pickle.dumps(deltas, 2))
            writer.field("tags").add(doc, 1.0, b"")
            expected.setdefault(word, {})[doc] = positions
    assert writer.field("title") is None
    path = tmp_path / ("segment" + arrays.EXTENSION)
    with path.open("wb") as out:
        writer.write(out)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # the temporary files have no names
    held = arrays.SegmentArrays.open(path, 5)
    assert held is not None and set(held.fields) == {"body", "tags"} and held.fields["tags"].positions is None
    body = held.fields["body"]
    for word, positions in expected.items():
        number = body.word(word)
        assert number is not None and body.positions_in(number, list(range(5))) == positions
        assert body.postings(number)[0].tolist() == list(range(5))
        assert body.postings(number)[1].tolist() == [3.0] * 5
    assert body.word(b"food") is None
    arrays.ERRORS.clear()
    assert arrays.SegmentArrays.open(path, 4) is None  # names a document the segment does not hold
    assert len(arrays.ERRORS) == 1 and "documents the segment does not hold" in arrays.ERRORS[0]
    arrays.ERRORS.clear()


def _mapped_kb(path: Path) -> int:
    """The resident kilobytes this process maps from a file (Linux's /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(" ", 1)[0] and ":" not in line.split(" ", 1)[0]:
            inside = line.endswith(" " + str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc/self/smaps")
def test_opening_an_arrays_file_leaves_only_what_searches_read_mapped(searched, tmp_path):
    """Opening checks every offset and document number; those pages are then unmapped from the process (they
    stay in the kernel's page cache), and a search maps back the pages it reads."""
    folder = searched.store.root / searched.store.current_name()
    largest = max(folder.glob("*" + arrays.EXTENSION), key=lambda p: p.stat().st_size)
    path = Path(shutil.copy(largest, tmp_path / largest.name))  # a file no other reader in this process maps
    held = arrays.SegmentArrays.open(path, 10**6)
    assert held is not None and path.stat().st_size > 1 << 19
    assert _mapped_kb(path) <= 64
    body = held.fields["body"]
    for number in range(0, len(body.word_ends), 50):
        docs, weights = body.postings(number)
        assert len(docs) == len(weights) > 0 and int(docs.sum()) >= 0
    assert _mapped_kb(path) > 0


@pytest.mark.parametrize("narrow_below", [arrays.NARROW_BELOW, 1])
def test_offsets_into_the_positions_take_four_bytes_unless_a_field_has_too_many_positions(
    tmp_path, monkeypatch, narrow_below
):
    monkeypatch.setattr(arrays, "NARROW_BELOW", narrow_below)
    monkeypatch.setattr(arrays, "CHECK_VALUES", 2)  # the check on opening reads the offsets two at a time
    writer = arrays.ArraysWriter(("body",), ("body",), str(tmp_path))
    postings = writer.field("body")
    postings.start_word(b"housing")
    for doc in range(7):
        deltas = [doc, 1, 1][: doc % 3 + 1]
        postings.add(doc, 1.0, pack_uint(len(deltas)) + pickle.dumps(deltas, 2))
    path = tmp_path / ("segment" + arrays.EXTENSION)
    with path.open("wb") as out:
        writer.write(out)
    held = arrays.SegmentArrays.open(path, 7)
    assert held is not None
    body = held.fields["body"]
    assert body.position_starts.dtype == (np.uint32 if narrow_below > 1 else np.int64)
    expected = {doc: list(itertools.accumulate([doc, 1, 1][: doc % 3 + 1])) for doc in range(7)}
    assert body.positions_in(0, list(range(7))) == expected


def test_offsets_out_of_order_anywhere_make_an_arrays_file_unreadable(monkeypatch):
    monkeypatch.setattr(arrays, "CHECK_VALUES", 2)
    assert arrays._ascending(np.array([0, 1, 1, 3, 7], dtype=np.uint32))
    for broken in ([0, 2, 1, 3, 7], [0, 1, 3, 2, 7], [0, 1, 3, 7, 6]):  # inside a slice and across two
        assert not arrays._ascending(np.array(broken, dtype=np.uint32))
        assert not arrays._ascending(np.array(broken, dtype=np.int64))


@pytest.mark.parametrize(
    ("weights", "stored"),
    [([1.0, 3.0, 57.0], np.uint8), ([1.0, 300.0], np.uint16), ([1.0, 70_000.0], np.float32),
     ([1.0, 2.5], np.float32), ([1.0, -2.0], np.float32), ([1.0, float("nan")], np.float32)],
)  # fmt: skip
def test_weights_are_kept_in_the_smallest_type_that_holds_them_exactly(tmp_path, monkeypatch, weights, stored):
    monkeypatch.setattr(arrays, "CHUNK_POSTINGS", 1)  # the weights are looked over a chunk at a time
    writer = arrays.ArraysWriter(("tags",), (), str(tmp_path))
    writer.field("tags").start_word(b"housing")
    for doc, weight in enumerate(weights):
        writer.field("tags").add(doc, weight, b"")
    path = tmp_path / ("segment" + arrays.EXTENSION)
    with path.open("wb") as out:
        writer.write(out)
    held = arrays.SegmentArrays.open(path, len(weights))
    assert held is not None
    docs, read = held.fields["tags"].postings(0)
    assert read.dtype == stored and docs.tolist() == list(range(len(weights)))
    assert np.array_equal(np.asarray(read, dtype=np.float64), np.asarray(weights, dtype=np.float32), equal_nan=True)


@pytest.mark.parametrize(
    ("last_doc", "docs_type", "far", "positions_type"),
    [(200, np.uint8, 300, np.uint16), (60_000, np.uint16, 65_535, np.uint16), (70_000, np.int32, 65_536, np.int32)],
)  # fmt: skip
def test_document_numbers_and_positions_take_the_fewest_bytes_that_hold_them(
    tmp_path, monkeypatch, last_doc, docs_type, far, positions_type
):
    monkeypatch.setattr(arrays, "CHUNK_POSTINGS", 2)  # looked over, and written, a chunk of postings at a time
    monkeypatch.setattr(arrays, "CHECK_VALUES", 2)  # and checked, on opening, two weights at a time
    writer = arrays.ArraysWriter(("body",), ("body",), str(tmp_path))
    postings = writer.field("body")
    expected = {}
    for word, docs in ((b"energy", [0, 3, last_doc]), (b"housing", [1, last_doc])):
        postings.start_word(word)
        for doc in docs:
            deltas = [doc % 7, far - doc % 7] if doc == last_doc else [doc % 7, 2]
            postings.add(doc, float(len(deltas)), pack_uint(len(deltas)) + pickle.dumps(deltas, 2))
            expected.setdefault(word, {})[doc] = list(itertools.accumulate(deltas))
    path = tmp_path / ("segment" + arrays.EXTENSION)
    with path.open("wb") as out:
        writer.write(out)
    held = arrays.SegmentArrays.open(path, last_doc + 1)
    assert held is not None
    body = held.fields["body"]
    assert body.docs.dtype == docs_type and body.positions.dtype == positions_type
    # each posting's weight is its number of positions, so only where each word's positions start is kept
    assert body.position_starts is None and body.word_position_starts.tolist() == [0, 6, 10]
    for word, positions in expected.items():
        number = body.word(word)
        assert number is not None and body.postings(number)[0].tolist() == sorted(positions)
        # documents asked for beyond what the stored type holds are looked up all the same
        assert body.positions_in(number, [0, 1, 2, 3, last_doc, 10**6]) == positions


def _counted_positions_file(folder: Path) -> Path:
    """An arrays file whose weights count each posting's positions: three words, two documents each."""
    writer = arrays.ArraysWriter(("body",), ("body",), str(folder))
    postings = writer.field("body")
    for word in (b"energy", b"food", b"housing"):
        postings.start_word(word)
        for doc in (0, 1):
            deltas = [doc, 1, 1][: doc + 2]
            postings.add(doc, float(len(deltas)), pack_uint(len(deltas)) + pickle.dumps(deltas, 2))
    path = folder / ("segment" + arrays.EXTENSION)
    with path.open("wb") as out:
        writer.write(out)
    return path


def test_positions_placed_by_weights_that_do_not_add_up_make_an_arrays_file_unreadable(tmp_path, monkeypatch):
    monkeypatch.setattr(arrays, "CHECK_VALUES", 4)  # a word's postings across two slices of the check
    path = _counted_positions_file(tmp_path)
    held = arrays.SegmentArrays.open(path, 2)
    assert held is not None and held.fields["body"].positions_in(2, [0, 1]) == {0: [0, 1], 1: [1, 2, 3]}
    weights = held.fields["body"].weights
    assert weights.dtype == np.uint8 and weights.tolist() == [2, 3] * 3
    data = bytearray(path.read_bytes())
    at = data.index(bytes([2, 3, 2, 3, 2, 3]))  # the weights, one byte each
    data[at + 3] = 2  # the second word's second posting now claims one position fewer
    path.write_bytes(bytes(data))
    assert _unreadable_because(path, 2) == "weights do not count each word's positions"


def _unreadable_because(path: Path, documents: int) -> str:
    """Open an arrays file that must not read; the one reason reported, after the file's name."""
    arrays.ERRORS.clear()
    try:
        assert arrays.SegmentArrays.open(path, documents) is None
        assert len(arrays.ERRORS) == 1
        return arrays.ERRORS[0].split(": ", 1)[1].replace("its body ", "")
    finally:
        arrays.ERRORS.clear()


def test_arrays_files_of_the_earlier_kind_still_read_and_unknown_kinds_do_not(tmp_path):
    path = _counted_positions_file(tmp_path)
    data = path.read_bytes()
    assert data.startswith(arrays.MAGIC)
    path.write_bytes(b"COOPARR1" + data[8:])  # the layout is the same; only what the header names differs
    assert arrays.SegmentArrays.open(path, 2) is not None
    path.write_bytes(b"COOPARR9" + data[8:])
    assert _unreadable_because(path, 2) == "it does not start as an arrays file"


def test_the_match_cache_holds_no_more_bytes_than_its_bound_and_answers_the_same(searched):
    reader = engine_reader(searched)
    shared = reader.matches
    words = [Q.Term("body", w) for w in ("housing", "energy", "food", "council", "youth", "plymouth", "zzzz")]
    expected = [shared.postings(w) for w in words]
    bound = sum(sorted(searched_bytes(p, shared.size) for p in expected)[-3:])  # room for three words, not seven
    cache = matching.MatchCache(shared.searcher, shared.live, shared.size, capacity=bound)
    for _ in range(2):
        for word, want in zip(words, expected, strict=True):
            got = cache.postings(word)
            assert got.mask == want.mask and np.array_equal(got.docs, want.docs)
            assert np.array_equal(got.scores, want.scores)
            held = [value for _, value in cache._entries.values()]
            assert cache._held == sum(searched_bytes(v, cache.size) for v in held) <= cache.capacity
    assert 1 < len(cache._entries) < len(words)  # a word's bitset counts: an eighth of a byte a document


def searched_bytes(value: object, size: int) -> int:
    return size // 8 + (value.docs.nbytes + value.scores.nbytes if hasattr(value, "docs") else 0)


def test_the_engine_names_the_parts_of_the_files_searches_map_for_memory_profiles(tmp_path):
    path = _counted_positions_file(tmp_path)
    parts = engine().mapped_parts(path)
    names = [name for _, _, name in parts]
    assert names[0] == "header" and {"docs", "weights", "word_position_starts", "positions"} <= set(names)
    assert all(first <= end <= path.stat().st_size for first, end, _ in parts)
    assert dict((name, end - first) for first, end, name in parts)["weights"] == 6  # six postings, a byte each
    (tmp_path / "notes.arrays").write_bytes(b"not one")
    assert engine().mapped_parts(tmp_path / "notes.arrays") == []
    assert engine().mapped_parts(tmp_path / "missing.arrays") == []
    assert engine().mapped_parts(tmp_path / "segment.seg") == []
