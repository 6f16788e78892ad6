"""The derived data of conversion at the buyer's sites (SPEC §8), the same in every scenario.

Run variables n[r,t] exist for every recipe r and start period t in its window with
t + ℓ_r ≤ T (an output past the horizon is never made); each RecipeItems row is an item
of its recipe at the stock point (site(r), material). Controls never apply to a run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.grouping import positions_within
from optimizer.domain.inputs import Inputs


def recipe_arrays(inputs: Inputs, points: pd.DataFrame) -> dict[str, np.ndarray]:
    """The `models.data.ModelData` fields of SPEC §8 (empty arrays without recipes)."""
    recipes, items = inputs.recipes, inputs.recipe_items
    periods = len(inputs.periods)
    lead = recipes["lead_time"].to_numpy(np.int64)
    first, last = recipes["first"].to_numpy(np.int64), recipes["last"].to_numpy(np.int64)
    end = np.minimum(last, periods - 1 - lead)
    count = np.clip(end - first + 1, 0, None)
    run_recipe = np.repeat(np.arange(len(recipes)), count)
    run_period = np.repeat(first, count) + positions_within(count)
    index = {name: r for r, name in enumerate(recipes.index)}
    point_of = {
        key: p for p, key in enumerate(zip(points["site"], points["material"], strict=True))
    }
    sites = recipes["site"].reindex(items["recipe"]).tolist()
    return {
        "recipe_cost": recipes["cost"].to_numpy(float),
        "recipe_capacity": recipes["capacity"].fillna(np.inf).to_numpy(float),
        "recipe_lead": lead,
        "run_recipe": run_recipe.astype(np.int64),
        "run_period": run_period.astype(np.int64),
        "item_recipe": np.array([index[r] for r in items["recipe"]], dtype=np.int64),
        "item_point": np.array(
            [point_of[key] for key in zip(sites, items["material"], strict=True)], dtype=np.int64
        ),
        "item_input": items["input"].to_numpy(float),
        "item_output": items["output"].to_numpy(float),
    }
