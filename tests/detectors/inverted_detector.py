"""Answers the BOOM record with a span whose end comes before its start."""

from _faulty import answer, run

run(lambda r: answer({"id": r["id"], "spans": [{"start": 4, "end": 2, "label": "x"}]}))
