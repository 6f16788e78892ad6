"""An independent build of SPEC v2 §2, for comparing objectives on random workbooks.

It shares nothing with reopt: the workbook is read with openpyxl, the rules and derived
data are computed with plain loops straight from the spec's wording, and the LP is
solved by scipy's HiGHS (`linprog(method='highs')`). It never imports `models` or
`optimizer`. It reads valid workbooks only (no error reporting) and assumes text labels.

Layout, so later sections (§6 robust plan, §7 integer terms) can be added as families:
`read_book` → `Book`; `resolve` (§1 defaults and the scenario's rules) → `Data`;
`derive` (per (o, s, t) terms) → `Terms`; then one `add_*` function per constraint
family of §2 on an `LP`, and `solve`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, vstack

ANY = "*"
Row = dict[str, Any]


# -- §1: reading -----------------------------------------------------------------------


def _key(text: object) -> str:
    return str(text).strip().lower().replace(" ", "_")


def _label(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _number(value: object, default: float | None = None) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    return float(value)


def _yes(value: object, default: bool) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"yes", "y", "true", "1", "1.0"}


@dataclass
class Book:
    """Every sheet as a list of rows keyed by normalised header."""

    sheets: dict[str, list[Row]]

    def rows(self, name: str) -> list[Row]:
        return self.sheets.get(name, [])


def read_book(path: Path) -> Book:
    """All sheets of the workbook, headers normalised, fully empty rows dropped."""
    workbook = openpyxl.load_workbook(path, data_only=True, read_only=True)
    sheets: dict[str, list[Row]] = {}
    for sheet in workbook.worksheets:
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            continue
        header = [_key(h) if h is not None else None for h in values[0]]
        rows = []
        for raw in values[1:]:
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in raw):
                continue
            rows.append({h: v for h, v in zip(header, raw, strict=False) if h})
        sheets[_key(sheet.title)] = rows
    workbook.close()
    return Book(sheets)


# -- §1: defaults and the scenario -----------------------------------------------------


@dataclass
class Offer:
    supplier: str
    material: str
    chain: tuple[str, str, str]
    capacity: float
    unit_cost: float
    freight: float
    lead_time: int
    first: int
    last: int


@dataclass
class Rule:
    country: str
    item: str
    end_use: str
    approval: float
    delay_days: float
    capacity_factor: float
    cost_factor: float
    extra_tariff: float
    first: int
    last: int


@dataclass
class Data:
    """The workbook with §1's defaults applied, for one scenario."""

    periods: list[str]
    budget: list[float | None]
    settings: dict[str, Any]
    materials: dict[str, Row]
    countries: dict[str, Row]
    end_use: dict[str, str]
    offers: list[Offer]
    lanes: dict[tuple[str, str, str], tuple[float | None, bool]]
    demand: dict[tuple[str, str, int], float]
    pipeline: dict[tuple[str, str, int], float]
    stock: dict[tuple[str, str], Row]
    points: list[tuple[str, str]]
    rules: list[Rule]
    demand_factor: float


def _settings(book: Book) -> dict[str, Any]:
    found = {_key(r["key"]): r.get("value") for r in book.rows("settings") if r.get("key")}
    return {
        "period_days": _number(found.get("period_days"), 30.0),
        "risk_weight": _number(found.get("risk_weight"), 1.0),
        "max_country_share": _number(found.get("max_country_share"), 1.0),
        "shortage_penalty": _number(found.get("shortage_penalty")),
        "safety_penalty": _number(found.get("safety_penalty")),
        "disruption_cost": _number(found.get("disruption_cost")),
        "holding_cost": _number(found.get("holding_cost")),
        "salvage_value": _number(found.get("salvage_value")),
    }


