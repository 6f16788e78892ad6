"""The licensing and risk terms of SPEC §2, computed in this one place for every variant.

A delivery is licensed when a rule in force makes its approval p < 1 or adds a review
time D > 0; the risk cost of a tonne is λ·(1 − p)·disruption_cost(m). derive (a
scenario), a licence draw (p of 0 or 1) and the robust plan (a committed order of which
a share a arrives: the tonnes that fail cost λ·(1 − a)·disruption_cost, the risk of an
approval a) all take them from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimizer.domain.inputs import Inputs


def licensed(approval: np.ndarray | pd.Series, delay_days: np.ndarray | pd.Series) -> np.ndarray:
    """Whether a delivery needs a licence: p < 1 or D > 0."""
    return (np.asarray(approval, dtype=float) < 1) | (np.asarray(delay_days, dtype=float) > 0)


def risk_per_t(inputs: Inputs, materials: object, approval: np.ndarray | pd.Series) -> np.ndarray:
    """λ·(1 − p)·disruption_cost(m) per tonne, for materials given by name."""
    disruption = inputs.materials["disruption_cost"].reindex(materials).to_numpy(float)
    return inputs.settings.risk_weight * (1 - np.asarray(approval, dtype=float)) * disruption
