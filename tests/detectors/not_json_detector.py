"""Answers the BOOM record with a line that is not JSON."""

import sys

from _faulty import run


def garble(record: dict) -> None:
    sys.stdout.write("this is not json\n")
    sys.stdout.flush()


run(garble)
