"""The Co-operative Practice Library: document model, vocabularies, tagging and search."""

__version__ = "0.1.0"
