"""Types are checked: mypy passes over the packages pyproject.toml names, and every ignore says why."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("library", "indexer", "webui", "coop_library", "bench")
# A `# type: ignore[code]` followed, on the same line, by a comment giving the reason.
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def test_mypy_passes_on_the_configured_packages(tmp_path):
    checked = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "error:" not in checked.stdout
    assert "Success: no issues found" in checked.stdout


def test_every_type_ignore_names_its_code_and_its_reason():
    unexplained = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                found = IGNORE.search(line)
                if found and (not found["codes"] or not re.match(r"\s+#\s*\S", found["rest"])):
                    unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert unexplained == []
