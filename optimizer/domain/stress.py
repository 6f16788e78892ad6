"""Ad-hoc stress tests: command-line flags that add one scenario without editing the file.

Each flag becomes a rule override with the Controls key (country, item, `*`). A flag on
a key that already has a rule in force changes only its own field (approval, delay,
capacity factor, extra tariff) and keeps the rule's other fields; a new key starts from
the Controls defaults. Flags compose: they all land in one scenario, named after them.

    --ban China:Dy,Tb            approval 0 for Dy and Tb exported from China
    --approval China:*=0.5       approval 0.5 for everything from China
    --delay China:Tb=90          licence review of 90 days
    --capacity Burma:*=0         capacity factor 0 for chains touching Burma
    --tariff China=+0.25         0.25 added to the duty on goods from China
    --demand 1.2                 all demand × 1.2
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.domain.names import canonical, hint
from optimizer.domain.scenarios import RULE_KEY, Scenario
from optimizer.domain.words import ANY, ELEMENTS
from optimizer.problems import InputError, Problem

FIELDS = {
    "ban": "approval",
    "approval": "approval",
    "delay": "delay_days",
    "capacity": "capacity_factor",
    "tariff": "extra_tariff",
}
DEFAULTS = {
    "approval": 1.0,
    "delay_days": 0.0,
    "capacity_factor": 1.0,
    "cost_factor": 1.0,
    "extra_tariff": 0.0,
}
SPEC = re.compile(r"(?P<country>[^:=]+)(?::(?P<items>[^=]+))?(?:=(?P<value>.+))?")


@dataclass(frozen=True)
class Stress:
    """One stress flag as typed: `--approval China:*=0.5` is ("approval", "China:*=0.5")."""

    flag: str
    text: str

    @property
    def label(self) -> str:
        """How the flag appears in the scenario name."""
        return f"{self.flag} {self.text}"


@dataclass(frozen=True)
class Override:
    """One field of one rule, set (or, for tariffs, increased) by a flag."""

    country: str
    item: str
    field: str
    value: float
    increment: bool = False


def _bad(inputs: Inputs, stress: Stress, why: str) -> InputError:
    return InputError(inputs.file, [Problem(f"--{stress.label}: {why}")])


def _number(inputs: Inputs, stress: Stress, text: str | None, low: float, high: float) -> float:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        value = math.nan
    if not (low <= value <= high):
        raise _bad(inputs, stress, f"expected a number between {low:g} and {high:g} after '='")
    return value


def _country(inputs: Inputs, stress: Stress, name: str) -> str:
    for known in inputs.countries.index:
        if canonical(known) == canonical(name):
            return str(known)
    raise _bad(inputs, stress, f"{name!r} is not in Countries{hint(name, inputs.countries.index)}")


def _item(inputs: Inputs, stress: Stress, name: str) -> str:
    if name.strip() == ANY:
        return ANY
    for known in [*ELEMENTS, *inputs.materials.index]:
        if canonical(known) == canonical(name):
            return str(known)
    known = [*ELEMENTS, *inputs.materials.index]
    raise _bad(
        inputs, stress, f"{name.strip()!r} is not an element, a material or '*'{hint(name, known)}"
    )


def parse_stress(inputs: Inputs, stress: Stress) -> list[Override]:
    """The rule overrides one flag stands for; `InputError` naming the flag when wrong."""
    match = SPEC.fullmatch(stress.text.strip())
    if match is None:
        raise _bad(inputs, stress, "expected COUNTRY:ITEMS=VALUE")
    country = _country(inputs, stress, match["country"].strip())
    field = FIELDS[stress.flag]
    if stress.flag == "tariff":
        if match["items"] is not None:
            raise _bad(inputs, stress, "a tariff applies to a whole country: use COUNTRY=+RATE")
        rate = _number(inputs, stress, match["value"], -1.0, 10.0)
        return [Override(country, ANY, field, rate, increment=True)]
    if match["items"] is None:
        raise _bad(
            inputs, stress, "expected COUNTRY:ITEMS (items: element symbols, materials or *)"
        )
    items = [_item(inputs, stress, part) for part in match["items"].split(",") if part.strip()]
    if stress.flag == "ban":
        if match["value"] is not None:
            raise _bad(inputs, stress, "a ban takes no value: use COUNTRY:ITEMS")
        value = 0.0
    else:
        high = 1.0 if field == "approval" else (3650.0 if field == "delay_days" else 1e6)
        value = _number(inputs, stress, match["value"], 0.0, high)
    return [Override(country, item, field, value) for item in items]


def apply_stress(
    inputs: Inputs, base: Scenario, stresses: list[Stress], demand_factor: float = 1.0
) -> Scenario:
    """`base` plus the flags' overrides, named after the flags (`base + ban China:Dy`)."""
    rules = base.rules.copy()
    for stress in stresses:
        for override in parse_stress(inputs, stress):
            rules = _override(rules, override, base.name)
    labels = [stress.label for stress in stresses]
    if demand_factor != 1.0:
        labels.append(f"demand {demand_factor:g}")
    name = " + ".join([base.name, *labels])
    return replace(
        base,
        name=name,
        chain=(*base.chain, name),
        rules=rules.reset_index(drop=True),
        demand_factor=base.demand_factor * demand_factor,
        description="ad-hoc stress test from the command line",
    )


def _override(rules: pd.DataFrame, override: Override, scenario: str) -> pd.DataFrame:
    key = (override.country, override.item, ANY)
    match = (rules[RULE_KEY] == pd.Series(key, index=RULE_KEY)).all(axis=1)
    if match.any():
        index = rules.index[match][0]
        current = float(rules.at[index, override.field])
        rules = rules.copy()
        rules.at[index, override.field] = (
            current + override.value if override.increment else override.value
        )
        return rules
    row = {
        "scenario": scenario,
        "country": override.country,
        "item": override.item,
        "end_use": ANY,
        **DEFAULTS,
        "row": None,
    }
    row[override.field] = override.value
    return pd.concat([rules, pd.DataFrame([row])], ignore_index=True)
