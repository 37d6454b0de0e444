"""Peak resident memory of a run, across the parent and its workers.

``getrusage``'s ``ru_maxrss`` survives ``execve`` on Linux (a run started from a big
process inherits its peak) and never sees workers forked from a fork server (they are
not our children), so the peak is read from each process's own high-water mark,
``VmHWM`` in ``/proc/<pid>/status``; elsewhere it falls back to ``ru_maxrss``.
"""

from __future__ import annotations

import sys
from pathlib import Path

_worker_peak = 0


def high_water_mark(pid: int | str = "self") -> int | None:
    """Peak resident set of a live process, in bytes, where ``/proc`` tells it."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def reset_worker_peak() -> None:
    global _worker_peak
    _worker_peak = 0


def note_workers(pids: list[int]) -> None:
    """Read the workers' peaks while they are still alive (the pool is about to stop)."""
    global _worker_peak
    for pid in pids:
        _worker_peak = max(_worker_peak, high_water_mark(pid) or 0)


def peak_rss_bytes() -> int:
    """Largest peak of this process and of the workers noted since the last reset."""
    own = high_water_mark()
    if own is None:
        try:
            import resource
        except ImportError:  # Windows
            return _worker_peak
        scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return max(own, _worker_peak)
