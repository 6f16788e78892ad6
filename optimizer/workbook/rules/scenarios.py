"""Scenarios (a tree rooted at `base`) and Controls (the trade rules scenarios apply)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Inputs
from optimizer.domain.names import Names, Row, canonical, hint
from optimizer.domain.words import ANY, BASE, ELEMENTS, SYMBOLS
from optimizer.problems import Problem, Problems
from optimizer.workbook.rules.common import Periods, frame, given, ref
from optimizer.workbook.tables import Table

CONTROL_COLUMNS = [
    "scenario", "country", "item", "end_use", "approval", "delay_days", "capacity_factor",
    "cost_factor", "extra_tariff", "from_t", "to_t", "min_content", "row",
]  # fmt: skip


def scenarios_from(table: Table, problems: Problems) -> tuple[pd.DataFrame, Names]:
    """Scenarios indexed by name, `base` always first; parents resolved, cycles broken."""
    scenarios = Names(table.sheet)
    base_row: Row = {"_row": None}
    scenarios.display[BASE] = BASE
    records = {
        BASE: {
            "parent": None,
            "demand_factor": 1.0,
            "probability": math.nan,
            "description": None,
            "row": None,
        }
    }
    for row in table.rows:
        name = row.get("scenario")
        if name is None:
            continue
        if canonical(name) == BASE:
            if BASE in records and records[BASE]["row"] is not None:
                problems.add(
                    f"is listed twice (first in row {records[BASE]['row']})",
                    value=name,
                    **table.where(row, "scenario"),
                )
                continue
            base_row = row
        elif not scenarios.declare(str(name), table, row, "scenario", problems):
            continue
        records[scenarios.get(str(name)) or BASE] = {
            "parent": row.get("parent"),
            "demand_factor": given(row.get("demand_factor"), 1.0),
            "probability": given(row.get("probability"), math.nan),
            "description": row.get("description"),
            "row": row["_row"],
        }
    by_row = {row["_row"]: row for row in table.rows}
    _resolve_parents(
        records, scenarios, table, by_row.get(records[BASE]["row"], base_row), problems
    )
    _break_cycles(records, table, by_row, problems)
    result = pd.DataFrame.from_dict(records, orient="index")
    result.index.name = "scenario"
    return result, scenarios


def _resolve_parents(
    records: dict, scenarios: Names, table: Table, base_row: Row, problems: Problems
) -> None:
    """Each scenario's parent as declared (`base` when blank); base has none."""
    by_row = {row["_row"]: row for row in table.rows}
    for name, record in records.items():
        row = by_row.get(record["row"], base_row)
        parent = record["parent"]
        if name == BASE:
            if parent is not None and canonical(parent) != BASE:
                problems.add(
                    "base is the root scenario and cannot have a parent",
                    value=parent,
                    **table.where(row, "parent"),
                )
            record["parent"] = None
            continue
        record["parent"] = (
            BASE if parent is None else ref(scenarios, table, row, "parent", problems)
        )


def _break_cycles(records: dict, table: Table, by_row: dict, problems: Problems) -> None:
    """Report each cycle of parents once and cut it (its members get no parent)."""
    reported: set[str] = set()
    for start in records:
        chain, name = [], start
        while name is not None and name not in chain:
            chain.append(name)
            name = records.get(name, {}).get("parent")
        if name is None or name in reported:
            continue
        cycle = chain[chain.index(name) :]
        reported.update(cycle)
        row = by_row[records[name]["row"]]
        problems.add(
            "scenario parents form a cycle: " + " → ".join([*cycle, name]),
            value=records[name]["parent"],
            **table.where(row, "parent"),
        )
        for member in cycle:
            records[member]["parent"] = None


def controls_from(
    table: Table,
    scenarios: Names,
    countries: Names,
    materials: Names,
    end_uses: Names,
    periods: Periods,
    problems: Problems,
) -> pd.DataFrame:
    """Rules with names resolved, blanks filled and in-force windows as period positions.

    Rows of one (scenario, country, item, end_use) rule must have disjoint windows.
    """
    records = []
    windows: dict[tuple, list[tuple[int, int, int]]] = {}
    for row in table.rows:
        scenario: str | None = BASE
        if row.get("scenario") is not None:
            scenario = ref(scenarios, table, row, "scenario", problems)
        country = ref(countries, table, row, "country", problems)
        item = _item(row, table, materials, problems)
        end_use = _rule_end_use(row, table, end_uses, problems)
        _general_capacity_factor(row, table, end_use, problems)
        window = _rule_window(row, table, periods, problems)
        if scenario is None or country is None or item is None or window is None:
            continue
        key = (scenario, country, item, end_use)
        if _overlaps(windows.setdefault(key, []), key, window, row, table, problems):
            continue
        records.append(
            {
                "scenario": scenario,
                "country": country,
                "item": item,
                "end_use": end_use,
                **{column: given(row.get(column), default) for column, default in RULE_DEFAULTS},
                "from_t": window[0],
                "to_t": window[1],
                "min_content": given(row.get("min_content"), np.nan),
                "row": row["_row"],
            }
        )
    return frame(records, CONTROL_COLUMNS)


