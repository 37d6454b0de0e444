"""Answers the BOOM record with a span past the end of its text."""

from _faulty import answer, run

run(
    lambda r: answer(
        {"id": r["id"], "spans": [{"start": 0, "end": len(r["text"]) + 5, "label": "x"}]}
    )
)
