"""``bench --engine dask``: detector copies on Dask workers, one per worker, loaded once.

A :class:`DetectorPlugin` (a Dask ``WorkerPlugin``) rides along with every worker; the first
task sent to a worker (:func:`_load`, one per worker, pinned there) loads its copy under the
plugin's lock, in the worker's task thread rather than its event loop, so a detector that
takes seconds to load never stalls the worker's heartbeats. Each detector call is then a
task (:func:`_call`) answered by the worker's copy; at most ``IN_FLIGHT`` calls per worker
are queued, and the answers are consumed in call order, so the harness scores and writes
them exactly as a local run would (scoring happens here, on the client: it runs at
100,000+ records/s, far above any detector worth a cluster).

Without ``--scheduler`` a ``LocalCluster`` (one single-threaded worker process per copy) is
started and shut down with the run; with it, the cluster's workers are used and left
running, the plugin removed at the end. A worker that dies with a call is a fault naming the
call's first record, as for local workers. Dask is imported only here, and this module only
when ``--engine dask`` is asked for (``pip install 'breachbench[dask]'``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from breachbench.benchmarks.adapters import DetectorChoice, PythonDetector, open_choice
from breachbench.benchmarks.adapters.memory import InProcessMemory
from breachbench.benchmarks.protocol import DetectorFault, DetectorLoadError
from distributed import Client, LocalCluster, WorkerPlugin, get_worker

from .engines import IN_FLIGHT, EngineReport, Task, TaskResult, close_fault, decode_answers
from .engines import encode_answers as _encode

__all__ = ["DaskEngine", "DetectorPlugin"]

PLUGIN_NAME = "breachbench-detector"
CONNECT_SECONDS = 15.0


class DetectorPlugin(WorkerPlugin):
    """Holds one worker's copy of the detector, from its first task to the worker's end."""

    name = PLUGIN_NAME

    def __init__(self, choice: DetectorChoice, timeout: float, isolate: bool) -> None:
        self.choice = choice
        self.timeout = timeout
        self.isolate = isolate
        self.detector: Any = None
        self.error: str | None = None
        self.load_seconds = 0.0
        self.lock = threading.Lock()
        self.memory = InProcessMemory()

    def __getstate__(self) -> dict[str, Any]:
        return {"choice": self.choice, "timeout": self.timeout, "isolate": self.isolate}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["choice"], state["timeout"], state["isolate"])  # type: ignore[misc]

    def load(self) -> tuple[str | None, str | None, str | None, float]:
        """Load the copy once; (error, name, version, load seconds)."""
        with self.lock:
            if self.detector is None and self.error is None:
                tick = time.perf_counter()
                self.memory.before_load()
                try:
                    self.detector = open_choice(
                        self.choice, timeout=self.timeout, isolate=self.isolate
                    )
                except (DetectorLoadError, ValueError) as error:
                    self.error = str(error)
                self.memory.after_load()
                self.load_seconds = time.perf_counter() - tick
            detector = self.detector
            if detector is None:
                return self.error, None, None, self.load_seconds
            return None, detector.name, detector.version, self.load_seconds

    def close(self) -> tuple[int | None, str | None]:
        """Close the copy; (peak memory, the error ``close()`` raised)."""
        with self.lock:
            detector, self.detector = self.detector, None
            if detector is None:
                return None, None
            in_process = isinstance(detector, PythonDetector)
            peak = self.memory.peak_bytes() if in_process else detector.peak_memory_bytes()
            try:
                detector.close()
            except Exception as error:
                return peak, f"{type(error).__name__}: {error}"
            return peak, None

    def teardown(self, worker: Any) -> None:
        """The worker (or the plugin) goes away: no copy, and no child, outlives it."""
        detector = self.detector
        if detector is not None:
            terminate = getattr(detector, "terminate", None)
            with contextlib.suppress(Exception):
                terminate() if callable(terminate) else detector.close()
        self.detector = None


def _plugin() -> DetectorPlugin:
    return get_worker().plugins[PLUGIN_NAME]  # type: ignore[return-value]


def _load() -> tuple[str, tuple[str | None, str | None, str | None, float]]:
    return get_worker().address, _plugin().load()


def _call(seq: int, ids: list[str], texts: list[str]) -> tuple[Any, ...]:
    """One detector call on this worker's copy."""
    plugin = _plugin()
    address = get_worker().address
    with plugin.lock:
        detector = plugin.detector
        if detector is None:
            return ("fault", ids[0], f"no detector on worker {address}: {plugin.error}", address)
        in_process = isinstance(detector, PythonDetector)
        if in_process:
            plugin.memory.before_call()
        tick = time.perf_counter()
        try:
            answers = detector(ids, texts)
        except DetectorFault as fault:
            return ("fault", fault.record_id, fault.reason, address)
        seconds = time.perf_counter() - tick
        if in_process:
            plugin.memory.after_call()
        own = getattr(detector, "last_call_seconds", None)
        return ("answers", _encode(answers), seconds if own is None else own, address)


