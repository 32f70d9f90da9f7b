"""`python -m indexer` runs the coop-library command, as scripts and the hub's "publish now" do."""

from coop_library.cli import cli

cli(prog_name="coop-library")
