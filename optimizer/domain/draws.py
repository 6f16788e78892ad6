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

from optimizer.domain.scenarios import RULE_KEY, Scenario

PERCENTILES = (10, 50, 90, 99)


def licence_draws(scenario: Scenario, samples: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The rules with p < 1 and a (samples × rules) boolean matrix: True = approved."""
    rules = scenario.rules
    drawn = rules[rules["approval"] < 1].reset_index(drop=True)
    generator = np.random.default_rng(seed)
    uniform = generator.random((samples, len(drawn)))
    return drawn, uniform < drawn["approval"].to_numpy(float)


def sample_scenarios(
    scenario: Scenario, samples: int, seed: int
) -> tuple[list[Scenario], pd.DataFrame]:
    """One scenario per sample, and a table of the draws (one column per drawn rule)."""
    drawn, approved = licence_draws(scenario, samples, seed)
    keys = [tuple(row) for row in drawn[RULE_KEY].itertuples(index=False)]
    position = {
        tuple(row): index
        for index, row in enumerate(scenario.rules[RULE_KEY].itertuples(index=False))
    }
    result = []
    for sample in range(samples):
        rules = scenario.rules.copy()
        for key, ok in zip(keys, approved[sample], strict=True):
            rules.at[position[key], "approval"] = 1.0 if ok else 0.0
        name = f"{scenario.name} sample {sample + 1}"
        result.append(replace(scenario, name=name, chain=(*scenario.chain, name), rules=rules))
    columns = [f"{country} {item} {end_use}" for country, item, end_use in keys]
    draws = pd.DataFrame(approved.astype(int), columns=columns)
    draws.insert(0, "sample", np.arange(1, samples + 1))
    return result, draws


def percentiles(values: np.ndarray) -> dict[str, float]:
    """P10, P50, P90, P99 (numpy's linear interpolation), NaN when there is no value."""
    if len(values) == 0:
        return {f"P{q}": float("nan") for q in PERCENTILES}
    found = np.percentile(values, PERCENTILES)
    return {f"P{q}": float(v) for q, v in zip(PERCENTILES, found, strict=True)}
