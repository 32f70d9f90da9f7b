"""Safe YAML loading: plain data only, no aliases, no Python objects."""

from __future__ import annotations

import re

import yaml

# libyaml's loader is many times faster but cannot be told to refuse aliases, and it nests in C, so it
# only reads text that has no alias marker and none of the constructs that nest on one line.
_C_LOADER = getattr(yaml, "CSafeLoader", None)
_NESTS_INLINE = re.compile(r"[*\[{?]|-[ \t]+-(?:[ \t]|$)", re.MULTILINE)


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases, so 'billion laughs' documents cannot expand."""

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases (*name) are not allowed here", event.start_mark)
        return super().compose_node(parent, index)


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
        line = mark.line + 1 + line_offset if mark else None
        problem = exc.problem or str(exc)
        if "could not determine a constructor" in str(exc):
            problem = "YAML tags that build Python objects are not allowed"
        raise YamlProblem(f"malformed YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"malformed YAML: {exc}", None) from None
    except RecursionError:
        raise YamlProblem("malformed YAML: nested too deeply", None) from None
