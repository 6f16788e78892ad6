"""What solving many scenarios produced: one result per task, a comparison, a sweep.

They live with the plan tables (not with the runners) so that the report layer can
render them without knowing how they were run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from optimizer.plan.tables import PlanTables
from optimizer.solver.options import PLAN_STATUSES


@dataclass(frozen=True)
class TaskResult:
    """What a worker sends back: the summary, and the tables when asked for."""

    index: int
    scenario: str
    status: str
    summary: dict[str, object] = field(default_factory=dict)
    tables: PlanTables | None = None
    """every plan table (when the task asked for detail)"""
    usage: pd.DataFrame | None = None
    """tonnes per supplier and material (every solved task)"""
    explanation: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def solved(self) -> bool:
        """True when the scenario has a plan."""
        return self.status in PLAN_STATUSES


@dataclass(frozen=True)
class Comparison:
    """Scenarios side by side."""

    table: pd.DataFrame
    plan: pd.DataFrame
    mix: pd.DataFrame
    results: list[TaskResult]


@dataclass(frozen=True)
class Sweep:
    """A Monte Carlo licence sweep of one scenario."""

    scenario: str
    seed: int
    samples: pd.DataFrame
    risk: pd.DataFrame
    suppliers: pd.DataFrame
    results: list[TaskResult]
