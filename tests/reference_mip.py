"""An independent formulation of SPEC §2 + §7 for the workbooks of `tests/test_integer.py`.

Written from the SPEC's text alone, with openpyxl and scipy (HiGHS through
`scipy.optimize.milp`), never through `models/` or `optimizer/`, so that a bug in the
product's derivation or model cannot vouch for itself. It covers the subset of the
workbook those tests generate: every sheet's header is the canonical lower-case name,
every cost column is written out (no defaults but blanks that mean 0 or "none"), sites
are commercial, chains are one country, Controls rules are base-scenario approvals
with end_use `*`, and there is no Lanes, Pipeline, Scenarios or Settings sheet.

§7 is taken literally: z[o] for every offer with fixed_cost > 0 or of a material with
max_suppliers (whether or not it can deliver), w[o,t] for every period with a delivery
variable and min_order > 0, and both capacity rows Σ x ≤ cap·z and Σ x ≤ cap·w when
an offer has both binaries.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
import scipy.optimize
import scipy.sparse


def _rows(book: openpyxl.Workbook, name: str) -> list[dict[str, object]]:
    if name not in book.sheetnames:
        return []
    values = list(book[name].iter_rows(values_only=True))
    header = [str(h) for h in values[0]]
    return [dict(zip(header, row, strict=False)) for row in values[1:] if any(row)]


def _num(value: object, default: float = 0.0) -> float:
    return default if value is None else float(value)  # type: ignore[arg-type]


@dataclass
class _Builder:
    """Columns and rows of min c·x s.t. lower ≤ A·x ≤ upper, bounds, integrality."""

    cost: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    upper_bound: list[float] = field(default_factory=list)
    entries: list[tuple[int, int, float]] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)

    def column(self, cost: float, binary: bool = False) -> int:
        self.cost.append(cost)
        self.integer.append(int(binary))
        self.upper_bound.append(1.0 if binary else np.inf)
        return len(self.cost) - 1

    def row(self, terms: list[tuple[int, float]], low: float, high: float) -> None:
        index = len(self.lower)
        self.entries += [(index, column, value) for column, value in terms]
        self.lower.append(low)
        self.upper.append(high)


@dataclass(frozen=True)
class Reference:
    """The MIP of one workbook (base scenario) in arrays."""

    cost: np.ndarray
    matrix: scipy.sparse.csr_array
    lower: np.ndarray
    upper: np.ndarray
    upper_bound: np.ndarray
    integer: np.ndarray

    def solve(self, fixed: dict[int, float] | None = None) -> float | None:
        """The optimum (None when infeasible), with some integer columns fixed."""
        low = np.zeros(len(self.cost))
        high = self.upper_bound.copy()
        integrality = self.integer.copy()
        for column, value in (fixed or {}).items():
            low[column] = high[column] = value
            integrality[column] = 0
        result = scipy.optimize.milp(
            self.cost,
            integrality=integrality,
            bounds=scipy.optimize.Bounds(low, high),
            constraints=scipy.optimize.LinearConstraint(self.matrix, self.lower, self.upper),
            options={"mip_rel_gap": 0.0},
        )
        return float(result.fun) if result.status == 0 else None

    def brute_force(self) -> float | None:
        """min over every assignment of the binaries of the LP with them fixed."""
        binaries = np.flatnonzero(self.integer)
        values = [
            self.solve(dict(zip(binaries.tolist(), choice, strict=True)))
            for choice in itertools.product((0.0, 1.0), repeat=len(binaries))
        ]
        feasible = [value for value in values if value is not None]
        return min(feasible) if feasible else None


def build_reference(path: Path) -> Reference:
    """The §2 + §7 model of the workbook at `path`, base scenario."""
    book = openpyxl.load_workbook(path, data_only=True)
    periods = [str(r["period"]) for r in _rows(book, "Periods")]
    T = len(periods)
    when = {label: t for t, label in enumerate(periods)}
    materials = {str(r["material"]): r for r in _rows(book, "Materials")}
    tariff = {str(r["country"]): _num(r.get("tariff")) for r in _rows(book, "Countries")}
    offers = _rows(book, "Suppliers")
    demand: dict[tuple[str, str], np.ndarray] = {}
    for r in _rows(book, "Demand"):
        key = (str(r["site"]), str(r["material"]))
        demand.setdefault(key, np.zeros(T))[when[str(r["period"])]] += _num(r["quantity"])
    stock = {(str(r["site"]), str(r["material"])): r for r in _rows(book, "Stock")}
    points = sorted(set(demand) | set(stock))
    rules = _rows(book, "Controls")

    def approval(offer: dict) -> float:
        material = str(offer["material"])
        elements = [e.strip() for e in str(materials[material].get("elements") or "").split(",")]
        p = 1.0
        for rule in rules:
            item = str(rule.get("item") or "*")
            if rule["country"] == offer["country"] and item in ("*", material, *elements):
                p *= _num(rule.get("approval"), 1.0)
        return p

    b = _Builder()
    onboard: dict[int, int] = {}
    for o, offer in enumerate(offers):
        capped = materials[str(offer["material"])].get("max_suppliers") is not None
        if _num(offer.get("fixed_cost")) > 0 or capped:
            onboard[o] = b.column(_num(offer.get("fixed_cost")), binary=True)
    deliveries: dict[tuple[int, int], list[tuple[int, int, float]]] = {}
    for o, offer in enumerate(offers):
        material = materials[str(offer["material"])]
        p = approval(offer)
        cap = _num(offer["capacity"])
        landed = _num(offer["unit_cost"]) * (1 + tariff[str(offer["country"])]) + _num(
            offer.get("freight")
        )
        risk = (1 - p) * _num(material.get("disruption_cost"))
        for k, (_, name) in enumerate(points):
            if name != offer["material"] or p <= 0 or cap <= 0:
                continue
            for t in range(int(_num(offer.get("lead_time"))), T):
                column = b.column(landed + risk)
                deliveries.setdefault((o, t), []).append((column, k, 1 - p))
    stock_col = {}
    for k, (site, name) in enumerate(points):
        material = materials[name]
        row = stock.get((site, name), {})
        initial, floor = _num(row.get("initial")), _num(row.get("min"))
        safety = _num(material.get("safety_penalty"))
        for t in range(T):
            stock_col[k, t] = b.column(_num(material.get("holding_cost")))
        for t in range(T):
            receipts = [(c, 1.0) for (o, tt), cols in deliveries.items() if tt == t
                        for c, kk, _ in cols if kk == k]  # fmt: skip
            shortfall = b.column(_num(material.get("shortage_penalty")))
            opening = [(stock_col[k, t - 1], 1.0)] if t else []
            rhs = demand.get((site, name), np.zeros(T))[t] - (0.0 if t else initial)
            b.row([*opening, *receipts, (shortfall, 1.0), (stock_col[k, t], -1.0)], rhs, rhs)
            b.row([(stock_col[k, t], 1.0), (b.column(safety), 1.0)], floor, np.inf)
            denied = [(c, share) for (o, tt), cols in deliveries.items() if tt == t
                      for c, kk, share in cols if kk == k and share > 0]  # fmt: skip
            if denied:
                limit = initial if t == 0 else 0.0
                b.row([*denied, *opening_neg(opening), (b.column(safety), -1.0)], -np.inf, limit)
        b.row([(stock_col[k, T - 1], 1.0), (b.column(safety), 1.0)], _num(row.get("target_end")),
              np.inf)  # fmt: skip
    for (o, _), cols in deliveries.items():
        offer = offers[o]
        cap, lot = _num(offer["capacity"]), _num(offer.get("min_order"))
        flow = [(c, 1.0) for c, _, _ in cols]
        switches = []
        if o in onboard:
            switches.append(onboard[o])
        if lot > 0:
            w = b.column(0.0, binary=True)
            b.row([*flow, (w, -lot)], 0.0, np.inf)
            switches.append(w)
        for switch in switches:
            b.row([*flow, (switch, -cap)], -np.inf, 0.0)
        if not switches:
            b.row(flow, -np.inf, cap)
    for name, material in materials.items():
        limit = material.get("max_suppliers")
        if limit is None:
            continue
        members = [onboard[o] for o, offer in enumerate(offers) if offer["material"] == name]
        if members:
            b.row([(z, 1.0) for z in members], -np.inf, _num(limit))
    rows, cols, values = zip(*b.entries, strict=True) if b.entries else ((), (), ())
    matrix = scipy.sparse.csr_array(
        (np.asarray(values, float), (np.asarray(rows), np.asarray(cols))),
        shape=(len(b.lower), len(b.cost)),
    )
    return Reference(
        np.asarray(b.cost), matrix, np.asarray(b.lower), np.asarray(b.upper),
        np.asarray(b.upper_bound), np.asarray(b.integer),
    )  # fmt: skip


def opening_neg(opening: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """−I[t−1]: the opening stock moved to the left of the licence-cover row."""
    return [(column, -value) for column, value in opening]
