"""An independent build of SPEC v3 §2, with §8's recipes and §7's integer terms.

It shares nothing with reopt: the workbook is read with openpyxl, the rules and derived
data are computed with plain loops straight from the spec's wording, and the model is
solved by scipy's HiGHS (`scipy.optimize.milp` at gap 0; without binaries that is an LP).
It never imports `models` or `optimizer`. It reads valid workbooks only (no error
reporting) and assumes text labels.

Layout: `read_book` → `Book`; `resolve` (§1's defaults and the scenario's rules) →
`Data`; `derive` (per (o, s, t) terms) → `Terms`; then one `add_*` function per
constraint family of §2 on an `LP`, each writing one scenario's `Block` (its flows into
stock, its own columns and its cost terms). `add_families` is the table of contents;
`build` is §2 for one scenario, and `tests/reference_robust.py` reuses the same families
for §6 with one block per scenario. Places where the spec leaves a choice say "Reading:".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

ANY = "*"
Row = dict[str, Any]
# §2's reported cost terms, in the order of its list (they add up to the objective)
TERMS = (
    "purchase", "tariff", "freight", "risk", "holding", "shortage", "safety", "salvage",
    "fixed", "conversion", "take_or_pay",
)  # fmt: skip


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


def _shares(value: object) -> dict[str, float]:
    """§1's shares: comma-separated `NAME number` pairs, the number the pair's last word."""
    shares = {}
    for pair in str(value or "").split(","):
        if pair.strip():
            name, number = pair.strip().rsplit(None, 1)
            shares[name.strip()] = float(number)
    return shares


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
    prices: dict[int, float]  # the Prices rows, by period
    origin: dict[str, float]  # origin_content: declared value share by country
    fixed_cost: float
    min_order: float
    min_total: float
    take_or_pay_price: float


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
    min_content: float | None


@dataclass
class Recipe:
    name: str
    site: str
    cost: float
    capacity: float
    lead_time: int
    first: int
    last: int
    inputs: dict[str, float]
    outputs: dict[str, float]


@dataclass
class Data:
    """The workbook with §1's defaults applied, for one scenario."""

    periods: list[str]
    budget: list[float | None]
    settings: dict[str, Any]
    materials: dict[str, Row]
    countries: dict[str, Row]
    end_use: dict[str, str]
    storage: dict[str, float | None]
    offers: list[Offer]
    lanes: dict[tuple[str, str, str], tuple[float | None, bool]]
    demand: dict[tuple[str, str, int], float]
    pipeline: dict[tuple[str, str, int], float]
    stock: dict[tuple[str, str], Row]
    recipes: list[Recipe]
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
        "scenario": _label(found.get("scenario")) or "base",
        "commit_periods": int(_number(found.get("commit_periods"), 1.0)),
    }


def _window(row: Row, first: str, last: str, periods: list[str]) -> tuple[int, int]:
    """The (first, last) period indices of an optional window; open ends are the horizon."""
    start, end = _label(row.get(first)), _label(row.get(last))
    return (
        periods.index(start) if start else 0,
        periods.index(end) if end else len(periods) - 1,
    )


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
    """10 × max over the material's offers of unit_cost + the largest freight applying.

    Reading: "unit_cost ... as written" is the Suppliers column; Prices rows do not move
    this default."""
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
            first, last = _window(row, "from_period", "to_period", periods)
            rule = Rule(
                *key,
                approval=_number(row.get("approval"), 1.0),
                delay_days=_number(row.get("delay_days"), 0.0),
                capacity_factor=_number(row.get("capacity_factor"), 1.0),
                cost_factor=_number(row.get("cost_factor"), 1.0),
                extra_tariff=_number(row.get("extra_tariff"), 0.0),
                first=first,
                last=last,
                min_content=_number(row.get("min_content")),
            )
            own.setdefault(key, []).append(rule)
        in_force.update(own)
    return [rule for rules in in_force.values() for rule in rules], factor


