"""Command-line options shared by several coop-library commands."""

from __future__ import annotations

from pathlib import Path

import click

from library import settings


def index_option(help: str = "Folder holding the index generations."):  # type: ignore[no-untyped-def]
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path),
        default=lambda: str(settings.get("index")),
        show_default="./var/index or $COOP_LIBRARY_INDEX",
        help=help,
    )


def corpus_option(help: str):  # type: ignore[no-untyped-def]
    return click.option(
        "--corpus",
        type=click.Path(path_type=Path),
        default=lambda: str(settings.get("corpus")),
        show_default="./corpus or $COOP_LIBRARY_CORPUS",
        help=help,
    )


def data_option(help: str = "Folder of the Culture Hub's database and uploads."):  # type: ignore[no-untyped-def]
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=lambda: str(settings.get("data")),
        show_default="./var/hub or $COOP_LIBRARY_DATA",
        help=help,
    )
