"""Raises (a traceback on stderr, exit 1) on the BOOM record."""

from _faulty import run


def boom(record: dict) -> None:
    raise RuntimeError(f"boom on {record['id']}")


run(boom)
