"""The robust plan's data (SPEC §6): the commitment window, the scenarios' distinct
draws, and each scenario's block of the extensive form.

Every scenario ω is derived as `solve` derives it (a licence draw from the reference's
instance); its block holds the committed deliveries of the reference scenario ρ that
arrive in ω and ω's own deliveries after the window. The failed share of a committed
order costs the risk of its arriving share (`domain.terms`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.data import restrict
from models.robust import RobustData, ScenarioData
from optimizer.domain.derive import Instance, share_members
from optimizer.domain.inputs import Inputs
from optimizer.domain.scenarios import Scenario
from optimizer.domain.terms import risk_per_t
from optimizer.problems import UsageError


def commit_periods(inputs: Inputs, commit: int | None) -> int:
    """K: `--commit`, else Settings `commit_periods`, else 1 (0 ≤ K ≤ T)."""
    horizon = len(inputs.periods)
    if commit is not None:
        if not 0 <= commit <= horizon:
            raise UsageError(
                f"--commit must be between 0 and the number of periods ({horizon}), not {commit}"
            )
        return commit
    chosen = inputs.settings.commit_periods
    return min(1, horizon) if chosen is None else int(chosen)


def distinct_draws(
    drawn: list[Scenario], probability: np.ndarray
) -> tuple[list[Scenario], np.ndarray, np.ndarray]:
    """Identical licence draws merged into one scenario carrying their total probability,
    and the position of each draw's scenario. Exact: identical blocks share an optimal
    recourse, and the distribution of C_ω (so Σ π C and CVaR) is unchanged."""
    keys = [tuple(scenario.rules["approval"].tolist()) for scenario in drawn]
    first: dict[tuple, int] = {}
    which = np.array([first.setdefault(key, len(first)) for key in keys], dtype=np.int64)
    kept = [drawn[int(np.flatnonzero(which == k)[0])] for k in range(len(first))]
    return kept, np.bincount(which, weights=probability), which


def cvar(costs: np.ndarray, probability: np.ndarray, alpha: float) -> float:
    """CVaR_α of a discrete cost: min over η of η + Σ π·max(C − η, 0)/(1 − α), whose
    minimum lies at one of the costs (the function is piecewise linear and convex)."""
    excess = np.maximum(costs[None, :] - costs[:, None], 0.0) @ probability
    return float((costs + excess / (1 - alpha)).min())


def committed_orders(reference: Instance, window: int) -> np.ndarray:
    """Which of the reference's deliveries are ordered in the first `window` periods: order
    period t − L_ρ[o,s,t] < K (0-based; 1..K in the spec's counting)."""
    order = reference.data.period - reference.deliveries["lead_periods"].to_numpy(np.int64)
    return order < window


def _arrivals(instance: Instance, orders: pd.DataFrame, reference_cap: np.ndarray) -> pd.DataFrame:
    """Each committed order (o, s, t) as it arrives in ω: ω's terms of (o, s, t) (its pair
    in the window segment holding t: SPEC §2 for every reason but the lead time), its
    arrival period t_ω = t + L_ω − L_ρ and its share a_ω (0 when ω allows no delivery
    there, or when t_ω is past the horizon; else min(1, cap_ω/cap_ρ))."""
    pairs = instance.pairs
    found = orders[["order", "offer", "point", "period", "lead_periods"]].merge(
        pairs, on=["offer", "point"], suffixes=("_rho", "")
    )
    found = found[(found["start"] <= found["period"]) & (found["period"] <= found["end"])]
    found = found.sort_values("order").reset_index(drop=True)
    t, offer = found["period"].to_numpy(np.int64), found["offer"].to_numpy(np.int64)
    cap = instance.data.capacity_t[offer, t]
    usable = (
        (found["approval"] > 0).to_numpy()
        & found["allowed"].to_numpy(bool)
        & ~found["excluded"].to_numpy(bool)
        & (cap > 0)
        & (found["first"].to_numpy() <= t)
        & (t <= found["last"].to_numpy())
    )
    arrives = t + found["lead_periods"].to_numpy(np.int64) - found["lead_periods_rho"].to_numpy()
    on_time = arrives < instance.data.periods
    share = np.where(usable & on_time, np.minimum(1.0, cap / reference_cap[offer, t]), 0.0)
    found = found.drop(columns="lead_periods_rho")
    return found.assign(planned=t, period=arrives, share=share)


def _block(
    instance: Instance, committed: pd.DataFrame, reference_cap: np.ndarray, window: int,
    probability: float,
) -> tuple[ScenarioData, Instance, np.ndarray]:  # fmt: skip
    """ω's block (SPEC v3 §6): its own deliveries whose order period is after K, and the
    committed orders that arrive, each in the period it arrives; ω's instance with them
    (its plan is read and checked against it); the period each committed order arrives
    in (T or later: past the horizon)."""
    data, deliveries = instance.data, instance.deliveries
    own = (data.period - deliveries["lead_periods"].to_numpy(np.int64)) >= window
    found = _arrivals(instance, committed, reference_cap)
    arriving = found[found["share"] > 0]
    rows = pd.concat(
        [
            deliveries[own].assign(planned=data.period[own], order=-1),
            arriving.drop(columns="share"),
        ],
        ignore_index=True,
    )
    inputs = instance.inputs
    _, share_cap, share_delivery = share_members(inputs, rows)
    merged = dataclasses.replace(
        data,
        offer=rows["offer"].to_numpy(np.int64),
        point=rows["point"].to_numpy(np.int64),
        period=rows["period"].to_numpy(np.int64),
        landed_cost_per_t=rows["landed_per_t"].to_numpy(float),
        risk_cost_per_t=rows["risk_per_t"].to_numpy(float),
        denial_share=np.where(rows["licensed"], 1 - rows["approval"], 0.0).astype(float),
        material=pd.Categorical(rows["material"], categories=inputs.materials.index).codes.astype(
            np.int64
        ),
        share_cap=share_cap,
        share_delivery=share_delivery,
    )
    arrival = found["share"].to_numpy(float)
    block = ScenarioData(
        merged,
        rows["order"].to_numpy(np.int64),
        rows["planned"].to_numpy(np.int64),
        arrival,
        risk_per_t(inputs, committed["material"], arrival),
        probability,
    )
    rows = rows.assign(committed=rows["order"] >= 0).drop(columns="order")
    shown = dataclasses.replace(instance, data=merged, deliveries=rows)
    return block, shown, found["period"].to_numpy(np.int64)


@dataclass(frozen=True)
class RobustLayout:
    """The extensive form's data and what reads its solution back."""

    data: RobustData
    blocks: list[Instance]
    """each scenario's instance with the committed orders it receives"""
    orders: pd.DataFrame
    """the reference's deliveries ordered in the first K periods: order j is row j (the
    derived delivery table's columns)"""
    arrives: np.ndarray
    """(scenarios, orders): the period each order arrives in, per scenario"""
    window: int


def robust_data(
    reference: Instance,
    instances: list[Instance],
    probability: np.ndarray,
    window: int,
    alpha: float,
    beta: float,
) -> RobustLayout:
    """The extensive form of SPEC §6 for the scenarios' `instances`, committing the
    reference's orders of the first `window` periods."""
    early = committed_orders(reference, window)
    committed = restrict(reference.data, early)
    orders = reference.deliveries[early].reset_index(drop=True)
    orders = orders.assign(order=np.arange(len(orders)))
    blocks = [
        _block(instance, orders, reference.data.capacity_t, window, float(p))
        for instance, p in zip(instances, probability.tolist(), strict=True)
    ]
    data = RobustData(committed, [block for block, _, _ in blocks], alpha, beta)
    arrives = np.array([periods for _, _, periods in blocks], dtype=np.int64).reshape(
        len(blocks), len(orders)
    )
    return RobustLayout(data, [shown for _, shown, _ in blocks], orders, arrives, window)


def unshared(
    instances: list[Instance], probability: np.ndarray, alpha: float, beta: float
) -> RobustData:
    """The extensive form with nothing shared (K = 0, SPEC §7's z per block): the
    wait-and-see problem."""
    layout = robust_data(instances[0], instances, probability, 0, alpha, beta)
    return dataclasses.replace(layout.data, shared=False)