RULE_DEFAULTS = (
    ("approval", 1.0), ("delay_days", 0.0), ("capacity_factor", 1.0), ("cost_factor", 1.0),
    ("extra_tariff", 0.0),
)  # fmt: skip
"""The measure columns of a rule and what a blank cell means."""


def _general_capacity_factor(row: Row, table: Table, end_use: str, problems: Problems) -> None:
    """A capacity factor needs end_use `*`: capacity is not split by end use."""
    factor = row.get("capacity_factor")
    if factor is not None and factor != 1 and end_use != ANY:
        problems.add(
            "capacity_factor is only allowed on a rule with end_use '*' "
            "(capacity is not split by end use)",
            value=factor,
            **table.where(row, "capacity_factor"),
        )


def _overlaps(
    earlier: list[tuple[int, int, int]],
    key: tuple,
    window: tuple[int, int],
    row: Row,
    table: Table,
    problems: Problems,
) -> bool:
    """Whether the row's window overlaps an earlier row of the same rule (an error);
    else the window is recorded."""
    clash = [r for first, last, r in earlier if first <= window[1] and window[0] <= last]
    if clash:
        scenario, country, item, end_use = key
        problems.add(
            f"repeats the rule ({country}, {item}, {end_use}) of scenario {scenario} "
            f"in overlapping periods (first in row {clash[0]}); rows of one rule need "
            "disjoint from_period … to_period windows",
            value=row.get("country"),
            **table.where(row, "country"),
        )
        return True
    earlier.append((*window, row["_row"]))
    return False


def _rule_window(
    row: Row, table: Table, periods: Periods, problems: Problems
) -> tuple[int, int] | None:
    """(from_t, to_t): the 0-based periods a rule is in force, open ends filled."""
    start = periods.index(table, row, "from_period", problems)
    end = periods.index(table, row, "to_period", problems)
    if (row.get("from_period") is not None and start is None) or (
        row.get("to_period") is not None and end is None
    ):
        return None
    if start is not None and end is not None and start > end:
        problems.add(
            f"is after to_period {periods.labels[end]!r}: the rule is never in force",
            value=row.get("from_period"),
            **table.where(row, "from_period"),
        )
        return None
    return (0 if start is None else start), (len(periods.labels) - 1 if end is None else end)


def _rule_end_use(row: Row, table: Table, end_uses: Names, problems: Problems) -> str:
    """The rule's end_use; a label no site carries is kept, with a warning (SPEC v2)."""
    label = row.get("end_use")
    if label is None or label == ANY:
        return ANY
    known = end_uses.get(str(label))
    if known is not None:
        return known
    problems.warn(
        "is an end_use no site carries: the rule matches no site of this workbook"
        f"{hint(str(label), end_uses.display.values())}",
        value=label,
        **table.where(row, "end_use"),
    )
    return str(label)


def _item(row: Row, table: Table, materials: Names, problems: Problems) -> str | None:
    """The rule's item: '*', an element symbol or a material; None (an error) otherwise."""
    item = row.get("item")
    if item is None or item == ANY:
        return ANY
    symbol = SYMBOLS.get(str(item).casefold())
    material = materials.get(str(item))
    if symbol is None and material is None:
        known = list(ELEMENTS) + list(materials.display.values())
        problems.add(
            f"is not an element symbol, a material or '*'{hint(str(item), known)}",
            value=item,
            **table.where(row, "item"),
        )
        return None
    return material or symbol


PROBABILITY_TOLERANCE = 1e-6
"""How far the probabilities of the robust plan's scenarios may add up from 1."""


def robust_probability_problems(
    inputs: Inputs, names: list[str], given: np.ndarray
) -> list[Problem]:
    """The probabilities of the robust plan's scenarios (SPEC §6): blank and filled mixed,
    a probability of 0, or a total other than 1 (within `PROBABILITY_TOLERANCE`)."""
    table, sheet = inputs.scenarios, inputs.sheet("scenarios")
    filled = ~np.isnan(given)

    def at(name: str, message: str, value: object) -> Problem:
        row = table.at[name, "row"]
        return Problem(
            message,
            sheet=sheet,
            row=None if pd.isna(row) else int(row),
            column="probability",
            value=value,
        )

    if filled.any() and not filled.all():
        have = ", ".join(n for n, f in zip(names, filled, strict=True) if f)
        return [
            at(
                name,
                f"scenario {name} has no probability while {have} has one: give every "
                "scenario of the robust plan a probability, or none",
                None,
            )
            for name, f in zip(names, filled, strict=True)
            if not f
        ]
    if not filled.any():
        return []
    problems = [
        at(name, f"scenario {name} is in the robust plan, so its probability must be > 0", p)
        for name, p in zip(names, given.tolist(), strict=True)
        if p <= 0
    ]
    total = float(given.sum())
    if not problems and abs(total - 1) > PROBABILITY_TOLERANCE:
        listed = " + ".join(f"{p:g}" for p in given.tolist())
        problems.append(
            at(
                names[-1],
                f"the probabilities of the robust plan's scenarios ({', '.join(names)}) add "
                f"up to {listed} = {total:g}; they must add up to 1",
                float(given[-1]),
            )
        )
    return problems
