"""Shared loop of the misbehaving detectors: behave until a text contains BOOM."""

import json
import sys
from collections.abc import Callable


def run(misbehave: Callable[[dict], None]) -> None:
    """Answer every record correctly (no spans) except the first BOOM one."""
    for line in sys.stdin:
        record = json.loads(line)
        if "BOOM" in record["text"]:
            misbehave(record)
            continue
        sys.stdout.write(json.dumps({"id": record["id"], "spans": []}) + "\n")
        sys.stdout.flush()


def answer(payload: dict) -> None:
    """Write one answer line and flush it."""
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()
