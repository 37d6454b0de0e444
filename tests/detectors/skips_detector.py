"""Gives no answer for the BOOM record (so the answer count and ids slip)."""

from _faulty import run

run(lambda record: None)
