"""“Publish now”: an incremental index run in the background, one at a time in each server process.

The run is the nightly indexer's own command (`coop-library index`), started as a separate process: it takes the
index lock, so a run already going in another process (the nightly timer, another server worker) makes this one
stop at once with nothing changed, and that is what the moderators are told; and a big run's writer processes,
memory and signals are its own, never the web server's. Each run is recorded in the hub's store, started and
finished, so every server process shows the last outcome.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from library.exits import EXIT_BUSY, EXIT_OK, EXIT_REJECTED
from library.hub.store import HubStore

RUN_KIND = "index"
PROBLEMS_SHOWN = 5
RUN_SECONDS = 3600  # a run still going after an hour is stopped and reported

log = logging.getLogger(__name__)


class IndexRuns:
    """Starts “publish now” runs of the indexer over one corpus and index, never two at once in this process."""

    def __init__(self, store: HubStore, corpus: Path, index: Path) -> None:
        self.store = store
        self.corpus = corpus
        self.index = index
        self._running = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self, requested_by: str) -> bool:
        """Start a run in the background; False when this process is already running one."""
        if not self._running.acquire(blocking=False):
            return False
        try:
            run_id = self.store.start_run(RUN_KIND, requested_by)
            self._thread = threading.Thread(target=self._run, args=(run_id,), name="publish-now", daemon=True)
            self._thread.start()
        except BaseException:
            self._running.release()
            raise
        return True

    def running(self) -> bool:
        return self._running.locked()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the run this process started, if any, to end."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, run_id: int) -> None:
        try:
            outcome = index_once(self.corpus, self.index)
        finally:
            self._running.release()  # before the outcome is recorded: whoever sees it may start the next run
        try:
            self.store.finish_run(run_id, outcome)
        except Exception:
            log.exception("could not record the outcome of index run %s: %s", run_id, outcome)


def index_once(corpus: Path, index: Path) -> str:
    """Run `coop-library index` once and say what it did, in a few lines for the moderators; never raises."""
    with tempfile.TemporaryDirectory(prefix="publish-now-") as folder:
        report_file = Path(folder) / "report.json"
        command = [sys.executable, "-m", "indexer", "index", "--corpus", str(corpus), "--index", str(index),
                   "--quiet", "--report", str(report_file)]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            return f"Failed: the run took more than {RUN_SECONDS // 60} minutes and was stopped."
        except OSError as exc:
            log.exception("publish now could not start the indexer")
            return f"Failed: the indexer could not be started ({exc.strerror or exc})."
        summary = next((line for line in reversed(done.stdout.splitlines()) if line.strip()), "")
        problems = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("WARNING")]
        try:
            report = json.loads(report_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            report = None
    if done.returncode == EXIT_BUSY:
        return (
            "Not run: another index run was already going (the nightly update, or another moderator's). "
            "Nothing was changed; try again in a few minutes."
        )
    if done.returncode not in (EXIT_OK, EXIT_REJECTED) or report is None:
        reason = problems[-1] if problems else f"exit code {done.returncode}"
        return f"Failed: {reason.removeprefix('coop-library index: ')} The published index was not changed."
    lines = [summary.removeprefix("coop-library index: ")]
    lines += problems[:PROBLEMS_SHOWN]
    if len(problems) > PROBLEMS_SHOWN:
        lines.append(f"… and {len(problems) - PROBLEMS_SHOWN} more; run 'coop-library index --report' to see them all.")
    return "\n".join(lines)
