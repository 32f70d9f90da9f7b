"""Safe YAML loading: plain data only, no aliases, no Python objects."""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_DEPTH = 50  # levels of nested lists and mappings; front matter needs three or four
_MAX_INT_BITS = 3_000  # about 900 digits, far beyond any year, count or reference number
_KINDS = {"timestamp": "date", "int": "whole number", "float": "number", "binary": "base64 value"}


class _PlainData(yaml.constructor.SafeConstructor):
    """Refuse, at their line, values YAML accepts but Python cannot build or write out again.

    '2016-13-45' looks like a date, a 5,000-digit number like an int, and deep indentation nests without
    limit in libyaml; each would otherwise fail later, outside the reader, and stop a whole index run.
    """

    def construct_document(self, node: yaml.Node) -> Any:
        deep = _deeper_than(node, MAX_DEPTH)
        if deep is not None:
            raise yaml.constructor.ConstructorError(
                None, None, f"values nested more than {MAX_DEPTH} levels deep", deep.start_mark
            )
        return super().construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            data = super().construct_object(node, deep)
        except (ValueError, TypeError, AttributeError, IndexError, OverflowError) as exc:
            kind = _KINDS.get(str(node.tag).rsplit(":", 1)[-1], "value")
            detail = f" ({str(exc).split(';')[0]})" if type(exc) is ValueError else ""
            raise yaml.constructor.ConstructorError(
                None, None, f"{_shown(node)} is not a valid {kind}{detail}", node.start_mark
            ) from None
        if isinstance(data, int) and data.bit_length() > _MAX_INT_BITS:
            raise yaml.constructor.ConstructorError(None, None, f"{_shown(node)} is too long a number", node.start_mark)
        return data


def _deeper_than(node: yaml.Node, limit: int) -> yaml.Node | None:
    """Return the first node nested deeper than the limit, or None."""
    stack = [(node, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return node
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            stack.extend((child, depth + 1) for pair in node.value for child in pair)
    return None


def _shown(node: yaml.Node) -> str:
    value = str(node.value) if isinstance(node, yaml.ScalarNode) else "a value"
    return repr(value if len(value) <= 40 else value[:40] + "…")


class _NoAliasLoader(_PlainData, yaml.SafeLoader):
    """A SafeLoader that refuses aliases, so 'billion laughs' documents cannot expand."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # types-PyYAML leaves peek_event unannotated
            raise yaml.composer.ComposerError(None, None, "YAML aliases (*name) are not allowed here", event.start_mark)
        return super().compose_node(parent, index)


# libyaml's loader is many times faster but cannot be told to refuse aliases, and it nests in C, so it
# only reads text that has no alias marker and none of the constructs that nest without indenting:
# a bracket opened inside another, a complex key, a list item that starts with another item. One level
# of brackets, as in 'themes: [housing, energy]', is what front matter uses, and it stays on the fast path.
# The bracket pattern is linear: each failed try stops at the next closing bracket, before the next start.
_C_LOADER = type("_CPlainLoader", (_PlainData, yaml.CSafeLoader), {}) if hasattr(yaml, "CSafeLoader") else None
_NESTS_INLINE = re.compile(r"[*?]|[\[{][^\]}]*[\[{]|-[ \t]+-(?:[ \t]|$)", re.MULTILINE)


class YamlProblem(ValueError):
    """YAML that could not be loaded, with the line it went wrong on."""

    def __init__(self, message: str, line: int | None) -> None:
        self.line = line
        super().__init__(message)


def load_yaml(text: str, line_offset: int = 0) -> object:
    """Parse YAML text into plain Python data, or raise YamlProblem with a line number."""
    try:
        loader = _C_LOADER if _C_LOADER is not None and not _NESTS_INLINE.search(text) else _NoAliasLoader
        return yaml.load(text, Loader=loader)  # noqa: S506 - both loaders are safe loaders
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # A problem found at the end of the text (an unclosed bracket or quote) is on its last line, not
        # on the line after it, where libyaml puts the end.
        line = min(mark.line, text.rstrip().count("\n")) + 1 + line_offset if mark else None
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in str(exc):
            problem = "YAML tags that build Python objects are not allowed"
        raise YamlProblem(f"malformed YAML: {problem}", line) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as a raw control byte
        line = text.count("\n", 0, exc.position) + 1 + line_offset
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise YamlProblem(f"malformed YAML: character U+{code:04X} is not allowed in YAML", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {exc}", None) from None
    except RecursionError:
        raise YamlProblem("malformed YAML: nested too deeply", None) from None
