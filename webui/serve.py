"""The `coop-library serve` command: the web app under waitress, a production WSGI server."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from indexer.options import corpus_option, index_option
from library import settings
from library.errors import LibraryError

THREADS = 8


@click.command()
@index_option()
@corpus_option("Corpus folder whose vocabularies name the councils and themes.")
@click.option(
    "--host", default=lambda: str(settings.get("host")), show_default="127.0.0.1 or $COOP_LIBRARY_HOST",
    help="Address to listen on.",
)  # fmt: skip
@click.option(
    "--port", type=click.IntRange(0, 65535), default=lambda: int(settings.get("port")),  # type: ignore[call-overload]
    show_default="5000 or $COOP_LIBRARY_PORT", help="Port to listen on.",
)  # fmt: skip
@click.option("--threads", type=click.IntRange(1, 64), default=THREADS, show_default=True, help="Worker threads.")
def serve(index_dir: Path, corpus: Path, host: str, port: int, threads: int) -> None:
    """Serve the web site and JSON API with waitress.

    The site picks up each generation the nightly indexer publishes without a restart.

    \b
    Example:
        coop-library serve --index var/index --host 127.0.0.1 --port 5000
    """
    from waitress import serve as waitress_serve

    from webui import create_app

    try:
        app = create_app({"INDEX": str(index_dir), "CORPUS": str(corpus)})
    except LibraryError as exc:
        click.echo(f"coop-library serve: {exc}", err=True)
        sys.exit(3)
    if not (index_dir / "CURRENT").exists():
        click.echo(f"coop-library serve: warning: no index in {index_dir} yet; run 'coop-library index'.", err=True)
    click.echo(f"Serving the Co-operative Practice Library on http://{host}:{port}/ (Ctrl+C to stop)", err=True)
    waitress_serve(app, host=host, port=port, threads=threads, ident="coop-library", clear_untrusted_proxy_headers=True)
