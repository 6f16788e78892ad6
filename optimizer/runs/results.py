"""What a worker sends back for one scenario: a small, picklable `TaskResult`."""

from __future__ import annotations

import time

import numpy as np

from models import components
from optimizer.pipeline import ScenarioRun
from optimizer.plan.outcomes import TaskResult
from optimizer.plan.values import clean, offer_tonnes
from optimizer.problems import ReoptError


def solved_result(index: int, run: ScenarioRun, started: float) -> TaskResult:
    """The result of a solved scenario: its summary, tonnes per offer and the plan tables
    it was solved with (none for a sweep's sample)."""
    buy = clean(run.solution.values.get(components.BUY, np.zeros(run.instance.data.deliveries)))
    return TaskResult(
        index,
        run.instance.scenario.name,
        status=run.summary.status,
        summary=run.summary,
        tables=run.tables,
        usage=offer_tonnes(run.instance.data, buy),
        seconds=time.perf_counter() - started,
    )


def failed_result(index: int, name: str, error: ReoptError, started: float) -> TaskResult:
    """A scenario without a plan: the error's first line is its status."""
    lines = error.lines()
    return TaskResult(
        index,
        name,
        status=lines[0].rstrip(":."),
        explanation=lines[1:],
        seconds=time.perf_counter() - started,
    )
