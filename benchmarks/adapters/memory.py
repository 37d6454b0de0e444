"""Peak resident memory of a process, read from ``/proc`` (psutil is not a dependency).

``VmHWM`` is the kernel's own high-water mark of resident memory, so one read at any time
gives the peak so far; sampling after each batch is enough. Where ``/proc`` is absent
(macOS, Windows) the answer is None rather than a guess.
"""

from __future__ import annotations

from pathlib import Path

from breachbench.generator.run.memory import high_water_mark

__all__ = [
    "InProcessMemory",
    "current_rss_bytes",
    "peak_rss_bytes",
    "reset_peak",
    "tree_peak_rss_bytes",
]

_PROC = Path("/proc")


def peak_rss_bytes(pid: int | None = None) -> int | None:
    """Peak resident memory (``VmHWM``) of ``pid`` (default: this process), or None."""
    return high_water_mark("self" if pid is None else pid)


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` from every one of its threads."""
    found: list[int] = []
    try:
        for task in (_PROC / str(pid) / "task").iterdir():
            text = (task / "children").read_text().split()
            found.extend(int(child) for child in text)
    except OSError:
        pass
    return found


def tree_peak_rss_bytes(pid: int) -> int | None:
    """Sum of the peaks of ``pid`` and its descendants (a shell and the tool it runs).

    The sum of peaks can exceed the true joint peak; for a single detector process, the
    usual case, it is exact.
    """
    total: int | None = None
    stack, seen = [pid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        peak = peak_rss_bytes(current)
        if peak is not None:
            total = (total or 0) + peak
        stack.extend(_children(current))
    return total


def current_rss_bytes() -> int | None:
    """Resident memory of this process now (``VmRSS``), or None without ``/proc``."""
    try:
        for line in (_PROC / "self" / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def reset_peak() -> bool:
    """Reset this process's ``VmHWM`` to its current RSS (Linux >= 4.0); False if refused."""
    try:
        (_PROC / "self" / "clear_refs").write_text("5")
    except OSError:
        return False
    return True


class InProcessMemory:
    """What an in-process detector added above the harness's memory, call by call.

    The harness's own peak (reading, scoring, bootstrap) is not the detector's: ``none``,
    which does nothing, would report 150 MB. So the high-water mark is reset before the
    detector loads and before each of its calls, and read after: the detector's memory is
    what it kept after loading plus the most any one call added on top. Without a
    resettable high-water mark (no ``/proc``), it is None: unknown rather than wrong.
    """

    def __init__(self) -> None:
        self._baseline: int | None = None
        self._kept = 0
        self._load_peak = 0
        self._call_peak = 0
        self._before = 0
        self._ok = False

    def before_load(self) -> None:
        self._ok = reset_peak()
        self._baseline = current_rss_bytes()
        self._ok = self._ok and self._baseline is not None

    def after_load(self) -> None:
        if not self._ok:
            return
        assert self._baseline is not None
        self._load_peak = max(0, (peak_rss_bytes() or 0) - self._baseline)
        self._kept = max(0, (current_rss_bytes() or 0) - self._baseline)

    def before_call(self) -> None:
        if self._ok:
            reset_peak()
            self._before = current_rss_bytes() or 0

    def after_call(self) -> None:
        if self._ok:
            self._call_peak = max(self._call_peak, (peak_rss_bytes() or 0) - self._before)

    def peak_bytes(self) -> int | None:
        """The detector's peak above the harness's baseline, or None where unknown."""
        if not self._ok:
            return None
        return max(self._load_peak, self._kept + self._call_peak)