def _offers(book: Book, periods: list[str]) -> list[Offer]:
    """Suppliers rows with §1's defaults, each with its Prices rows."""
    prices: dict[tuple[str, str], dict[int, float]] = {}
    for row in book.rows("prices"):
        key = (_label(row["supplier"]), _label(row["material"]))
        prices.setdefault(key, {})[periods.index(_label(row["period"]))] = _number(row["unit_cost"])
    offers = []
    for row in book.rows("suppliers"):
        country = _label(row["country"])
        refined = _label(row.get("refined_in")) or country
        supplier, material = _label(row["supplier"]), _label(row["material"])
        unit_cost = _number(row.get("unit_cost"), 0.0)
        first, last = _window(row, "available_from", "available_to", periods)
        offers.append(
            Offer(
                supplier=supplier,
                material=material,
                chain=(country, refined, _label(row.get("mined_in")) or refined),
                capacity=_number(row.get("capacity"), 0.0),
                unit_cost=unit_cost,
                freight=_number(row.get("freight"), 0.0),
                lead_time=int(_number(row.get("lead_time"), 0.0)),
                first=first,
                last=last,
                prices=prices.get((supplier, material), {}),
                origin=_shares(row.get("origin_content")),
                fixed_cost=_number(row.get("fixed_cost"), 0.0),
                min_order=_number(row.get("min_order"), 0.0),
                min_total=_number(row.get("min_total"), 0.0),
                # Reading: the default "the offer's unit_cost" is the Suppliers column, one
                # price for the horizon, not a Prices row.
                take_or_pay_price=_number(row.get("take_or_pay_price"), unit_cost),
            )
        )
    return offers


def _recipes(book: Book, periods: list[str]) -> list[Recipe]:
    """Recipes rows with §1's defaults and their RecipeItems."""
    recipes = []
    for row in book.rows("recipes"):
        name = _label(row["recipe"])
        items = [r for r in book.rows("recipeitems") if _label(r["recipe"]) == name]
        first, last = _window(row, "available_from", "available_to", periods)
        recipes.append(
            Recipe(
                name=name,
                site=_label(row["site"]),
                cost=_number(row.get("cost"), 0.0),
                capacity=_number(row.get("capacity"), math.inf),
                lead_time=int(_number(row.get("lead_time"), 0.0)),
                first=first,
                last=last,
                inputs={
                    _label(r["material"]): _number(r.get("input"), 0.0)
                    for r in items
                    if _number(r.get("input"), 0.0) > 0
                },
                outputs={
                    _label(r["material"]): _number(r.get("output"), 0.0)
                    for r in items
                    if _number(r.get("output"), 0.0) > 0
                },
            )
        )
    return recipes


def resolve(book: Book, scenario: str = "base") -> Data:
    """§1: every default applied, for scenario `scenario`."""
    settings = _settings(book)
    periods = [_label(r["period"]) for r in book.rows("periods")]
    budget = [_number(r.get("budget")) for r in book.rows("periods")]
    countries = {}
    for row in book.rows("countries"):
        countries[_label(row["country"])] = {
            "tariff": _number(row.get("tariff"), 0.0),
            "covered": _yes(row.get("covered"), False),
            "max_share": _number(row.get("max_share"), settings["max_country_share"]),
        }
    sites = book.rows("sites")
    end_use = {_label(r["site"]): (_label(r.get("end_use")) or "commercial").lower() for r in sites}
    storage = {_label(r["site"]): _number(r.get("storage")) for r in sites}
    offers = _offers(book, periods)
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
            "max_suppliers": _number(row.get("max_suppliers")),
        }

    def keyed(sheet: str) -> dict[tuple[str, str, int], float]:
        totals: dict[tuple[str, str, int], float] = {}
        for row in book.rows(sheet):
            key = (
                _label(row["site"]),
                _label(row["material"]),
                periods.index(_label(row["period"])),
            )
            totals[key] = totals.get(key, 0.0) + _number(row["quantity"], 0.0)
        return totals

    demand, pipeline = keyed("demand"), keyed("pipeline")
    stock = {(_label(r["site"]), _label(r["material"])): r for r in book.rows("stock")}
    recipes = _recipes(book, periods)
    made_or_used = {(r.site, m) for r in recipes for m in (*r.inputs, *r.outputs)}
    points = sorted(
        {(s, m) for s, m, _ in demand} | set(stock) | {(s, m) for s, m, _ in pipeline}
        | made_or_used
    )  # fmt: skip
    rules, factor = rules_in_force(book, scenario, periods)
    return Data(
        periods, budget, settings, materials, countries, end_use, storage, offers,
        lanes, demand, pipeline, stock, recipes, points, rules, factor,
    )  # fmt: skip


