"""Detectors in any language: a subprocess speaking JSON lines on stdin and stdout.

Protocol (documented for detector authors in the README):

- the harness starts the command once and keeps it for the whole run;
- for each record it writes one line ``{"id": "...", "text": "..."}`` (UTF-8);
- the detector writes exactly one line per input, in the same order, and flushes it:
  ``{"id": "...", "spans": [{"start": 0, "end": 3, "label": "VIH"}]}`` or
  ``{"id": "...", "categories": ["serology"]}`` (or ``{"id": "...", "sensitive": true}``);
- offsets are Unicode code points (Python ``str`` indices), end exclusive;
- stdin is closed at the end of the run; the process should then exit.

The harness writes a batch from a thread while it reads answers, so a batch larger than
the pipe buffers cannot deadlock; a whole batch must be answered within ``timeout``
seconds. Any misbehaviour (crash, exit, hang, wrong id, bad JSON, bad offsets) kills the
process and raises :class:`DetectorFault` naming the record.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import signal
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import IO, Any

from breachbench.benchmarks.protocol import (
    Answer,
    AnswerNormaliser,
    DetectorFault,
    DetectorLoadError,
    Mode,
)

from .memory import tree_peak_rss_bytes

__all__ = ["MAX_TIMEOUT", "CommandDetector"]

_EOF = None
MAX_TIMEOUT = 7 * 24 * 3600.0
"""A week: longer waits overflow the platform's timers (``inf``, ``1e12``), and mean none."""


def _pump_lines(stream: IO[bytes], sink: queue.Queue[bytes | None]) -> None:
    """Move every stdout line into ``sink``, then an EOF marker."""
    try:
        for line in iter(stream.readline, b""):
            sink.put(line)
    except (OSError, ValueError):
        pass
    finally:
        sink.put(_EOF)


def _keep_tail(stream: IO[bytes], tail: deque[str]) -> None:
    """Drain stderr (so the child never blocks on it), keeping its last lines."""
    try:
        for line in iter(stream.readline, b""):
            tail.append(line.decode("utf-8", "replace").rstrip())
    except (OSError, ValueError):
        pass


