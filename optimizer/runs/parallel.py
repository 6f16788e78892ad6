"""Run many scenarios behind one `concurrent.futures.Executor` seam.

Every backend runs the same task function, which calls the single-scenario pipeline
(`pipeline.solve_scenario`) and returns a small, picklable result. The Pyomo model is
built inside the worker (Pyomo models do not pickle cleanly); only the validated
inputs and a scenario travel. The samples of a sweep name their `envelope`: each
worker then keeps one HiGHS model of it and solves every sample on it
(`runs/samples.py`), on every backend alike.

- inline: in this process, one task after another (`--workers 1`, and tests);
- local processes: `ProcessPoolExecutor` with the spawn context, the inputs installed
  once per worker by its initializer, HiGHS limited to one thread per solve. Workers
  die with their parent (Linux `PR_SET_PDEATHSIG`, elsewhere a watcher thread), ignore
  Ctrl-C (the parent handles it and terminates them) and are terminated when the run
  ends by an exception or a signal, so no worker outlives an interrupted or killed run;
- Dask: an existing cluster (`--scheduler tcp://host:8786`) through
  `distributed.Client(address).get_executor()`, the inputs scattered to every worker
  once. Workers need reopt installed (`pip install reopt[dask]`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.pipeline import solve_scenario
from optimizer.plan.outcomes import TaskResult
from optimizer.problems import ReoptError, UsageError
from optimizer.runs.results import failed_result, solved_result
from optimizer.runs.samples import solve_sample
from optimizer.solver.options import SolveOptions

_INSTALLED: list[Inputs] = []


@dataclass(frozen=True)
class Task:
    """One scenario to solve; `detail` asks for all its plan tables too.

    `envelope`: a scenario whose model contains this one's (a sweep's scenario for its
    samples); the worker then re-solves its kept model of the envelope warm.
    """

    index: int
    scenario: Scenario
    detail: bool = True
    envelope: Scenario | None = None


PR_SET_PDEATHSIG = 1
"""prctl option: the signal the kernel sends this process when its parent dies (Linux)."""


def install(inputs: Inputs, parent: int | None = None) -> None:
    """Process-pool initializer: keep the inputs for every task of this worker.

    With `parent` (a pool worker), also ignore Ctrl-C and arrange to die with `parent`.
    """
    _INSTALLED[:] = [inputs]
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with(parent)


def _die_with(parent: int) -> None:
    """End this worker as soon as `parent` is gone, however the parent ended."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:  # pragma: no cover - no PDEATHSIG: poll for reparenting
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _watch(parent: int) -> None:  # pragma: no cover - non-Linux hosts
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Spawn workers with Ctrl-C ignored from their first instruction (inherited by exec)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _terminate_workers() -> None:
    """Kill this process's pool workers (the run is ending early)."""
    for child in multiprocessing.active_children():
        child.kill()


def run_task(inputs: Inputs | None, task: Task, options: SolveOptions) -> TaskResult:
    """Solve one scenario; a scenario without a plan becomes a failed result, not an error."""
    started = time.perf_counter()
    data = inputs if inputs is not None else _INSTALLED[0]
    try:
        if task.envelope is not None and not task.detail:
            return solve_sample(data, task.envelope, task.index, task.scenario, options)
        run = solve_scenario(data, task.scenario, options, analyses=task.detail)
    except ReoptError as error:
        return failed_result(task.index, task.scenario.name, error, started)
    return solved_result(task.index, run, started)


class InlineExecutor(Executor):
    """Runs each task at submit time in this process (no pickling, no workers)."""

    def submit(self, fn: Callable, /, *args: object, **kwargs: object) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # handed to the caller through the future
            future.set_exception(error)
        return future


@contextlib.contextmanager
def open_backend(
    inputs: Inputs, workers: int | None, scheduler: str | None
) -> Iterator[tuple[Executor, Inputs | object | None]]:
    """The executor and the inputs reference its tasks receive."""
    if scheduler:
        try:
            from distributed import Client
        except ImportError:
            raise UsageError(
                "--scheduler needs Dask: pip install 'reopt[dask]' (dask.distributed)"
            ) from None
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise UsageError(f"cannot reach the Dask scheduler {scheduler}: {error}") from None
        with client:
            reference = client.scatter(inputs, broadcast=True)
            yield client.get_executor(pure=False), reference
        return
    count = workers or os.cpu_count() or 1
    if count == 1:
        install(inputs)
        yield InlineExecutor(), None
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        count, mp_context=context, initializer=install, initargs=(inputs, os.getpid())
    )
    try:
        yield pool, None
    except BaseException:
        _terminate_workers()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


class Progress:
    """Reports finished tasks on stderr: a rewritten line on a terminal, else every 10 %."""

    def __init__(self, label: str, stream: object) -> None:
        self.label = label
        self.stream = stream
        self.total = 0
        self.done = 0
        self.started = time.perf_counter()

    def start(self, total: int) -> None:
        """Called once with the number of tasks."""
        self.total = total

    def __call__(self, result: TaskResult) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.started
        line = f"{self.label}: {self.done}/{self.total} solved ({elapsed:.1f} s)"
        terminal = getattr(self.stream, "isatty", lambda: False)()
        if terminal:
            end = "\n" if self.done == self.total else ""
            print("\r" + line, end=end, file=self.stream, flush=True)
        elif self.done == self.total or self.done % max(1, self.total // 10) == 0:
            print(line, file=self.stream, flush=True)


def run_tasks(
    inputs: Inputs,
    tasks: list[Task],
    options: SolveOptions,
    workers: int | None = None,
    scheduler: str | None = None,
    on_done: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Solve every task on the chosen backend; results in task order."""
    if isinstance(on_done, Progress):
        on_done.start(len(tasks))
    results = []
    with open_backend(inputs, workers, scheduler) as (executor, reference):
        with _sigint_ignored():
            futures = {executor.submit(run_task, reference, task, options): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                result = future.result()
            except Exception as error:  # a crashed worker is one failed row
                result = TaskResult(task.index, task.scenario.name, f"error: {error}")
            results.append(result)
            if on_done is not None:
                on_done(result)
    return sorted(results, key=lambda result: result.index)
