"""What a plan makes and what it holds of each element (SPEC v3 §4, §8).

Production: per recipe and start period, the runs, what they consume and make (each
material, with the period it is ready) and the conversion cost. Elements: the t of each
rare-earth element in every flow (content × tonnes): bought, made and consumed by runs,
demanded, held; and per element and country, bought through chains touching it and
expected to be denied. Make or buy: per material a recipe makes, t bought and t made.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.grouping import positions_within
from optimizer.domain.derive import Instance
from optimizer.domain.words import CHAIN, ELEMENTS
from optimizer.plan.values import NOISE, Values, flows

PRODUCTION_COLUMNS = [
    "recipe", "site", "start_period", "ready_period", "runs", "run_capacity", "utilisation",
    "material", "consumed_t", "made_t", "conversion_cost",
]  # fmt: skip


def production(instance: Instance, values: Values) -> pd.DataFrame:
    """One row per (run, item) of every run with n > 0: the recipe, site, start and ready
    periods on every row, each material consumed or made, and the run's own figures
    (runs, capacity used, conversion cost) on its first row only, so that they add up."""
    data, inputs = instance.data, instance.inputs
    periods, recipes, items = np.asarray(inputs.periods), inputs.recipes, inputs.recipe_items
    used = np.flatnonzero(values.runs > NOISE)
    recipe, start, runs = data.run_recipe[used], data.run_period[used], values.runs[used]
    of_item = recipes.index.get_indexer(items["recipe"])
    order = np.argsort(of_item, kind="stable")  # each recipe's items, in sheet order
    count = np.bincount(of_item, minlength=len(recipes))
    first_item = np.concatenate([[0], np.cumsum(count)[:-1]])
    per_run = count[recipe]
    run = np.repeat(np.arange(len(used)), per_run)  # the run of each row
    nth = positions_within(per_run)
    item = order[first_item[recipe][run] + nth]
    capacity = data.recipe_capacity[recipe]
    finite = np.isfinite(capacity)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(finite & (capacity > 0), runs / capacity, np.nan)
    first = nth == 0

    def head(values_per_run: np.ndarray) -> np.ndarray:
        return np.where(first, values_per_run[run], np.nan)

    table = {
        "recipe": recipes.index.to_numpy()[recipe][run],
        "site": recipes["site"].to_numpy()[recipe][run],
        "start_period": periods[start][run],
        "ready_period": periods[start + data.recipe_lead[recipe]][run],
        "runs": head(runs),
        "run_capacity": head(np.where(finite, capacity, np.nan)),
        "utilisation": head(utilisation),
        "material": items["material"].to_numpy()[item],
        "consumed_t": runs[run] * items["input"].to_numpy(float)[item],
        "made_t": runs[run] * items["output"].to_numpy(float)[item],
        "conversion_cost": head(runs * data.recipe_cost[recipe]),
    }
    return pd.DataFrame(table, columns=PRODUCTION_COLUMNS)


def make_or_buy(instance: Instance, values: Values) -> pd.DataFrame:
    """Per material some recipe makes (Materials order): t bought, t made by the buyer's
    runs, the share made."""
    data, materials = instance.data, instance.inputs.materials.index
    bought = np.bincount(data.material, values.buy, len(materials))
    made, _ = flows(data, values.runs)
    point_material = pd.Categorical(instance.points["material"], categories=materials).codes
    made_by = np.bincount(point_material, made.sum(axis=1), len(materials))
    table = pd.DataFrame({"material": materials, "bought_t": bought, "made_t": made_by})
    items = instance.inputs.recipe_items
    makeable = table["material"].isin(items.loc[items["output"] > 0, "material"])
    table = table[makeable & ((table["bought_t"] > NOISE) | (table["made_t"] > NOISE))]
    total = table["bought_t"] + table["made_t"]
    return table.assign(made_share=table["made_t"] / total).reset_index(drop=True)


def _content(instance: Instance) -> np.ndarray:
    """(materials, elements): the mass share of each element in one t of each material."""
    materials = instance.inputs.materials
    content = np.zeros((len(materials), len(ELEMENTS)))
    column = {symbol: e for e, symbol in enumerate(ELEMENTS)}
    for m, shares in enumerate(materials["content"].tolist()):
        for symbol, share in (shares or {}).items():
            content[m, column[symbol]] = share
    return content


def has_content(instance: Instance) -> bool:
    """Whether some material gives its element content (the Elements sheet is written)."""
    return bool(_content(instance).any())


def elements(instance: Instance, values: Values) -> pd.DataFrame:
    """Per element and period: t of the element bought, made, consumed, demanded, held."""
    data, periods = instance.data, instance.inputs.periods
    content = _content(instance)
    point_material = pd.Categorical(
        instance.points["material"], categories=instance.inputs.materials.index
    ).codes
    bought = np.zeros((len(periods), len(ELEMENTS)))
    np.add.at(bought, data.period, values.buy[:, None] * content[data.material])
    made, consumed = flows(data, values.runs)
    at_points = content[point_material]
    measures = {
        "bought_t": bought,
        "made_t": made.T @ at_points,
        "consumed_t": consumed.T @ at_points,
        "demand_t": data.demand_t.T @ at_points,
        "held_t": values.stock.T @ at_points,
    }
    used = [e for e in range(len(ELEMENTS)) if content[:, e].any()]
    rows = [
        {"element": ELEMENTS[e], "period": periods[t],
         **{name: float(grid[t, e]) for name, grid in measures.items()}}
        for e in used for t in range(len(periods))
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["element", "period", *measures])


def element_countries(instance: Instance, values: Values) -> pd.DataFrame:
    """Per element and country of a chain it was bought through: t bought through chains
    touching the country, t expected to be denied there, and whether the country is
    covered (SPEC §1) or licenses the element (a rule with approval < 1 or a delay)."""
    content = _content(instance)
    deliveries = instance.deliveries
    bought = values.buy > NOISE
    if not bought.any() or not content.any():
        return pd.DataFrame(columns=["element", "country", "covered", "licensing", "bought_t",
                                     "expected_denied_t"])  # fmt: skip
    x = values.buy[bought]
    amount = x[:, None] * content[instance.data.material[bought]]
    denied = ((1 - deliveries["approval"].to_numpy(float)[bought]) * x)[:, None] * content[
        instance.data.material[bought]
    ]
    chosen = deliveries[bought].reset_index(drop=True)
    chains = np.stack([chosen[c].to_numpy(object) for c in CHAIN])
    jurisdictions = chosen["jurisdictions"].str.split(", ").tolist()
    rows = []
    countries = instance.inputs.countries
    for country in countries.index:
        touching = (chains == country).any(axis=0)
        licensing = np.fromiter((country in found for found in jurisdictions), bool,
                                len(jurisdictions))  # fmt: skip
        for e in np.flatnonzero(amount[touching].sum(axis=0) > NOISE).tolist():
            rows.append(
                {
                    "element": ELEMENTS[e],
                    "country": country,
                    "covered": "yes" if countries.at[country, "covered"] else "no",
                    "licensing": "yes" if (licensing & touching).any() else "no",
                    "bought_t": float(amount[touching, e].sum()),
                    "expected_denied_t": float(denied[touching, e].sum()),
                }
            )
    return pd.DataFrame(rows).sort_values(["element", "bought_t"], ascending=[True, False],
                                          ignore_index=True)  # fmt: skip
