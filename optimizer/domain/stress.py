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

Any flag but --demand may end with `@PERIOD`: the measure starts in that period
(`--ban China:Dy,Tb@2028-01`). Before it, the rules in force stay as they are; from it
on, the flag's field is set in every rule of the key (whose window is cut at PERIOD),
and periods no rule of the key covers get a new rule with the Controls defaults.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
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
SPEC = re.compile(
    r"(?P<country>[^:=@]+)(?::(?P<items>[^=@]+))?(?:=(?P<value>[^@]+))?(?:@(?P<period>.+))?"
)


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
    start: int = 0
    """0-based period from which the flag is in force"""


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


def _period(inputs: Inputs, stress: Stress, label: str | None) -> int:
    if label is None:
        return 0
    for index, known in enumerate(inputs.periods):
        if canonical(known) == canonical(label):
            return index
    raise _bad(inputs, stress, f"{label.strip()!r} is not in Periods{hint(label, inputs.periods)}")


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
    start = _period(inputs, stress, match["period"])
    field = FIELDS[stress.flag]
    if stress.flag == "tariff":
        if match["items"] is not None:
            raise _bad(inputs, stress, "a tariff applies to a whole country: use COUNTRY=+RATE")
        rate = _number(inputs, stress, match["value"], -1.0, 10.0)
        return [Override(country, ANY, field, rate, increment=True, start=start)]
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
    return [Override(country, item, field, value, start=start) for item in items]


def apply_stress(
    inputs: Inputs, base: Scenario, stresses: list[Stress], demand_factor: float = 1.0
) -> Scenario:
    """`base` plus the flags' overrides, named after the flags (`base + ban China:Dy`)."""
    rules = base.rules.copy()
    for stress in stresses:
        for override in parse_stress(inputs, stress):
            rules = _override(rules, override, base.name, len(inputs.periods))
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


def _uncovered(rules: pd.DataFrame, start: int, periods: int) -> Iterator[tuple[int, int]]:
    """Runs (first, last) of periods start..T−1 that no window of `rules` covers."""
    covered = np.zeros(periods + 1, dtype=bool)
    covered[:start] = True
    covered[periods] = True
    for first, last in zip(rules["from_t"], rules["to_t"], strict=True):
        covered[int(first) : int(last) + 1] = True
    edges = np.flatnonzero(np.diff(np.concatenate([[True], covered]).astype(np.int8)))
    yield from ((int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True))


def _override(rules: pd.DataFrame, override: Override, scenario: str, periods: int) -> pd.DataFrame:
    """The rules with `override` applied from its start period on."""
    key = (override.country, override.item, ANY)
    match = (rules[RULE_KEY] == pd.Series(key, index=RULE_KEY)).all(axis=1)
    same = rules[match]
    before = same[same["from_t"] < override.start]
    before = before.assign(to_t=before["to_t"].clip(upper=override.start - 1))
    after = same[same["to_t"] >= override.start]
    after = after.assign(from_t=after["from_t"].clip(lower=override.start))
    value = after[override.field] + override.value if override.increment else override.value
    after = after.assign(**{override.field: value})
    new = {"scenario": scenario, "country": override.country, "item": override.item,
           "end_use": ANY, **DEFAULTS, "row": None}  # fmt: skip
    new[override.field] = override.value
    added = pd.DataFrame(
        [{**new, "from_t": first, "to_t": last}
         for first, last in _uncovered(after, override.start, periods)],
        columns=rules.columns,
    )  # fmt: skip
    parts = [frame for frame in (rules[~match], before, after, added) if not frame.empty]
    return pd.concat(parts, ignore_index=True) if parts else rules
