"""Solving a model once outside the pipeline, for tests that check the solver layer."""

from __future__ import annotations

import pyomo.core as pyo

from optimizer.solver.highs import Solution
from optimizer.solver.kept import KeptModel
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import StandardForm, standard_form


def solve_model(
    model: pyo.ConcreteModel | StandardForm, options: SolveOptions | None = None
) -> Solution:
    """A Pyomo model (or its standard form) handed to HiGHS and solved once, with its
    marginal values; `NotSolved` without a plan."""
    compiled = model if isinstance(model, StandardForm) else standard_form(model)
    return KeptModel(compiled, options or SolveOptions()).solve(marginals=True)
