"""What runs the per-record passes (`passes`) over a corpus: local processes or Ray Data.
Every engine returns results in input order, so the release does not depend on the engine."""
