"""Scenarios are data overrides: the rules in force and demand factor of one scenario.

The rules in force for S are those of its chain base → … → S, where a rule of a
descendant replaces an ancestor's rule with the same key (country, item, end_use),
window included. One scenario may give a key several rows with disjoint windows (a
tariff that steps up on 1 January); a descendant's rows of that key replace them all.
demand_factor multiplies along the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.domain.limits import check_demand_factor
from optimizer.domain.names import canonical, hint
from optimizer.problems import InputError, Problem

RULE_KEY = ["country", "item", "end_use"]


@dataclass(frozen=True)
class Scenario:
    """One scenario, resolved: the rules in force and the demand factor."""

    name: str
    chain: tuple[str, ...]
    rules: pd.DataFrame
    """The Controls rows in force (columns of `Inputs.controls`)."""
    demand_factor: float
    description: str | None = None
    draw: tuple[bool, ...] | None = None
    """A licence sample's draw (`domain.draws`): approved or not, for each rule of its
    parent scenario with approval < 1, in the parent's order; None for other scenarios."""


def scenario_names(inputs: Inputs) -> list[str]:
    """Every scenario of the workbook, base first, in sheet order."""
    return list(inputs.scenarios.index)


def find_scenario(inputs: Inputs, name: str) -> str:
    """The workbook's spelling of a scenario named on the command line."""
    for known in inputs.scenarios.index:
        if canonical(known) == canonical(name):
            return str(known)
    sheet = inputs.sheet("scenarios")
    raise InputError(
        inputs.file,
        [Problem(f"scenario {name!r} is not in {sheet}{hint(name, inputs.scenarios.index)}")],
    )


def chain(inputs: Inputs, name: str) -> tuple[str, ...]:
    """base → … → name, following `parent` (validation guarantees no cycles)."""
    lineage = []
    current: object = name
    while isinstance(current, str):
        lineage.append(current)
        current = inputs.scenarios.at[current, "parent"]
    return tuple(reversed(lineage))


def resolve_scenario(inputs: Inputs, name: str) -> Scenario:
    """The rules in force and the demand factor of scenario `name`."""
    name = find_scenario(inputs, name)
    lineage = chain(inputs, name)
    controls = inputs.controls
    layered = pd.concat(
        [controls[controls["scenario"] == member].assign(depth=depth)
         for depth, member in enumerate(lineage)],
        ignore_index=True,
    )  # fmt: skip
    deepest = layered.groupby(RULE_KEY)["depth"].transform("max")
    rules = layered[layered["depth"] == deepest].drop(columns="depth").reset_index(drop=True)
    factor = 1.0
    for member in lineage:
        factor *= float(inputs.scenarios.at[member, "demand_factor"])
    check_demand_factor(inputs, name, factor)
    description = inputs.scenarios.at[name, "description"]
    return Scenario(
        name, lineage, rules, factor, description if isinstance(description, str) else None
    )
