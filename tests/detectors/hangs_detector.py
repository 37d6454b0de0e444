"""Never answers the BOOM record."""

import time

from _faulty import run


def hang(record: dict) -> None:
    time.sleep(600)


run(hang)
