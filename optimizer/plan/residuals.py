"""Check a solution against the model data it solved, in arrays: the sweep's plan check.

A licence sweep keeps a summary per sample, not the plan tables, so the table-based
check of `plan.checks` (which re-derives every rule from the workbook, ~10 ms a plan)
runs on its samples in the tests only. Each sample's solution is still checked here,
on every family of SPEC §2 recomputed from `ModelData` (not from the matrix HiGHS
solved), and its cost terms must add up to HiGHS's objective, so a wrong change to the
kept model or a solver failure cannot reach a sweep's figures unnoticed.
"""

from __future__ import annotations

import numpy as np

from models.data import ModelData
from optimizer.plan.checks import TOLERANCE
from optimizer.plan.values import Values, flows, offer_tonnes, site_stock


def _over(used: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Where `used` exceeds `limit` beyond the plan-check tolerance (NaN limit: none)."""
    bound = np.where(np.isnan(limit), np.inf, limit)
    return used > bound + TOLERANCE * np.maximum(1.0, np.abs(np.where(np.isinf(bound), 0, bound)))


def _where(what: str, mask: np.ndarray) -> list[str]:
    """One line naming the first position of `mask` that fails, if any does."""
    found = np.argwhere(mask)
    return (
        [f"{what}: fails at {tuple(found[0].tolist())} ({len(found)} in all)"] if len(found) else []
    )


def _balance(data: ModelData, values: Values) -> np.ndarray:
    """I[p,t−1] + Σ x + P + u + made − consumed − d − I[p,t] per point and period (0 when
    it balances)."""
    receipts = np.zeros((data.points, data.periods))
    np.add.at(receipts, (data.point, data.period), values.buy)
    made, consumed = flows(data, values.runs)
    opening = np.concatenate([data.initial_t[:, None], values.stock[:, :-1]], axis=1)
    supply = opening + receipts + data.pipeline_t + values.shortfall + made
    return supply - consumed - data.demand_t - values.stock


def _stock_rows(data: ModelData, values: Values) -> list[str]:
    """Balance, signs, storage, floor, licence cover and end target."""
    residual = _balance(data, values)
    scale = np.maximum.reduce([np.ones_like(residual), data.demand_t, np.abs(values.stock)])
    cover = np.zeros((data.points, data.periods))
    np.add.at(cover, (data.point, data.period), data.denial_share * values.buy)
    opening = np.concatenate([data.initial_t[:, None], values.stock[:, :-1]], axis=1)
    floor = np.broadcast_to(data.min_t[:, None], values.stock.shape)
    negative = (np.minimum(values.stock, values.shortfall) < -TOLERANCE) | (
        np.minimum.reduce([values.floor_gap, values.cover_gap, values.end_gap]) < -TOLERANCE
    )
    end = values.stock[:, -1] + values.end_gap[:, -1]
    return (
        _where("balance", np.abs(residual) > TOLERANCE * scale)
        + _where("sign", negative)
        + _where("shortfall above demand", _over(values.shortfall, data.demand_t))
        + _where("storage", _over(values.stock, np.broadcast_to(data.max_t[:, None], floor.shape)))
        + _where("floor", _over(floor, values.stock + values.floor_gap))
        + _where("licence cover", _over(cover, opening + values.cover_gap))
        + _where("end target", _over(data.target_end_t, end))
    )


def _delivery_rows(data: ModelData, values: Values, usable: np.ndarray) -> list[str]:
    """Signs, deliveries the data does not allow, capacity, budget and country shares."""
    x, periods = values.buy, data.periods
    used = np.bincount(data.offer * periods + data.period, x, data.capacity_t.size)
    spend = np.bincount(data.period, data.landed_cost_per_t * x, periods)
    materials = int(max(data.material.max(initial=-1), data.share_material.max(initial=-1))) + 1
    totals = np.bincount(data.material, x, materials)
    touching = np.bincount(data.share_cap, x[data.share_delivery], len(data.share_limit))
    share = data.share_limit * totals[data.share_material]
    runs = values.runs
    capacity = data.recipe_capacity[data.run_recipe]
    return (
        _where("sign", x < -TOLERANCE)
        + _where("run sign", runs < -TOLERANCE)
        + _where("recipe capacity", _over(runs, np.where(np.isinf(capacity), np.nan, capacity)))
        + _where("not allowed", ~usable & (np.abs(x) > TOLERANCE))
        + _where("capacity", _over(used.reshape(data.capacity_t.shape), data.capacity_t))
        + _where("budget", _over(spend, data.budget))
        + _where("share", _over(touching, share))
    )


def residual_violations(
    data: ModelData, values: Values, usable: np.ndarray, terms: dict[str, float], objective: float
) -> list[str]:
    """Every family violated by `values` (deliveries outside `usable` must be 0), and
    cost terms that do not add up to `objective`; empty when the solution passes."""
    total = sum(terms.values())
    costs = []
    if abs(total - objective) > TOLERANCE * max(1.0, abs(total), abs(objective)):
        costs = [f"costs: terms add up to {total:,.6f}, objective is {objective:,.6f}"]
    return (
        _stock_rows(data, values)
        + _delivery_rows(data, values, usable)
        + _contract_rows(data, values)
        + costs
    )


def _contract_rows(data: ModelData, values: Values) -> list[str]:
    """Site storage (10) and take-or-pay (11): Σ stock of a site ≤ its storage; taken +
    not taken ≥ owed, with what is not taken ≥ 0."""
    held = site_stock(data, values.stock)
    taken = offer_tonnes(data, values.buy)[data.contract_offer]
    return (
        _where(
            "site storage", _over(held, np.broadcast_to(data.storage_limit[:, None], held.shape))
        )
        + _where("take-or-pay sign", values.unpaid < -TOLERANCE)
        + _where("take-or-pay", _over(data.contract_total_t, taken + values.unpaid))
    )
