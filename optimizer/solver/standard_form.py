"""Pyomo model → the arrays HiGHS takes (costs, bounds, sparse matrix), quickly.

Pyomo remains the modelling layer: `models/` builds a ConcreteModel of Vars,
Constraints and an Objective. This module translates it by walking each expression
tree over Pyomo's linear node types (variables, MonomialTermExpression,
LinearExpression, SumExpression, a ProductExpression with a constant factor,
NegationExpression, constants). Any other node is handed to Pyomo's own
`generate_standard_repn`, so every linear model translates exactly; a nonlinear one is
refused. Measured on a 1M-delivery model this is several times faster than Pyomo's
`LinearStandardFormCompiler`, which walks every node with a general visitor.

Columns follow the variable components in model order and rows the constraint
components in model order, so solver arrays map back to Pyomo indices by slicing.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyomo.core as pyo  # not pyomo.environ: its solver plugins cost 0.3 s a command
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.base.var import ScalarVar, VarData
from pyomo.core.expr.numeric_expr import (
    LinearExpression,
    MonomialTermExpression,
    NegationExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.repn.standard_repn import generate_standard_repn

INF = float("inf")
VARIABLES = (VarData, ScalarVar)


@dataclass(frozen=True)
class CscMatrix:
    """A sparse matrix in compressed sparse column form, built with numpy alone.

    scipy is left out of the solve path on purpose: once Pyomo is loaded, importing
    scipy makes Pyomo load scipy.stats and more (about 0.6 s of every `reopt solve`).
    """

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def from_rows(
        cls,
        values: Sequence[float],
        columns: Sequence[int],
        starts: list[int],
        shape: tuple[int, int],
    ) -> CscMatrix:
        """Rows given as CSR arrays; entries repeated within a row are summed."""
        rows = np.repeat(np.arange(shape[0], dtype=np.int64), np.diff(starts))
        keys = np.asarray(columns, dtype=np.int64) * shape[0] + rows
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.flatnonzero(np.diff(keys, prepend=-1))
        data = np.add.reduceat(np.asarray(values, dtype=float)[order], first) if len(keys) else []
        keys = keys[first]
        indptr = np.searchsorted(keys, np.arange(shape[1] + 1, dtype=np.int64) * shape[0])
        return cls(indptr, keys % max(shape[0], 1), np.asarray(data, dtype=float), shape)

    def _keys(self) -> np.ndarray:
        """column·rows + row of every stored entry (ascending: CSC order)."""
        columns = np.repeat(np.arange(self.shape[1], dtype=np.int64), np.diff(self.indptr))
        return columns * self.shape[0] + self.indices

    def positions(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Where entries (rows[k], cols[k]) are in `data`; −1 for an entry not stored."""
        keys = np.r_[self._keys(), -1]
        wanted = np.asarray(cols, dtype=np.int64) * self.shape[0] + np.asarray(rows, dtype=np.int64)
        found = np.searchsorted(keys[:-1], wanted)
        return np.where(keys[found] == wanted, found, -1)

    def tocsr(self) -> object:
        """The same matrix as a scipy CSR array (loads scipy: for tests and tools)."""
        import scipy.sparse

        return scipy.sparse.csc_array(
            (self.data, self.indices, self.indptr), shape=self.shape
        ).tocsr()

    def toarray(self) -> np.ndarray:
        """The dense matrix."""
        dense = np.zeros(self.shape)
        columns = np.repeat(np.arange(self.shape[1]), np.diff(self.indptr))
        dense[self.indices, columns] = self.data
        return dense


class NonlinearModel(ValueError):
    """The model is not a minimisation LP (a nonlinear term, or several objectives)."""


class TriviallyInfeasible(ValueError):
    """A constraint without variables whose bounds its constant breaks."""


