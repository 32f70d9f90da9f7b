"""Benchmarks: the product beside a SQLite FTS5 reference doing the same work in the same run."""
