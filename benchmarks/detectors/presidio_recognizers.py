"""Our French recognizers for Presidio, built from ``corpora/detectors/presidio_fr.yaml``.

Presidio 2.2 ships no French recognizer, and its generic ones speak English (context
words such as "phone"). This module builds, for language ``fr``:

- ``FR_NIR``: a pattern recognizer whose key check reuses the built-in identifiers
  detector's (one NIR rule in the project, 2A/2B included);
- ``PHONE_NUMBER``: Presidio's own ``PhoneRecognizer`` (python-phonenumbers) restricted to
  the FR numbering plan, plus a pattern for every French layout (the numbering plan
  rejects the ranges reserved for fiction), both with French context words;
- ``EMAIL_ADDRESS``: Presidio's ``EmailRecognizer`` whose public-suffix check uses a
  ``tldextract`` extractor that can never go online (the stock one downloads the suffix
  list on first use, which hangs or fails offline);
- ``DATE_TIME``: Presidio's numeric date patterns plus French month names;
- ``LOCATION``: street and postcode + city patterns (spaCy's LOC finds bare places).

Presidio is imported by the caller (``presidio.py``) before this module, so a missing
extra is reported there, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import tldextract
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    DateRecognizer,
    EmailRecognizer,
    PhoneRecognizer,
)

from .identifiers import nir_is_valid

__all__ = ["french_recognizers", "offline_suffix_extractor"]

_CASE_FLAGS = re.DOTALL | re.MULTILINE
_NO_CASE_FLAGS = _CASE_FLAGS | re.IGNORECASE
_SEPARATORS = re.compile(r"[\s.\-]")


def offline_suffix_extractor() -> tldextract.TLDExtract:
    """A public-suffix extractor that only reads the snapshot bundled with tldextract.

    No suffix-list URL (so no request), no cache directory (so nothing written to the
    user's home): the snapshot is the list that tldextract's own release shipped with.
    """
    return tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)


class FrenchNirRecognizer(PatternRecognizer):
    """NIR patterns; a 15-character NIR must carry the right key, else it is no NIR."""

    def validate_result(self, pattern_text: str) -> bool | None:
        """True (score 1.0) for a right key, False (dropped) for a wrong one.

        A 13-character NIR has no key to check: None keeps its pattern score.
        """
        compact = _SEPARATORS.sub("", pattern_text)
        if len(compact) == 15:
            return nir_is_valid(compact)
        return None


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer whose domain check never downloads anything."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._extractor = offline_suffix_extractor()

    def validate_result(self, pattern_text: str) -> bool:
        """An address whose domain ends in a known public suffix (as the stock check)."""
        return self._extractor(pattern_text).fqdn != ""


def _patterns(entries: Any) -> list[Pattern]:
    return [Pattern(str(p["name"]), str(p["regex"]), float(p["score"])) for p in entries or []]


def _flags(spec: Mapping[str, Any]) -> int:
    return _NO_CASE_FLAGS if spec.get("ignore_case", True) else _CASE_FLAGS


def french_recognizers(config: Mapping[str, Any]) -> list[EntityRecognizer]:
    """Every recognizer but spaCy's NER one, for ``config["language"]``."""
    language = str(config["language"])
    specs: Mapping[str, Mapping[str, Any]] = config["recognizers"]
    nir, phone, email = specs["FR_NIR"], specs["PHONE_NUMBER"], specs["EMAIL_ADDRESS"]
    date, location = specs["DATE_TIME"], specs["LOCATION"]
    return [
        FrenchNirRecognizer(
            supported_entity="FR_NIR",
            name="FrenchNirRecognizer",
            patterns=_patterns(nir["patterns"]),
            context=list(nir.get("context") or []),
            supported_language=language,
            global_regex_flags=_flags(nir),
        ),
        PhoneRecognizer(
            context=list(phone.get("context") or []),
            supported_language=language,
            supported_regions=tuple(phone.get("regions") or ("FR",)),
            name="FrenchPhoneRecognizer",
        ),
        PatternRecognizer(
            supported_entity="PHONE_NUMBER",
            name="FrenchPhonePatternRecognizer",
            patterns=_patterns(phone.get("patterns")),
            context=list(phone.get("context") or []),
            supported_language=language,
            global_regex_flags=_flags(phone),
        ),
        OfflineEmailRecognizer(
            context=list(email.get("context") or []),
            supported_language=language,
            name="OfflineEmailRecognizer",
        ),
        DateRecognizer(
            context=list(date.get("context") or []),
            supported_language=language,
            name="DateRecognizer",
        ),
        PatternRecognizer(
            supported_entity="DATE_TIME",
            name="FrenchMonthDateRecognizer",
            patterns=_patterns(date["patterns"]),
            context=list(date.get("context") or []),
            supported_language=language,
            global_regex_flags=_flags(date),
        ),
        PatternRecognizer(
            supported_entity="LOCATION",
            name="FrenchAddressRecognizer",
            patterns=_patterns(location["patterns"]),
            context=list(location.get("context") or []),
            supported_language=language,
            global_regex_flags=_flags(location),
        ),
    ]