# -- §2: derived data --------------------------------------------------------------------


@dataclass
class Terms:
    """The derived data of one (o, s, t) that §2 allows but for the lead time."""

    offer: int
    site: str
    t: int
    approval: float
    lead: int
    licensed: bool
    # Reading: with Prices, §2's `purchase` Σ unit_cost·cf·x and `tariff` Σ unit_cost·cf·τ·x
    # are read with the period's price π[o,t] in place of unit_cost.
    purchase: float  # π·cf per t
    tariff: float  # π·cf·τ per t
    freight: float
    risk: float

    @property
    def landed(self) -> float:
        """c[o,s,t] = π·cf·(1 + τ) + f."""
        return self.purchase + self.tariff + self.freight


def _reaches(rule: Rule, offer: Offer) -> bool:
    """The rule's country is in chain(o), or (with min_content) o declares a share from it
    of at least min_content.

    Reading: a country that origin_content does not name is not declared at all, so it
    never matches by content, even at min_content 0."""
    if rule.country in offer.chain:
        return True
    share = offer.origin.get(rule.country)
    return rule.min_content is not None and share is not None and share >= rule.min_content


def matching(data: Data, offer: Offer, end_use: str | None, t: int) -> list[Rule]:
    """Rules that reach o, whose item is `*`/material/element, whose end_use is `*` or the
    site's (None: only `*`), and whose window holds t."""
    items = {ANY, offer.material, *data.materials[offer.material]["elements"]}
    return [
        rule
        for rule in data.rules
        if _reaches(rule, offer)
        and rule.item in items
        and (rule.end_use == ANY or rule.end_use == end_use)
        and rule.first <= t <= rule.last
    ]


def capacity(data: Data, o: int, t: int) -> float:
    """cap[o,t] = capacity × Π capacity_factor over the end_use `*` rules matching o in t."""
    offer = data.offers[o]
    return offer.capacity * math.prod(r.capacity_factor for r in matching(data, offer, None, t))


def delivery(data: Data, o: int, site: str, t: int) -> Terms | None:
    """The terms of (o, s, t) if §2 allows a delivery there for every reason but the lead
    time; None for a ban, a capacity of 0, a closed lane, the availability window or the
    covered-country exclusion."""
    offer = data.offers[o]
    freight, allowed = data.lanes.get((offer.supplier, offer.material, site), (None, True))
    covered = any(data.countries[c]["covered"] for c in offer.chain)
    if not allowed or (data.end_use[site] == "defense" and covered):
        return None
    if not offer.first <= t <= offer.last or capacity(data, o, t) <= 0:
        return None
    rules = matching(data, offer, data.end_use[site], t)
    p = math.prod(r.approval for r in rules)
    if p <= 0:
        return None
    delay = max((r.delay_days for r in rules), default=0.0)
    lead = offer.lead_time + math.ceil(delay / data.settings["period_days"] - 1e-9)
    price = offer.prices.get(t, offer.unit_cost) * math.prod(r.cost_factor for r in rules)
    tau = data.countries[offer.chain[0]]["tariff"] + sum(r.extra_tariff for r in rules)
    disruption = data.materials[offer.material]["disruption_cost"]
    return Terms(
        o, site, t, p, lead, p < 1 or delay > 0, price, price * tau,
        offer.freight if freight is None else freight,
        data.settings["risk_weight"] * (1 - p) * disruption,
    )  # fmt: skip


def derive(data: Data) -> list[Terms]:
    """Every delivery variable of §2: the allowed (o, s, t) with t > L (periods 1-based)."""
    deliveries = []
    for o, offer in enumerate(data.offers):
        for site, material in data.points:
            if material != offer.material:
                continue
            for t in range(len(data.periods)):
                terms = delivery(data, o, site, t)
                if terms is not None and t + 1 > terms.lead:
                    deliveries.append(terms)
    return deliveries


# -- the model: columns, rows, and one scenario's block -------------------------------------


