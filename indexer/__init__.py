"""The nightly indexer: turns the corpus folder into a published index generation."""

from .run import EXIT_BUSY, EXIT_FATAL, EXIT_OK, EXIT_REJECTED, RunReport, run_indexer

__all__ = ["EXIT_BUSY", "EXIT_FATAL", "EXIT_OK", "EXIT_REJECTED", "RunReport", "run_indexer"]
