"""Peak resident memory of a process, read from ``/proc`` (psutil is not a dependency).

``VmHWM`` is the kernel's own high-water mark of resident memory, so one read at any time
gives the peak so far; sampling after each batch is enough. Where ``/proc`` is absent
(macOS, Windows) the answer is None rather than a guess.
"""

from __future__ import annotations

from pathlib import Path

from breachbench.generator.run.memory import high_water_mark

__all__ = ["peak_rss_bytes", "tree_peak_rss_bytes"]

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