@dataclass
class StandardForm:
    """min cost·x + offset  s.t.  row_lower ≤ A·x ≤ row_upper,  col_lower ≤ x ≤ col_upper."""

    cost: np.ndarray
    offset: float
    matrix: CscMatrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    columns: dict[str, tuple[int, int]] = field(default_factory=dict)
    """variable component → (first column, end)"""
    row_of: dict[str, np.ndarray] = field(default_factory=dict)
    """constraint component → solver row of each member (−1: no variable, left out)"""
    owners: list[tuple[str, object]] = field(default_factory=list)
    """solver row → (constraint component, index)"""
    integer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    """column → whether it is integer (binary); all False for an LP"""

    @property
    def is_mip(self) -> bool:
        """Whether some column is integer (SPEC §7)."""
        return bool(self.integer.any())

    keys: dict[str, list] = field(default_factory=dict)
    """variable or constraint component → its index keys in order (so that a solution maps
    back to names after the Pyomo model is gone)"""
    released: bool = False
    """True once the costs, bounds and matrix are freed (`release_arrays`)"""
    matrix_released: bool = False
    """True once the matrix is freed (`release_matrix`): HiGHS holds the only copy"""

    def release_matrix(self) -> None:
        """Free the matrix once HiGHS holds its own copy (at 1M deliveries 60 MB, beside
        HiGHS's at the run's peak); a change reads the entries it needs from HiGHS."""
        empty = np.zeros(0)
        self.matrix = CscMatrix(np.zeros(1, dtype=np.int64), empty.astype(np.int64), empty, (0, 0))
        self.matrix_released = True

    def release_arrays(self) -> None:
        """Free the costs, bounds and matrix once HiGHS holds its own copy (at 1M
        deliveries about 100 MB while HiGHS solves); what maps a solution back stays."""
        empty = np.zeros(0)
        self.cost = self.row_lower = self.row_upper = self.col_lower = self.col_upper = empty
        self.release_matrix()
        self.released = True


class _Walker:
    """Collects (column, coefficient) pairs and the constant of linear expressions."""

    def __init__(self, column_of: dict[int, int]) -> None:
        self.column_of = column_of
        self.columns = array("q")  # machine integers and doubles: a Python int or float
        self.values = array("d")  # per term would cost 4 times the memory at 1M deliveries

    def walk(self, expression: object, scale: float = 1.0) -> float:
        """Add scale·expression's terms; return scale·its constant."""
        column_of, columns, values = self.column_of, self.columns, self.values
        lookup = column_of.__getitem__
        constant = 0.0
        stack = [(expression, scale)]
        while stack:
            node, factor = stack.pop()
            kind = node.__class__
            if kind is LinearExpression:
                try:  # most sums are of plain variables: one lookup each, no branches
                    found = list(map(lookup, map(id, node.args)))
                except KeyError:  # a term with a coefficient: walk the terms one by one
                    found = None
                if found is not None:
                    columns.extend(found)
                    values.extend(itertools.repeat(factor, len(found)))
                    continue
                for arg in node.args:
                    arg_kind = arg.__class__
                    if arg_kind is MonomialTermExpression:
                        coef, var = arg.args
                        if coef.__class__ not in native_numeric_types:
                            coef = pyo.value(coef)
                        columns.append(column_of[id(var)])
                        values.append(factor * coef)
                    elif arg_kind in VARIABLES:
                        columns.append(column_of[id(arg)])
                        values.append(factor)
                    else:
                        stack.append((arg, factor))
            elif kind in VARIABLES:
                columns.append(column_of[id(node)])
                values.append(factor)
            elif kind in native_numeric_types:
                constant += factor * node
            elif kind is SumExpression:
                stack.extend((arg, factor) for arg in node.args)
            elif kind is MonomialTermExpression:
                coef, var = node.args
                columns.append(column_of[id(var)])
                values.append(factor * pyo.value(coef))
            elif kind is NegationExpression:
                stack.append((node.args[0], -factor))
            elif kind is ProductExpression and node.args[0].__class__ in native_numeric_types:
                stack.append((node.args[1], factor * node.args[0]))
            elif kind is ProductExpression and node.args[1].__class__ in native_numeric_types:
                stack.append((node.args[0], factor * node.args[1]))
            else:
                constant += self._general(node, factor)
        return constant

    def _general(self, node: object, factor: float) -> float:
        """Any other node, through Pyomo's standard representation."""
        repn = generate_standard_repn(node, compute_values=True, quadratic=False)
        if repn.nonlinear_expr is not None or repn.quadratic_vars:
            raise NonlinearModel(f"nonlinear term in the model: {node}")
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            self.columns.append(self.column_of[id(var)])
            self.values.append(factor * coef)
        return factor * pyo.value(repn.constant)


