"""A nightly run follows changes to the vocabularies, and refuses ids that only differ in case or Unicode form."""

from __future__ import annotations

import json
import unicodedata

import yaml

from library.search import Library, SearchRequest
from library.vocab import load_vocabularies
from tests.helpers import write_markdown


def _edit_yaml(path, edit) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _search(corpus_dir, index_dir, **request):  # type: ignore[no-untyped-def]
    library = Library(index_dir, load_vocabularies(corpus_dir))
    try:
        return library.search(SearchRequest(**request))
    finally:
        library.close()


def test_removing_a_theme_retags_on_the_next_incremental_run(run_cli, corpus_dir, index_dir):
    write_markdown(corpus_dir, "a.md", "Solar panels on every school roof.", title="Solar schools",
                   themes=["energy", "education"], councils=["plymouth"], year=2020)  # fmt: skip
    write_markdown(corpus_dir, "b.md", "A food partnership.", title="Food partnership", themes=["food"], year=2020)
    assert run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir)).exit_code == 0
    facet = {v.value for v in _search(corpus_dir, index_dir).facets["theme"]}
    assert "energy" in facet

    _edit_yaml(corpus_dir / "themes.yaml", lambda d: d.update(themes=[t for t in d["themes"] if t["id"] != "energy"]))
    report = corpus_dir.parent / "report.json"
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir), "--report", str(report))
    assert result.exit_code == 0, result.output
    assert "themes.yaml" in result.output and "re-tag" in result.output
    data = json.loads(report.read_text(encoding="utf-8"))
    assert any("themes.yaml" in note["reason"] for note in data["warnings"])
    facet = {v.value for v in _search(corpus_dir, index_dir).facets["theme"]}
    assert "energy" not in facet and {"education", "food"} <= facet

    again = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert again.exit_code == 0 and "re-tag" not in again.output  # once re-tagged, nothing more to do


def test_a_new_council_alias_is_searchable_after_the_next_incremental_run(run_cli, corpus_dir, index_dir):
    write_markdown(
        corpus_dir, "a.md", "A care co-operative.", title="Care co-operative", councils=["torbay"], year=2023
    )
    run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert _search(corpus_dir, index_dir, query="Zebraton").answer.documents == 0

    def add_alias(data: dict) -> None:  # type: ignore[type-arg]
        council = next(c for c in data["councils"] if c["id"] == "torbay")
        council["aliases"] = [*council.get("aliases", []), "Zebraton"]

    _edit_yaml(corpus_dir / "councils.yaml", add_alias)
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert result.exit_code == 0 and "councils.yaml" in result.output
    assert [hit.id for hit in _search(corpus_dir, index_dir, query="Zebraton").results] == ["a"]


def test_ids_that_differ_only_in_case_are_refused_like_one_id_used_twice(run_cli, corpus_dir, index_dir):
    write_markdown(corpus_dir, "Housing-Plan.md", "A housing plan.", title="Housing plan (one)", year=2020)
    write_markdown(corpus_dir, "housing-plan.md", "A housing plan.", title="Housing plan (two)", year=2020)
    write_markdown(corpus_dir, "other.md", "Something else entirely.", title="Other", year=2020)
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert result.exit_code == 1
    assert "Housing-Plan.md" in result.output and "housing-plan.md" in result.output
    ids = [hit.id for hit in _search(corpus_dir, index_dir, per_page=100).results]
    assert ids == ["other"]


def test_ids_that_differ_only_in_unicode_form_are_refused(run_cli, corpus_dir, index_dir):
    composed = unicodedata.normalize("NFC", "café-report")
    decomposed = unicodedata.normalize("NFD", "café-report")
    assert composed != decomposed
    write_markdown(corpus_dir, f"{composed}.md", "A report on a café.", title="Café one", year=2020)
    write_markdown(corpus_dir, f"{decomposed}.md", "A report on a café.", title="Café two", year=2020)
    write_markdown(corpus_dir, "other.md", "Something else entirely.", title="Other", year=2020)
    result = run_cli("index", "--corpus", str(corpus_dir), "--index", str(index_dir))
    assert result.exit_code == 1 and "give each document its own id" in result.output
    assert [hit.id for hit in _search(corpus_dir, index_dir).results] == ["other"]
