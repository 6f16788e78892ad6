"""How large the numbers of a workbook may be, as read and as combined (inputs/README.md, Limits).

Every number cell is finite and at most `MAX_AMOUNT` in size (money, quantities, rates,
factors); lead times and delays are at most `MAX_DAYS`; period_days is at least
`MIN_PERIOD_DAYS`. Values that combine are checked again where they combine, so the
model never sees inf or nan and no coefficient reaches HiGHS's infinity (1e20):
the demand_factor chain of a scenario and the demand it scales, the landed cost per t
(unit_cost × Π cost_factor × (1 + tariff + Σ extra_tariff) + freight), the risk cost
per t (risk_weight × disruption_cost) and the scenario capacity (capacity × Π
capacity_factor). Each violation is a located input error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.problems import InputError, Problem

MAX_AMOUNT = 1e12
"""Largest size of any number cell and of any derived quantity or cost per t."""
MAX_DAYS = 10_000.0
"""Largest lead_time (periods), delay_days and period_days."""
MIN_PERIOD_DAYS = 1e-3
"""Smallest period_days (a denormal length would make every delay infinite)."""
COLUMN_LIMITS = {"lead_time": MAX_DAYS, "delay_days": MAX_DAYS, "period_days": MAX_DAYS}
"""Columns (and settings) with a tighter limit than `MAX_AMOUNT`."""


def largest(column: str) -> float:
    """The largest size a number in `column` may have."""
    return COLUMN_LIMITS.get(column, MAX_AMOUNT)


def limit_error(column: str, value: float) -> str | None:
    """Why `value` is outside the documented range of `column`, or None."""
    bound = largest(column)
    if not np.isfinite(value) or abs(value) > bound:
        return f"is larger than {bound:g}, the largest {column} reopt accepts (see Limits)"
    if column == "period_days" and 0 < value < MIN_PERIOD_DAYS:
        return f"is smaller than {MIN_PERIOD_DAYS:g}, the shortest period_days reopt accepts"
    return None


def _too_large(values: pd.Series | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return ~np.isfinite(array) | (np.abs(array) > MAX_AMOUNT)


def _scenario_problem(inputs: Inputs, name: str, what: str, value: float) -> Problem:
    """A problem located at the Scenarios row of scenario `name` (none for an implicit base)."""
    row = inputs.scenarios.at[name, "row"] if name in inputs.scenarios.index else None
    return Problem(
        f"{what} of scenario {name!r} comes to {value:g}, larger than {MAX_AMOUNT:g} (see Limits)",
        sheet=inputs.sheet("scenarios"),
        row=None if row is None or pd.isna(row) else int(row),
        column="demand_factor",
    )


def check_demand_factor(inputs: Inputs, name: str, factor: float) -> None:
    """The demand_factor chain of scenario `name` must multiply to at most MAX_AMOUNT."""
    if _too_large(np.array([factor])).any():
        what = "the demand_factor chain (the product along its parents)"
        raise InputError(inputs.file, [_scenario_problem(inputs, name, what, factor)])


def _pair_problem(inputs: Inputs, pair: Any, what: str, value: float) -> Problem:
    """A located problem for one offer-site pair (a row of derive's pairs table): the
    Controls rule if one applies."""
    rules = pair.rule_rows if isinstance(pair.rule_rows, tuple) else ()
    text = (
        f"{what} of {pair.supplier} / {pair.material} to {pair.site} "
        f"comes to {value:g}, larger than {MAX_AMOUNT:g} (see Limits)"
    )
    if rules:
        return Problem(text, sheet=inputs.sheet("controls"), row=min(rules))
    row = inputs.offers.at[pair.offer, "row"]
    return Problem(text, sheet=inputs.sheet("suppliers"), row=int(row))


def combined_problems(
    inputs: Inputs, scenario_name: str, demand: np.ndarray, pairs: pd.DataFrame
) -> list[Problem]:
    """Derived demand, landed cost, risk cost and capacity beyond MAX_AMOUNT, located."""
    problems = []
    if _too_large(demand).any():
        peak = float(np.max(np.abs(demand)))
        problems.append(_scenario_problem(inputs, scenario_name, "demand × demand_factor", peak))
    checks = (
        (
            "the landed cost per t (unit_cost × cost_factor × (1 + tariff) + freight)",
            "landed_per_t",
        ),
        ("the risk cost per t (risk_weight × disruption_cost)", "risk_per_t"),
        ("the capacity (capacity × capacity_factor)", "cap"),
    )
    for what, column in checks:
        bad = pairs[_too_large(pairs[column])].drop_duplicates(subset=["offer"])
        problems += [
            _pair_problem(inputs, pair, what, getattr(pair, column))
            for pair in bad.head(5).itertuples()
        ]
    return problems


def check_combined(
    inputs: Inputs, scenario_name: str, demand: np.ndarray, pairs: pd.DataFrame
) -> None:
    """Raise `InputError` when a combination of in-range numbers leaves the range."""
    problems = combined_problems(inputs, scenario_name, demand, pairs)
    if problems:
        raise InputError(inputs.file, problems)
