"""What solving many scenarios produced: one result per task, a comparison, a sweep, the
robust plan.

They live with the plan tables (not with the runners) so that the report layer can
render them without knowing how they were run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimizer.plan.summary import PlanSummary
from optimizer.plan.tables import PlanTables
from optimizer.problems import Problem
from optimizer.solver.options import PLAN_STATUSES


@dataclass(frozen=True)
class TaskResult:
    """What a worker sends back: the summary, and the tables when asked for."""

    index: int
    scenario: str
    status: str
    summary: PlanSummary | None = None
    """the plan's Summary (None: no plan)"""
    tables: PlanTables | None = None
    """every plan table (when the task asked for detail)"""
    usage: np.ndarray | None = None
    """tonnes bought from each offer, in `Inputs.offers` order (every solved task)"""
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
    warnings: list[Problem] = field(default_factory=list)
    """the workbook's warnings, then each scenario's plan warnings (naming the scenario)
    and each scenario without a plan"""
    descriptions: dict[str, str] = field(default_factory=dict)
    """what each scenario assumes, in the words of its Scenarios row (absent: none given)"""


@dataclass(frozen=True)
class Sweep:
    """A Monte Carlo licence sweep of one scenario."""

    scenario: str
    seed: int
    samples: pd.DataFrame
    risk: pd.DataFrame
    suppliers: pd.DataFrame
    results: list[TaskResult]


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario under the robust plan, and alone."""

    name: str
    probability: float
    cost: float
    """C_ω: its §2 cost terms plus `failed`"""
    terms: dict[str, float]
    alone: float
    """its own §2 optimum (`reopt solve --scenario`)"""
    tables: PlanTables


@dataclass(frozen=True)
class Robust:
    """The robust plan and its figures (SPEC §6)."""

    reference: str
    commit_periods: int
    alpha: float
    beta: float
    objective: float
    expected_cost: float
    cvar: float
    ws: float
    eev: float | None
    eev_reason: str | None
    scenarios: list[ScenarioOutcome]
    commit: pd.DataFrame
    """the committed orders, with the share that arrives in each scenario"""
    sizes: dict[str, int]
    timings: dict[str, float]
    warnings: list[Problem]
    onboarded: pd.DataFrame = field(default_factory=pd.DataFrame)
    """the offers onboarded now (SPEC §7's z = 1): supplier, material, country, fixed_cost"""
    mip_gap: float | None = None
    """the relative gap HiGHS proved for the robust plan; None when it is an LP"""
    currency: str = "USD"
    periods: tuple[str, ...] = ()
    """the workbook's periods, in order"""

    @property
    def vss(self) -> float | None:
        """eev − objective: what planning for several futures saves."""
        return None if self.eev is None else self.eev - self.objective

    @property
    def evpi(self) -> float:
        """objective − ws: what perfect foresight would still save."""
        return self.objective - self.ws
