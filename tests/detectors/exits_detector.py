"""Exits with code 3, mid-stream, on the BOOM record."""

import sys

from _faulty import run


def leave(record: dict) -> None:
    sys.stderr.write("giving up\n")
    sys.exit(3)


run(leave)
