"""Markdown with YAML front matter."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import ParseError
from .common import RawDocument, clean_text, decode_text, parse_metadata, read_bytes

_FENCE = re.compile(r"^(---|\.\.\.)\s*$")
# Each pattern gives up at the next bracket or delimiter, so a line of a few hundred thousand '[' or '`a '
# is read in linear time, not in time that grows with the square of the line's length.
_LINK = re.compile(r"!?\[([^\[\]]*)\]\((?:[^()\[\]]|\([^()\[\]]*\))*\)")
_EMPHASIS = re.compile(r"(\*\*|__|[*_`])(?=\S)((?:(?!\1).)+?)(?<=\S)\1")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_LIST_MARKER = re.compile(r"^(?:[-*+]|\d+[.)])\s+")
_QUOTE_MARKER = re.compile(r"^>\s?")
_RULE = re.compile(r"[-*_]{3,}")
_MARKER_STARTS = frozenset("-*+>0123456789")
_EMPHASIS_MARKS = frozenset("*_`")


def read_markdown(path: Path, shown: str, max_bytes: int) -> RawDocument:
    """Read a Markdown file; front matter between '---' lines becomes metadata."""
    warnings: list[str] = []
    text = decode_text(read_bytes(path, shown, max_bytes), shown, warnings)
    meta: dict[str, object] = {}
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        end = next((i for i in range(1, len(lines)) if _FENCE.match(lines[i])), None)
        if end is None:
            raise ParseError(
                shown, "front matter opened with '---' on line 1 is never closed; add a '---' line after it", 1
            )
        meta = parse_metadata("\n".join(lines[1:end]), shown, line_offset=1)
        lines = lines[end + 1 :]
    body_lines, found_title = _plain_lines(lines)
    body = clean_text("\n".join(body_lines))
    if not body and not meta.get("summary"):
        raise ParseError(shown, "has no text after its front matter")
    return RawDocument(shown, meta, body, found_title=found_title, warnings=warnings)


def _plain_lines(lines: list[str]) -> tuple[list[str], str]:
    """Turn Markdown into plain lines, and note the first heading."""
    out, title = [], ""
    for line in lines:
        stripped = line.strip()
        heading = _HEADING.match(stripped) if stripped[:1] == "#" else None
        if heading:
            stripped = heading.group(1).rstrip("#").rstrip()
            title = title or stripped
        elif _RULE.fullmatch(stripped):
            stripped = ""
        elif stripped[:1] in _MARKER_STARTS:
            stripped = _LIST_MARKER.sub("", stripped)
            stripped = _QUOTE_MARKER.sub("", stripped)
        # Most lines are plain prose: the patterns only run where their first character occurs.
        if "[" in stripped:
            stripped = _LINK.sub(r"\1", stripped)
        if not _EMPHASIS_MARKS.isdisjoint(stripped):
            stripped = _EMPHASIS.sub(r"\2", stripped)
        out.append(stripped)
    return out, title