@dataclass
class LP:
    """Columns with bounds (some binary) and rows lo ≤ Σ a·x ≤ hi."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    binary: list[bool] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def var(self, upper: float = math.inf, binary: bool = False, lower: float = 0.0) -> int:
        """A new column."""
        self.lower.append(lower)
        self.upper.append(1.0 if binary else upper)
        self.binary.append(binary)
        return len(self.lower) - 1

    def row(self, terms: dict[int, float], lo: float, hi: float) -> None:
        """A new row lo ≤ Σ terms ≤ hi."""
        self.rows.append((terms, lo, hi))

    def solve(self, cost: dict[int, float], fixed: dict[int, float] | None = None) -> Any:
        """The optimal column values of min Σ cost·x (None: no plan), with some columns
        fixed; scipy's milp (HiGHS) at a relative gap of 0."""
        count = len(self.lower)
        c = np.zeros(count)
        for column, coef in cost.items():
            c[column] += coef
        low, high = np.array(self.lower), np.array(self.upper)
        integrality = np.array(self.binary, dtype=int)
        for column, value in (fixed or {}).items():
            low[column] = high[column] = value
            integrality[column] = 0
        entries = [(r, j, a) for r, (terms, _, _) in enumerate(self.rows) for j, a in terms.items()]
        rows, cols, values = zip(*entries, strict=True) if entries else ((), (), ())
        matrix = coo_matrix((values, (rows, cols)), shape=(len(self.rows), count)).tocsr()
        constraints = LinearConstraint(
            matrix, [lo for _, lo, _ in self.rows], [hi for _, _, hi in self.rows]
        )
        result = milp(
            c, integrality=integrality, bounds=Bounds(low, high),
            constraints=constraints if self.rows else None, options={"mip_rel_gap": 0.0},
        )  # fmt: skip
        return result.x if result.status == 0 else None


@dataclass
class Flow:
    """Tonnes counted as a delivery of the block's scenario: share × column, at the terms
    `terms` (of the delivery period terms.t) and arriving in period `arrival`."""

    column: int
    share: float
    terms: Terms
    arrival: int


@dataclass
class Block:
    """One scenario's part of a model: its §2 deliveries, what it receives (flows), its own
    columns by name and its cost terms (term → column → coefficient; C = their sum)."""

    data: Data
    deliveries: list[Terms]
    flows: list[Flow] = field(default_factory=list)
    columns: dict[tuple, int] = field(default_factory=dict)
    runs: dict[tuple[int, int], int] = field(default_factory=dict)  # (recipe, start) → n
    terms: dict[str, dict[int, float]] = field(default_factory=dict)
    onboard: dict[int, int] = field(default_factory=dict)

    def cost(self, term: str, column: int, coef: float) -> None:
        """Add coef·column to the cost term `term`."""
        members = self.terms.setdefault(term, {})
        members[column] = members.get(column, 0.0) + coef

    def receive(self, column: int, share: float, terms: Terms, arrival: int) -> None:
        """A flow, paid at (c + r)·share per t of the column: purchase, tariff, freight, risk."""
        self.flows.append(Flow(column, share, terms, arrival))
        for term in ("purchase", "tariff", "freight", "risk"):
            self.cost(term, column, share * getattr(terms, term))

    def objective(self) -> dict[int, float]:
        """C of the block as column → coefficient."""
        total: dict[int, float] = {}
        for members in self.terms.values():
            for column, coef in members.items():
                total[column] = total.get(column, 0.0) + coef
        return total

    def evaluate(self, values: Any) -> dict[str, float]:
        """Each cost term at the column values (every term of §2, and any other present)."""
        names = list(TERMS) + [t for t in self.terms if t not in TERMS]
        return {
            name: float(sum(coef * values[c] for c, coef in self.terms.get(name, {}).items()))
            for name in names
        }


# -- §2: the families, one function each -----------------------------------------------------


def add_onboarding(lp: LP, data: Data) -> dict[int, int]:
    """§7: a binary z[o] for every offer with F_o > 0 and every offer of a material with
    max_suppliers N_m (whether or not it can deliver); Σ_{o∈O_m} z[o] ≤ N_m."""
    onboard = {
        o: lp.var(binary=True)
        for o, offer in enumerate(data.offers)
        if offer.fixed_cost > 0 or data.materials[offer.material]["max_suppliers"] is not None
    }
    for name, material in data.materials.items():
        members = {z: 1.0 for o, z in onboard.items() if data.offers[o].material == name}
        if material["max_suppliers"] is not None and members:
            lp.row(members, -math.inf, material["max_suppliers"])
    return onboard


