"""A well-behaved subprocess detector: finds "VIH" with str.find, one JSON line per input.

``--categories`` answers record-level categories instead of spans.
"""

import json
import sys


def main() -> None:
    categories = "--categories" in sys.argv
    for line in sys.stdin:
        record = json.loads(line)
        text = record["text"]
        spans = []
        start = text.find("VIH")
        while start != -1:
            spans.append({"start": start, "end": start + 3, "label": "serology"})
            start = text.find("VIH", start + 3)
        if categories:
            answer = {"id": record["id"], "categories": ["serology"] if spans else []}
        else:
            answer = {"id": record["id"], "spans": spans}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
