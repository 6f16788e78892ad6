"""Benchmark: the same LP built and handed to HiGHS by reopt, by linopy and by pyoframe.

    pip install -c requirements.lock -e '.[peers]'      # benchmark only, never at run time
    python -m benchmarks.peers M L [--tools reopt linopy pyoframe]

Each size is a synthetic workbook of `benchmarks.synthetic`; each (size, tool) runs in a
fresh process, so its peak memory is its own. Reading and deriving the workbook are
reopt's in every case and are not timed: each tool starts from the same `ModelData`
arrays and writes SPEC §2's model for them as a modeller would in that library
(vectorised, no loop over deliveries). Timed:

- build: the model in the tool (reopt: the Pyomo model of `models.build_model`);
- hand-off: from the tool's model to a HiGHS instance holding it (reopt: its standard
  form and `passModel`; linopy: `to_highspy`, its direct interface). pyoframe writes
  each variable and row into HiGHS as it is declared (pyoptinterface), so its build
  is its hand-off and the two are one figure;
- solve: HiGHS's run, with the options reopt sets (one thread; presolve off from
  `PRESOLVE_COLUMNS` columns on).

The objectives must agree (relative 1e-7), which is what shows the three models are one.
The figure of the issue is reopt's build + hand-off beside linopy's.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.synthetic import write
from models.build import build_model
from models.changes import share_coefficients
from optimizer.domain.derive import derive
from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import timed
from optimizer.solver.highs import PRESOLVE_COLUMNS, handed_to_highs
from optimizer.solver.options import SolveOptions
from optimizer.solver.standard_form import standard_form
from optimizer.workbook.validate import load_inputs

HERE = Path(__file__).resolve().parent
TOOLS = ("reopt", "linopy", "pyoframe")
AGREE = 1e-7


def model_data(size: str):
    """The base scenario's `ModelData` of synthetic workbook `size` (not timed)."""
    source = write(size, Path(tempfile.mkdtemp()) / f"{size}.xlsx")
    inputs = load_inputs(source)
    data = derive(inputs, resolve_scenario(inputs, "base")).data
    lp_only(data)
    return data


def lp_only(data) -> None:
    """The peers write the LP families the synthetic workbooks use; refuse any other."""
    extra = {
        "recipes": data.runs,
        "onboarding or lots": bool((data.fixed_cost > 0).any() or (data.min_order_t > 0).any()),
        "site storage": len(data.storage_limit),
        "take-or-pay": len(data.contract_offer),
    }
    found = [name for name, present in extra.items() if present]
    if found:
        raise SystemExit(f"the peer models do not write {', '.join(found)}")