def charge_onboarding(block: Block, onboard: dict[int, int]) -> None:
    """§7's cost term `fixed` Σ F_o·z[o]; the block's capacity rows switch on these z."""
    block.onboard = onboard
    for o, column in onboard.items():
        block.cost("fixed", column, block.data.offers[o].fixed_cost)


def add_purchases(lp: LP, block: Block, first_order: int = 0) -> None:
    """x[o,s,t] ≥ 0 at c + r for the deliveries whose order period t − L (0-based) is at
    least `first_order` (§2: all of them)."""
    for terms in block.deliveries:
        if terms.t - terms.lead >= first_order:
            block.receive(lp.var(), 1.0, terms, terms.t)


def add_stock(lp: LP, block: Block) -> None:
    """I, u ≤ d, v, q per point and period, w per point; holding on I, −salvage on I[T];
    (4) storage I ≤ max as I's bound."""
    data, last = block.data, len(block.data.periods) - 1
    for s, m in data.points:
        material = data.materials[m]
        limit = _number(data.stock.get((s, m), {}).get("max"), math.inf)
        for t in range(len(data.periods)):
            stock = block.columns[("I", s, m, t)] = lp.var(limit)
            block.cost("holding", stock, material["holding_cost"])
            if t == last:
                block.cost("salvage", stock, -material["salvage_value"])
            demand = data.demand.get((s, m, t), 0.0) * data.demand_factor
            block.columns[("u", s, m, t)] = lp.var(demand)
            block.cost("shortage", block.columns[("u", s, m, t)], material["shortage_penalty"])
            for gap in ("v", "q"):
                block.columns[(gap, s, m, t)] = lp.var()
                block.cost("safety", block.columns[(gap, s, m, t)], material["safety_penalty"])
        block.columns[("w", s, m)] = lp.var()
        block.cost("safety", block.columns[("w", s, m)], material["safety_penalty"])


def add_runs(lp: LP, block: Block) -> None:
    """§8: n[r,t] ≥ 0 for the start periods in the recipe's window with t + ℓ_r ≤ T, at the
    cost F_r (term `conversion`); (9) recipe capacity n ≤ K_r as n's bound."""
    periods = len(block.data.periods)
    for r, recipe in enumerate(block.data.recipes):
        for t in range(recipe.first, recipe.last + 1):
            if t + 1 + recipe.lead_time <= periods:
                block.runs[(r, t)] = lp.var(recipe.capacity)
                block.cost("conversion", block.runs[(r, t)], recipe.cost)


def _initial(data: Data, s: str, m: str) -> float:
    return _number(data.stock.get((s, m), {}).get("initial"), 0.0)


def _material(block: Block, flow: Flow) -> str:
    return block.data.offers[flow.terms.offer].material


def add_balance(lp: LP, block: Block) -> None:
    """(1) I[t−1] + Σ x + P + u + Σ_r out[r,m]·n[r,t−ℓ_r] = d + I[t] + Σ_r in[r,m]·n[r,t]."""
    data = block.data
    inflow: dict[tuple[str, str, int], dict[int, float]] = {}

    def add(key: tuple[str, str, int], column: int, coef: float) -> None:
        terms = inflow.setdefault(key, {})
        terms[column] = terms.get(column, 0.0) + coef

    for flow in block.flows:
        add((flow.terms.site, _material(block, flow), flow.arrival), flow.column, flow.share)
    for (r, t), column in block.runs.items():
        recipe = data.recipes[r]
        for m, quantity in recipe.outputs.items():
            add((recipe.site, m, t + recipe.lead_time), column, quantity)
        for m, quantity in recipe.inputs.items():
            add((recipe.site, m, t), column, -quantity)
    for s, m in data.points:
        for t in range(len(data.periods)):
            terms = dict(inflow.get((s, m, t), {}))
            terms[block.columns[("I", s, m, t)]] = -1.0
            terms[block.columns[("u", s, m, t)]] = 1.0
            rhs = data.demand.get((s, m, t), 0.0) * data.demand_factor
            rhs -= data.pipeline.get((s, m, t), 0.0)
            if t == 0:
                rhs -= _initial(data, s, m)
            else:
                terms[block.columns[("I", s, m, t - 1)]] = 1.0
            lp.row(terms, rhs, rhs)


