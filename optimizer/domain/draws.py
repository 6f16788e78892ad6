"""Monte Carlo licence sweeps: draw which licensed rules are approved, then summarise.

In each sample every rule in force with approval p < 1 is drawn independently:
approved (approval 1) with probability p, else denied (approval 0). Draws come from
numpy's PCG64 generator seeded with `--seed`, all made up front in one process, so the
same seed gives the same samples whatever the number of workers.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from optimizer.domain.scenarios import Scenario

PERCENTILES = (10, 50, 90, 99)


def licence_draws(scenario: Scenario, samples: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The rules with p < 1 and a (samples × rules) boolean matrix: True = approved."""
    rules = scenario.rules
    drawn = rules[rules["approval"] < 1].reset_index(drop=True)
    generator = np.random.default_rng(seed)
    uniform = generator.random((samples, len(drawn)))
    return drawn, uniform < drawn["approval"].to_numpy(float)


def _label(rule: pd.Series, periods: list[str] | None) -> str:
    """`China Dy *`, with the window when it does not span the horizon."""
    label = f"{rule['country']} {rule['item']} {rule['end_use']}"
    if periods is None or (rule["from_t"] == 0 and rule["to_t"] == len(periods) - 1):
        return label
    return f"{label} {periods[int(rule['from_t'])]} … {periods[int(rule['to_t'])]}"


def sample_scenarios(
    scenario: Scenario, samples: int, seed: int, periods: list[str] | None = None
) -> tuple[list[Scenario], pd.DataFrame]:
    """One scenario per sample, and a table of the draws (one column per drawn rule;
    `periods` names the window of a rule in force over part of the horizon)."""
    drawn, approved = licence_draws(scenario, samples, seed)
    positions = np.flatnonzero(scenario.rules["approval"].to_numpy(float) < 1)
    column = scenario.rules.columns.get_loc("approval")
    result = []
    for sample in range(samples):
        rules = scenario.rules.copy()
        rules.iloc[positions, column] = np.where(approved[sample], 1.0, 0.0)
        name = f"{scenario.name} sample {sample + 1}"
        result.append(replace(scenario, name=name, chain=(*scenario.chain, name), rules=rules))
    columns = [_label(rule, periods) for _, rule in drawn.iterrows()]
    draws = pd.DataFrame(approved.astype(int), columns=columns)
    draws.insert(0, "sample", np.arange(1, samples + 1))
    return result, draws


def percentiles(values: np.ndarray) -> dict[str, float]:
    """P10, P50, P90, P99 (numpy's linear interpolation), NaN when there is no value."""
    if len(values) == 0:
        return {f"P{q}": float("nan") for q in PERCENTILES}
    found = np.percentile(values, PERCENTILES)
    return {f"P{q}": float(v) for q, v in zip(PERCENTILES, found, strict=True)}
