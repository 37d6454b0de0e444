"""Allocates about 60 MB at start-up, then answers like the echo detector without spans."""

import json
import sys

BALLAST = bytearray(60 * 1024 * 1024)
for i in range(0, len(BALLAST), 4096):
    BALLAST[i] = 1

for line in sys.stdin:
    record = json.loads(line)
    sys.stdout.write(json.dumps({"id": record["id"], "spans": []}) + "\n")
    sys.stdout.flush()
