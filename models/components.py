"""The names of every Pyomo component the formulation creates, and the key codecs.

`optimizer` reads solutions through these names, never through string literals, so a
rename here is a rename everywhere; `tests/test_components.py` builds the models and
fails when a name listed here is not created (or a created one is not listed).
"""

from __future__ import annotations

# variables
BUY = "buy"
"""x[i]: tonnes of delivery i = (o, s, t)"""
STOCK = "stock"
SHORTFALL = "shortfall"
FLOOR_GAP = "floor_gap"
COVER_GAP = "cover_gap"
END_GAP = "end_gap"
ONBOARD = "onboard"
"""z[o] of SPEC §7"""
LOT = "lot"
"""w[o,t] of SPEC §7"""
RUN = "run"
"""n[u]: runs of recipe r started in period t, u = (r, t) (SPEC §8)"""
TAKE_OR_PAY_GAP = "take_or_pay_gap"
"""g[k]: tonnes of take-or-pay commitment k not taken (SPEC §2, constraint 11)"""
COMMIT = "commit"
"""y[j]: the committed deliveries of the robust plan (SPEC §6)"""
CVAR_LEVEL = "cvar_level"
CVAR_EXCESS = "cvar_excess"
MOVED = "moved"
"""e[i] ≥ |x[i] − x_last[i]|: how far the stable plan moves delivery i (SPEC §5)"""
RUN_MOVED = "run_moved"
# constraint families
BALANCE = "con_balance"
CAPACITY = "con_capacity"
FLOOR = "con_floor"
STORAGE = "con_storage"
END_TARGET = "con_end_target"
COVER = "con_cover"
SHARE = "con_share"
BUDGET = "con_budget"
MIN_ORDER = "con_min_order"
LOT_ONBOARD = "con_lot_onboard"
MAX_SUPPLIERS = "con_max_suppliers"
RECIPE_CAPACITY = "con_recipe_capacity"
SITE_STORAGE = "con_site_storage"
TAKE_OR_PAY = "con_take_or_pay"
CVAR = "con_cvar"
MOVE = "con_move"
RUN_MOVE = "con_run_move"
COST_BOUND = "con_cost_bound"
# the objective
COST = "cost"
DISTANCE = "distance"
"""the stable plan's objective: Σ moves (SPEC §5)"""
# blocks
SCENARIO_BLOCK = "scenario"
"""the robust plan's block of each scenario ω (SPEC §6), indexed 0..|Ω|−1"""


def capacity_key(offer: int, period: int, periods: int) -> int:
    """The key of the capacity row of (offer, period): offer·T + period."""
    return offer * periods + period


def capacity_index(key, periods: int):
    """(offer, period) of a capacity row key (or of an array of keys)."""
    return divmod(key, periods)


def block_member(block: int, name: str) -> str:
    """The full name of component `name` of scenario block `block` (as solutions key it)."""
    return f"{SCENARIO_BLOCK}[{block}].{name}"


def member_block(full: str) -> tuple[int, str] | None:
    """(block, name) of a scenario block's component by its full name; None elsewhere."""
    head, dot, name = full.partition("].")
    prefix = f"{SCENARIO_BLOCK}["
    if not dot or not head.startswith(prefix) or not head[len(prefix) :].isdigit():
        return None
    return int(head[len(prefix) :]), name
