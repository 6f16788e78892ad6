"""Variants of a derived instance: every model reopt solves besides a workbook's scenarios.

`vary(instance, change)` is the one way to one: a scenario with other rules (a stress
test, a descendant) is derived from the workbook (`derive`); a licence draw of the
instance's own scenario is derived from the instance (`domain.draws`, no new derive:
only approvals and what follows from them change); new model data (a stated relaxation
of a limit, `plan.savings`) replaces the instance's. The licensing and risk terms of
every variant come from `domain.terms`.
"""

from __future__ import annotations

import dataclasses
import weakref

from models.data import ModelData
from optimizer.domain.derive import Instance, derive
from optimizer.domain.draws import LicenceSamples
from optimizer.domain.scenarios import Scenario

_SAMPLES: dict[int, LicenceSamples] = {}


def _samples(instance: Instance) -> LicenceSamples:
    """The draw machinery of `instance`, kept while `instance` lives."""
    key = id(instance)
    found = _SAMPLES.get(key)
    if found is None:
        found = _SAMPLES[key] = LicenceSamples(instance)
        weakref.finalize(instance, _SAMPLES.pop, key, None)
    return found


def is_draw_of(instance: Instance, scenario: Scenario) -> bool:
    """Whether `scenario` is a licence draw of `instance`'s own scenario."""
    parent = instance.scenario
    return (
        scenario.draw is not None
        and scenario.chain[:-1] == parent.chain
        and scenario.demand_factor == parent.demand_factor
        and len(scenario.rules) == len(parent.rules)
    )


def vary(instance: Instance, change: Scenario | ModelData) -> Instance:
    """The derived instance of a variant of `instance`: another scenario, a licence draw
    of its own, or its model with other data."""
    if isinstance(change, ModelData):
        return dataclasses.replace(instance, data=change)
    if is_draw_of(instance, change):
        return _samples(instance).instance(change)
    return derive(instance.inputs, change)
