"""Conversion at the buyer's sites (SPEC §8): Recipes and RecipeItems.

A recipe names its site, its cost per run, a capacity in runs per period, a lead time
from start to output and a window of start periods; its items say what one run consumes
(`input`) and yields (`output`), one row per material. Chains of recipes, cycles
included, are allowed; a recipe may not consume what it makes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain.names import Names
from optimizer.problems import Problems
from optimizer.workbook.rules.common import Periods, declared, first_time, frame, given, ref
from optimizer.workbook.tables import Table

RECIPE_COLUMNS = [
    "recipe", "site", "cost", "capacity", "lead_time", "first", "last", "description", "row",
]  # fmt: skip
ITEM_COLUMNS = ["recipe", "material", "input", "output", "row"]


def recipes_from(
    table: Table, sites: Names, periods: Periods, problems: Problems
) -> tuple[pd.DataFrame, Names]:
    """Recipes indexed by name: site resolved, blanks filled, the window of start periods
    as 0-based positions (open ends filled)."""
    names = Names(table.sheet)
    records = []
    for row in table.rows:
        site = ref(sites, table, row, "site", problems)
        first = periods.index(table, row, "available_from", problems)
        last = periods.index(table, row, "available_to", problems)
        name = declared(names, table, row, "recipe", problems)
        if name is None or site is None:
            continue
        if first is not None and last is not None and first > last:
            problems.add(
                f"is after available_to {periods.labels[last]!r}: the recipe can never run",
                value=row.get("available_from"),
                **table.where(row, "available_from"),
            )
            continue
        records.append(
            {
                "recipe": name,
                "site": site,
                "cost": given(row.get("cost"), 0.0),
                "capacity": given(row.get("capacity"), np.nan),
                "lead_time": int(row.get("lead_time") or 0),
                "first": given(first, 0),
                "last": given(last, len(periods.labels) - 1),
                "description": row.get("description"),
                "row": row["_row"],
            }
        )
    return frame(records, RECIPE_COLUMNS, "recipe"), names


def recipe_items_from(
    table: Table, recipes: Names, materials: Names, recipe_table: Table, problems: Problems
) -> pd.DataFrame:
    """One row per (recipe, material): what one run consumes or yields. A repeated pair, a
    row with both or neither of input and output, and a recipe with no output (or no item
    at all) are errors, located at the row (or at the recipe's row in Recipes)."""
    records = []
    seen: dict[tuple[str, str], object] = {}
    for row in table.rows:
        recipe = ref(recipes, table, row, "recipe", problems)
        material = ref(materials, table, row, "material", problems)
        if recipe is None or material is None:
            continue
        what = f"repeats {material} in recipe {recipe}; a material is one row of a recipe"
        if not first_time(seen, (recipe, material), what, table, row, "material", problems):
            continue
        used, made = given(row.get("input"), 0.0), given(row.get("output"), 0.0)
        if (used > 0) == (made > 0):
            problems.add(
                "gives both an input and an output: a recipe may not consume what it makes"
                if used > 0
                else "gives neither an input nor an output: give one of them, or delete the row",
                **table.where(row, "input"),
            )
            continue
        records.append(
            {"recipe": recipe, "material": material, "input": used, "output": made,
             "row": row["_row"]}
        )  # fmt: skip
    items = frame(records, ITEM_COLUMNS)
    _without_output(items, recipes, recipe_table, problems)
    return items


def _without_output(
    items: pd.DataFrame, recipes: Names, recipe_table: Table, problems: Problems
) -> None:
    """A recipe must yield something: an error at its Recipes row otherwise."""
    making = set(items.loc[items["output"] > 0, "recipe"])
    listed = set(items["recipe"])
    for row in recipe_table.rows:
        recipe = recipes.get(str(row.get("recipe") or ""))
        if recipe is None or recipe in making:
            continue
        making.add(recipe)  # one error per recipe, at its first row
        why = "has no output in RecipeItems" if recipe in listed else "has no row in RecipeItems"
        problems.add(
            f"{why}: give at least one material with an output > 0",
            value=row.get("recipe"),
            **recipe_table.where(row, "recipe"),
        )
