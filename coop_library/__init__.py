"""The `coop-library` command line: one group that the indexer's and the web site's commands join."""
