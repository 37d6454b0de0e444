"""A Python detector in a child process: ``--timeout`` reaches it, and a crash is a fault.

In the harness's own process, a callable that hangs hangs the run, one that calls
``os._exit`` or segfaults takes the harness (and every report) with it, and its memory
cannot be told from the harness's. :class:`IsolatedDetector` runs the same callable in a
child (``python -m breachbench.benchmarks.adapters.isolated SPEC``) and reuses the command
adapter's process handling: a batch not answered within ``timeout`` seconds, or a child
that dies, stops the run with a :class:`DetectorFault` naming the record, exactly as for
``--detector-cmd``; the memory reported is the child's own.

The child speaks one JSON line per *batch* (not per record), so the callable sees the
batches it would see in process:

- first, it writes ``{"hello": {"name", "version", "mode"}}`` once the detector is loaded,
  or ``{"load_error": "..."}`` and exits;
- for each ``{"ids": [...], "texts": [...]}`` it writes ``{"answers": [...], "mode",
  "seconds"}`` (answers already validated and normalised by the child's
  :class:`AnswerNormaliser`; ``seconds`` is the callable's own time, so the throughput
  figures do not include the pipe) or ``{"fault": {"record_id", "reason"}}``.

The child's stdout is the protocol's alone: anything the detector prints (Python or C)
goes to stderr, whose last lines are quoted if it fails.
"""

from __future__ import annotations

import json
import os
import queue
import site
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

from breachbench.benchmarks.protocol import (
    Answer,
    DetectorFault,
    DetectorLoadError,
    Mode,
    PredictedSpan,
)

from .command import _EOF, CommandDetector

__all__ = ["IsolatedDetector", "child_env", "main"]

MODULE = "breachbench.benchmarks.adapters.isolated"
CLOSE_FAILED = 3
"""The child's exit code when the detector's ``close()`` raised."""
MIN_LOAD_SECONDS = 120.0
"""Loading a detector (imports, models) may take long; a batch timeout is no guide."""


