"""Per-record stages, in pipeline order: ingest (with decode, html, header, sources), clean,
validate, then language (langid, fastlangid), personal information (pii) and the length
profile. Each is a pure function of a record or a batch and its settings, so any engine can
run it anywhere and get the same answer."""