def _lanes(
    book: Book, offers: list[Offer]
) -> dict[tuple[str, str, str], tuple[float | None, bool]]:
    """(supplier, material, site) → (freight or None, allowed); a row naming a material
    wins over a blank-material row of the same supplier and site."""
    lanes: dict[tuple[str, str, str], tuple[float | None, bool]] = {}
    specific = set()
    for row in book.rows("lanes"):
        supplier, site = _label(row["supplier"]), _label(row["site"])
        material = _label(row.get("material"))
        terms = (_number(row.get("freight")), _yes(row.get("allowed"), True))
        if material is not None:
            lanes[(supplier, material, site)] = terms
            specific.add((supplier, material, site))
            continue
        for offer in offers:
            key = (supplier, offer.material, site)
            if offer.supplier == supplier and key not in specific:
                lanes[key] = terms
    return lanes


def _shortage_default(material: str, offers: list[Offer], lanes: dict) -> float:
    """10 × max over the material's offers of unit_cost + the largest freight applying."""
    largest = 0.0
    for offer in offers:
        if offer.material != material:
            continue
        freights = [offer.freight] + [
            freight if freight is not None else offer.freight
            for (supplier, m, _), (freight, _) in lanes.items()
            if supplier == offer.supplier and m == material
        ]
        largest = max(largest, offer.unit_cost + max(freights))
    return 10 * largest if largest > 0 else 1_000_000.0


def _scenario_chain(book: Book, name: str) -> list[Row]:
    rows = {_label(r["scenario"]): r for r in book.rows("scenarios")}
    chain = []
    current: str | None = name
    while current is not None:
        row = rows.get(current, {"scenario": current})
        chain.append(row)
        current = None if current == "base" else (_label(row.get("parent")) or "base")
    return list(reversed(chain))


def rules_in_force(book: Book, scenario: str, periods: list[str]) -> tuple[list[Rule], float]:
    """The rules of the chain base → … → S, a descendant's rules replacing an ancestor's
    rules with the same key (window included); and the demand factor. One scenario may
    give a key several rows (disjoint windows)."""
    position = {label: t for t, label in enumerate(periods)}
    in_force: dict[tuple[str, str, str], list[Rule]] = {}
    factor = 1.0
    for member in _scenario_chain(book, scenario):
        name = _label(member["scenario"])
        factor *= _number(member.get("demand_factor"), 1.0)
        own: dict[tuple[str, str, str], list[Rule]] = {}
        for row in book.rows("controls"):
            if (_label(row.get("scenario")) or "base") != name:
                continue
            key = (
                _label(row["country"]),
                _label(row.get("item")) or ANY,
                (_label(row.get("end_use")) or ANY).lower(),
            )
            start, end = _label(row.get("from_period")), _label(row.get("to_period"))
            rule = Rule(
                *key,
                approval=_number(row.get("approval"), 1.0),
                delay_days=_number(row.get("delay_days"), 0.0),
                capacity_factor=_number(row.get("capacity_factor"), 1.0),
                cost_factor=_number(row.get("cost_factor"), 1.0),
                extra_tariff=_number(row.get("extra_tariff"), 0.0),
                first=position[start] if start else 0,
                last=position[end] if end else len(periods) - 1,
            )
            own.setdefault(key, []).append(rule)
        in_force.update(own)
    return [rule for rules in in_force.values() for rule in rules], factor


