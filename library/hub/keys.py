"""The key that signs the web site's session cookies, made once and kept in the hub's data folder."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

KEY_FILE = "secret_key"


def session_key(folder: Path) -> str:
    """The key kept in `<folder>/secret_key` (mode 0600), made the first time it is asked for.

    Kept on disk so sessions survive a restart and every server process signs with the same key. The file is
    written whole under a temporary name and linked into place, so two processes starting at once agree on one key
    and neither reads half a file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE
    existing = _read(path)
    if existing:
        return existing
    temporary = folder / f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):  # another process made the key first: use theirs
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    key = _read(path)
    if not key:
        raise OSError(f"{path} holds no key; delete it and start again to make a new one")
    return key


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return ""
