"""The indexer's commands, `index` and `check`: parse arguments, call the indexer, report and exit."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from coop_library.options import corpus_option, index_option
from library.errors import IndexBusyError, LibraryError

from .report import EXIT_BUSY, EXIT_FATAL, RunReport
from .run import RunInterrupted, check_corpus, run_indexer, stopped_by_signals


@click.command()
@corpus_option("Folder of documents to index.")
@index_option()
@click.option("--full", is_flag=True, help="Re-read every file and build a fresh generation.")
@click.option(
    "--report",
    "report_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write a JSON report of every file's outcome here.",
)
@click.option("--quiet", is_flag=True, help="Print nothing but problems and the summary line.")
def index(corpus: Path, index_dir: Path, full: bool, report_file: Path | None, quiet: bool) -> None:
    """Bring the index up to date with the corpus, incrementally.

    Safe to run from cron or a systemd timer: readers keep the last published
    index until the new one is complete. Exit codes: 0 all indexed, 1 some files
    rejected (see the report), 3 fatal error (nothing changed), 4 another run is
    in progress, 130 stopped by Ctrl+C, 143 stopped by SIGTERM (nothing changed).

    \b
    Example:
        coop-library index --corpus corpus --index var/index --report var/last-run.json
    """
    show_bar = not quiet and sys.stderr.isatty()
    bar = None

    def on_total(total: int) -> None:
        nonlocal bar
        if show_bar:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="file", desc="Indexing", file=sys.stderr, leave=False)

    def progress(_: str) -> None:
        if bar is not None:
            bar.update(1)

    try:
        with stopped_by_signals():
            report = run_indexer(corpus, index_dir, full=full, progress=progress, on_total=on_total)
    except RunInterrupted as stop:
        click.echo(f"coop-library index: {_stopped(stop)}", err=True)
        _exit_now(stop.exit_code)
    except IndexBusyError as exc:
        click.echo(f"coop-library index: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except LibraryError as exc:
        click.echo(f"coop-library index: fatal: {exc}\nThe published index was not changed.", err=True)
        sys.exit(EXIT_FATAL)
    except OSError as exc:
        click.echo(
            f"coop-library index: fatal: could not write the index in {index_dir}: {exc.strerror or exc}"
            f" ({exc.filename or index_dir})\nThe published index was not changed.",
            err=True,
        )
        sys.exit(EXIT_FATAL)
    finally:
        if bar is not None:
            bar.close()
    _finish(report, report_file, quiet)


@click.command()
@corpus_option("Folder of documents to check.")
@click.option(
    "--report", "report_file", type=click.Path(path_type=Path, dir_okay=False), help="Write a JSON report here."
)
@click.option("--quiet", is_flag=True, help="Print nothing but problems and the summary line.")
def check(corpus: Path, report_file: Path | None, quiet: bool) -> None:
    """Validate the corpus and its vocabularies without touching the index.

    \b
    Example:
        coop-library check --corpus corpus
    """
    try:
        with stopped_by_signals():
            report = check_corpus(corpus)
    except RunInterrupted as stop:
        click.echo(f"coop-library check: stopped by {stop}.", err=True)
        sys.exit(stop.exit_code)
    except LibraryError as exc:
        click.echo(f"coop-library check: {exc}", err=True)
        sys.exit(EXIT_FATAL)
    _finish(report, report_file, quiet, verb="check")


def _exit_now(code: int) -> None:
    """Exit a stopped run at once. The run has already killed its writer workers and removed what it built;
    multiprocessing's exit handler would join every child without a time limit, and a worker caught by the same
    signal half way through sending its result can keep that join waiting for ever (seen once under load).
    The workers die with this process in any case (PR_SET_PDEATHSIG)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _stopped(stop: RunInterrupted) -> str:
    if stop.published_generation:
        return f"stopped by {stop}, after generation {stop.published_generation} was published."
    return f"stopped by {stop}; the unfinished generation was removed and the published index was not changed."


def _finish(report: RunReport, report_file: Path | None, quiet: bool, verb: str = "index") -> None:
    for line in report.problem_lines():
        if not (quiet and line.startswith("WARNING")):
            click.echo(line, err=True)
    if report_file:
        report_file.parent.mkdir(parents=True, exist_ok=True)
        report_file.write_text(report.to_json(), encoding="utf-8")
    line = report.summary_line()
    if verb == "check":
        line = f"coop-library check: {report.documents} documents readable; {len(report.failed)} failed, {len(report.warnings)} warnings"
    click.echo(line)
    sys.exit(report.exit_code)
