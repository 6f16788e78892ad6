"""The data the formulation reads: the contract between `optimizer` and `models`.

Everything is positional (numpy arrays) so the builders can group and index without
dictionaries of names. Names stay in the optimizer's tables; position i here is row i
there.

Notation (SPEC §2): periods t = 0..T-1 (the spec counts from 1); stock points
p = the (site, material) pairs of SM; deliveries i = the (offer, site, period)
triples for which a delivery variable x exists; offers o.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ModelData:
    """Arrays of one scenario's LP. Shapes: P points, T periods, N deliveries, O offers."""

    periods: int
    # stock points (P,)
    initial_t: np.ndarray
    min_t: np.ndarray
    max_t: np.ndarray
    """inf where no storage limit"""
    target_end_t: np.ndarray
    holding_cost_per_t: np.ndarray
    shortage_penalty_per_t: np.ndarray
    safety_penalty_per_t: np.ndarray
    salvage_value_per_t: np.ndarray
    """value of a tonne left in stock at the end of the last period"""
    # per point and period (P, T)
    demand_t: np.ndarray
    pipeline_t: np.ndarray
    # deliveries (N,)
    offer: np.ndarray
    point: np.ndarray
    period: np.ndarray
    landed_cost_per_t: np.ndarray
    """c[o,s,t] = unit_cost·cf·(1+τ) + f, with cf and τ of the rules in force in t"""
    risk_cost_per_t: np.ndarray
    """r[o,s,t] = λ·(1−p[o,s,t])·disruption_cost"""
    denial_share: np.ndarray
    """1 − p[o,s,t] where licensed in t, 0 elsewhere: the licence-cover coefficient"""
    # offers and periods (O, T)
    capacity_t: np.ndarray
    """cap[o,t]: capacity × Π capacity_factor of the end_use `*` rules in force in t"""
    # periods (T,)
    budget: np.ndarray
    """NaN where the period has no budget"""
    # country-share caps (K,) and their members
    share_limit: np.ndarray
    share_material: np.ndarray
    """material position of each cap; deliveries are tied to materials by `material`"""
    share_cap: np.ndarray
    share_delivery: np.ndarray
    """pairs (cap k, delivery i): delivery i's chain touches cap k's country"""
    material: np.ndarray
    """material position of each delivery (N,)"""
    # integer sourcing terms (SPEC §7); empty arrays: none (the model stays an LP)
    fixed_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """F_o per offer (O,): paid once if the offer delivers anything"""
    min_order_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Q_o per offer (O,): a period's deliveries are 0 or at least Q_o in total"""
    offer_material: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """material position of each offer (O,)"""
    max_suppliers: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """N_m per material (M,): at most this many offers deliver; NaN where no cap"""
    # conversion at the buyer's sites (SPEC §8); empty arrays: no recipe
    recipe_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """F_r per recipe (R,): the cost of one run"""
    recipe_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """K_r per recipe (R,): runs per period; inf where none is given"""
    recipe_lead: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """ℓ_r per recipe (R,): periods from a run's start (inputs) to its outputs"""
    run_recipe: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """the recipe of each run variable n[r,t] (U,): t in the window and t + ℓ_r ≤ T"""
    run_period: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """the start period of each run variable (U,)"""
    item_recipe: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """the recipe of each recipe item (Q,)"""
    item_point: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """the stock point (site(r), material) of each recipe item (Q,)"""
    item_input: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """in[r,m]: t of the item's material one run consumes (Q,)"""
    item_output: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """out[r,m]: t of the item's material one run yields (Q,)"""
    # site storage (SPEC §2, constraint 10); empty: no site has one
    storage_limit: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """storage(s) per site with a storage limit and stock points (G,): t of all materials"""
    point_storage: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """the site storage limit (position in storage_limit) of each stock point (P,); −1: none"""
    # take-or-pay (SPEC §2, constraint 11); empty: no offer commits a volume
    contract_offer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """the offer of each take-or-pay commitment (K,)"""
    contract_total_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """the volume owed (K,): min(min_total, Σ cap[o,t] over the periods o can deliver in)"""
    contract_price: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """take_or_pay_price per t not taken (K,)"""

    @property
    def points(self) -> int:
        """Number of stock points P."""
        return len(self.initial_t)

    @property
    def deliveries(self) -> int:
        """Number of delivery variables N."""
        return len(self.offer)

    @property
    def runs(self) -> int:
        """Number of run variables U (SPEC §8)."""
        return len(self.run_recipe)


DELIVERY_FIELDS = (
    "offer", "point", "period", "landed_cost_per_t", "risk_cost_per_t", "denial_share",
    "material",
)  # fmt: skip
"""The ModelData arrays with one entry per delivery."""


def restrict(data: ModelData, keep: np.ndarray) -> ModelData:
    """`data` with only the deliveries where `keep` is True (country-share pairs remapped)."""
    positions = np.flatnonzero(keep)
    renumber = np.full(data.deliveries, -1, dtype=np.int64)
    renumber[positions] = np.arange(len(positions))
    pairs = keep[data.share_delivery]
    return dataclasses.replace(
        data,
        **{name: getattr(data, name)[positions] for name in DELIVERY_FIELDS},
        share_cap=data.share_cap[pairs],
        share_delivery=renumber[data.share_delivery[pairs]],
    )
