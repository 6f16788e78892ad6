"""What a plan means in business words: marginal values, exposure, why shortfalls happen.

Sign conventions: HiGHS reports duals as ∂objective/∂right-hand side (minimisation),
so relaxing a binding ≤ limit by one unit saves −dual and a ≥ floor costs +dual per unit.
Reduced costs of deliveries at zero say how much cheaper (landed plus risk cost per
tonne) that delivery would have to be before the plan would use it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import components
from optimizer.domain.derive import Instance, offer_prices, priced, storage_sites
from optimizer.domain.words import CHAIN
from optimizer.plan.values import NOISE, grid
from optimizer.solver.highs import Solution


def marginal_costs(instance: Instance, solution: Solution) -> pd.DataFrame:
    """What one more tonne of demand would cost, per site, material and period."""
    data, points = instance.data, instance.points
    duals = grid(solution, components.BALANCE, (data.points, data.periods), duals=True)
    return pd.DataFrame(
        {
            "site": np.repeat(points["site"].to_numpy(), data.periods),
            "material": np.repeat(points["material"].to_numpy(), data.periods),
            "period": np.tile(instance.inputs.periods, data.points),
            "marginal_cost_per_t": np.where(np.abs(duals) < NOISE, 0.0, duals).ravel(),
        }
    )


def _limit_rows(
    kind: str, subjects, periods, levels, unit: str, per_unit, valid=np.nan, dual=None
) -> pd.DataFrame:
    """Rows of one kind of limit; `valid` is the limit value up to which `per_unit`
    holds, `dual` (default `per_unit`) decides whether it binds."""
    return pd.DataFrame(
        {
            "limit": kind,
            "subject": subjects,
            "period": periods,
            "limit_value": levels,
            "unit": unit,
            "saving_per_unit": per_unit,
            "valid_to": valid,
            "dual": per_unit if dual is None else dual,
        }
    )


def _moves(solution: Solution, name: str, side: int) -> np.ndarray | float:
    """How far each row's bound may move down (side 0) or up (side 1) with its dual
    unchanged (HiGHS ranging); NaN when the solve kept no ranging."""
    ranges = solution.ranges.get(name)
    return np.nan if ranges is None else ranges[:, side]


def _keys(solution: Solution, name: str) -> np.ndarray:
    return np.asarray(solution.keys.get(name, []), dtype=np.int64)


def _capacity_limits(instance: Instance, solution: Solution) -> list[pd.DataFrame]:
    """Supplier capacity (2), per offer and period, in t."""
    keys, data = _keys(solution, components.CAPACITY), instance.data
    if not len(keys):
        return []
    offer, period = components.capacity_index(keys, data.periods)
    offers = instance.offers.iloc[offer]
    capacity = data.capacity_t[offer, period]
    return [_limit_rows(
        "supplier capacity", (offers["supplier"] + " / " + offers["material"]).to_numpy(),
        [instance.inputs.periods[t] for t in period], capacity, "t",
        -solution.duals[components.CAPACITY],
        capacity + _moves(solution, components.CAPACITY, 1),
    )]  # fmt: skip


def _recipe_limits(instance: Instance, solution: Solution) -> list[pd.DataFrame]:
    """Recipe capacity (9), per recipe and start period, in runs."""
    keys, data = _keys(solution, components.RECIPE_CAPACITY), instance.data
    if not len(keys):
        return []
    recipes = instance.inputs.recipes.iloc[data.run_recipe[keys]]
    capacity = data.recipe_capacity[data.run_recipe[keys]]
    return [_limit_rows(
        "recipe capacity", recipes.index.to_numpy() + " at " + recipes["site"].to_numpy(),
        [instance.inputs.periods[t] for t in data.run_period[keys]], capacity, "run",
        -solution.duals[components.RECIPE_CAPACITY],
        capacity + _moves(solution, components.RECIPE_CAPACITY, 1),
    )]  # fmt: skip


def _budget_limits(instance: Instance, solution: Solution) -> list[pd.DataFrame]:
    """Period budgets (8), in the currency."""
    budget, data = _keys(solution, components.BUDGET), instance.data
    if not len(budget):
        return []
    return [_limit_rows(
        "period budget", "landed spend", [instance.inputs.periods[t] for t in budget],
        data.budget[budget], instance.inputs.settings.currency,
        -solution.duals[components.BUDGET],
        data.budget[budget] + _moves(solution, components.BUDGET, 1),
    )]  # fmt: skip


def _share_limits(instance: Instance, solution: Solution, buy: np.ndarray) -> list[pd.DataFrame]:
    """Country share caps (5): the cap in %, its saving per percentage point (no ranging:
    the relaxation changes coefficients)."""
    caps, data = _keys(solution, components.SHARE), instance.data
    if not len(caps):
        return []
    shares = instance.shares.iloc[caps]
    total = np.bincount(data.material, weights=buy, minlength=len(instance.inputs.materials))
    return [_limit_rows(
        "country share cap", (shares["country"] + " share of " + shares["material"]).to_numpy(),
        "all periods", shares["limit"].to_numpy() * 100, "%",
        -solution.duals[components.SHARE] * total[shares["material_code"].to_numpy()] * 0.01,
        np.nan,
        -solution.duals[components.SHARE],
    )]  # fmt: skip


def _point_limits(instance: Instance, solution: Solution) -> list[pd.DataFrame]:
    """Stock floors (3) and storage limits (4), per stock point and period, in t."""
    data, periods, points = instance.data, instance.inputs.periods, instance.points
    frames = []
    for name, kind, sign, level, side in (
        (components.FLOOR, "stock floor", 1.0, data.min_t, 0),
        (components.STORAGE, "storage max", -1.0, data.max_t, 1),
    ):
        where = _keys(solution, name).reshape(-1, 2)
        if len(where):
            subject = points["site"] + " / " + points["material"]
            frames.append(_limit_rows(
                kind, subject.to_numpy()[where[:, 0]], [periods[t] for t in where[:, 1]],
                level[where[:, 0]], "t", sign * solution.duals[name],
                level[where[:, 0]] + _moves(solution, name, side),
            ))  # fmt: skip
    return frames


def _contract_limits(instance: Instance, solution: Solution) -> list[pd.DataFrame]:
    """Site storage (10), per site and period, and take-or-pay volumes (11), per offer
    over the horizon, in t: one tonne more storage saves −dual; one tonne less owed
    saves +dual."""
    data, periods, frames = instance.data, instance.inputs.periods, []
    where = _keys(solution, components.SITE_STORAGE).reshape(-1, 2)
    if len(where):
        names = storage_sites(instance.inputs, instance.points).index.to_numpy()
        level = data.storage_limit[where[:, 0]]
        frames.append(_limit_rows(
            "site storage", names[where[:, 0]], [periods[t] for t in where[:, 1]], level, "t",
            -solution.duals[components.SITE_STORAGE],
            level + _moves(solution, components.SITE_STORAGE, 1),
        ))  # fmt: skip
    keys = _keys(solution, components.TAKE_OR_PAY)
    if len(keys):
        offers = instance.offers.iloc[data.contract_offer[keys]]
        level = data.contract_total_t[keys]
        frames.append(_limit_rows(
            "take-or-pay volume", (offers["supplier"] + " / " + offers["material"]).to_numpy(),
            "all periods", level, "t", solution.duals[components.TAKE_OR_PAY],
            level + _moves(solution, components.TAKE_OR_PAY, 0),
        ))  # fmt: skip
    return frames


def binding_limits(instance: Instance, solution: Solution, buy: np.ndarray) -> pd.DataFrame:
    """Every binding limit (a dual above zero) and its marginal value, largest first.

    `saving_per_unit` is the marginal value (one more tonne of capacity or storage, one
    more run of a recipe, one tonne lower floor, one more unit of budget, one percentage
    point more country share), valid while the limit moves to `valid_to` (HiGHS ranging:
    the basis, so the dual, stays the same; unknown for share caps, whose relaxation
    changes coefficients); what a stated relaxation saves is in `plan.savings`, by
    re-solving.
    """
    frames = [
        *_capacity_limits(instance, solution),
        *_recipe_limits(instance, solution),
        *_budget_limits(instance, solution),
        *_share_limits(instance, solution, buy),
        *_point_limits(instance, solution),
        *_contract_limits(instance, solution),
    ]
    if not frames:
        return _limit_rows("", [], [], [], "", []).drop(columns="dual")
    limits = pd.concat(frames, ignore_index=True)
    limits = limits[limits["dual"] > NOISE].drop(columns="dual")
    return limits.sort_values("saving_per_unit", ascending=False, kind="stable").reset_index(
        drop=True
    )


def unused_offers(instance: Instance, solution: Solution, buy: np.ndarray) -> pd.DataFrame:
    """Offers the plan does not use: how much cheaper per tonne they would need to be."""
    deliveries = instance.deliveries
    offers = instance.offers
    used = np.bincount(deliveries["offer"], weights=buy, minlength=len(offers)) > NOISE
    reduced = solution.reduced_costs.get(components.BUY, np.zeros(len(deliveries)))
    frame = pd.DataFrame(
        {
            "offer": deliveries["offer"],
            "reduced": reduced,
            "unit": deliveries["landed_per_t"] + deliveries["risk_per_t"],
        }
    )
    best = frame.groupby("offer").agg(price_cut=("reduced", "min"), unit=("unit", "min"))
    rows = []
    reasons = {w.row: w.message for w in instance.warnings}
    for offer in np.flatnonzero(~used):
        record = offers.iloc[offer]
        if offer in best.index:
            cut = max(float(best.at[offer, "price_cut"]), 0.0)
            note = "ties with the plan (no cut needed)" if cut < NOISE else ""
            unit = float(best.at[offer, "unit"])
        else:
            cut, unit = np.nan, np.nan
            note = reasons.get(record["row"], "cannot deliver in this scenario")
        rows.append(
            {
                "supplier": record["supplier"],
                "material": record["material"],
                "country": record["country"],
                "cheapest_cost_per_t": unit,
                "price_cut_to_win_per_t": cut,
                "note": note,
            }
        )
    columns = [
        "supplier",
        "material",
        "country",
        "cheapest_cost_per_t",
        "price_cut_to_win_per_t",
        "note",
    ]
    return pd.DataFrame(rows, columns=columns)


def _matched_by(jurisdiction: str, content_rules: str) -> str:
    """How a licensing jurisdiction reaches a delivery: through its chain, or by the
    offer's declared origin content ("matched by China's 0.1 % content rule")."""
    prefix = f"{jurisdiction}'s "
    rule = next((r for r in content_rules.split(", ") if r.startswith(prefix)), None)
    return "the chain" if rule is None else f"matched by {rule}"