def _columns(
    model: pyo.ConcreteModel,
) -> tuple[dict[int, int], dict[str, tuple[int, int]], np.ndarray, np.ndarray, np.ndarray]:
    """Columns by variable, with bounds and integrality (one domain per component, as
    `models/` declares them)."""
    column_of: dict[int, int] = {}
    spans: dict[str, tuple[int, int]] = {}
    lower: list[float] = []
    upper: list[float] = []
    integer: list[np.ndarray] = []
    by_domain: dict[int, tuple[float, float]] = {}
    """bounds of a variable with no bounds of its own, by domain (`var.bounds` costs 3 µs)"""
    for component in model.component_objects(pyo.Var, active=True, descend_into=True):
        start = len(column_of)
        members = list(component.values())
        column_of.update(zip(map(id, members), range(start, start + len(members)), strict=True))
        kind = bool(members) and members[0].is_integer()
        integer.append(np.full(len(members), kind, dtype=bool))
        for var in members:
            if var.fixed:
                lower.append(var.value)
                upper.append(var.value)
                continue
            own = var._lb is not None or var._ub is not None
            bounds = None if own else by_domain.get(id(var._domain))
            if bounds is None:
                lb, ub = var.bounds
                bounds = (-INF if lb is None else lb, INF if ub is None else ub)
                if not own:
                    by_domain[id(var._domain)] = bounds
            lower.append(bounds[0])
            upper.append(bounds[1])
        spans[component.name] = (start, len(column_of))
    bounds = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
    flags = np.concatenate(integer) if integer else np.zeros(0, dtype=bool)
    return column_of, spans, *bounds, flags


def standard_form(model: pyo.ConcreteModel) -> StandardForm:
    """Translate an LP or MIP built with Pyomo into HiGHS's arrays (minimisation)."""
    column_of, spans, col_lower, col_upper, integer = _columns(model)
    walker = _Walker(column_of)
    starts = [0]
    row_lower: list[float] = []
    row_upper: list[float] = []
    row_of: dict[str, np.ndarray] = {}
    owners: list[tuple[str, object]] = []
    keys = {name: list(model.find_component(name).keys()) for name in spans}
    for component in model.component_objects(pyo.Constraint, active=True, descend_into=True):
        placed = []
        name = component.name  # a block's component builds its name on every call
        keys[name] = list(component.keys())
        for key, con in component.items():
            if not con.active:
                placed.append(-1)
                continue
            lower, body, upper = con.to_bounded_expression(evaluate_bounds=True)
            constant = walker.walk(body)
            low = -INF if lower is None else lower - constant
            high = INF if upper is None else upper - constant
            if len(walker.columns) == starts[-1]:
                if low > 1e-9 or high < -1e-9:
                    raise TriviallyInfeasible(f"{name}[{key}] cannot hold")
                placed.append(-1)
                continue
            placed.append(len(owners))
            owners.append((name, key))
            row_lower.append(low)
            row_upper.append(high)
            starts.append(len(walker.columns))
        row_of[name] = np.asarray(placed, dtype=np.int64)
    matrix = CscMatrix.from_rows(
        walker.values, walker.columns, starts, (len(owners), len(column_of))
    )
    cost, offset = _objective(model, column_of)
    return StandardForm(
        cost, offset, matrix, np.asarray(row_lower), np.asarray(row_upper),
        col_lower, col_upper, spans, row_of, owners, integer, keys,
    )  # fmt: skip


def _objective(model: pyo.ConcreteModel, column_of: dict[int, int]) -> tuple[np.ndarray, float]:
    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    cost = np.zeros(len(column_of))
    if not objectives:
        return cost, 0.0
    if len(objectives) > 1 or objectives[0].sense != pyo.minimize:
        raise NonlinearModel("reopt models have one objective, minimised")
    walker = _Walker(column_of)
    offset = walker.walk(objectives[0].expr)
    np.add.at(cost, np.asarray(walker.columns, dtype=np.int64), np.asarray(walker.values))
    return cost, offset