def resolve(book: Book, scenario: str = "base") -> Data:
    """§1: every default applied, for scenario `scenario`."""
    settings = _settings(book)
    periods = [_label(r["period"]) for r in book.rows("periods")]
    position = {label: t for t, label in enumerate(periods)}
    budget = [_number(r.get("budget")) for r in book.rows("periods")]
    countries = {}
    for row in book.rows("countries"):
        countries[_label(row["country"])] = {
            "tariff": _number(row.get("tariff"), 0.0),
            "covered": _yes(row.get("covered"), False),
            "max_share": _number(row.get("max_share"), settings["max_country_share"]),
        }
    end_use = {
        _label(r["site"]): (_label(r.get("end_use")) or "commercial").lower()
        for r in book.rows("sites")
    }
    offers = []
    for row in book.rows("suppliers"):
        country = _label(row["country"])
        refined = _label(row.get("refined_in")) or country
        start, end = _label(row.get("available_from")), _label(row.get("available_to"))
        offers.append(
            Offer(
                supplier=_label(row["supplier"]),
                material=_label(row["material"]),
                chain=(country, refined, _label(row.get("mined_in")) or refined),
                capacity=_number(row.get("capacity"), 0.0),
                unit_cost=_number(row.get("unit_cost"), 0.0),
                freight=_number(row.get("freight"), 0.0),
                lead_time=int(_number(row.get("lead_time"), 0.0)),
                first=position[start] if start else 0,
                last=position[end] if end else len(periods) - 1,
            )
        )
    lanes = _lanes(book, offers)
    materials = {}
    for row in book.rows("materials"):
        name = _label(row["material"])
        shortage = _number(row.get("shortage_penalty"), settings["shortage_penalty"])
        if shortage is None:
            shortage = _shortage_default(name, offers, lanes)
        safety = _number(row.get("safety_penalty"), settings["safety_penalty"])
        materials[name] = {
            "elements": {e.strip() for e in str(row.get("elements") or "").split(",") if e.strip()},
            "holding_cost": _number(row.get("holding_cost"), settings["holding_cost"]) or 0.0,
            "shortage_penalty": shortage,
            "safety_penalty": 0.1 * shortage if safety is None else safety,
            "disruption_cost": _number(row.get("disruption_cost"), settings["disruption_cost"])
            or 0.0,
            "salvage_value": _number(row.get("salvage_value"), settings["salvage_value"]) or 0.0,
        }

    def keyed(sheet: str) -> dict[tuple[str, str, int], float]:
        totals: dict[tuple[str, str, int], float] = {}
        for row in book.rows(sheet):
            key = (_label(row["site"]), _label(row["material"]), position[_label(row["period"])])
            totals[key] = totals.get(key, 0.0) + _number(row["quantity"], 0.0)
        return totals

    demand, pipeline = keyed("demand"), keyed("pipeline")
    stock = {(_label(r["site"]), _label(r["material"])): r for r in book.rows("stock")}
    points = sorted({(s, m) for s, m, _ in demand} | set(stock) | {(s, m) for s, m, _ in pipeline})
    rules, factor = rules_in_force(book, scenario, periods)
    return Data(
        periods, budget, settings, materials, countries, end_use, offers, lanes,
        demand, pipeline, stock, points, rules, factor,
    )  # fmt: skip


# -- §2: derived data --------------------------------------------------------------------


@dataclass
class Terms:
    """The derived data of one delivery (o, s, t) that has a variable."""

    offer: int
    site: str
    t: int
    approval: float
    landed: float
    risk: float


def matching(data: Data, offer: Offer, end_use: str | None, t: int) -> list[Rule]:
    """Rules whose country is in chain(o), item is `*`/material/element, end_use is `*`
    or the site's (None: only `*`), and whose window holds t."""
    items = {ANY, offer.material, *data.materials[offer.material]["elements"]}
    return [
        rule
        for rule in data.rules
        if rule.country in offer.chain
        and rule.item in items
        and (rule.end_use == ANY or rule.end_use == end_use)
        and rule.first <= t <= rule.last
    ]


def capacity(data: Data, o: int, t: int) -> float:
    """cap[o,t] = capacity × Π capacity_factor over the end_use `*` rules matching o in t."""
    offer = data.offers[o]
    return offer.capacity * math.prod(r.capacity_factor for r in matching(data, offer, None, t))


