"""What a user may set on HiGHS: importable without loading HiGHS or Pyomo."""

from __future__ import annotations

from dataclasses import dataclass

METHODS = ("simplex", "ipm", "choose")
"""HiGHS's LP methods offered. PDLP is not: a first-order method, it stops at
tolerances of about 1e-6 relative and gives no basis, so its plans miss the independent
check by small residuals and its duals are not exact (issue 16)."""
PLAN_STATUSES = ("optimal", "time limit")
"""Solve statuses that come with a plan: `time limit` only for an integer model (SPEC §7)."""


@dataclass(frozen=True)
class SolveOptions:
    """What the user may set on HiGHS from the command line."""

    time_limit: float | None = None
    threads: int | None = None
    method: str = "choose"
    mip_gap: float | None = None
    """relative gap at which an integer model stops (SPEC §7); None: Settings mip_gap"""
    sub_mips: bool = False
    """HiGHS's RINS and RENS sub-MIP heuristics in branch and bound: set by the robust
    plan, not the user (see `highs.SKIPPED_HEURISTICS`)"""
