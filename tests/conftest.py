"""Shared fixtures: real corpus folders, real indexes, the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from coop_library.cli import cli
from indexer import run_indexer
from library.vocab import VOCABULARY_FILES, load_vocabularies

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "corpus"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """An empty corpus folder holding copies of the bundled vocabularies."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in VOCABULARY_FILES:
        shutil.copy(BUNDLED / name, folder / name)
    return folder


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture(scope="session")
def vocab():
    return load_vocabularies(BUNDLED)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def run_cli(runner):
    """Invoke the coop-library command and return the click Result."""

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture
def index(corpus_dir: Path, index_dir: Path):
    """Index the corpus folder and return a function that re-runs the indexer."""

    def run(full: bool = False):
        return run_indexer(corpus_dir, index_dir, full=full)

    return run


@pytest.fixture(scope="session")
def bundled_index(tmp_path_factory) -> Path:
    """The bundled corpus indexed once for the session (read-only for tests)."""
    folder = tmp_path_factory.mktemp("bundled") / "index"
    run_indexer(BUNDLED, folder)
    return folder


@pytest.fixture(scope="session")
def app(bundled_index: Path, tmp_path_factory):
    """The real Flask app over the bundled index, with a hub store of its own."""
    from webui import create_app

    data = tmp_path_factory.mktemp("hub")
    flask_app = create_app({"INDEX": str(bundled_index), "CORPUS": str(BUNDLED), "DATA": str(data), "TESTING": True})
    yield flask_app
    flask_app.extensions["library"].close()


@pytest.fixture
def make_app(tmp_path_factory):
    """Build real Flask apps over any index; their libraries are closed when the test ends."""
    from webui import create_app

    made = []

    def build(index: Path, corpus: Path = BUNDLED, **config: object):
        config.setdefault("DATA", str(tmp_path_factory.mktemp("hub")))
        flask_app = create_app({"INDEX": str(index), "CORPUS": str(corpus), **config})
        made.append(flask_app)
        return flask_app

    yield build
    for flask_app in made:
        flask_app.extensions["library"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def site(bundled_index: Path):
    """The site served by a real server process over the bundled index on 127.0.0.1 (browser tests)."""
    from tests.browser import running_server

    with running_server(bundled_index) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's), driven by Playwright, for the browser tests of one module."""
    from tests.browser import chromium

    with chromium() as launched:
        yield launched