def child_env() -> dict[str, str]:
    """The child's environment: it must import this very breachbench, wherever it runs.

    ``python -m`` puts the working directory first on the child's path (so ``--detector
    mypackage.detect:find_spans`` finds ``mypackage`` there, as in process); then comes the
    folder holding the parent's ``breachbench`` package, ahead of any other copy.
    """
    import breachbench

    root = Path(breachbench.__file__).resolve().parent.parent
    paths = list(filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    installed = {Path(p).resolve() for p in (*site.getsitepackages(), site.getusersitepackages())}
    if root not in installed:  # a checkout: ahead of any installed copy (never site-packages
        paths.insert(0, str(root))  # itself, which would shadow the standard library)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def _answer_json(answer: Answer) -> dict[str, Any]:
    if answer.spans is not None and answer.categories is not None:
        return {}  # empty, mode not known yet
    if answer.spans is not None:
        return {"spans": [[s.start, s.end, s.label, s.score] for s in answer.spans]}
    if answer.categories is not None:
        return {"categories": sorted(answer.categories)}
    return {"sensitive": bool(answer.sensitive)}


def _answer_from_json(data: dict[str, Any]) -> Answer:
    if "spans" in data:
        return Answer(spans=[PredictedSpan(*span) for span in data["spans"]], categories=None)
    if "categories" in data:
        return Answer(spans=None, categories=frozenset(data["categories"]))
    if "sensitive" in data:
        return Answer(spans=None, categories=None, sensitive=bool(data["sensitive"]))
    return Answer(spans=[], categories=frozenset())


class IsolatedDetector(CommandDetector):
    """A Python/built-in detector spec run in a child process (see the module docstring)."""

    def __init__(self, spec: str, *, timeout: float = 30.0) -> None:
        super().__init__(
            [sys.executable, "-m", MODULE, spec],
            timeout=timeout,
            name=spec,
            cwd=os.getcwd(),
            env=child_env(),
        )
        self.spec = spec
        self.last_call_seconds: float | None = None
        self._mode: Mode | None = None
        try:
            hello = self._receive(None, max(MIN_LOAD_SECONDS, self.timeout), "to load")
        except KeyboardInterrupt:  # interrupted while it loads: no orphan left behind
            self._kill()
            raise
        if "load_error" in hello:
            self.close()
            raise DetectorLoadError(str(hello["load_error"]))
        info = hello.get("hello")
        if not isinstance(info, dict):
            self._kill()
            raise DetectorLoadError(f"isolated detector {spec!r} did not start: {hello!r:.80}")
        self.name = str(info.get("name") or spec)
        self.version = info.get("version")
        self._mode = info.get("mode")

    @property
    def mode(self) -> Mode | None:
        """The mode the child's normaliser has fixed, or None while answers were empty."""
        return self._mode

    def close(self, wait: float = 5.0) -> None:
        """Let the child close the detector and exit; raise if the detector's close() did."""
        super().close(wait)
        if self.returncode == CLOSE_FAILED and self._fault is None:
            raise RuntimeError(self._stderr_summary())

    def _receive(self, record_id: str | None, seconds: float, doing: str) -> dict[str, Any]:
        """The next protocol line, or a fault (at load: a load error) on timeout or exit."""
        try:
            line = self._stdout.get(timeout=seconds)
        except queue.Empty:
            reason = f"no answer within {seconds:g}s {doing} (process killed)"
            if record_id is None:
                self._kill()
                raise DetectorLoadError(f"isolated detector {self.name!r}: {reason}") from None
            raise self._fail(record_id, reason) from None
        if line is _EOF:
            if record_id is None:
                self._kill()
                raise DetectorLoadError(
                    f"isolated detector {self.name!r} exited while loading;"
                    f" stderr: {self._stderr_summary()}"
                )
            raise self._exited(record_id)
        try:
            data = json.loads(line)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            snippet = line.decode("utf-8", "replace").strip()[:80]
            if record_id is None:
                self._kill()
                raise DetectorLoadError(f"isolated detector wrote {snippet!r} while loading")
            raise self._fail(record_id, f"isolated detector wrote {snippet!r}")
        return data

    def __call__(self, ids: list[str], texts: list[str]) -> list[Answer]:
        """Send one batch to the child; its answers, or the fault it reports."""
        if self._fault is not None:
            raise DetectorFault(
                self._fault.record_id, f"detector already failed: {self._fault.reason}"
            )
        if not ids:
            return []
        payload = json.dumps({"ids": ids, "texts": texts}, ensure_ascii=False).encode() + b"\n"
        writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
        writer.start()
        first = ids[0]
        reply = self._receive(
            first,
            self.timeout,
            f"for the batch of {len(ids)} records starting at {first!r} (--timeout)",
        )
        writer.join(timeout=1.0)
        self._sample_memory()
        if "fault" in reply:
            fault = reply["fault"] if isinstance(reply["fault"], dict) else {}
            self._fault = DetectorFault(fault.get("record_id"), str(fault.get("reason")))
            self._kill()
            raise self._fault
        answers = reply.get("answers")
        if not isinstance(answers, list) or len(answers) != len(ids):
            raise self._fail(first, f"isolated detector answered {reply!r:.80}")
        self._mode = reply.get("mode", self._mode)
        seconds = reply.get("seconds")
        self.last_call_seconds = float(seconds) if isinstance(seconds, (int, float)) else None
        return [_answer_from_json(a) for a in answers]


def _serve(spec: str, protocol: BinaryIO) -> int:
    """The child's loop: load ``spec``, then answer batches until stdin closes."""
    from .python import load_detector

    def send(payload: dict[str, Any]) -> None:
        protocol.write(json.dumps(payload, ensure_ascii=False).encode("utf-8") + b"\n")
        protocol.flush()

    try:
        detector = load_detector(spec)
    except DetectorLoadError as error:
        send({"load_error": str(error)})
        return 1
    except Exception as error:
        send({"load_error": f"detector {spec!r} failed to load: {type(error).__name__}: {error}"})
        return 1
    send({"hello": {"name": detector.name, "version": detector.version, "mode": detector.mode}})
    code = 0
    try:
        for line in sys.stdin.buffer:
            if not line.strip():
                continue
            batch = json.loads(line)
            ids, texts = batch["ids"], batch["texts"]
            tick = time.perf_counter()
            try:
                answers = detector(ids, texts)
            except DetectorFault as fault:
                send({"fault": {"record_id": fault.record_id, "reason": fault.reason}})
                code = 1
                break
            seconds = time.perf_counter() - tick
            send(
                {
                    "answers": [_answer_json(a) for a in answers],
                    "mode": detector.mode,
                    "seconds": seconds,
                }
            )
    finally:
        try:
            detector.close()
        except Exception as error:  # the parent's close() turns this exit code into a fault
            print(f"close() raised {type(error).__name__}: {error}", file=sys.stderr)
            code = code or CLOSE_FAILED
    return code


ORPHAN_CHECK_SECONDS = 0.5


def _exit_when_orphaned(parent: int) -> None:
    """Exit as soon as the harness is gone, even while the detector is stuck in a call.

    A harness killed with SIGKILL cannot stop its child, and a hung detector never reads
    the end of its stdin: without this watch it would run on forever. A parent's death
    re-parents the child (to init or a subreaper), which ``getppid`` shows. Polling from a
    daemon thread works wherever a hung call lets other threads run (a sleep, I/O, a Python
    loop); ``PR_SET_PDEATHSIG`` would fire when the parent's *thread* that started us ends.
    """
    while True:
        time.sleep(ORPHAN_CHECK_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child: ``python -m breachbench.benchmarks.adapters.isolated SPEC``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(f"usage: python -m {MODULE} module:callable", file=sys.stderr)
        return 2
    # The protocol keeps the real stdout; fd 1 then points at stderr, so that whatever the
    # detector prints, from Python or from C, cannot corrupt an answer line.
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    protocol = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        return _serve(args[0], protocol)
    except (BrokenPipeError, KeyboardInterrupt):
        return 1


if __name__ == "__main__":
    sys.exit(main())
