"""Generations written before the engine package name `library.schema.ProseField` in their pickled schema
(and `library.analysis.DomainSpellingFilter`, answered by library/analysis.py).

Whoosh unpickles a generation's schema by class path, so this name stays until every deployed index has been
rebuilt (any raise of the schema version does that); then delete this module.
"""

from .engine.whoosh.schema import ProseField

__all__ = ["ProseField"]
