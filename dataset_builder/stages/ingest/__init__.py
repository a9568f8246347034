"""Stage 1: find the input files and read them into records with provenance.

Anything that is not read is listed in `Inventory.skipped` with a reason; anything read but
unusable becomes a `Rejection` naming its file and line. Limits keep one giant file or line
from exhausting memory or disk: a file read whole (.txt, .json, .html) may not exceed
`max_file_bytes` (`max_html_bytes` for pages), a JSON Lines record or CSV row may not
exceed `max_record_bytes`, a compressed file is read to `max_decompressed_bytes`
decompressed, and any file to `max_records_per_file` records; a JSON array is parsed one
element at a time.

The modules, in the order a file meets them: `discovery` (which files), `files` (opening,
decompressing, hashing, provenance), one module per kind of format (`text`, `jsonlines`
with `arrays` for JSON arrays, `tables`, each mapping objects to records through
`objects`), `readers` (format → reader, `read_file`) and `ranges` (JSON Lines cut into
`LineRange`s for the workers).
"""

from dataset_builder.stages.ingest.discovery import Inventory, Skipped, discover
from dataset_builder.stages.ingest.files import (
    InputFile,
    compression,
    file_digest,
    file_sha256,
    input_format,
    modified,
)
from dataset_builder.stages.ingest.ranges import (
    LineRange,
    Unit,
    chunk_weight,
    file_chunks,
    line_ranges,
    read_units,
)
from dataset_builder.stages.ingest.readers import READERS, read_file
from dataset_builder.stages.ingest.tables import table_format

__all__ = [
    "READERS",
    "InputFile",
    "Inventory",
    "LineRange",
    "Skipped",
    "Unit",
    "chunk_weight",
    "compression",
    "discover",
    "file_chunks",
    "file_digest",
    "file_sha256",
    "input_format",
    "line_ranges",
    "modified",
    "read_file",
    "read_units",
    "table_format",
]
