"""Build the hand-written sets (contract JSON lines) from their ``.txt`` sources.

python benchmarks/perf/handwritten/build_notes.py [--check] [notes|dev|dev2|dev3 ...]

Four sets, built alike: ``notes.txt`` -> ``notes.jsonl`` (the held-out test proxy, ids
``HW001``...), ``dev.txt`` -> ``dev.jsonl`` (the development set, ids ``HD001``...),
``dev2.txt`` -> ``dev2.jsonl`` (the second development set, by a third author, ids
``HE001``...) and ``dev3.txt`` -> ``dev3.jsonl`` (the third, by a fourth author, ids
``HF001``...); with no set named, all are built. Offsets are never typed by hand: each
label names its span by its text, labels are listed in reading order, and this script
finds each text after the previous span, on word boundaries. A source holds blocks::

    ### F 1978-03-12
    the note, on one or more lines
    ~ span text :: category [subject] [assertion]

after the category come, in any order, the ``subject``: ``p`` (patient, the default),
``r`` (relative) or ``t`` (third party), and the ``assertion``: ``a`` (affirmed, the
default), ``n`` (negated), ``y`` (hypothetical) or ``h`` (historical). ``--check`` exits 1
when a set's ``.jsonl`` is not what its source builds.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# set name -> patient_id prefix; files HERE/<name>.txt|jsonl
SETS = {"notes": "HW", "dev": "HD", "dev2": "HE", "dev3": "HF"}

CATEGORIES = {
    "ser": "serology", "ori": "sexual_orientation", "gen": "gender_identity",
    "sv": "sexual_violence", "vio": "violence", "mh": "mental_health", "add": "addiction",
    "rep": "reproductive_health", "hc": "health_condition", "rel": "religion",
    "pol": "political_union", "eth": "ethnic_origin", "jus": "justice",
    "soc": "social_precarity", "per": "person", "tel": "phone", "mail": "email",
    "adr": "address", "date": "date", "nir": "nir",
}  # fmt: skip
IDENTIFIERS = {"person", "phone", "email", "address", "date", "nir"}
SUBJECTS = {"p": "patient", "r": "relative", "t": "third_party"}
ASSERTIONS = {"a": "affirmed", "n": "negated", "y": "hypothetical", "h": "historical"}


class NoteError(ValueError):
    """A block of a source cannot be turned into labels; the message names it."""


def _find(text: str, needle: str, cursor: int, where: str) -> int:
    start = text.find(needle, cursor)
    while start >= 0:
        end = start + len(needle)
        left_ok = start == 0 or not (text[start - 1].isalnum() and needle[0].isalnum())
        right_ok = end == len(text) or not (text[end].isalnum() and needle[-1].isalnum())
        if left_ok and right_ok:
            return start
        start = text.find(needle, start + 1)
    raise NoteError(f"{where}: {needle!r} not found after offset {cursor}")


def parse(source: str, prefix: str = "HW") -> list[dict]:
    """The records of ``source``, in order, ids ``<prefix>001``..."""
    records: list[dict] = []
    blocks = [b for b in source.split("\n### ") if b.strip() and not b.startswith("#")]
    for number, block in enumerate(blocks, start=1):
        header, *lines = block.removeprefix("### ").split("\n")
        where = f"note {number} ({header.strip()})"
        sex, birth = header.split()
        body = [ln for ln in lines if not ln.startswith("~ ")]
        labels = [ln[2:] for ln in lines if ln.startswith("~ ")]
        text = "\n".join(body).strip()
        spans, cursor = [], 0
        for label in labels:
            needle, _, spec = label.rpartition(" :: ")
            parts = spec.split()
            flags = set(parts[1:])
            if not parts or parts[0] not in CATEGORIES or flags - set(SUBJECTS) - set(ASSERTIONS):
                raise NoteError(f"{where}: bad label {label!r}")
            category = CATEGORIES[parts[0]]
            subject = SUBJECTS[next((f for f in parts[1:] if f in SUBJECTS), "p")]
            assertion = ASSERTIONS[next((f for f in parts[1:] if f in ASSERTIONS), "a")]
            if category in IDENTIFIERS and assertion != "affirmed":
                raise NoteError(f"{where}: identifier {needle!r} must be affirmed")
            start = _find(text, needle, cursor, where)
            cursor = start + len(needle)
            spans.append(
                {
                    "start": start,
                    "end": cursor,
                    "category": category,
                    "subject": subject,
                    "assertion": assertion,
                }
            )
        categories = sorted({s["category"] for s in spans})
        records.append(
            {
                "patient_id": f"{prefix}{number:03d}",
                "admin_comment": text,
                "sensitive": any(c not in IDENTIFIERS for c in categories),
                "categories": categories,
                "spans": spans,
                "sex": sex,
                "birth_date": birth,
            }
        )
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the .jsonl")
    parser.add_argument("sets", nargs="*", metavar="SET", help=f"of {', '.join(SETS)} (all)")
    args = parser.parse_args()
    if unknown := set(args.sets) - set(SETS):
        parser.error(f"unknown set(s): {', '.join(sorted(unknown))}")
    stale = []
    for name in args.sets or list(SETS):
        source, target = HERE / f"{name}.txt", HERE / f"{name}.jsonl"
        text = render(parse(source.read_text(encoding="utf-8"), SETS[name]))
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.name)
            continue
        target.write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10))} notes to {target}")
    if stale:
        print(f"stale: {', '.join(stale)}; run build_notes.py", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