class Arrays:
    """The index arrays the peers group deliveries by (flat stock point·T + period)."""

    def __init__(self, data) -> None:
        periods, points = data.periods, data.points
        self.cells = points * periods
        self.period_of_cell = np.tile(np.arange(periods), points)
        self.cell = data.point * periods + data.period
        self.capacity_key = data.offer * periods + data.period
        keys = np.unique(self.capacity_key)
        self.capacity_keys = keys
        self.capacity = data.capacity_t.ravel()[keys]
        self.demand = data.demand_t.ravel()
        rhs = data.demand_t - data.pipeline_t
        rhs[:, 0] -= data.initial_t
        self.balance_rhs = rhs.ravel()
        self.floor_cells = _cells(np.flatnonzero(data.min_t > 0), periods)
        self.floor = np.repeat(data.min_t[data.min_t > 0], periods)
        finite = np.isfinite(data.max_t)
        self.storage_cells = _cells(np.flatnonzero(finite), periods)
        self.storage = np.repeat(data.max_t[finite], periods)
        target = np.flatnonzero(data.target_end_t > 0)
        self.end_cells = target * periods + periods - 1
        self.target = data.target_end_t[target]
        licensed = np.flatnonzero(data.denial_share > 0)
        self.licensed = licensed
        self.cover_cells = np.unique(self.cell[licensed])
        first = self.period_of_cell[self.cover_cells] == 0
        self.cover_limit = np.where(first, data.initial_t[self.cover_cells // periods], 0.0)
        self.budget_periods = np.intersect1d(np.flatnonzero(np.isfinite(data.budget)), data.period)
        self.budget = data.budget[self.budget_periods]
        self.caps = sorted(set(data.share_cap.tolist()))
        self.last_cells = np.arange(points) * periods + periods - 1
        self.cost = data.landed_cost_per_t + data.risk_cost_per_t
        self.holding = np.repeat(data.holding_cost_per_t, periods)
        self.shortage = np.repeat(data.shortage_penalty_per_t, periods)
        self.safety = np.repeat(data.safety_penalty_per_t, periods)


def _cells(points: np.ndarray, periods: int) -> np.ndarray:
    """The flat cells p·T + t of every period of `points`."""
    return (points[:, None] * periods + np.arange(periods)[None, :]).ravel()


def lp_options(columns: int) -> dict[str, object]:
    """The HiGHS options reopt sets on an LP of `columns` columns, for every tool: one
    thread, and presolve off from `PRESOLVE_COLUMNS` on (`solver.highs.handed_to_highs`)."""
    options: dict[str, object] = {"output_flag": False, "threads": 1}
    if columns >= PRESOLVE_COLUMNS:
        options["presolve"] = "off"
    return options


def solved(highs, times: dict[str, float]) -> dict[str, float]:
    """Solve a HiGHS instance with `lp_options`: `times` with the solve's, and the
    objective."""
    for name, value in lp_options(highs.getNumCol()).items():
        highs.setOptionValue(name, value)
    with timed(times, "solve"):
        highs.run()
    return {**times, "objective": highs.getInfo().objective_function_value}


def run_reopt(data) -> dict[str, float]:
    """reopt: `models.build_model`, then its standard form passed to HiGHS."""
    times: dict[str, float] = {}
    with timed(times, "build"):
        model = build_model(data)
    with timed(times, "hand-off"):
        highs = handed_to_highs(standard_form(model), SolveOptions(threads=1))
    return solved(highs, times)


def run_linopy(data) -> dict[str, float]:
    """linopy: the model on xarray coordinates, `to_highspy` as the hand-off."""
    import linopy
    import pandas as pd
    import xarray as xr

    times: dict[str, float] = {}
    with timed(times, "build"):
        a = Arrays(data)
        model = linopy.Model()
        i = pd.RangeIndex(data.deliveries, name="i")
        cells = pd.RangeIndex(a.cells, name="cell")

        def on(values, index) -> xr.DataArray:
            return xr.DataArray(np.asarray(values, dtype=float), coords=[index])

        def cell_index(values: np.ndarray) -> pd.Index:
            return pd.Index(values, name="cell")

        buy = model.add_variables(lower=0, coords=[i], name="buy")
        stock = model.add_variables(lower=0, coords=[cells], name="stock")
        short = model.add_variables(lower=0, upper=on(a.demand, cells), name="shortfall")
        opening = stock.shift(cell=1).where(on(a.period_of_cell > 0, cells).astype(bool))
        receipts = buy.groupby(xr.DataArray(a.cell, coords=[i], name="cell")).sum()
        receipts = receipts.reindex(cell=cells)
        model.add_constraints(
            opening + receipts + short - stock == on(a.balance_rhs, cells), name="balance"
        )
        key = xr.DataArray(a.capacity_key, coords=[i], name="key")
        model.add_constraints(
            buy.groupby(key).sum() <= on(a.capacity, pd.Index(a.capacity_keys, name="key")),
            name="capacity",
        )
        floor_cells = cell_index(a.floor_cells)
        floor_gap = model.add_variables(lower=0, coords=[floor_cells], name="floor_gap")
        model.add_constraints(
            stock.sel(cell=floor_cells) + floor_gap >= on(a.floor, floor_cells), name="floor"
        )
        storage_cells = cell_index(a.storage_cells)
        model.add_constraints(
            stock.sel(cell=storage_cells) <= on(a.storage, storage_cells), name="storage"
        )
        end_cells = cell_index(a.end_cells)
        end_gap = model.add_variables(lower=0, coords=[end_cells], name="end_gap")
        model.add_constraints(
            stock.sel(cell=end_cells) + end_gap >= on(a.target, end_cells), name="end"
        )
        cover_cells = cell_index(a.cover_cells)
        cover_gap = model.add_variables(lower=0, coords=[cover_cells], name="cover_gap")
        licensed = pd.Index(a.licensed, name="i")
        denied = (
            (buy.sel(i=licensed) * on(data.denial_share[a.licensed], licensed))
            .groupby(xr.DataArray(a.cell[a.licensed], coords=[licensed], name="cell"))
            .sum()
        )
        model.add_constraints(
            denied - opening.sel(cell=cover_cells) - cover_gap <= on(a.cover_limit, cover_cells),
            name="cover",
        )
        for cap in a.caps:
            members, coefs = share_coefficients(data, cap)
            index = pd.Index(members, name="i")
            model.add_constraints((buy.sel(i=index) * on(coefs, index)).sum() <= 0,
                                  name=f"share {cap}")  # fmt: skip
        periods = pd.Index(a.budget_periods, name="t")
        spend = (
            (buy * on(data.landed_cost_per_t, i))
            .groupby(xr.DataArray(data.period, coords=[i], name="t"))
            .sum()
        )
        model.add_constraints(spend.sel(t=periods) <= on(a.budget, periods), name="budget")
        last = cell_index(a.last_cells)
        model.add_objective(
            (buy * on(a.cost, i)).sum()
            + (stock * on(a.holding, cells)).sum()
            + (short * on(a.shortage, cells)).sum()
            + (floor_gap * on(a.safety[a.floor_cells], floor_cells)).sum()
            + (cover_gap * on(a.safety[a.cover_cells], cover_cells)).sum()
            + (end_gap * on(a.safety[a.end_cells], end_cells)).sum()
            - (stock.sel(cell=last) * on(data.salvage_value_per_t, last)).sum()
        )
    with timed(times, "hand-off"):
        highs = model.to_highspy()
    return solved(highs, times)


def run_pyoframe(data) -> dict[str, float]:
    """pyoframe: the model on polars frames, written into HiGHS as it is declared."""
    import polars as pl
    import pyoframe as pf

    times: dict[str, float] = {}
    with timed(times, "build"):
        a = Arrays(data)
        model = pf.Model(solver="highs")
        i = np.arange(data.deliveries)

        def param(values, **dims) -> pl.DataFrame:
            return pl.DataFrame({**dims, "value": np.asarray(values, dtype=float)})

        cells = pl.DataFrame({"cell": np.arange(a.cells)})
        model.buy = pf.Variable(pl.DataFrame({"i": i}), lb=0)
        model.stock = pf.Variable(cells, lb=0)
        model.shortfall = pf.Variable(cells, lb=0, ub=param(a.demand, cell=np.arange(a.cells)))
        later = np.flatnonzero(a.period_of_cell > 0)
        opening = model.stock.rename({"cell": "source"}).map(
            pl.DataFrame({"source": later - 1, "cell": later})
        )
        receipts = model.buy.map(pl.DataFrame({"i": i, "cell": a.cell}))
        model.balance = (
            opening.keep_extras() + receipts.keep_extras() + model.shortfall - model.stock
            == param(a.balance_rhs, cell=np.arange(a.cells))
        )
        model.capacity = model.buy.map(pl.DataFrame({"i": i, "key": a.capacity_key})) <= param(
            a.capacity, key=a.capacity_keys
        )
        model.floor_gap = pf.Variable(pl.DataFrame({"cell": a.floor_cells}), lb=0)
        model.floor = model.stock.drop_extras() + model.floor_gap >= param(
            a.floor, cell=a.floor_cells
        )
        model.storage = model.stock.drop_extras() <= param(a.storage, cell=a.storage_cells)
        model.end_gap = pf.Variable(pl.DataFrame({"cell": a.end_cells}), lb=0)
        model.end = model.stock.drop_extras() + model.end_gap >= param(a.target, cell=a.end_cells)
        model.cover_gap = pf.Variable(pl.DataFrame({"cell": a.cover_cells}), lb=0)
        lic = a.licensed
        denied = (model.buy.drop_extras() * param(data.denial_share[lic], i=lic)).map(
            pl.DataFrame({"i": lic, "cell": a.cell[lic]})
        )
        model.cover = denied - opening.drop_extras() - model.cover_gap <= param(
            a.cover_limit, cell=a.cover_cells
        )
        for cap in a.caps:
            members, coefs = share_coefficients(data, cap)
            share = (model.buy.drop_extras() * param(coefs, i=members)).sum()
            setattr(model, f"share_{cap}", share <= 0)
        spend = (model.buy * param(data.landed_cost_per_t, i=i)).map(
            pl.DataFrame({"i": i, "t": data.period})
        )
        model.budget = spend.drop_extras() <= param(a.budget, t=a.budget_periods)
        model.minimize = (
            (model.buy * param(a.cost, i=i)).sum()
            + (model.stock * param(a.holding, cell=np.arange(a.cells))).sum()
            + (model.shortfall * param(a.shortage, cell=np.arange(a.cells))).sum()
            + (model.floor_gap * param(a.safety[a.floor_cells], cell=a.floor_cells)).sum()
            + (model.cover_gap * param(a.safety[a.cover_cells], cell=a.cover_cells)).sum()
            + (model.end_gap * param(a.safety[a.end_cells], cell=a.end_cells)).sum()
            - (model.stock.drop_extras() * param(data.salvage_value_per_t, cell=a.last_cells)).sum()
        )
    for name, value in lp_options(model.poi.number_of_variables()).items():
        setattr(model.params, name, value)
    with timed(times, "solve"):
        model.optimize()
    return {**times, "objective": float(model.objective.value)}


RUNS = {"reopt": run_reopt, "linopy": run_linopy, "pyoframe": run_pyoframe}


def measure(size: str, tool: str) -> dict[str, object]:
    """One tool on one size, in this process (call in a fresh one)."""
    data = model_data(size)
    found = RUNS[tool](data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {**found, "deliveries": data.deliveries, "peak_mib": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", default=["M", "L"])
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(*args.one)))
        return
    print(f"{'size':<4} {'tool':<9} {'build':>8} {'hand-off':>9} {'build+hand-off':>15} "
          f"{'solve':>8} {'peak MiB':>9}  objective")  # fmt: skip
    for size in args.sizes:
        found = {}
        for tool in args.tools:
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.peers", "--one", size, tool],
                cwd=HERE.parent, capture_output=True, text=True, check=True,
            )  # fmt: skip
            found[tool] = result = json.loads(done.stdout.strip().splitlines()[-1])
            both = result["build"] + result.get("hand-off", 0.0)
            handoff = f"{result['hand-off']:9.2f}" if "hand-off" in result else f"{'in build':>9}"
            print(
                f"{size:<4} {tool:<9} {result['build']:8.2f} {handoff} {both:15.2f} "
                f"{result['solve']:8.2f} {result['peak_mib']:9.0f}  {result['objective']!r}"
            )
        objectives = [result["objective"] for result in found.values()]
        spread = (max(objectives) - min(objectives)) / max(1.0, abs(objectives[0]))
        verdict = "agree" if spread <= AGREE else "DISAGREE"
        print(f"     {len(objectives)} objectives {verdict} (relative spread {spread:.1e})")


if __name__ == "__main__":
    main()
