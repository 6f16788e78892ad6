"""Reading a solution: the solver-noise tolerance, (point, period) grids and the arrays of
a plan's values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models import components
from models.data import ModelData
from models.recipes import run_flows
from optimizer.domain.derive import Instance
from optimizer.solver.highs import Solution

NOISE = 1e-7
"""Tonnes, duals and money below this are solver noise."""


def grid(solution: Solution, name: str, shape: tuple[int, int], duals: bool = False) -> np.ndarray:
    """A component keyed (point, period), or (point,) for the last period, as a (P, T)
    matrix of its values (or row duals), 0 where absent."""
    result = np.zeros(shape)
    keys = solution.keys.get(name, [])
    if not len(keys):
        return result
    index = np.asarray(
        [key if isinstance(key, tuple) else (key, shape[1] - 1) for key in keys], dtype=np.int64
    )
    result[index[:, 0], index[:, 1]] = (solution.duals if duals else solution.values)[name]
    return result


def clean(values: np.ndarray) -> np.ndarray:
    """Zero out solver noise below the quantity tolerance."""
    return np.where(np.abs(values) < NOISE, 0.0, values)


@dataclass(frozen=True)
class Values:
    """A solution's values as arrays: deliveries (N,), (point, period) grids, offers (O,)."""

    buy: np.ndarray
    stock: np.ndarray
    shortfall: np.ndarray
    floor_gap: np.ndarray
    cover_gap: np.ndarray
    end_gap: np.ndarray
    onboarded: np.ndarray
    """z[o] per offer (O,): 1 where the offer is onboarded (SPEC §7); 0 elsewhere"""
    runs: np.ndarray
    """n[u] per run variable (U,) of SPEC §8"""
    unpaid: np.ndarray
    """g[k] per take-or-pay commitment (K,): t committed and not taken (SPEC §2, 11)"""


def _onboarded(instance: Instance, solution: Solution) -> np.ndarray:
    """z[o] of every offer, 0 for offers without one (an LP has none)."""
    onboarded = np.zeros(len(instance.offers))
    keys = np.asarray(solution.keys.get(components.ONBOARD, []), dtype=np.int64)
    onboarded[keys] = np.round(solution.values.get(components.ONBOARD, np.zeros(0)))
    return onboarded


def solution_values(instance: Instance, solution: Solution) -> Values:
    """The values of `solution`, solver noise removed."""
    shape = (instance.data.points, instance.data.periods)
    return Values(
        buy=clean(solution.values.get(components.BUY, np.zeros(0))),
        stock=clean(grid(solution, components.STOCK, shape)),
        shortfall=clean(grid(solution, components.SHORTFALL, shape)),
        floor_gap=clean(grid(solution, components.FLOOR_GAP, shape)),
        cover_gap=clean(grid(solution, components.COVER_GAP, shape)),
        end_gap=clean(grid(solution, components.END_GAP, shape)),
        onboarded=_onboarded(instance, solution),
        runs=clean(solution.values.get(components.RUN, np.zeros(instance.data.runs))),
        unpaid=clean(
            solution.values.get(
                components.TAKE_OR_PAY_GAP, np.zeros(len(instance.data.contract_offer))
            )
        ),
    )


def flows(data: ModelData, runs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(made, consumed): the t the runs add to and take from each (point, period)."""
    made, consumed = np.zeros((data.points, data.periods)), np.zeros((data.points, data.periods))
    points, periods, coefs, which = run_flows(data)
    amounts = coefs * runs[which] if len(which) else np.zeros(0)
    np.add.at(made, (points[coefs > 0], periods[coefs > 0]), amounts[coefs > 0])
    np.add.at(consumed, (points[coefs < 0], periods[coefs < 0]), -amounts[coefs < 0])
    return made, consumed


def site_stock(data: ModelData, stock: np.ndarray) -> np.ndarray:
    """Σ I[p,t] over the stock points of each site with a storage limit (G, T): what
    constraint 10 holds below storage(s)."""
    held = np.zeros((len(data.storage_limit), data.periods))
    if len(data.storage_limit):
        stored = data.point_storage >= 0
        np.add.at(held, data.point_storage[stored], stock[stored])
    return held


def offer_tonnes(data: ModelData, buy: np.ndarray) -> np.ndarray:
    """Tonnes bought from each offer over the horizon (O,), in `Inputs.offers` order."""
    return np.bincount(data.offer, buy, data.capacity_t.shape[0])
