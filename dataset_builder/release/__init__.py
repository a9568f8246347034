"""Writing and checking a release: Parquet shards and audit files (publish), the dataset
card, the datasheet, Croissant, the diff between versions, verify and the Hub upload."""
