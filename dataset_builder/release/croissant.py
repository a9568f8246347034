"""The release's croissant.json: MLCommons Croissant 1.0 metadata, with its RAI extension.

Croissant lets tools load a dataset from its description alone: every Parquet file with
its SHA-256 (`distribution`), the records' typed fields (`recordSet`), the splits. The
Responsible-AI fields are the datasheet's answers (human and measured) to the matching
questions, so the two never disagree. mlcroissant reads the file (tests/test_croissant.py).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from dataset_builder.config import SPLITS, Column, parse_columns
from dataset_builder.records import record_schema
from dataset_builder.release import datasheet

CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
DATA_TYPES = {
    pa.int64(): "sc:Integer",
    pa.float64(): "sc:Float",
    pa.bool_(): "sc:Boolean",
    pa.date32(): "sc:Date",
    pa.timestamp("us", tz="UTC"): "sc:DateTime",
}
PARQUET = "application/x-parquet"
FILES = "parquet-files"
RAI_ANSWERS = {  # RAI property: the datasheet questions that answer it
    "rai:dataCollection": [
        ("Collection process", "How was the data associated with each instance acquired?"),
        ("Collection process", "What mechanisms or procedures were used to collect the data?"),
        ("Collection process", "Over what timeframe was the data collected?"),
    ],
    "rai:dataPreprocessingProtocol": [
        ("Preprocessing/cleaning/labeling", "Was any preprocessing/cleaning/labeling of the data done?"),
    ],
    "rai:personalSensitiveInformation": [
        ("Composition", "Is it possible to identify individuals, either directly or indirectly?"),
        ("Composition", "Does the dataset contain data that might be considered sensitive in any way?"),
    ],
    "rai:dataLimitations": [
        (
            "Uses",
            "Is there anything about the composition of the dataset or the way it was collected and preprocessed/cleaned/labeled that might impact future uses?",
        ),
        ("Uses", "Are there tasks for which the dataset should not be used?"),
    ],
    "rai:dataUseCases": [("Uses", "What (other) tasks could the dataset be used for?")],
    "rai:dataReleaseMaintenancePlan": [("Maintenance", "Will the dataset be updated?")],
}


def render(manifest: dict[str, Any], answers: datasheet.Answers, data_files: list[dict[str, Any]]) -> str:
    """croissant.json for a release whose Parquet files are `data_files` (path, sha256, bytes)."""
    config = manifest["config"]
    splits = [s for s in SPLITS if manifest["splits"][s]]
    document = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": manifest["name"],
        "description": config.get("description") or config.get("pretty_name", manifest["name"]),
        "conformsTo": ["http://mlcommons.org/croissant/1.0", "http://mlcommons.org/croissant/RAI/1.0"],
        "license": config["license"],
        "url": config.get("homepage") or f"https://huggingface.co/datasets/{manifest['name']}",
        "version": manifest["version"],
        "inLanguage": sorted(
            {lang.split("-")[0] for s in splits for lang in manifest["languages"][s]} - {"und"}
        ),
        **rai_fields(manifest, answers),
        "distribution": [
            *(
                {
                    "@type": "cr:FileObject",
                    "@id": f["path"],
                    "name": f["path"],
                    "contentUrl": f["path"],
                    "contentSize": f"{f['bytes']} B",
                    "encodingFormat": PARQUET,
                    "sha256": f["sha256"],
                }
                for f in data_files
            ),
            {
                "@type": "cr:FileSet",
                "@id": FILES,
                "name": FILES,
                "description": "The Parquet files above, one or more per split.",
                "encodingFormat": PARQUET,
                "includes": "data/*.parquet",
            },
        ],
        "recordSet": [
            split_records(splits),
            article_records(parse_columns(config["ingest"].get("columns", {}))),
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def rai_fields(manifest: dict[str, Any], answers: datasheet.Answers) -> dict[str, str]:
    """Each RAI property: the maintainers' and the build's answers to its questions."""
    measured = datasheet.measured_answers(manifest)
    fields = {}
    for prop, questions in RAI_ANSWERS.items():
        text = "\n\n".join(a for q in questions for a in (answers.get(q), measured.get(q)) if a)
        if text:
            fields[prop] = text
    return fields


def split_records(splits: list[str]) -> dict[str, Any]:
    return {
        "@type": "cr:RecordSet",
        "@id": "splits",
        "name": "splits",
        "description": "The splits of the release.",
        "dataType": "cr:Split",
        "key": {"@id": "splits/name"},
        "field": [{"@type": "cr:Field", "@id": "splits/name", "name": "name", "dataType": "sc:Text"}],
        "data": [{"splits/name": split} for split in splits],
    }


def article_records(columns: tuple[Column, ...] = ()) -> dict[str, Any]:
    """One field per column of the Parquet files, typed from their Arrow schema, and the
    split each row belongs to, read from its file's name. A label column holds the index
    of its value; the field's description names them."""
    labels = {c.name: c.values for c in columns if c.type == "label"}
    fields = [
        {
            "@type": "cr:Field",
            "@id": "articles/split",
            "name": "split",
            "description": "The split the article belongs to.",
            "dataType": "sc:Text",
            "references": {"field": {"@id": "splits/name"}},
            "source": {
                "fileSet": {"@id": FILES},
                "extract": {"fileProperty": "fullpath"},
                "transform": {"regex": r"^(?:.*/)?(train|validation|test)-\d+-of-\d+\.parquet$"},
            },
        }
    ]
    for column in record_schema(columns):
        repeated = pa.types.is_list(column.type)
        value_type = column.type.value_type if repeated else column.type
        field: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"articles/{column.name}",
            "name": column.name,
            "dataType": "sc:URL" if column.name == "url" else DATA_TYPES.get(value_type, "sc:Text"),
            "source": {"fileSet": {"@id": FILES}, "extract": {"column": column.name}},
        }
        if repeated:
            field["repeated"] = True
        if column.name in labels:
            names = ", ".join(f"{i} = {v}" for i, v in enumerate(labels[column.name]))
            field["description"] = f"A label: {names}."
        fields.append(field)
    return {
        "@type": "cr:RecordSet",
        "@id": "articles",
        "name": "articles",
        "description": "One article per record, with its provenance.",
        "key": {"@id": "articles/id"},
        "field": fields,
    }
