"""Where runs go: this process, local worker processes, or a Dask cluster.

The only module of the project that knows. A study hands over :class:`RunTask`s (one
simulated run each: its scenario, run index and seed, duration, what to record, observers
to build) and gets the :class:`~capacity.sim.engine.RunOutcome`s back **in task order**,
whatever order the workers finish in, so the same seed gives byte-identical summaries on
one worker, several, or a cluster.

* :class:`SerialExecutor`: in this process (one worker, or one task);
* :class:`ProcessExecutor`: a local ``ProcessPoolExecutor``; its workers are killed when
  the study ends or is interrupted;
* :class:`DaskExecutor`: an existing ``dask.distributed`` cluster, by scheduler address or
  ``Client``. A task that fails is retried once (``retries=1``), then reported with its
  run index and seed.

Each executor calls ``progress(done, total)`` as results arrive.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from capacity.errors import CapacityError, SimulationError
from capacity.scenario.model import Scenario
from capacity.sim.engine import RunOutcome, run_once

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class RunTask:
    """One run to simulate. ``observers`` are zero-argument callables (picklable: module-
    level classes or ``functools.partial``) that build the run's observers in the worker."""

    scenario: Scenario
    run: int
    seed: np.random.SeedSequence
    duration: float
    record: bool
    load_offset: float = 0.0
    observers: tuple[Callable[[], Any], ...] = field(default_factory=tuple)

    def describe(self) -> str:
        return (f"run {self.run} (seed entropy {self.seed.entropy}, spawn key "
                f"{tuple(self.seed.spawn_key)}) of {self.scenario.name}")


def run_task(task: RunTask) -> RunOutcome:
    """Simulate one task (in whatever process it lands)."""
    return run_once(task.scenario, task.run, task.seed, task.duration, task.record,
                    load_offset=task.load_offset,
                    observers=[make() for make in task.observers])


class Executor(Protocol):
    workers: int

    def map(self, tasks: Sequence[RunTask], progress: Progress | None = None) -> list[RunOutcome]:
        ...


class SerialExecutor:
    """Every task in this process, one after another."""

    workers = 1

    def map(self, tasks: Sequence[RunTask], progress: Progress | None = None) -> list[RunOutcome]:
        out = []
        for i, t in enumerate(tasks):
            out.append(run_task(t))
            if progress is not None:
                progress(i + 1, len(tasks))
        return out


def _run_chunk(tasks: list[RunTask]) -> list[RunOutcome]:
    return [run_task(t) for t in tasks]


class ProcessExecutor:
    """Local worker processes; results come back in task order."""

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers))

    def map(self, tasks: Sequence[RunTask], progress: Progress | None = None) -> list[RunOutcome]:
        if self.workers == 1 or len(tasks) <= 1:
            return SerialExecutor().map(tasks, progress)
        # Small chunks keep memory flat and the progress moving; a few per worker keep the
        # per-task overhead (pickling the scenario) low for short runs.
        size = max(1, min(8, len(tasks) // (4 * self.workers)))
        chunks = [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]
        out: list[RunOutcome] = []
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(chunks)))
        try:
            done = 0
            for res in pool.map(_run_chunk, chunks):
                out.extend(res)
                done += len(res)
                if progress is not None:
                    progress(done, len(tasks))
        except BaseException:
            # Interrupted (SIGINT/SIGTERM) or a task failed: no orphaned workers.
            _kill_pool(pool)
            raise
        else:
            pool.shutdown(wait=True)
        return out


def _kill_pool(pool: ProcessPoolExecutor) -> None:
    procs = list(getattr(pool, "_processes", {}).values())
    for p in procs:
        with contextlib.suppress(OSError, AttributeError):
            p.kill()
    pool.shutdown(wait=False, cancel_futures=True)


class DaskExecutor:
    """An existing Dask cluster (``pip install 'capacity[dask]'``)."""

    def __init__(self, scheduler: Any) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise CapacityError("a Dask scheduler needs dask.distributed: "
                                "pip install -e '.[dask]'") from None
        if isinstance(scheduler, Client):
            self.client, self._own = scheduler, False
        else:
            try:
                self.client, self._own = Client(str(scheduler), timeout="10s"), True
            except (OSError, TimeoutError) as e:
                raise CapacityError(f"cannot reach the Dask scheduler {scheduler}: {e}") from None
            except (ValueError, TypeError) as e:  # not an address: 'garbage', 'tcp://'
                raise CapacityError(f"--scheduler: not a Dask scheduler address such as "
                                    f"tcp://127.0.0.1:8786 ({e}), got {str(scheduler)!r}") from None
        info = self.client.scheduler_info()
        self.workers = max(1, sum(int(w.get("nthreads", 1))
                                  for w in info.get("workers", {}).values()))

    def map(self, tasks: Sequence[RunTask], progress: Progress | None = None) -> list[RunOutcome]:
        from distributed import as_completed

        if not tasks:
            return []
        futures = self.client.map(run_task, list(tasks), retries=1, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list[RunOutcome | None] = [None] * len(tasks)
        done = 0
        try:
            for fut in as_completed(futures):
                i = index[fut.key]
                if fut.status != "finished":
                    err = fut.exception()
                    raise SimulationError(f"{tasks[i].describe()} failed twice on the Dask "
                                          f"cluster: {type(err).__name__}: {err}")
                out[i] = fut.result()
                done += 1
                if progress is not None:
                    progress(done, len(tasks))
        finally:
            self.client.cancel([f for f in futures if not f.done()])
        return out  # type: ignore[return-value]

    def close(self) -> None:
        if self._own:
            self.client.close()


def make_executor(workers: int | None = None, scheduler: Any = None,
                  tasks: int = 1) -> SerialExecutor | ProcessExecutor | DaskExecutor:
    """``scheduler`` (an address or a ``distributed.Client``) wins; otherwise ``workers``
    local processes (default: one for a single task, else every core)."""
    if scheduler is not None:
        return DaskExecutor(scheduler)
    w = workers if workers is not None else (1 if tasks <= 1 else (os.cpu_count() or 1))
    w = max(1, min(int(w), max(tasks, 1)))
    return SerialExecutor() if w == 1 else ProcessExecutor(w)
