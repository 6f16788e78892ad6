"""The fast Pyomo → HiGHS hand-off produces exactly Pyomo's own standard form."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from models.build import build_model
from optimizer.domain.derive import derive
from optimizer.domain.scenarios import resolve_scenario
from optimizer.solver.standard_form import NonlinearModel, TriviallyInfeasible, standard_form
from optimizer.workbook.validate import load_inputs
from tests.generated import workbooks
from tests.solving import solve_model
from tests.workbooks import write_book

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def row_terms(matrix, i: int) -> dict[int, float]:
    """Column → coefficient of row i of a CSR matrix."""
    start, end = matrix.indptr[i], matrix.indptr[i + 1]
    return dict(
        zip(matrix.indices[start:end].tolist(), matrix.data[start:end].tolist(), strict=True)
    )


def pyomo_rows(model: pyo.ConcreteModel) -> tuple[dict, dict, np.ndarray]:
    """Pyomo's LinearStandardFormCompiler: rows keyed by (component, index)."""
    info = LinearStandardFormCompiler().write(model, mixed_form=True)
    column = {id(var): j for j, var in enumerate(info.columns)}
    matrix = info.A.tocsr()
    rows = {}
    for i, (con, kind) in enumerate(info.rows):
        terms = row_terms(matrix, i)
        low = -np.inf if kind == 1 else info.rhs[i]
        high = np.inf if kind == -1 else info.rhs[i]
        rows[(con.parent_component().name, con.index())] = (low, high, terms)
    cost = np.asarray(info.c.toarray()).ravel()
    return rows, column, cost


def assert_same_standard_form(model: pyo.ConcreteModel) -> None:
    ours = standard_form(model)
    theirs, their_column, their_cost = pyomo_rows(model)
    variables = [var for comp in model.component_objects(pyo.Var) for var in comp.values()]
    to_ours = {
        their_column[id(var)]: j for j, var in enumerate(variables) if id(var) in their_column
    }
    matrix = ours.matrix.tocsr()
    assert len(ours.owners) == len(theirs)
    for i, owner in enumerate(ours.owners):
        low, high, terms = theirs[owner]
        mine = row_terms(matrix, i)
        assert mine == pytest.approx({to_ours[c]: v for c, v in terms.items()}), owner
        assert (ours.row_lower[i], ours.row_upper[i]) == pytest.approx((low, high)), owner
    expected_cost = np.zeros(len(variables))
    expected_cost[list(to_ours.values())] = their_cost[list(to_ours.keys())]
    assert ours.cost == pytest.approx(expected_cost)
    assert (ours.col_lower == 0).all()
    binary = np.array([var.is_binary() for var in variables], dtype=bool)
    assert (ours.integer == binary).all()
    upper = np.array([np.inf if var.ub is None else var.ub for var in variables])
    assert ours.col_upper.tolist() == upper.tolist()
    assert (ours.col_upper[binary] == 1).all()


def model_of(path: Path, scenario: str = "base") -> pyo.ConcreteModel:
    inputs = load_inputs(path)
    return build_model(derive(inputs, resolve_scenario(inputs, scenario)).data)


@pytest.mark.parametrize("scenario", ["base", "heavy-ban", "demand-surge"])
def test_example_matches_pyomos_standard_form(scenario):
    assert_same_standard_form(model_of(EXAMPLE, scenario))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbooks(storage=True))
def test_generated_models_match_pyomos_standard_form(sheets):
    with tempfile.TemporaryDirectory() as folder:
        assert_same_standard_form(model_of(write_book(Path(folder) / "g.xlsx", sheets)))


