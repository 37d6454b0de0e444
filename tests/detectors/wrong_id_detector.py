"""Answers the BOOM record with another id."""

from _faulty import answer, run

run(lambda record: answer({"id": "not-" + record["id"], "spans": []}))
