"""A subprocess detector that answers each input with the next raw line of a file.

``replay_detector.py ANSWERS`` reads ANSWERS (bytes, one answer per line, anything at all:
bad JSON, invalid UTF-8, wrong ids...) and writes line k for input k, then exits when the
lines run out: the fuzz tests' way to put any output on a real detector's stdout.
"""

import sys


def main() -> None:
    with open(sys.argv[1], "rb") as handle:
        answers = handle.read().split(b"\n")
    out = sys.stdout.buffer
    for k, _ in enumerate(sys.stdin.buffer):
        if k >= len(answers):
            return
        out.write(answers[k] + b"\n")
        out.flush()


if __name__ == "__main__":
    main()
