"""The layers keep to their places: Whoosh stays behind library/, and library/ knows nothing of Flask or click."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(folder: str) -> dict[str, set[str]]:
    """Each Python file below a folder, with the top-level packages it imports."""
    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("folder", ["indexer", "webui", "bench", "coop_library"])
def test_the_indexer_the_web_site_and_the_benchmarks_reach_whoosh_only_through_library(folder):
    offenders = [path for path, names in imported_modules(folder).items() if "whoosh" in names]
    assert offenders == []


def test_library_has_no_web_or_command_line_code():
    offenders = {
        path: sorted(names & {"flask", "flask_login", "flask_wtf", "werkzeug", "click", "gunicorn", "indexer", "webui"})
        for path, names in imported_modules("library").items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_indexer_and_the_web_site_do_not_import_each_other():
    """Only coop_library.cli, which builds the command group, knows both."""
    for folder, other in (("indexer", "webui"), ("webui", "indexer")):
        offenders = [path for path, names in imported_modules(folder).items() if other in names]
        assert offenders == [], f"{folder} imports {other}"