def derive(data: Data) -> list[Terms]:
    """Every delivery variable of §2 with its p, c and r at its period."""
    deliveries = []
    period_days = data.settings["period_days"]
    for o, offer in enumerate(data.offers):
        covered = any(data.countries[c]["covered"] for c in offer.chain)
        for site, material in data.points:
            if material != offer.material:
                continue
            freight, allowed = data.lanes.get((offer.supplier, material, site), (None, True))
            if not allowed or (data.end_use[site] == "defense" and covered):
                continue
            for t in range(offer.first, offer.last + 1):
                rules = matching(data, offer, data.end_use[site], t)
                p = math.prod(r.approval for r in rules)
                delay = max((r.delay_days for r in rules), default=0.0)
                lead = offer.lead_time + math.ceil(delay / period_days - 1e-9)
                if t + 1 <= lead or p <= 0 or capacity(data, o, t) <= 0:
                    continue
                cf = math.prod(r.cost_factor for r in rules)
                tau = data.countries[offer.chain[0]]["tariff"] + sum(r.extra_tariff for r in rules)
                f = offer.freight if freight is None else freight
                disruption = data.materials[material]["disruption_cost"]
                risk = data.settings["risk_weight"] * (1 - p) * disruption
                landed = offer.unit_cost * cf * (1 + tau) + f
                deliveries.append(Terms(o, site, t, p, landed, risk))
    return deliveries


# -- §2: the LP, one function per family ---------------------------------------------------


@dataclass
class LP:
    """Columns with costs and bounds, and rows lo ≤ Σ a·x ≤ hi."""

    cost: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    names: dict[tuple, int] = field(default_factory=dict)

    def var(self, name: tuple, cost: float, upper: float = math.inf) -> int:
        self.names[name] = len(self.cost)
        self.cost.append(cost)
        self.upper.append(upper)
        return self.names[name]

    def row(self, terms: dict[int, float], lo: float, hi: float) -> None:
        self.rows.append((terms, lo, hi))


def add_variables(lp: LP, data: Data, deliveries: list[Terms]) -> None:
    """x with cost c + r; I, u, v, q per point and period; w per point; −salvage on I[T]."""
    for i, d in enumerate(deliveries):
        lp.var(("x", i), d.landed + d.risk)
    last = len(data.periods) - 1
    for s, m in data.points:
        material = data.materials[m]
        limit = _number(data.stock.get((s, m), {}).get("max"), math.inf)
        for t in range(len(data.periods)):
            salvage = material["salvage_value"] if t == last else 0.0
            lp.var(("I", s, m, t), material["holding_cost"] - salvage, limit)  # storage (4)
            lp.var(("u", s, m, t), material["shortage_penalty"])
            lp.var(("v", s, m, t), material["safety_penalty"])
            lp.var(("q", s, m, t), material["safety_penalty"])
        lp.var(("w", s, m), material["safety_penalty"])


def _initial(data: Data, s: str, m: str) -> float:
    return _number(data.stock.get((s, m), {}).get("initial"), 0.0)


def add_balance(lp: LP, data: Data, deliveries: list[Terms]) -> None:
    """(1) I[t−1] + Σ x + P + u = d + I[t]."""
    for s, m in data.points:
        for t in range(len(data.periods)):
            terms = {lp.names[("I", s, m, t)]: -1.0, lp.names[("u", s, m, t)]: 1.0}
            rhs = data.demand.get((s, m, t), 0.0) * data.demand_factor
            rhs -= data.pipeline.get((s, m, t), 0.0)
            if t == 0:
                rhs -= _initial(data, s, m)
            else:
                terms[lp.names[("I", s, m, t - 1)]] = 1.0
            for i, d in enumerate(deliveries):
                if d.site == s and d.t == t and data.offers[d.offer].material == m:
                    terms[lp.names[("x", i)]] = 1.0
            lp.row(terms, rhs, rhs)


def add_capacity(lp: LP, data: Data, deliveries: list[Terms]) -> None:
    """(2) Σ_s x[o,s,t] ≤ cap[o,t]."""
    groups: dict[tuple[int, int], dict[int, float]] = {}
    for i, d in enumerate(deliveries):
        groups.setdefault((d.offer, d.t), {})[lp.names[("x", i)]] = 1.0
    for (o, t), terms in groups.items():
        lp.row(terms, -math.inf, capacity(data, o, t))