def exposure(instance: Instance, buy: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per material (licensed, expected denied, covered, reached by a content rule,
    concentration) and the licensed tonnes by jurisdiction, element and how the rule
    reaches them (chain or declared content)."""
    inputs = instance.inputs
    bought = instance.deliveries.assign(quantity=buy)
    bought = bought[bought["quantity"] > NOISE]
    covered = inputs.countries["covered"].astype(bool)
    touches = np.logical_or.reduce(
        [covered.reindex(bought[c]).to_numpy(bool) for c in CHAIN]
    ) if len(bought) else np.zeros(0, dtype=bool)  # fmt: skip
    bought = bought.assign(
        licensed_t=bought["quantity"].where(bought["licensed"], 0.0),
        denied_t=(1 - bought["approval"]) * bought["quantity"],
        covered_t=bought["quantity"].where(touches, 0.0),
        content_rule_t=bought["quantity"].where(bought["content_rule"] != "", 0.0),
    )
    per_material = bought.groupby("material").agg(
        purchased_t=("quantity", "sum"),
        licensed_t=("licensed_t", "sum"),
        expected_denied_t=("denied_t", "sum"),
        covered_t=("covered_t", "sum"),
        content_rule_t=("content_rule_t", "sum"),
    )
    shipped = bought.groupby(["material", "country"])["quantity"].sum()
    shares = shipped / shipped.groupby(level="material").transform("sum")
    per_material["licensed_share"] = per_material["licensed_t"] / per_material["purchased_t"]
    per_material["covered_share"] = per_material["covered_t"] / per_material["purchased_t"]
    per_material["hhi"] = (shares**2).groupby(level="material").sum() * 10_000
    per_material["top_country"] = shares.groupby(level="material").idxmax().map(lambda key: key[1])
    order = [m for m in inputs.materials.index if m in per_material.index]
    per_material = per_material.loc[order].reset_index()
    licensed = bought[bought["licensed"]].assign(
        jurisdiction=lambda f: f["jurisdictions"].str.split(", "),
        element=lambda f: f["material"].map(inputs.materials["elements"]).map(list),
    )
    licensed = licensed.explode("jurisdiction").explode("element")
    licensed = licensed[licensed["element"].notna() & (licensed["jurisdiction"] != "")]
    licensed["matched_by"] = [
        _matched_by(j, rules)
        for j, rules in zip(licensed["jurisdiction"], licensed["content_rule"], strict=True)
    ]
    by_jurisdiction = (
        licensed.groupby(["jurisdiction", "element", "matched_by"])
        .agg(licensed_t=("quantity", "sum"), expected_denied_t=("denied_t", "sum"))
        .reset_index()
    )
    return per_material, by_jurisdiction


def _supplier_state(pair: dict, t: int, used: float, periods: list[str]) -> tuple[str, str]:
    """(cause, words) for one offer that could serve a site: why it cannot give more in t."""
    name = pair["supplier"]
    if not pair["allowed"]:
        return "lanes", f"{name}: Lanes forbid this route"
    if pair["excluded"]:
        return "defense", f"{name}: defense site, and its chain touches a covered country"
    if pair["approval"] <= 0:
        return "ban", f"{name}: export licence denied (approval 0)"
    if pair["cap"] <= 0:
        return "capacity", f"{name}: no capacity in this scenario"
    if t < pair["first"]:
        return "window", f"{name}: available only from {periods[pair['first']]}"
    if t > pair["last"]:
        return "window", f"{name}: available only until {periods[pair['last']]}"
    if t < pair["lead_periods"]:
        delay = pair["lead_periods"] - pair["lead_time"]
        return "lead time", (
            f"{name}: first delivery in {periods[min(pair['lead_periods'], len(periods) - 1)]} "
            f"(lead time {pair['lead_time']} + licence delay {delay} period(s))"
            if pair["lead_periods"] < len(periods)
            else f"{name}: lead time {pair['lead_time']} + licence delay {delay} period(s) "
            "exceed the horizon"
        )
    if pair["cap"] - used <= NOISE * max(1.0, pair["cap"]):
        return "capacity", f"{name}: at capacity ({pair['cap']:,.3f} t)"
    return "", f"{name}: {pair['cap'] - used:,.3f} t spare at {pair['unit_cost']:,.2f} per t"


def _pairs_at(pairs: pd.DataFrame, cells: np.ndarray, price: np.ndarray) -> dict:
    """(point, period) → the offer-site pairs of that stock point whose segment holds the
    period, in pairs order, for every cell (point, period) of `cells`; each with
    `unit_cost`: its landed cost at the period's price plus its risk cost, per t."""
    wanted = pd.DataFrame({"point": cells[:, 0], "period": cells[:, 1]})
    here = pairs.merge(wanted, on="point")  # pairs order, then each cell's order
    here = here[(here["start"] <= here["period"]) & (here["period"] <= here["end"])]
    here = priced(here, price)
    here = here.assign(unit_cost=here["landed_per_t"] + here["risk_per_t"])
    found: dict[tuple[int, int], list[dict]] = {}
    for record in here.to_dict("records"):
        found.setdefault((record["point"], record["period"]), []).append(record)
    return found


def shortfall_reasons(
    instance: Instance, buy: np.ndarray, shortfall: np.ndarray, limits: pd.DataFrame
) -> pd.DataFrame:
    """For each site, material and period with unmet demand: which limits bind, in words."""
    data, inputs = instance.data, instance.inputs
    periods = inputs.periods
    columns = ["site", "material", "period", "shortfall_t", "binding", "explanation"]
    short = np.argwhere(shortfall > NOISE)
    if not len(short):
        return pd.DataFrame(columns=columns)
    used = np.bincount(data.offer * data.periods + data.period, weights=buy,
                       minlength=len(instance.offers) * data.periods)  # fmt: skip
    spend = np.bincount(data.period, weights=data.landed_cost_per_t * buy, minlength=data.periods)
    candidates = _pairs_at(instance.pairs, short, offer_prices(inputs))
    shares = limits[limits["limit"] == "country share cap"]["subject"].tolist()
    penalty = data.shortage_penalty_per_t
    rows = []
    for p, t in short.tolist():
        site, material = instance.points.at[p, "site"], instance.points.at[p, "material"]
        here = candidates.get((p, t), [])
        states = [_supplier_state(pair, t, used[pair["offer"] * data.periods + t], periods)
                  for pair in here]  # fmt: skip
        spare = [pair for pair, (cause, _) in zip(here, states, strict=True) if not cause]
        causes = sorted({cause for cause, _ in states if cause})
        if not states:
            binding, lead = "no supplier", f"no supplier offers {material} to {site}"
        elif not spare:
            binding = ", ".join(causes)
            lead = "no supplier can deliver more in this period"
        elif np.isfinite(data.budget[t]) and spend[t] >= data.budget[t] - NOISE * data.budget[t]:
            binding, lead = "budget", f"the budget of {periods[t]} ({data.budget[t]:,.2f}) is spent"
        elif [s for s in shares if s.endswith(f" share of {material}")]:
            caps = [s for s in shares if s.endswith(f" share of {material}")]
            binding, lead = "share cap", "the country share cap binds: " + "; ".join(caps)
        else:
            cheapest = min(spare, key=lambda pair: pair["unit_cost"])
            binding = "cost"
            lead = (
                f"falling short costs {penalty[p]:,.2f} per t, less than buying from "
                f"{cheapest['supplier']} at {cheapest['unit_cost']:,.2f} per t"
                if penalty[p] < cheapest["unit_cost"]
                else "stock carried into this period was cheaper elsewhere in the plan"
            )
        detail = "; ".join(words for _, words in states)
        explanation = f"{shortfall[p, t]:,.3f} t short: {lead}." + (f" {detail}." if detail else "")
        rows.append((site, material, periods[t], float(shortfall[p, t]), binding, explanation))
    return pd.DataFrame(rows, columns=columns)