class CommandDetector:
    """Adapter around a long-running detector process speaking JSON lines."""

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout: float = 30.0,
        shell: bool = False,
        name: str | None = None,
        version: str | None = None,
        mode: Mode | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        if not 0 < timeout <= MAX_TIMEOUT:
            raise ValueError(f"timeout must be within (0, {MAX_TIMEOUT:g}] seconds, got {timeout}")
        if isinstance(command, str):
            try:
                argv: str | list[str] = command if shell else shlex.split(command)
            except ValueError as error:  # an unclosed quote
                raise DetectorLoadError(
                    f"cannot parse detector command {command!r}: {error}"
                ) from None
            label = command
        else:
            argv = list(command)
            label = shlex.join(argv)
        if not argv or (isinstance(argv, str) and not argv.strip()):
            raise DetectorLoadError("the detector command is empty")
        self.name: str = name or label
        self.version: str | None = version
        self.timeout = float(timeout)
        self._normaliser = AnswerNormaliser(mode)
        self._fault: DetectorFault | None = None
        self._peak: int | None = None
        self.returncode: int | None = None
        try:
            self._process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                shell=shell,
                cwd=cwd,
                env=env,
                start_new_session=os.name == "posix",
            )
        except OSError as error:
            raise DetectorLoadError(f"cannot start detector command {label!r}: {error}") from None
        self._stdout: queue.Queue[bytes | None] = queue.Queue()
        self._stderr_tail: deque[str] = deque(maxlen=20)
        assert self._process.stdout is not None and self._process.stderr is not None
        self._threads = [
            threading.Thread(target=_pump_lines, args=(self._process.stdout, self._stdout)),
            threading.Thread(target=_keep_tail, args=(self._process.stderr, self._stderr_tail)),
        ]
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    @property
    def mode(self) -> Mode | None:
        """Span, categories or bool mode; None while every answer so far was empty."""
        return self._normaliser.mode

    @property
    def pid(self) -> int:
        """The detector process id."""
        return self._process.pid

    def _stderr_summary(self) -> str:
        """The last lines of the child's stderr, on one line."""
        self._threads[1].join(timeout=1.0)
        lines = [line.strip() for line in self._stderr_tail if line.strip()][-5:]
        if not lines:
            return "(empty)"
        tail = " | ".join(lines)
        return tail if len(tail) <= 160 else "…" + tail[-159:]  # the end says most

    def _kill(self) -> None:
        """Stop the process (and its session: a shell and what it runs) for good."""
        if self._process.poll() is None:
            try:
                if os.name == "posix":
                    os.killpg(self._process.pid, signal.SIGKILL)
                else:
                    self._process.kill()
            except (ProcessLookupError, PermissionError):
                pass
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.returncode = self._process.wait(timeout=5)

    def _fail(self, record_id: str | None, reason: str) -> DetectorFault:
        """Record the fault, kill the process, and hand the fault back to raise."""
        self._sample_memory()
        self._kill()
        self._fault = DetectorFault(record_id, reason)
        return self._fault

    def _exited(self, record_id: str) -> DetectorFault:
        """The process closed its stdout before answering ``record_id``."""
        try:
            code = self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        status = "closed its output" if code is None else f"exited with code {code}"
        return self._fail(
            record_id,
            f"detector process {status} before answering; stderr: {self._stderr_summary()}",
        )

    def _write(self, payload: bytes) -> None:
        """Send one batch; a dead reader is noticed on the answer side, not here."""
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(payload)
            stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def _parse(self, line: bytes, record_id: str, text: str) -> Answer:
        """One answer line for ``record_id``: JSON, the right id, a valid answer."""
        try:
            answer: Any = json.loads(line)
        except ValueError:
            snippet = line.decode("utf-8", "replace").strip()[:80]
            raise self._fail(record_id, f"invalid JSON on stdout: {snippet!r}") from None
        if not isinstance(answer, dict):
            raise self._fail(record_id, f"answer line is {type(answer).__name__}, not an object")
        got = answer.get("id")
        if got is None or str(got) != record_id:
            raise self._fail(
                record_id,
                f"answer has id {got!r}, expected {record_id!r}"
                " (one answer per input, in input order)",
            )
        if not ({"spans", "categories", "sensitive"} & answer.keys()):
            raise self._fail(record_id, "answer has none of 'spans', 'categories', 'sensitive'")
        if "categories" in answer and "spans" not in answer:
            cats = answer["categories"]
            if not isinstance(cats, list):
                raise self._fail(record_id, f"'categories' is {type(cats).__name__}, not a list")
            answer = set(cats) if all(isinstance(c, str) for c in cats) else cats
        try:
            return self._normaliser.one(record_id, text, answer)
        except DetectorFault as fault:
            raise self._fail(record_id, fault.reason) from None

    def __call__(self, ids: list[str], texts: list[str]) -> list[Answer]:
        """Stream one batch through the process and read one answer per record."""
        if self._fault is not None:
            raise DetectorFault(
                self._fault.record_id, f"detector already failed: {self._fault.reason}"
            )
        if len(ids) != len(texts):
            raise ValueError(f"{len(ids)} ids for {len(texts)} texts")
        payload = b"".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False).encode("utf-8") + b"\n"
            for i, t in zip(ids, texts, strict=True)
        )
        writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
        deadline = time.monotonic() + self.timeout
        writer.start()
        answers: list[Answer] = []
        for record_id, text in zip(ids, texts, strict=True):
            remaining = deadline - time.monotonic()
            try:
                line = self._stdout.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                raise self._fail(
                    record_id,
                    f"no answer within the {self.timeout:g}s batch timeout (process killed);"
                    f" {len(answers)} of {len(ids)} answered",
                ) from None
            if line is _EOF:
                raise self._exited(record_id)
            answers.append(self._parse(line, record_id, text))
        writer.join(timeout=max(deadline - time.monotonic(), 0.1))
        self._sample_memory()
        return answers

    def _sample_memory(self) -> None:
        """Fold the process tree's current high-water mark into the peak seen so far."""
        if self._process.poll() is None:
            peak = tree_peak_rss_bytes(self._process.pid)
            if peak is not None:
                self._peak = peak if self._peak is None else max(self._peak, peak)

    def peak_memory_bytes(self) -> int | None:
        """Peak resident memory of the detector process (and its children), or None."""
        self._sample_memory()
        return self._peak

    def terminate(self) -> None:
        """Stop the process now, without waiting for it to finish (the run was interrupted)."""
        self._kill()

    def close(self, wait: float = 5.0) -> None:
        """Close stdin so the detector can finish, wait for it, kill it if it lingers."""
        if self._process.poll() is None:
            self._sample_memory()
            try:
                assert self._process.stdin is not None
                self._process.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                self.returncode = self._process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self._kill()
        else:
            self.returncode = self._process.returncode
        for thread in self._threads:
            thread.join(timeout=1.0)
        readers_done = not any(thread.is_alive() for thread in self._threads)
        streams = [self._process.stdin]
        if readers_done:  # never close a pipe under a thread still blocked reading it
            streams += [self._process.stdout, self._process.stderr]
        for stream in streams:
            try:
                if stream is not None:
                    stream.close()
            except (OSError, ValueError):
                pass

    def __enter__(self) -> CommandDetector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
