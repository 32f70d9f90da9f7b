"""Exit codes of the coop-library commands, shared by the indexer, the harvester and whatever runs them."""

from __future__ import annotations

EXIT_OK = 0  # everything done (warnings allowed)
EXIT_REJECTED = 1  # finished, but some files, feeds or pages were rejected or kept stale
EXIT_FATAL = 3  # nothing changed: vocabularies invalid, index folder unusable, ...
EXIT_BUSY = 4  # another run holds the lock; nothing changed
EXIT_INTERRUPTED = 130  # stopped by Ctrl+C (SIGINT); nothing half-built left, lock released
EXIT_TERMINATED = 143  # stopped by SIGTERM (systemd stopping the unit); nothing half-built left, lock released
