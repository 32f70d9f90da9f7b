"""The vocabularies load, and a broken one is reported by file, entry and problem."""

from __future__ import annotations

import re
import shutil

import pytest

from library.errors import VocabularyError
from library.vocab import COUNCIL_TYPES, load_vocabularies
from tests.conftest import BUNDLED

GSS_PREFIX = {
    "unitary": ("E06",),
    "district": ("E07",),
    "metropolitan": ("E08",),
    "london-borough": ("E09",),
    "county": ("E10",),
    "welsh-council": ("W06",),
    "scottish-council": ("S12",),
    "northern-ireland-council": ("N09",),
    "combined-authority": ("E47",),
    "sui-generis": ("E06", "E09"),
}


def test_bundled_vocabularies_load(vocab):
    assert {"housing", "vawg", "community-wealth-building"} <= set(vocab.themes)
    assert {"case-study", "policy-lab", "policy-prototype", "press-release", "report"} <= set(vocab.doc_types)
    assert {"oldham", "newcastle-upon-tyne", "newcastle-under-lyme", "edinburgh"} <= set(vocab.councils)


def test_gss_codes_are_well_formed_unique_and_fit_the_type(vocab):
    seen = {}
    for council in vocab.councils.values():
        if not council.gss:
            continue
        assert re.fullmatch(r"[ENSW]\d{8}", council.gss), council.id
        assert council.gss not in seen, f"{council.id} and {seen[council.gss]} share {council.gss}"
        seen[council.gss] = council.id
        if council.type in GSS_PREFIX:
            assert council.gss.startswith(GSS_PREFIX[council.type]), (council.id, council.gss)


def test_register_covers_every_principal_council(vocab):
    current = [c for c in vocab.councils.values() if not c.abolished]
    by_nation = {
        n: sum(
            1
            for c in current
            if c.nation == n
            and c.type not in ("combined-authority", "town-council", "parish-council", "community-council")
        )
        for n in ("england", "wales", "scotland", "northern-ireland")
    }
    assert by_nation == {"england": 317, "wales": 22, "scotland": 32, "northern-ireland": 11}
    assert all(c.type in COUNCIL_TYPES for c in vocab.councils.values())


def test_reorganised_councils_link_to_successors(vocab):
    for council in vocab.councils.values():
        if council.successor:
            assert council.abolished, council.id
            assert council.id in vocab.councils[council.successor].predecessors, council.id


@pytest.mark.parametrize(
    ("file", "text", "expected"),
    [
        ("councils.yaml", "councils:\n  - {id: x, name: X}\n", "entry 1 ('x'): 'nation' is missing"),
        (
            "councils.yaml",
            "councils:\n  - {id: Bad Id, name: X, nation: england, region: london, type: london-borough}\n",
            "id 'Bad Id' should be",
        ),
        (
            "councils.yaml",
            "councils:\n  - {id: x, name: X, nation: wales, type: welsh-council, gss: W6}\n",
            "GSS code 'W6'",
        ),
        (
            "councils.yaml",
            "councils:\n  - {id: x, name: X, nation: wales, type: welsh-council, successor: y}\n",
            "links to 'y'",
        ),
        (
            "themes.yaml",
            "themes:\n  - {id: a, label: A, description: d}\n  - {id: a, label: B, description: d}\n",
            "id 'a' is used twice",
        ),
        ("themes.yaml", "themes: [oops\n", "malformed YAML"),
        ("doc_types.yaml", "types: []\n", "top-level 'doc_types:' list"),
    ],
)
def test_invalid_vocabularies_name_file_entry_and_problem(tmp_path, file, text, expected):
    for name in ("themes.yaml", "councils.yaml", "doc_types.yaml"):
        shutil.copy(BUNDLED / name, tmp_path / name)
    (tmp_path / file).write_text(text, encoding="utf-8")
    with pytest.raises(VocabularyError) as caught:
        load_vocabularies(tmp_path)
    assert caught.value.path.endswith(file)
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems
