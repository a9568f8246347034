"""Whole-corpus decisions, on arrays: exact and near duplicates (dedup, minhash, graph) and
the split of every surviving record (split). `steps` runs them in memory; the Ray engine runs
the same functions as distributed groupings."""
