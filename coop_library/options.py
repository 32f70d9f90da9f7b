"""Command-line options shared by several coop-library commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from click.decorators import FC

from library import settings


def index_option(help: str = "Folder holding the index generations.") -> Callable[[FC], FC]:
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(path_type=Path),
        default=lambda: settings.get_str("index"),
        show_default="./var/index or $COOP_LIBRARY_INDEX",
        help=help,
    )


def corpus_option(help: str) -> Callable[[FC], FC]:
    return click.option(
        "--corpus",
        type=click.Path(path_type=Path),
        default=lambda: settings.get_str("corpus"),
        show_default="./corpus or $COOP_LIBRARY_CORPUS",
        help=help,
    )


def data_option(help: str = "Folder of the Culture Hub's database and uploads.") -> Callable[[FC], FC]:
    return click.option(
        "--data",
        "data_dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=lambda: settings.get_str("data"),
        show_default="./var/hub or $COOP_LIBRARY_DATA",
        help=help,
    )
