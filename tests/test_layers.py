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


def imported_names(folder: str) -> dict[str, set[str]]:
    """Each Python file below a folder, with the full dotted names of the modules it imports (relative ones resolved)."""
    found = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        package = parts if parts[-1] == "__init__" else parts[:-1]
        package = [p for p in package if p != "__init__"]
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                module = ".".join([*base, *([node.module] if node.module else [])])
                names.add(module)
                names |= {f"{module}.{alias.name}" for alias in node.names}
        found[str(path.relative_to(ROOT))] = names
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize("folder", ["library", "indexer", "webui", "bench", "coop_library"])
def test_only_the_whoosh_engine_package_imports_whoosh(folder):
    offenders = [
        path
        for path, names in imported_names(folder).items()
        if not path.startswith("library/engine/whoosh/") and any(_within(n, "whoosh") for n in names)
    ]
    assert offenders == []


@pytest.mark.parametrize("folder", ["library", "indexer", "webui", "bench", "coop_library"])
def test_everything_above_the_engine_reaches_whoosh_only_through_the_seam(folder):
    """Only library/engine/ itself chooses the Whoosh engine; the rest asks library.engine for an engine.

    library/schema.py and library/analysis.py are the exceptions: they answer the class paths old generations
    pickled.
    """
    offenders = [
        path
        for path, names in imported_names(folder).items()
        if not path.startswith("library/engine/")
        and path not in ("library/schema.py", "library/analysis.py")
        and any(_within(n, "library.engine.whoosh") for n in names)
    ]
    assert offenders == []


def test_the_import_rules_see_relative_imports():
    """The rule above would pass vacuously if relative imports were not resolved: check it sees them."""
    names = imported_names("library")
    assert "library.engine.whoosh.schema.ProseField" in names["library/schema.py"]
    assert any(_within(n, "whoosh") for n in names["library/engine/whoosh/reader.py"])


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
