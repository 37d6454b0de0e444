"""An interruption is never lost, even when it lands while a finaliser runs."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, signal, sys, threading, time
    from breachbench.cli import signals_as_interrupts

    def rows():
        try:
            yield 1
        finally:  # the signal lands here, while the generator is being closed
            threading.Timer(0.05, os.kill, (os.getpid(), int(sys.argv[1]))).start()
            time.sleep(0.5)

    with signals_as_interrupts():
        try:
            source = rows()
            next(source)
            del source  # CPython drops what a finaliser raises ("Exception ignored")
            time.sleep(5)
            print("lost")
        except KeyboardInterrupt as error:
            print("interrupted", type(error).__name__)
            sys.exit(128 + int(sys.argv[1]))
    """
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_landing_in_a_finaliser_still_interrupts(signum: int) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(int(signum))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 128 + signum, (done.stdout, done.stderr)
    assert done.stdout.startswith("interrupted") and "lost" not in done.stdout
    assert "Exception ignored" not in done.stderr