def add_floor_and_end_target(lp: LP, data: Data) -> None:
    """(3) I + v ≥ min; (5) I[T] + w ≥ target_end."""
    last = len(data.periods) - 1
    for s, m in data.points:
        row = data.stock.get((s, m), {})
        floor = _number(row.get("min"), 0.0)
        for t in range(len(data.periods)):
            lp.row({lp.names[("I", s, m, t)]: 1.0, lp.names[("v", s, m, t)]: 1.0}, floor, math.inf)
        target = _number(row.get("target_end"), 0.0)
        lp.row({lp.names[("I", s, m, last)]: 1.0, lp.names[("w", s, m)]: 1.0}, target, math.inf)


def add_licence_cover(lp: LP, data: Data, deliveries: list[Terms]) -> None:
    """(6) Σ_licensed (1 − p)·x ≤ I[t−1] + q."""
    for s, m in data.points:
        for t in range(len(data.periods)):
            terms = {lp.names[("q", s, m, t)]: -1.0}
            for i, d in enumerate(deliveries):
                if d.site == s and d.t == t and data.offers[d.offer].material == m:
                    terms[lp.names[("x", i)]] = 1 - d.approval  # 0 unless licensed
            hi = _initial(data, s, m) if t == 0 else 0.0
            if t > 0:
                terms[lp.names[("I", s, m, t - 1)]] = -1.0
            lp.row(terms, -math.inf, hi)


def add_country_share(lp: LP, data: Data, deliveries: list[Terms]) -> None:
    """(7) Σ_{c∈chain} x ≤ share_c · Σ x, per material and capped country."""
    for m in data.materials:
        touched = {c for offer in data.offers if offer.material == m for c in offer.chain}
        for c in touched:
            share = data.countries[c]["max_share"]
            if share >= 1:
                continue
            terms = {}
            for i, d in enumerate(deliveries):
                offer = data.offers[d.offer]
                if offer.material == m:
                    terms[lp.names[("x", i)]] = (1.0 if c in offer.chain else 0.0) - share
            lp.row(terms, -math.inf, 0.0)


def add_budget(lp: LP, data: Data, deliveries: list[Terms]) -> None:
    """(8) Σ c·x ≤ budget_t."""
    for t, budget in enumerate(data.budget):
        if budget is None:
            continue
        terms = {lp.names[("x", i)]: d.landed for i, d in enumerate(deliveries) if d.t == t}
        lp.row(terms, -math.inf, budget)


def build(data: Data) -> LP:
    """The LP of §2 for one scenario: the table of contents."""
    deliveries = derive(data)
    lp = LP()
    add_variables(lp, data, deliveries)
    add_balance(lp, data, deliveries)
    add_capacity(lp, data, deliveries)
    add_floor_and_end_target(lp, data)
    add_licence_cover(lp, data, deliveries)
    add_country_share(lp, data, deliveries)
    add_budget(lp, data, deliveries)
    return lp


def solve(lp: LP) -> float | None:
    """The optimum, or None when the LP is infeasible."""
    rows, cols, values, lower, upper = [], [], [], [], []
    for r, (terms, lo, hi) in enumerate(lp.rows):
        for c, a in terms.items():
            rows.append(r)
            cols.append(c)
            values.append(a)
        lower.append(lo)
        upper.append(hi)
    matrix = coo_matrix((values, (rows, cols)), shape=(len(lp.rows), len(lp.cost))).tocsr()
    lower_arr, upper_arr = np.array(lower), np.array(upper)
    finite_hi, finite_lo = np.isfinite(upper_arr), np.isfinite(lower_arr)
    a_ub = [matrix[finite_hi], -matrix[finite_lo]]
    result = linprog(
        np.array(lp.cost),
        A_ub=vstack(a_ub),
        b_ub=np.concatenate([upper_arr[finite_hi], -lower_arr[finite_lo]]),
        bounds=list(
            zip(
                [0.0] * len(lp.cost),
                [u if math.isfinite(u) else None for u in lp.upper],
                strict=True,
            )
        ),
        method="highs",
    )
    return float(result.fun) if result.status == 0 else None


def reference_objective(path: Path, scenario: str = "base") -> float | None:
    """SPEC v2 §2's optimum of `scenario` in the workbook at `path` (None: no plan)."""
    return solve(build(resolve(read_book(path), scenario)))
