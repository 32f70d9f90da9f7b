"""The `coop-library harvest` command: a thin layer over library.hub.harvest."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from coop_library.options import corpus_option, data_option
from library.errors import LibraryError
from library.hub.fetch import Fetcher
from library.hub.harvest import HarvestReport, load_sources
from library.hub.harvest import harvest as run_harvest
from library.hub.store import HubError, HubStore
from library.vocab import SOURCES_FILE, load_vocabularies, vocabulary_folder

from .report import printable


@click.command()
@corpus_option("Folder of the vocabularies (councils.yaml, themes.yaml) and of sources.yaml.")
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(path_type=Path, dir_okay=False),
    show_default="<corpus>/sources.yaml",
    help="The feeds to read: {sources: [{council: ID, feed: URL}]}.",
)
@data_option()
@click.option(
    "--report",
    "report_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a JSON report of every feed's and item's outcome here.",
)
@click.option("--quiet", is_flag=True, help="Print nothing but problems and the summary line.")
def harvest(corpus: Path, sources_file: Path | None, data_dir: Path, report_file: Path | None, quiet: bool) -> None:
    """Read members' news feeds and queue new items about co-operative practice.

    Each new item's page is fetched, read and scored; relevant items go to the
    moderation queue, the rest are recorded as skipped so they are not fetched
    again. Run it each night before the index run. Exit codes: 0 all feeds and
    pages read, 1 some failed (each is listed), 3 fatal error such as an
    invalid sources.yaml.

    \b
    Example:
        coop-library harvest --corpus corpus --data var/hub --report var/last-harvest.json
    """
    sources_file = sources_file or corpus / SOURCES_FILE
    try:
        vocab = load_vocabularies(vocabulary_folder(corpus))
        sources = load_sources(sources_file, vocab)
        store = HubStore(data_dir)
        with Fetcher() as fetcher:
            report = run_harvest(store, sources, vocab, fetcher)
    except (LibraryError, HubError, sqlite3.Error, OSError, ValueError) as exc:
        report = HarvestReport(sources=str(sources_file), fatal=str(exc))
        message = f"coop-library harvest: fatal: {exc}"
        click.echo("\n".join(printable(line) for line in message.splitlines()), err=True)
    report.sources = str(sources_file)
    for line in report.problem_lines():
        click.echo(printable(line), err=True)
    if not quiet:
        for note in report.queued:
            click.echo(printable(f"QUEUED {note.url}: {note.title} (as {note.reference})"), err=True)
    if report_file:
        report_file.parent.mkdir(parents=True, exist_ok=True)
        report_file.write_text(report.to_json(), encoding="utf-8")
    click.echo(report.summary_line())
    sys.exit(report.exit_code)
