"""The integer sourcing terms of a plan (SPEC §7): onboarded offers and time-limit notes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain.derive import Instance
from optimizer.problems import Problem
from optimizer.solver.highs import Solution

MARGINALS_NOTE = (
    "Integer plan: these savings and marginal values hold with every onboarding and "
    "minimum-lot decision kept as the plan made it."
)
"""The line the review sheets show above the marginal values of an integer plan."""


def onboarded_offers(instance: Instance, onboarded: np.ndarray, buy: np.ndarray) -> pd.DataFrame:
    """One row per offer with an integer term (fixed_cost, min_order, or a material with
    max_suppliers): whether it is onboarded, what it delivers, and the fixed cost paid."""
    offers = instance.offers
    capped = instance.inputs.materials["max_suppliers"].reindex(offers["material"]).notna()
    integer = (offers["fixed_cost"] > 0) | (offers["min_order"] > 0) | capped.to_numpy()
    delivered = np.zeros(len(offers))
    np.add.at(delivered, instance.data.offer, buy)
    used = (onboarded > 0) | (delivered > 0)
    frame = pd.DataFrame(
        {
            "supplier": offers["supplier"],
            "material": offers["material"],
            "country": offers["country"],
            "onboarded": np.where(used, "yes", "no"),
            "delivered_t": delivered,
            "fixed_cost": offers["fixed_cost"],
            "fixed_paid": np.where(onboarded > 0, offers["fixed_cost"], 0.0),
            "min_order": offers["min_order"],
        }
    )
    return frame[integer.to_numpy()].reset_index(drop=True)


def integer_warnings(solution: Solution) -> list[Problem]:
    """The warning of an integer plan that HiGHS stopped at the time limit (SPEC §7)."""
    if solution.status != "time limit":
        return []
    return [
        Problem(
            f"time limit reached: this integer plan is not proven optimal; its relative gap "
            f"is {solution.mip_gap:.4%} (raise --time-limit or --mip-gap)",
            warning=True,
        )
    ]