def add_capacity(lp: LP, block: Block, shared_lots: frozenset = frozenset()) -> None:
    """(2) Σ_s share·x[o,s,t] ≤ cap[o,t], grouped by the delivery period t of the terms;
    §7: ≤ cap·z[o] with onboarding, and with min_order Q_o > 0 a binary lot w[o,t]:
    Q_o·w ≤ Σ_s x ≤ cap·w (both rows when both binaries), except for the (o, t) in
    `shared_lots`, whose lot is written elsewhere (§6's committed orders)."""
    data = block.data
    groups: dict[tuple[int, int], dict[int, float]] = {}
    for flow in block.flows:
        members = groups.setdefault((flow.terms.offer, flow.terms.t), {})
        members[flow.column] = members.get(flow.column, 0.0) + flow.share
    for (o, t), members in groups.items():
        cap, offer = capacity(data, o, t), data.offers[o]
        switches = [block.onboard[o]] if o in block.onboard else []
        if offer.min_order > 0 and (o, t) not in shared_lots:
            lot = block.columns[("lot", o, t)] = lp.var(binary=True)
            lp.row({**members, lot: -offer.min_order}, 0.0, math.inf)
            switches.append(lot)
        if not switches:
            lp.row(members, -math.inf, cap)
        for switch in switches:
            lp.row({**members, switch: -cap}, -math.inf, 0.0)


def add_floor_and_end_target(lp: LP, block: Block) -> None:
    """(3) I + v ≥ min; (5) I[T] + w ≥ target_end."""
    data, last, columns = block.data, len(block.data.periods) - 1, block.columns
    for s, m in data.points:
        row = data.stock.get((s, m), {})
        floor = _number(row.get("min"), 0.0)
        for t in range(len(data.periods)):
            lp.row({columns[("I", s, m, t)]: 1.0, columns[("v", s, m, t)]: 1.0}, floor, math.inf)
        target = _number(row.get("target_end"), 0.0)
        lp.row({columns[("I", s, m, last)]: 1.0, columns[("w", s, m)]: 1.0}, target, math.inf)


def add_site_storage(lp: LP, block: Block) -> None:
    """(10) Σ_{m: (s,m)∈SM} I[s,m,t] ≤ storage(s), every period, where storage is given."""
    data = block.data
    for site, limit in data.storage.items():
        if limit is None:
            continue
        for t in range(len(data.periods)):
            terms = {block.columns[("I", s, m, t)]: 1.0 for s, m in data.points if s == site}
            if terms:
                lp.row(terms, -math.inf, limit)


def add_licence_cover(lp: LP, block: Block) -> None:
    """(6) Σ_licensed (1 − p)·x ≤ I[t−1] + q, counted in the arrival period."""
    data, columns = block.data, block.columns
    denied: dict[tuple[str, str, int], dict[int, float]] = {}
    for flow in block.flows:
        if flow.terms.licensed and flow.terms.approval < 1:
            key = (flow.terms.site, _material(block, flow), flow.arrival)
            terms = denied.setdefault(key, {})
            terms[flow.column] = (
                terms.get(flow.column, 0.0) + (1 - flow.terms.approval) * flow.share
            )
    for (s, m, t), terms in denied.items():
        row = {**terms, columns[("q", s, m, t)]: -1.0}
        if t > 0:
            row[columns[("I", s, m, t - 1)]] = -1.0
        lp.row(row, -math.inf, _initial(data, s, m) if t == 0 else 0.0)


def add_country_share(lp: LP, block: Block) -> None:
    """(7) Σ_{c∈chain} x ≤ share_c · Σ x, per material and capped country in some chain."""
    data = block.data
    for m in data.materials:
        touched = {c for offer in data.offers if offer.material == m for c in offer.chain}
        for c in sorted(touched):
            share = data.countries[c]["max_share"]
            if share >= 1:
                continue
            terms: dict[int, float] = {}
            for flow in block.flows:
                offer = data.offers[flow.terms.offer]
                if offer.material == m:
                    coef = ((1.0 if c in offer.chain else 0.0) - share) * flow.share
                    terms[flow.column] = terms.get(flow.column, 0.0) + coef
            if terms:
                lp.row(terms, -math.inf, 0.0)


