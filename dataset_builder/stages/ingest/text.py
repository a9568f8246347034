"""Files that are one record each: plain-text articles and saved web pages."""

from __future__ import annotations

from collections.abc import Iterator

from dataset_builder.config import IngestSettings
from dataset_builder.records import Record, Rejection
from dataset_builder.stages.decode import decode, describe
from dataset_builder.stages.ingest.files import InputFile, provenance, read_whole, sha256
from dataset_builder.stages.ingest.objects import derived_id


def read_txt(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """A plain-text article: the whole file is one record; `clean` reads its header."""
    data = read_whole(file, settings, "txt")
    if isinstance(data, Rejection):
        yield data
        return
    decoded = decode(data, settings.fallback_encoding, settings.replace_undecodable)
    if isinstance(decoded, UnicodeDecodeError):
        yield Rejection(
            **provenance(file, 1, sha256(data), "txt", None), reason="decode", detail=describe(data, decoded)
        )
        return
    yield {
        "id": derived_id(file.rel, 1),
        "text": decoded.text,
        **provenance(file, 1, sha256(data), "txt", decoded.encoding),
    }


def read_html(file: InputFile, settings: IngestSettings) -> Iterator[Record | Rejection]:
    """A saved web page: its bytes go on to the per-record stage, where html.html_record
    extracts the article (in the workers: extraction is the costly part). Extraction time
    grows faster than the page (0.9 / 3.7 / 14.7 MB took 0.8 / 4.4 / 60 s), so a page over
    `ingest.max_html_bytes` is rejected unread."""
    data = read_whole(file, settings, "html", "max_html_bytes")
    if isinstance(data, Rejection):
        yield data
        return
    yield {"id": derived_id(file.rel, 1), "html": data, **provenance(file, 1, sha256(data), "html", None)}
