"""Generations written before the engine package name `library.analysis.DomainSpellingFilter` in their pickled
schema (it is part of every text field's analyzer); see library/schema.py. Delete both together."""

from .engine.whoosh.analysis import DomainSpellingFilter

__all__ = ["DomainSpellingFilter"]