def _close(dask_worker: Any) -> tuple[int | None, str | None]:
    plugin = dask_worker.plugins.get(PLUGIN_NAME)
    return plugin.close() if plugin is not None else (None, None)


class DaskEngine:
    """Detector copies on Dask workers (see the module docstring)."""

    def __init__(
        self,
        choice: DetectorChoice,
        *,
        workers: int | None,
        scheduler: str | None,
        timeout: float,
        isolate: bool,
    ) -> None:
        self.choice = choice
        self.workers = workers or os.cpu_count() or 1
        self.scheduler = scheduler
        self.timeout = timeout
        self.isolate = isolate
        self.copies = 0
        self.load_seconds = 0.0
        self.name = ""
        self.version: str | None = None
        self._cluster: Any = None
        self._client: Any = None
        self._copy: dict[str, int] = {}
        self._futures: deque[tuple[Task, Any]] = deque()
        self._run_id = uuid.uuid4().hex[:12]

    def _connect(self) -> Any:
        if self.scheduler is not None:
            try:
                return Client(self.scheduler, timeout=CONNECT_SECONDS, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as error:
                raise DetectorLoadError(
                    f"cannot reach the Dask scheduler {self.scheduler}: {error}"
                ) from None
        self._cluster = LocalCluster(
            n_workers=self.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        return Client(self._cluster, set_as_default=False)

    def start(self) -> None:
        """Connect (or start a LocalCluster), add the plugin, load one copy per worker."""
        tick = time.perf_counter()
        try:
            self._client = client = self._connect()
            client.register_plugin(DetectorPlugin(self.choice, self.timeout, self.isolate))
            addresses = sorted(client.scheduler_info()["workers"])
            if not addresses:
                raise DetectorLoadError(f"the Dask cluster at {self.scheduler} has no worker")
            loads = [
                client.submit(
                    _load, pure=False, workers=[a], allow_other_workers=False, key=self._key(a)
                )
                for a in addresses
            ]
            for _address, (error, name, version, _) in client.gather(loads):
                if error is not None:
                    raise DetectorLoadError(error)
                if not self.name:
                    self.name, self.version = name or "", version
            self._copy = {address: k for k, address in enumerate(addresses)}
            self.copies = len(addresses)
        except BaseException:
            self.terminate()
            raise
        self.load_seconds = time.perf_counter() - tick

    def _key(self, what: object) -> str:
        return f"breachbench-{self._run_id}-{what}"

    def run(self, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """Submit calls (at most IN_FLIGHT per worker queued); yield them in order."""
        client = self._client
        source = iter(tasks)
        window = IN_FLIGHT * max(1, self.copies)
        exhausted = False
        while True:
            while not exhausted and len(self._futures) < window:
                task = next(source, None)
                if task is None:
                    exhausted = True
                    break
                future = None
                if task.texts:
                    future = client.submit(
                        _call, task.seq, task.ids, task.texts, pure=False, key=self._key(task.seq)
                    )
                self._futures.append((task, future))
            if not self._futures:
                return
            task, future = self._futures.popleft()
            if future is None:
                yield TaskResult(task, [], None)
                continue
            try:
                reply = future.result()
            except Exception as error:  # KilledWorker: the worker died with the call
                yield TaskResult(
                    task,
                    [],
                    None,
                    0,
                    DetectorFault(
                        task.ids[0],
                        f"the Dask worker running the detector failed ({type(error).__name__}:"
                        f" {error}) while answering the batch of {len(task.ids)} records"
                        " starting here",
                    ),
                )
                continue
            copy = self._copy.get(reply[-1], 0)
            if reply[0] == "fault":
                yield TaskResult(task, [], None, copy, DetectorFault(reply[1], reply[2]))
            else:
                yield TaskResult(task, decode_answers(reply[1]), reply[2], copy)

    def finish(self) -> EngineReport:
        """Close every copy, collect peaks and the first close() error, then let go."""
        report = EngineReport()
        try:
            self._cancel()
            closed = self._client.run(_close)
            for address in sorted(closed):
                peak, error = closed[address]
                report.peak_memory_bytes.append(peak)
                if error is not None and report.close_fault is None:
                    report.close_fault = close_fault(error)
        finally:
            self.terminate()
        return report

    def _cancel(self) -> None:
        pending = [f for _, f in self._futures if f is not None]
        self._futures.clear()
        if pending and self._client is not None:
            with contextlib.suppress(Exception):
                self._client.cancel(pending)

    def terminate(self) -> None:
        """Drop queued calls, remove the plugin (its teardown kills the copies), shut down
        the LocalCluster we started; a cluster we were given keeps running."""
        client, self._client = self._client, None
        if client is not None:
            pending = [f for _, f in self._futures if f is not None]
            self._futures.clear()
            with contextlib.suppress(Exception):
                client.cancel(pending)
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(PLUGIN_NAME)
            with contextlib.suppress(Exception):
                client.close()
        cluster, self._cluster = self._cluster, None
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
