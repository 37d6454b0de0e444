"""The Croissant 1.0 description (``croissant.json``) of a written dataset.

Why: data platforms (Hugging Face, Kaggle, OpenML, Dataverse) and loaders (``mlcroissant``,
TFDS) read Croissant to find a dataset's files, check them against their SHA-256 and type
its columns without running our code. The record set is derived from the Arrow schema, so
a column added to ``generator.contract.schema`` appears here without touching this module.

Spec: http://mlcommons.org/croissant/1.0 (the ``@context`` below is the one it recommends).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from breachbench.generator.comments.splits import split_sentence
from breachbench.generator.contract.version import __version__
from breachbench.generator.options import GenerateOptions
from breachbench.generator.output.manifest import taxonomy_version

__all__ = [
    "CONFORMS_TO",
    "CONTEXT",
    "ENCODING_FORMATS",
    "RECORD_SET",
    "DataFile",
    "croissant",
    "croissant_data_type",
    "write_croissant",
]

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
RECORD_SET = "patients"
FILE_SET = "part-files"
PART_PREFIX = "part-"
ENCODING_FORMATS: dict[str, str] = {
    "parquet": "application/x-parquet",
    "jsonl": "application/jsonlines",
    "csv": "text/csv",
}
LICENSE_URL = "https://opensource.org/license/mit"
CITE_AS = (
    "@software{breachbench, title = {breachbench: synthetic French patient records with "
    "labelled administrative comments, and a benchmark for detectors of sensitive content}, "
    "author = {{breachbench contributors}}, version = {VERSION}, license = {MIT}}"
)

CONTEXT: dict[str, Any] = {
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
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
    "dataBiases": "cr:dataBiases",
    "dataCollection": "cr:dataCollection",
    "personalSensitiveInformation": "cr:personalSensitiveInformation",
    "equivalentProperty": "cr:equivalentProperty",
    "samplingRate": "cr:samplingRate",
}


@dataclass(frozen=True)
class DataFile:
    """One data file as the metadata names it: ``name`` is relative to the metadata file."""

    name: str
    sha256: str
    bytes: int


def croissant_data_type(dtype: pa.DataType) -> str:
    """The schema.org type a Croissant reader should cast an Arrow scalar type to."""
    if pa.types.is_boolean(dtype):
        return "sc:Boolean"
    if pa.types.is_integer(dtype):
        return "sc:Integer"
    if pa.types.is_floating(dtype) or pa.types.is_decimal(dtype):
        return "sc:Float"
    if pa.types.is_date(dtype):
        return "sc:Date"
    if pa.types.is_timestamp(dtype):
        return "sc:DateTime"
    return "sc:Text"  # strings, and anything without a closer schema.org type


def _description(field: pa.Field) -> str:
    metadata = field.metadata or {}
    return metadata.get(b"description", b"").decode("utf-8") or f"Column {field.name!r}."


def _field(
    field: pa.Field, parent: str, source: dict[str, Any], nested_as_json: bool
) -> dict[str, Any]:
    """A ``cr:Field`` for one Arrow field; lists are ``repeated``, structs get ``subField``s.

    ``nested_as_json`` is for CSV, where list columns are written as JSON strings: they are
    described as text rather than promising a structure the file does not hold.
    """
    field_id = f"{parent}/{field.name}"
    node: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": field_id,
        "name": field.name,
        "description": _description(field),
    }
    dtype = field.type
    is_nested = pa.types.is_list(dtype) or pa.types.is_large_list(dtype)
    is_nested = is_nested or pa.types.is_struct(dtype)
    if nested_as_json and is_nested:
        node["description"] += " In CSV files: a JSON string."
        node["dataType"] = "sc:Text"
        node["source"] = source
        return node
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        node["repeated"] = True
        dtype = dtype.value_type
    if pa.types.is_struct(dtype):
        node["subField"] = [
            _field(
                dtype.field(i),
                field_id,
                {**source, "transform": {"jsonPath": dtype.field(i).name}},
                False,
            )
            for i in range(dtype.num_fields)
        ]
        node["source"] = source
        return node
    node["dataType"] = croissant_data_type(dtype)
    node["source"] = source
    return node


def _distribution(files: Sequence[DataFile], fmt: str) -> list[dict[str, Any]]:
    return [
        {
            "@type": "cr:FileObject",
            "@id": data_file.name,
            "name": data_file.name,
            "description": f"Data file {index + 1} of {len(files)}, in row order.",
            "contentUrl": data_file.name,
            "contentSize": f"{data_file.bytes} B",
            "encodingFormat": ENCODING_FORMATS[fmt],
            "sha256": data_file.sha256,
        }
        for index, data_file in enumerate(files)
    ]


def croissant(
    options: GenerateOptions,
    files: Sequence[DataFile],
    schema: pa.Schema,
    *,
    rows: int,
    name: str = "breachbench-patients",
) -> dict[str, Any]:
    """The Croissant JSON-LD document of a dataset made of ``files`` (in row order).

    Each file is a ``cr:FileObject`` with its SHA-256. The one record set ``patients`` has a
    field per column of ``schema``, read from the single file, or from a ``cr:FileSet``
    of the ``part-*`` files of a directory output (Croissant reads a field from one source).
    """
    if not files:
        raise ValueError("a dataset has at least one data file")
    fmt = options.format
    version = __version__
    distribution = _distribution(files, fmt)
    if len(files) == 1:
        reader: dict[str, Any] = {"fileObject": {"@id": files[0].name}}
    else:
        # Part files are read as one FileSet; each is still listed above with its SHA-256.
        suffix = Path(files[0].name).suffix
        distribution.append(
            {
                "@type": "cr:FileSet",
                "@id": FILE_SET,
                "name": FILE_SET,
                "description": "Every part file; read in name order, they give the rows in order.",
                "encodingFormat": ENCODING_FORMATS[fmt],
                "includes": f"{PART_PREFIX}*{suffix}",
            }
        )
        reader = {"fileSet": {"@id": FILE_SET}}
    fields = [
        _field(field, RECORD_SET, {**reader, "extract": {"column": field.name}}, fmt == "csv")
        for field in schema
    ]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "conformsTo": CONFORMS_TO,
        "description": (
            f"{rows} synthetic French GP patient records whose free-text administrative "
            "comment carries labelled sensitive spans (GDPR art. 9 and 10 categories and "
            "direct identifiers). Every value is synthetic: no record describes a real "
            f"person. Generated by breachbench {version} with seed {options.seed}; taxonomy "
            f"version {taxonomy_version()}."
            + (
                ""
                if options.split is None
                else " " + split_sentence(options.split, options.split_fraction)
            )
        ),
        "license": LICENSE_URL,
        "version": version,
        "citeAs": CITE_AS.replace("VERSION", version),
        "keywords": ["synthetic data", "French", "health", "PII", "NER", "benchmark"],
        "inLanguage": "fr",
        "isLiveDataset": False,
        "creator": {"@type": "sc:Organization", "name": "breachbench contributors"},
        "dataCollection": (
            "Generated, not collected: sampled from public aggregate tables (INSEE first "
            "names, surnames, communes) and hand-written lexicons, with options "
            + json.dumps(options.content_options(), sort_keys=True)
            + "."
        ),
        "personalSensitiveInformation": (
            "The comments mimic health, sexual, religious, political and judicial "
            "information, but every value is synthetic: phones in ARCEP fiction blocks, "
            "e-mail domains reserved by RFC 2606, RPPS numbers outside the assigned range."
        ),
        "distribution": distribution,
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "@id": RECORD_SET,
                "name": RECORD_SET,
                "description": "One synthetic patient record per row.",
                "key": {"@id": f"{RECORD_SET}/patient_id"},
                "field": fields,
            }
        ],
    }


def write_croissant(path: Path, document: dict[str, Any]) -> None:
    """Write ``document`` as indented UTF-8 JSON (stable key order: deterministic bytes)."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    Path(path).write_text(text + "\n", encoding="utf-8")
