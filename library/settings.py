"""Settings with defaults, help text and a COOP_LIBRARY_* environment variable each."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: object
    help: str

    @property
    def env(self) -> str:
        return "COOP_LIBRARY_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("corpus", "corpus", "Folder of documents and vocabularies to index."),
    Setting("index", "var/index", "Folder that holds the published index generations."),
    Setting("max_file_bytes", 20 * 1024 * 1024, "Files larger than this many bytes are skipped."),
    Setting("max_pdf_pages", 500, "PDF pages beyond this number are not read."),
    Setting("data", "var/hub", "Folder of the Culture Hub's database (queue, accounts, harvest state) and uploads."),
    Setting(
        "secret_key",
        "",
        "Key that signs session cookies and form tokens; empty: a random key kept in <data>/secret_key (mode 0600).",
    ),
    Setting("personal_data_days", 90, "Days after review that a submitter's name and email are kept, then deleted."),
    Setting("harvest_allow_private", 0, "1 lets the harvester fetch private and loopback addresses (tests only)."),
    Setting("harvest_delay_seconds", 1.0, "Seconds the harvester waits between two requests to the same host."),
    Setting("keep_generations", 3, "How many published index generations to keep on disk."),
    Setting("host", "127.0.0.1", "Address the web server listens on."),
    Setting("port", 5000, "Port the web server listens on."),
    Setting(
        "base_url",
        "http://127.0.0.1:5000",
        "Address the site is published at, such as https://library.example.org: every absolute link (feeds, "
        "citations, CSV, API) starts with it, and requests for any other host get a 400.",
    ),
    Setting(
        "allowed_hosts",
        "",
        "More host names the site answers to besides the base URL's, comma-separated, such as "
        "www.library.example.org; a name starting with a dot also allows its subdomains.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> object:
    """Return a setting's value from its environment variable, else its default."""
    setting = _BY_NAME[name]
    raw = os.environ.get(setting.env)
    if raw is None or raw == "":
        return setting.default
    if isinstance(setting.default, int):
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{setting.env}={raw!r} is not a whole number") from None
    if isinstance(setting.default, float):
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f"{setting.env}={raw!r} is not a number")
        return value
    return raw


def get_int(name: str) -> int:
    """Return a whole-number setting as an int."""
    value = get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"setting {name!r} is not a whole number setting")
    return value


def get_float(name: str) -> float:
    """Return a number setting as a float."""
    value = get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"setting {name!r} is not a number setting")
    return float(value)


def get_str(name: str) -> str:
    """Return a text setting as a str."""
    value = get(name)
    if not isinstance(value, str):
        raise TypeError(f"setting {name!r} is not a text setting")
    return value


def get_path(name: str) -> Path:
    """Return a path setting as a Path."""
    return Path(get_str(name))
