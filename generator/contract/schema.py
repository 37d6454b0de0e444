"""The Arrow schema of a generated dataset, documented field by field.

The last five fields are the dataset contract of ``corpora/taxonomy/taxonomy.yaml``: any
table that has them can be benchmarked, whoever made it. Descriptions travel inside the
Parquet file as field metadata so that a reader never needs this source to understand it.
"""

from __future__ import annotations

import pyarrow as pa

SPAN_TYPE = pa.struct(
    [
        pa.field("start", pa.int32(), nullable=False),
        pa.field("end", pa.int32(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("subject", pa.string(), nullable=False),
        pa.field("assertion", pa.string(), nullable=False),
    ]
)

_FIELDS: list[tuple[str, pa.DataType, bool, str]] = [
    ("patient_id", pa.string(), False, "Unique, stable record id; a function of the row index."),
    ("last_name", pa.string(), False, "Usage name (nom d'usage), as the practice files it."),
    (
        "birth_name",
        pa.string(),
        False,
        "Birth name (nom de naissance); differs from last_name for some married people.",
    ),
    (
        "first_name",
        pa.string(),
        False,
        "First name, drawn by sex and birth decade from INSEE frequencies.",
    ),
    ("sex", pa.string(), False, "'M' or 'F', as recorded on the carte Vitale."),
    ("birth_date", pa.date32(), False, "Date of birth; ages follow the French age pyramid."),
    (
        "birth_place",
        pa.string(),
        False,
        "Birth commune name, or country name for people born abroad.",
    ),
    (
        "nir",
        pa.string(),
        False,
        "Social security number (15 characters, solid), consistent with sex, birth date"
        " and place; valid key.",
    ),
    (
        "phone_mobile",
        pa.string(),
        True,
        "Mobile phone, only in the ARCEP fiction block 06 39 98, in a common French format.",
    ),
    (
        "phone_home",
        pa.string(),
        True,
        "Landline, only in the ARCEP fiction block of the residence's region.",
    ),
    (
        "email",
        pa.string(),
        True,
        "Email derived from the person's names; reserved domains (RFC 2606) unless opted out.",
    ),
    ("address", pa.string(), False, "Street line: number, street type and name."),
    ("postcode", pa.string(), False, "Postcode of the residence commune, from the commune table."),
    ("city", pa.string(), False, "Residence commune name, a real pair with postcode."),
    ("insee_code", pa.string(), False, "INSEE code of the residence commune (COG 2026)."),
    (
        "doctor_rpps",
        pa.string(),
        False,
        "RPPS of the patient's GP: 11 digits, Luhn key, outside the assigned range.",
    ),
    ("doctor_name", pa.string(), False, "Name of the patient's GP."),
    (
        "created_at",
        pa.timestamp("ms"),
        False,
        "When the record was created in the practice software.",
    ),
    (
        "updated_at",
        pa.timestamp("ms"),
        False,
        "When the administrative comment was last edited, the date its note is written as "
        "of: never before created_at, a working day in opening hours.",
    ),
    (
        "admin_comment",
        pa.string(),
        True,
        "Free-text administrative comment; null when the record has none.",
    ),
    (
        "sensitive",
        pa.bool_(),
        False,
        "True when the comment holds at least one span of group 'sensitive'.",
    ),
    ("categories", pa.list_(pa.string()), False, "Categories of all spans, sorted, unique."),
    (
        "spans",
        pa.list_(SPAN_TYPE),
        False,
        "Span labels, sorted by start, never overlapping; offsets in code points, end exclusive.",
    ),
    (
        "difficulty_tags",
        pa.list_(pa.string()),
        False,
        "What makes the comment hard: template traits (abbreviation, implicit, negated, "
        "relative, hard_negative...) and the noise that shows (typo, no_accents, sms...).",
    ),
]

CONTRACT_COLUMNS = ("patient_id", "admin_comment", "sensitive", "categories", "spans")

RECORD_SCHEMA = pa.schema(
    [
        pa.field(name, dtype, nullable=nullable, metadata={"description": description})
        for name, dtype, nullable, description in _FIELDS
    ]
)
