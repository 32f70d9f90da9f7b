"""The web interface: faceted search of co-operative council practice, a JSON API, exports and feeds."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from library import settings
from library.network import load_network
from library.search import Library
from library.vocab import load_vocabularies, vocabulary_folder

from . import api, errors, exports, hosts, pages, security, templating
from .shared import PageCache


def create_app(config: dict[str, object] | None = None) -> Flask:
    """Build the app: settings, the shared Library, blueprints, error pages and security headers."""
    app = Flask(__name__)
    app.config.update(
        INDEX=str(settings.get("index")),
        CORPUS=str(settings.get("corpus")),
        BASE_URL=str(settings.get("base_url")),
        ALLOWED_HOSTS=str(settings.get("allowed_hosts")),
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.config.update(config or {})
    vocab = load_vocabularies(vocabulary_folder(Path(app.config["CORPUS"])))
    app.extensions["library"] = Library(Path(app.config["INDEX"]), vocab)
    app.extensions["network"] = load_network(vocab)
    app.extensions["pages"] = PageCache()
    app.json.sort_keys = False  # type: ignore[attr-defined]
    hosts.init_app(app)
    templating.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    return app
