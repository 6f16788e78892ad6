"""Monte Carlo licence sweeps: draw which licensed rules are approved, then summarise.

In each sample every rule in force with approval p < 1 is drawn independently:
approved (approval 1) with probability p, else denied (approval 0). Draws come from
numpy's PCG64 generator seeded with `--seed`, all made up front in one process, so the
same seed gives the same samples whatever the number of workers.

A draw changes approvals only, so a sample's deliveries are those of its parent
scenario (the *envelope*) that no denied rule is in force for, each with approval 1
(no denial share, no risk cost); delays, costs and capacities stay the parent's.
`LicenceSamples` derives a sample from its parent's derived instance, not from the workbook.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from models.data import restrict
from optimizer.domain.derive import Instance
from optimizer.domain.scenarios import Scenario
from optimizer.domain.terms import licensed, risk_per_t

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
class RuleGroups:
    """Rows of a derived table (deliveries or pairs) grouped by the rules in force for
    them (their `rules` column: positions in the scenario's rules)."""

    group: np.ndarray
    """(rows,) the group of each row"""
    in_force: np.ndarray
    """(groups, rules) True where the rule is in force for the group"""

    @classmethod
    def of(cls, rules: pd.Series, count: int) -> RuleGroups:
        """The groups of a `rules` column, over `count` rules."""
        codes, groups = pd.factorize(rules, sort=False)
        in_force = np.zeros((len(groups), count), dtype=bool)
        for g, members in enumerate(groups):
            in_force[g, list(members)] = True
        return cls(codes.astype(np.int64), in_force)

    def product(self, values: np.ndarray) -> np.ndarray:
        """Per row, the product of `values` (one per rule) over its rules in force; exact
        for a draw's approvals, which are 0 or 1 wherever they are not the parent's."""
        return np.where(self.in_force, values[None, :], 1.0).prod(axis=1)[self.group]

    def countries(self, licensing: np.ndarray, country: np.ndarray) -> np.ndarray:
        """Per row, the countries of its rules in force where `licensing`, as derive
        writes them (sorted, comma separated)."""
        named = [
            ", ".join(sorted(set(country[self.in_force[g] & licensing].tolist())))
            for g in range(len(self.in_force))
        ]
        return np.asarray(named, dtype=object)[self.group]


class LicenceSamples:
    """A scenario's licence samples derived from the scenario's own derived instance.

    A sample's rules are its parent's with some approvals set to 0 or 1 (`sample_scenarios`),
    and approvals change nothing in derive but p and what follows from it: which
    deliveries exist (p > 0), the denial share 1 − p, the risk cost λ·(1 − p)·disruption,
    the licensed flag and the jurisdictions of the licensing rules. So a sample is its
    parent's instance with those recomputed and the deliveries with p = 0 removed.
    """

    def __init__(self, instance: Instance) -> None:
        self.parent = instance
        count = len(instance.scenario.rules)
        self.deliveries = RuleGroups.of(instance.deliveries["rules"], count)
        self.pairs = RuleGroups.of(instance.pairs["rules"], count)

    def kept(self, scenario: Scenario) -> np.ndarray:
        """(N,) True for the parent's deliveries the sample keeps (p > 0)."""
        return self.deliveries.product(scenario.rules["approval"].to_numpy(float)) > 0

    def _terms(self, table: pd.DataFrame, groups: RuleGroups, scenario: Scenario) -> pd.DataFrame:
        """`table` (deliveries or pairs) with the sample's approval and what follows."""
        rules, inputs = scenario.rules, self.parent.inputs
        approval = groups.product(rules["approval"].to_numpy(float))
        licensing = licensed(rules["approval"], rules["delay_days"])
        return table.assign(
            approval=approval,
            licensed=licensed(approval, table["delay_days"]),
            risk_per_t=risk_per_t(inputs, table["material"], approval),
            jurisdictions=groups.countries(licensing, rules["country"].to_numpy()),
        )

    def instance(self, scenario: Scenario) -> Instance:
        """The sample's instance: `derive(inputs, scenario)` without its warnings (an offer
        a draw leaves unused is the draw's outcome, not a workbook problem)."""
        parent = self.parent
        deliveries = self._terms(parent.deliveries, self.deliveries, scenario)
        kept = deliveries["approval"].to_numpy() > 0
        deliveries = deliveries[kept].reset_index(drop=True)
        data = restrict(parent.data, kept)
        data = replace(
            data,
            risk_cost_per_t=deliveries["risk_per_t"].to_numpy(float),
            denial_share=(1 - deliveries["approval"]).to_numpy(float),
        )
        pairs = self._terms(parent.pairs, self.pairs, scenario)
        return replace(
            parent, scenario=scenario, data=data, deliveries=deliveries, pairs=pairs, warnings=[]
        )


def percentiles(values: np.ndarray) -> dict[str, float]:
    """P10, P50, P90, P99 (numpy's linear interpolation), NaN when there is no value."""
    if len(values) == 0:
        return {f"P{q}": float("nan") for q in PERCENTILES}
    found = np.percentile(values, PERCENTILES)
    return {f"P{q}": float(v) for q, v in zip(PERCENTILES, found, strict=True)}
