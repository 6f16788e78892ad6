"""Monte Carlo licence sweeps: draw which licensed rules are approved, then summarise.

In each sample every rule in force with approval p < 1 is drawn independently:
approved (approval 1) with probability p, else denied (approval 0). Draws come from
numpy's PCG64 generator seeded with `--seed`, all made up front in one process, so the
same seed gives the same samples whatever the number of workers.

A draw changes approvals only, so a sample's deliveries are those of its parent
scenario (the *envelope*) that no denied rule is in force for, each with approval 1
(no denial share, no risk cost); delays, costs and capacities stay the parent's.
`DrawnRules` maps a draw onto the parent's derived deliveries without deriving again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from optimizer.domain.derive import Instance
from optimizer.domain.scenarios import Scenario

PERCENTILES = (10, 50, 90, 99)


def drawn_positions(scenario: Scenario) -> np.ndarray:
    """Positions in `scenario.rules` of the rules a sample draws (approval < 1)."""
    return np.flatnonzero(scenario.rules["approval"].to_numpy(float) < 1)


def licence_draws(scenario: Scenario, samples: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The rules with p < 1 and a (samples × rules) boolean matrix: True = approved."""
    rules = scenario.rules
    drawn = rules.iloc[drawn_positions(scenario)].reset_index(drop=True)
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
    positions = drawn_positions(scenario)
    approval = scenario.rules["approval"].to_numpy(float)
    result = []
    for sample in range(samples):
        sampled = approval.copy()
        sampled[positions] = np.where(approved[sample], 1.0, 0.0)
        rules = scenario.rules.assign(approval=sampled)
        name = f"{scenario.name} sample {sample + 1}"
        chain = (*scenario.chain, name)
        draw = tuple(approved[sample].tolist())
        result.append(replace(scenario, name=name, chain=chain, rules=rules, draw=draw))
    columns = [_label(rule, periods) for _, rule in drawn.iterrows()]
    draws = pd.DataFrame(approved.astype(int), columns=columns)
    draws.insert(0, "sample", np.arange(1, samples + 1))
    return result, draws


@dataclass(frozen=True)
class DrawnRules:
    """Which drawn rules are in force for each delivery of a derived scenario.

    Deliveries are grouped by the rules in force for them (`Instance.deliveries.rules`);
    `in_force[g, r]` is True when drawn rule r is one of group g's.
    """

    group: np.ndarray
    """(N,) the group of each delivery"""
    in_force: np.ndarray
    """(G, R) booleans"""

    @classmethod
    def of(cls, instance: Instance) -> DrawnRules:
        """The map of `instance`'s deliveries, for draws of its scenario's rules."""
        drawn = {int(rule): r for r, rule in enumerate(drawn_positions(instance.scenario))}
        codes, groups = pd.factorize(instance.deliveries["rules"], sort=False)
        in_force = np.zeros((len(groups), len(drawn)), dtype=bool)
        for g, rules in enumerate(groups):
            for rule in rules:
                if rule in drawn:
                    in_force[g, drawn[rule]] = True
        return cls(codes.astype(np.int64), in_force)

    def kept(self, draw: tuple[bool, ...]) -> np.ndarray:
        """(N,) True for the deliveries a sample with `draw` keeps: no denied rule is in
        force for them."""
        denied = ~np.asarray(draw, dtype=bool)
        return ~(self.in_force & denied).any(axis=1)[self.group]


def percentiles(values: np.ndarray) -> dict[str, float]:
    """P10, P50, P90, P99 (numpy's linear interpolation), NaN when there is no value."""
    if len(values) == 0:
        return {f"P{q}": float("nan") for q in PERCENTILES}
    found = np.percentile(values, PERCENTILES)
    return {f"P{q}": float(v) for q, v in zip(PERCENTILES, found, strict=True)}
