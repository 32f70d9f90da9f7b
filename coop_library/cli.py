"""The coop-library command group. The indexer and the web site each contribute commands without importing each
other: this module is the only place that knows them both."""

from __future__ import annotations

import click

from indexer.cli import check, index
from indexer.harvest_cli import harvest
from indexer.hub_cli import queue, users
from indexer.search_cli import search
from webui.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coop-library")
def cli() -> None:
    """The Co-operative Practice Library: index and search co-operative council practice.

    \b
    Example:
        coop-library index --corpus corpus --index var/index
    """


for command in (index, check, search, serve, users, queue, harvest):
    cli.add_command(command)