def test_general_expressions_fall_back_to_pyomo_and_nonlinear_ones_are_refused():
    model = pyo.ConcreteModel()
    model.x = pyo.Var([0, 1], domain=pyo.NonNegativeReals)
    model.p = pyo.Param(initialize=3.0, mutable=True)
    model.e = pyo.Expression(expr=model.p * model.x[0] + 2)
    model.c = pyo.Constraint(expr=model.e + model.x[1] / 4 <= 10)
    model.o = pyo.Objective(expr=model.x[0] - (-model.x[1]))
    form = standard_form(model)
    assert form.matrix.toarray().tolist() == [[3.0, 0.25]]
    assert form.row_upper.tolist() == [8.0]
    assert form.cost.tolist() == [1.0, 1.0]
    model.n = pyo.Constraint(expr=model.x[0] * model.x[1] <= 1)
    with pytest.raises(NonlinearModel):
        standard_form(model)


def test_constraint_without_variables_is_checked():
    model = pyo.ConcreteModel()
    model.x = pyo.Var(domain=pyo.NonNegativeReals)
    model.x.fix(2)
    model.ok = pyo.Constraint(expr=LinearExpression([]) <= 1)
    model.o = pyo.Objective(expr=model.x)
    form = standard_form(model)
    assert form.row_of["ok"].tolist() == [-1]
    assert (form.col_lower.tolist(), form.col_upper.tolist()) == ([2.0], [2.0])
    model.bad = pyo.Constraint(expr=LinearExpression([]) >= 1)
    with pytest.raises(TriviallyInfeasible):
        standard_form(model)


@pytest.mark.parametrize(
    ("columns", "integer", "presolve"),
    [(3, False, "choose"), (3, True, "choose"), (4, False, "off"), (4, True, "choose")],
)
def test_only_large_lps_skip_highs_presolve(monkeypatch, columns, integer, presolve):
    """Presolve doubles HiGHS's memory on a large LP and removes nothing there; integer
    models keep it, and small LPs keep its postsolve duals (docs/performance.md)."""
    from optimizer.solver import highs
    from optimizer.solver.options import SolveOptions
    from optimizer.solver.standard_form import CscMatrix, StandardForm

    monkeypatch.setattr(highs, "PRESOLVE_COLUMNS", 4)
    model = StandardForm(
        cost=np.ones(columns), offset=0.0,
        matrix=CscMatrix.from_rows(
            [1.0] * columns, list(range(columns)), [0, columns], (1, columns)
        ),
        row_lower=np.ones(1), row_upper=np.full(1, np.inf),
        col_lower=np.zeros(columns), col_upper=np.full(columns, 5.0),
        integer=np.full(columns, integer),
    )  # fmt: skip
    _, chosen = highs.handed_to_highs(model, SolveOptions()).getOptionValue("presolve")
    assert chosen == presolve
    assert solve_model(model).objective == pytest.approx(1.0)


@pytest.mark.parametrize(("integer", "sub_mips"), [(True, False), (True, True), (False, False)])
def test_integer_models_skip_sub_mip_heuristics_unless_asked(integer, sub_mips):
    """One scenario's model runs without RINS, RENS and the root reduced-cost sub-MIP
    (the root's cuts close its gap); the robust plan asks for them (`sub_mips`)."""
    from optimizer.solver import highs
    from optimizer.solver.options import SolveOptions
    from optimizer.solver.standard_form import CscMatrix, StandardForm

    model = StandardForm(
        cost=np.ones(2), offset=0.0,
        matrix=CscMatrix.from_rows([1.0, 1.0], [0, 1], [0, 2], (1, 2)),
        row_lower=np.ones(1), row_upper=np.full(1, np.inf),
        col_lower=np.zeros(2), col_upper=np.full(2, 5.0), integer=np.full(2, integer),
    )  # fmt: skip
    solver = highs.handed_to_highs(model, SolveOptions(sub_mips=sub_mips))
    skipped = integer and not sub_mips
    assert "mip_heuristic_run_root_reduced_cost" in highs.SKIPPED_HEURISTICS
    for heuristic in highs.SKIPPED_HEURISTICS:
        assert solver.getOptionValue(heuristic)[1] is not skipped
