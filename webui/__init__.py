"""The web interface: faceted search of co-operative council practice, a JSON API, exports and feeds."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask

from library import settings
from library.hub.keys import session_key
from library.hub.store import HubStore
from library.network import load_network
from library.search import Library
from library.vocab import load_vocabularies, vocabulary_folder

from . import api, caching, errors, exports, hosts, hub, pages, security, templating
from .shared import PageCache


def create_app(config: dict[str, object] | None = None) -> Flask:
    """Build the app: settings, the shared Library, the hub's store, blueprints, error pages and security headers."""
    app = Flask(__name__)
    app.config.update(
        INDEX=settings.get_str("index"),
        CORPUS=settings.get_str("corpus"),
        DATA=settings.get_str("data"),
        BASE_URL=settings.get_str("base_url"),
        ALLOWED_HOSTS=settings.get_str("allowed_hosts"),
        SECRET_KEY=settings.get_str("secret_key") or None,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024,  # every request but /submit, which takes a PDF (webui.hub)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),  # a signed-in moderator signs in again after this
        WTF_CSRF_TIME_LIMIT=None,  # a form's token lasts as long as its session, so a long form can be finished
    )
    app.config.update(config or {})
    vocab = load_vocabularies(vocabulary_folder(Path(app.config["CORPUS"])))
    app.extensions["library"] = Library(Path(app.config["INDEX"]), vocab)
    app.extensions["network"] = load_network(vocab)
    app.extensions["pages"] = PageCache()
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Flask's DefaultJSONProvider has it; JSONProvider does not
    hosts.init_app(app)
    if "SESSION_COOKIE_SECURE" not in (config or {}):
        app.config["SESSION_COOKIE_SECURE"] = app.config["BASE_URL"].startswith("https://")
    app.extensions["hub"] = HubStore(Path(app.config["DATA"]))
    app.secret_key = app.config["SECRET_KEY"] or session_key(Path(app.config["DATA"]))
    templating.init_app(app)
    security.init_app(app)
    caching.init_app(app)
    errors.init_app(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api.bp)
    hub.init_app(app)
    return app