def add_budget(lp: LP, block: Block) -> None:
    """(8) Σ c·x ≤ budget_t in the arrival period (landed cost; not risk, recipes or
    take-or-pay: the budget caps purchases delivered in the period)."""
    for t, budget in enumerate(block.data.budget):
        if budget is None:
            continue
        terms: dict[int, float] = {}
        for flow in block.flows:
            if flow.arrival == t:
                terms[flow.column] = terms.get(flow.column, 0.0) + flow.terms.landed * flow.share
        lp.row(terms, -math.inf, budget)


def add_take_or_pay(lp: LP, block: Block) -> None:
    """(11) Σ_{s,t} x[o,s,t] + g[o] ≥ min(min_total, Σ_t cap[o,t] over the periods in which o
    has a delivery variable), g at take_or_pay_price (term `take_or_pay`).

    Reading: "a delivery variable" is one of the scenario's §2 delivery variables (in §6
    too, where some of them exist only as committed orders)."""
    data = block.data
    for o, offer in enumerate(data.offers):
        if offer.min_total <= 0:
            continue
        periods = {terms.t for terms in block.deliveries if terms.offer == o}
        amount = min(offer.min_total, sum(capacity(data, o, t) for t in periods))
        gap = block.columns[("g", o)] = lp.var()
        block.cost("take_or_pay", gap, offer.take_or_pay_price)
        terms = {gap: 1.0}
        for flow in block.flows:
            if flow.terms.offer == o:
                terms[flow.column] = terms.get(flow.column, 0.0) + flow.share
        lp.row(terms, amount, math.inf)


def add_families(lp: LP, block: Block, shared_lots: frozenset = frozenset()) -> None:
    """Every family of §2 on a block whose flows are in place: the table of contents."""
    add_stock(lp, block)
    add_runs(lp, block)
    add_balance(lp, block)
    add_capacity(lp, block, shared_lots)
    add_floor_and_end_target(lp, block)
    add_site_storage(lp, block)
    add_licence_cover(lp, block)
    add_country_share(lp, block)
    add_budget(lp, block)
    add_take_or_pay(lp, block)


def build(data: Data) -> tuple[LP, Block]:
    """The model of §2 (+ §7, §8) for one scenario."""
    lp, block = LP(), Block(data, derive(data))
    charge_onboarding(block, add_onboarding(lp, data))
    add_purchases(lp, block)
    add_families(lp, block)
    return lp, block


# -- results ----------------------------------------------------------------------------


@dataclass
class Solution:
    """§2's optimum of one scenario with its cost terms, purchases and production."""

    objective: float
    terms: dict[str, float]
    purchases: dict[tuple[str, str, str, str], float]  # (supplier, material, site, period)
    production: dict[tuple[str, str], float]  # (recipe, start period) → runs
    made: float  # Σ outputs of all runs, t

    @property
    def runs(self) -> float:
        """Σ n over every recipe and period."""
        return sum(self.production.values())


def solution(block: Block, values: Any) -> Solution:
    """The block's figures at the column values."""
    data = block.data
    purchases: dict[tuple[str, str, str, str], float] = {}
    for flow in block.flows:
        offer = data.offers[flow.terms.offer]
        key = (offer.supplier, offer.material, flow.terms.site, data.periods[flow.terms.t])
        purchases[key] = purchases.get(key, 0.0) + flow.share * float(values[flow.column])
    production, made = {}, 0.0
    for (r, t), column in block.runs.items():
        production[(data.recipes[r].name, data.periods[t])] = float(values[column])
        made += sum(data.recipes[r].outputs.values()) * float(values[column])
    terms = block.evaluate(values)
    return Solution(sum(terms.values()), terms, purchases, production, made)


def reference_solution(path: Path, scenario: str = "base") -> Solution | None:
    """SPEC v3 §2's optimum of `scenario` in the workbook at `path` (None: no plan)."""
    lp, block = build(resolve(read_book(path), scenario))
    values = lp.solve(block.objective())
    return None if values is None else solution(block, values)


def reference_objective(path: Path, scenario: str = "base") -> float | None:
    """SPEC v3 §2's optimum of `scenario` in the workbook at `path` (None: no plan)."""
    found = reference_solution(path, scenario)
    return None if found is None else found.objective
