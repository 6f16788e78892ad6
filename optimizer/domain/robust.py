"""The robust plan's data (SPEC §6): the commitment window, the scenarios' distinct
draws, and each scenario's block of the extensive form.

Every scenario ω is derived as `solve` derives it (a licence draw from the reference's
instance); its block holds the committed deliveries of the reference scenario ρ that
arrive in ω and ω's own deliveries after the window. The failed share of a committed
order costs the risk of its arriving share (`domain.terms`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from models.data import ModelData, restrict
from models.robust import RobustData, ScenarioData
from optimizer.domain.derive import Instance
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


def _delivery_keys(data: ModelData) -> np.ndarray:
    return (data.offer * data.points + data.point) * data.periods + data.period


def _block(
    instance: Instance, committed: ModelData, window: int, probability: float
) -> tuple[ScenarioData, Instance]:
    """ω's block: the committed deliveries it receives (t ≤ K) and its own after K; and
    ω's instance with those deliveries (its plan is read against it)."""
    data = instance.data
    early = data.period < window
    j = pd.Index(_delivery_keys(committed)).get_indexer(_delivery_keys(data))
    j = np.where(early, j, -1)
    keep = ~early | (j >= 0)
    arrival = np.zeros(committed.deliveries)
    arrived = j[j >= 0]
    offer, period = committed.offer[arrived], committed.period[arrived]
    arrival[arrived] = np.minimum(
        1.0, data.capacity_t[offer, period] / committed.capacity_t[offer, period]
    )
    inputs = instance.inputs
    material = inputs.materials.index[committed.material]
    failed = risk_per_t(inputs, material, arrival)
    merged = dataclasses.replace(
        instance,
        data=restrict(data, keep),
        deliveries=instance.deliveries[keep].reset_index(drop=True),
    )
    return ScenarioData(merged.data, j[keep], arrival, failed, probability), merged


def robust_data(
    reference: Instance,
    instances: list[Instance],
    probability: np.ndarray,
    window: int,
    alpha: float,
    beta: float,
) -> tuple[RobustData, list[Instance]]:
    """The extensive form of SPEC §6 for the scenarios' `instances`, committing the
    reference's deliveries of the first `window` periods; and each block's instance."""
    committed = restrict(reference.data, reference.data.period < window)
    blocks = [
        _block(instance, committed, window, float(p))
        for instance, p in zip(instances, probability.tolist(), strict=True)
    ]
    data = RobustData(committed, [block for block, _ in blocks], alpha, beta)
    return data, [merged for _, merged in blocks]


def unshared(
    instances: list[Instance], probability: np.ndarray, alpha: float, beta: float
) -> tuple[RobustData, list[Instance]]:
    """The extensive form with nothing shared (K = 0, SPEC §7's z per block): the
    wait-and-see problem."""
    data, merged = robust_data(instances[0], instances, probability, 0, alpha, beta)
    return dataclasses.replace(data, shared=False), merged
