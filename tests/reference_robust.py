"""An independent build of SPEC §6 (and the §2 it rests on), for comparison with reopt.

Written from the SPEC alone: it reads the workbook with openpyxl and solves one dense LP
with `scipy.optimize.linprog(method="highs")`, or with §7's binaries (z shared by every
scenario, w per scenario after K) one MIP with `scipy.optimize.milp` at gap 0. It never
imports `models/` or `optimizer/`. It covers the columns that `random_sheets` writes
(every value explicit): no Lanes, Pipeline, availability windows or rule windows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import openpyxl
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from tests.workbooks import Sheets


def random_sheets(rng: np.random.Generator, integer: bool = False) -> Sheets:
    """A small valid workbook with scenarios, probabilities, rules, budgets and stock;
    `integer` adds §7's fixed_cost, min_order and max_suppliers (drawn last, so the
    rest of the workbook is the one drawn without them)."""
    periods = [f"2027-{m:02d}" for m in range(1, int(rng.integers(1, 4)) + 1)]
    materials = [("Dy oxide", "Dy"), ("NdPr oxide", "Nd, Pr")][: int(rng.integers(1, 3))]
    countries = ["China", "Malaysia", "US"]
    sites = [("Plant", "commercial"), ("Base", "defense")][: int(rng.integers(1, 3))]
    pick = lambda options: options[int(rng.integers(len(options)))]  # noqa: E731
    sheets: Sheets = {
        "Settings": [
            ["key", "value"],
            ["risk_weight", float(pick([0.5, 1.0]))],
            ["period_days", 30.0],
            ["commit_periods", int(rng.integers(0, len(periods) + 1))],
        ],
        "Periods": [["period", "budget"]]
        + [[p, pick([None, None, float(rng.integers(500, 3000))])] for p in periods],
        "Materials": [
            ["material", "elements", "holding_cost", "shortage_penalty", "safety_penalty",
             "disruption_cost", "salvage_value"]
        ]
        + [
            [name, elements, float(rng.integers(0, 5)), 1000.0, pick([0.0, 20.0]),
             float(rng.integers(0, 60)), pick([0.0, 0.0, 15.0])]
            for name, elements in materials
        ],
        "Countries": [["country", "tariff", "covered", "max_share"],
                      ["China", 0.25, "yes", pick([1.0, 0.7])],
                      ["Malaysia", 0.0, "no", 1.0], ["US", 0.1, "no", 1.0]],
        "Sites": [["site", "end_use"], *[[s, e] for s, e in sites]],
    }  # fmt: skip
    offers = [["supplier", "material", "country", "refined_in", "mined_in", "capacity",
               "unit_cost", "freight", "lead_time"]]  # fmt: skip
    for i in range(int(rng.integers(2, 5))):
        offers.append(
            [f"sup{i}", pick(materials)[0], pick(countries), pick(countries), pick(countries),
             float(rng.integers(1, 15)), float(rng.integers(10, 90)), float(rng.integers(0, 4)),
             int(rng.integers(0, len(periods)))]
        )  # fmt: skip
    sheets["Suppliers"] = offers
    demand = [["site", "material", "period", "quantity"]]
    for site, _ in sites:
        for material, _ in materials:
            for period in periods:
                if rng.random() < 0.7:
                    demand.append([site, material, period, float(rng.integers(0, 12))])
    if len(demand) == 1:
        demand.append([sites[0][0], materials[0][0], periods[0], 3.0])
    sheets["Demand"] = demand
    stock = [["site", "material", "initial", "min", "max", "target_end"]]
    for site, _ in sites:
        for material, _ in materials:
            if rng.random() < 0.5:
                initial = float(rng.integers(0, 6))
                stock.append([site, material, initial, float(rng.integers(0, 4)), None,
                              float(rng.integers(0, 4))])  # fmt: skip
    sheets["Stock"] = stock
    sheets["Scenarios"] = [
        ["scenario", "parent", "demand_factor", "probability"],
        ["base", None, 1.0, 0.5],
        ["squeeze", "base", float(pick([1.0, 1.2])), 0.3],
        ["ban", "squeeze", 1.0, 0.2],
    ]
    rules = [["scenario", "country", "item", "end_use", "approval", "delay_days",
              "capacity_factor", "cost_factor", "extra_tariff"]]  # fmt: skip
    rules.append(["base", "China", pick(["*", "Dy"]), "*", pick([0.6, 0.9, 1.0]),
                  pick([0.0, 45.0]), 1.0, 1.0, 0.0])  # fmt: skip
    rules.append(["squeeze", pick(countries), "*", "*", 1.0, 0.0, pick([0.5, 0.0]),
                  pick([1.0, 1.5]), pick([0.0, 0.1])])  # fmt: skip
    rules.append(["ban", "China", "Dy", "*", 0.0, 0.0, 1.0, 1.0, 0.0])
    sheets["Controls"] = rules
    if integer:
        sheets["Suppliers"] = [
            [*offers[0], "fixed_cost", "min_order"],
            *[[*row, pick([0.0, 30.0, 150.0]), pick([0.0, 0.0, 4.0])] for row in offers[1:]],
        ]
        table = sheets["Materials"]
        table[0] = [*table[0], "max_suppliers"]
        for row in table[1:]:
            row.append(pick([None, 1, 2]))
    return sheets


def _rows(book: openpyxl.Workbook, name: str) -> list[dict[str, object]]:
    values = list(book[name].iter_rows(values_only=True))
    header = [str(h).strip().lower() for h in values[0]]
    return [dict(zip(header, row, strict=False)) for row in values[1:]]


@dataclass
class _LP:
    """Rows built one at a time: Σ coefs·vars (≤ | =) bound."""

    columns: int = 0
    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    binary: list[bool] = field(default_factory=list)
    ub: list[tuple[dict[int, float], float]] = field(default_factory=list)
    eq: list[tuple[dict[int, float], float]] = field(default_factory=list)

    def var(self, cost: float = 0.0, lower: float = 0.0, binary: bool = False) -> int:
        self.cost.append(cost)
        self.lower.append(lower)
        self.binary.append(binary)
        self.columns += 1
        return self.columns - 1

    def matrix(self, rows: list[tuple[dict[int, float], float]]) -> tuple[np.ndarray, np.ndarray]:
        a = np.zeros((len(rows), self.columns))
        for i, (coefs, _) in enumerate(rows):
            for j, v in coefs.items():
                a[i, j] += v
        return a, np.array([b for _, b in rows])

    def solve(self) -> float:
        if any(self.binary):
            return self._solve_mip()
        a_ub, b_ub = self.matrix(self.ub)
        a_eq, b_eq = self.matrix(self.eq)
        bounds = [(None if low == -math.inf else low, None) for low in self.lower]
        result = linprog(
            self.cost, A_ub=a_ub if len(self.ub) else None, b_ub=b_ub if len(self.ub) else None,
            A_eq=a_eq if len(self.eq) else None, b_eq=b_eq if len(self.eq) else None,
            bounds=bounds, method="highs",
        )  # fmt: skip
        assert result.status == 0, result.message
        return float(result.fun)

    def _solve_mip(self) -> float:
        """With binaries: scipy's milp (HiGHS branch and bound) to a gap of 0."""
        constraints = [
            LinearConstraint(a, -np.inf, b) for a, b in [self.matrix(self.ub)] if len(b)
        ] + [LinearConstraint(a, b, b) for a, b in [self.matrix(self.eq)] if len(b)]
        upper = [1.0 if flag else np.inf for flag in self.binary]
        integrality = np.array(self.binary, dtype=int)
        result = milp(
            self.cost, integrality=integrality, bounds=Bounds(self.lower, upper),
            constraints=constraints, options={"mip_rel_gap": 0.0},
        )  # fmt: skip
        assert result.status == 0, result.message
        return float(result.fun)


class Workbook:
    """The SPEC §2 data of every scenario of a `random_sheets` workbook."""

    def __init__(self, path: Path) -> None:
        book = openpyxl.load_workbook(path, data_only=True)
        settings = {r["key"]: r["value"] for r in _rows(book, "Settings")}
        self.risk_weight = float(settings["risk_weight"])
        self.period_days = float(settings["period_days"])
        self.commit = int(settings["commit_periods"])
        self.periods = [r["period"] for r in _rows(book, "Periods")]
        self.budget = [r["budget"] for r in _rows(book, "Periods")]
        self.materials = {r["material"]: r for r in _rows(book, "Materials")}
        self.countries = {r["country"]: r for r in _rows(book, "Countries")}
        self.sites = {r["site"]: r["end_use"] for r in _rows(book, "Sites")}
        self.offers = _rows(book, "Suppliers")
        for offer in self.offers:
            offer.setdefault("fixed_cost", 0.0)
            offer.setdefault("min_order", 0.0)
        self.demand = _rows(book, "Demand")
        stock = {(r["site"], r["material"]): r for r in _rows(book, "Stock")}
        self.stock = stock
        keys = {(r["site"], r["material"]) for r in self.demand} | set(stock)
        self.points = sorted(keys)
        self.scenarios = {r["scenario"]: r for r in _rows(book, "Scenarios")}
        self.rules = _rows(book, "Controls")

    def chain(self, offer: dict) -> set[str]:
        return {offer["country"], offer["refined_in"], offer["mined_in"]}

    def scenario(self, name: str) -> dict:
        """Deliveries (o, s, t) → (c, r, p, licensed), cap[o], demand factor."""
        lineage = []
        current = name
        while current is not None:
            lineage.append(current)
            current = self.scenarios[current]["parent"]
        lineage.reverse()
        in_force: dict[tuple, dict] = {}
        factor = 1.0
        for member in lineage:
            factor *= float(self.scenarios[member]["demand_factor"])
            for rule in self.rules:
                if rule["scenario"] == member:
                    in_force[(rule["country"], rule["item"], rule["end_use"])] = rule
        deliveries, cap = {}, {}
        for o, offer in enumerate(self.offers):
            material = offer["material"]
            items = {
                "*",
                material,
                *[e.strip() for e in self.materials[material]["elements"].split(",")],
            }
            matching = [
                r
                for r in in_force.values()
                if r["country"] in self.chain(offer) and r["item"] in items
            ]
            cap[o] = float(offer["capacity"]) * math.prod(
                float(r["capacity_factor"]) for r in matching if r["end_use"] == "*"
            )
            for s, (site, mat) in enumerate(self.points):
                if mat != material:
                    continue
                hits = [r for r in matching if r["end_use"] in ("*", self.sites[site])]
                p = math.prod(float(r["approval"]) for r in hits)
                delay = max([float(r["delay_days"]) for r in hits], default=0.0)
                cf = math.prod(float(r["cost_factor"]) for r in hits)
                tau = float(self.countries[offer["country"]]["tariff"]) + sum(
                    float(r["extra_tariff"]) for r in hits
                )
                lead = int(offer["lead_time"]) + math.ceil(delay / self.period_days - 1e-9)
                covered = any(self.countries[c]["covered"] == "yes" for c in self.chain(offer))
                if p <= 0 or cap[o] <= 0 or (self.sites[site] == "defense" and covered):
                    continue
                c = float(offer["unit_cost"]) * cf * (1 + tau) + float(offer["freight"])
                r = self.risk_weight * (1 - p) * float(self.materials[material]["disruption_cost"])
                for t in range(lead, len(self.periods)):
                    deliveries[(o, s, t)] = (c, r, p, p < 1 or delay > 0)
        return {"deliveries": deliveries, "cap": cap, "factor": factor}


def _onboarding(wb: Workbook, lp: _LP) -> dict[int, int]:
    """§7: z[o] for every offer with F_o > 0 or of a material with max_suppliers, shared
    by every scenario, and Σ_{o∈O_m} z[o] ≤ N_m."""
    capped = {m for m, row in wb.materials.items() if row.get("max_suppliers") is not None}
    z = {
        o: lp.var(binary=True)
        for o, offer in enumerate(wb.offers)
        if float(offer["fixed_cost"]) > 0 or offer["material"] in capped
    }
    for material in capped:
        members = {v: 1.0 for o, v in z.items() if wb.offers[o]["material"] == material}
        lp.ub.append((members, float(wb.materials[material]["max_suppliers"])))
    return z


def _capacity(
    wb: Workbook, lp: _LP, z: dict[int, int], x: dict[tuple, int], periods: range, cap: dict
) -> None:
    """Σ_s x[o,s,t] ≤ cap[o]·z[o] (plain cap without z); with Q_o > 0 a new binary w:
    Q_o·w ≤ Σ_s x ≤ cap[o]·w and w ≤ z[o]."""
    for o in {key[0] for key in x}:
        for t in periods:
            members = {x[k]: 1.0 for k in x if k[0] == o and k[2] == t}
            if not members:
                continue
            switches = [z[o]] if o in z else []
            q = float(wb.offers[o]["min_order"])
            if q > 0:
                w = lp.var(binary=True)
                lp.ub.append(({**{v: -1.0 for v in members}, w: q}, 0.0))
                if o in z:
                    lp.ub.append(({w: 1.0, z[o]: -1.0}, 0.0))
                switches = [w]
            if not switches:
                lp.ub.append((members, cap[o]))
            for b in switches:
                lp.ub.append(({**members, b: -cap[o]}, 0.0))


def robust_objective(
    path: Path, names: list[str], probability: list[float], alpha: float, beta: float,
    commit: int | None = None, reference: str = "base",
) -> float:  # fmt: skip
    """min Σ π C_ω + β·CVaR_α of SPEC §6, built from the SPEC in one LP."""
    wb = Workbook(path)
    window = wb.commit if commit is None else commit
    periods = len(wb.periods)
    lp = _LP()
    ref = wb.scenario(reference)
    y = {key: lp.var() for key in ref["deliveries"] if key[2] < window}
    z = _onboarding(wb, lp)
    _capacity(wb, lp, z, y, range(window), ref["cap"])
    eta = lp.var(lower=-math.inf) if beta > 0 else None
    for name, pi in zip(names, probability, strict=True):
        data = wb.scenario(name)
        cost: dict[int, float] = {}

        def add(var: int, coef: float, cost: dict[int, float] = cost) -> None:
            cost[var] = cost.get(var, 0.0) + coef

        terms: dict[tuple, dict[int, float]] = {}
        for key, j in y.items():
            o, s, t = key
            material = wb.offers[o]["material"]
            disruption = float(wb.materials[material]["disruption_cost"])
            a = min(1.0, data["cap"][o] / ref["cap"][o]) if key in data["deliveries"] else 0.0
            add(j, wb.risk_weight * disruption * (1 - a))
            if a > 0:
                terms[key] = {j: a}
        x = {key: lp.var() for key in data["deliveries"] if key[2] >= window}
        for key, var in x.items():
            terms[key] = {var: 1.0}
        _capacity(wb, lp, z, x, range(window, periods), data["cap"])
        for o, var in z.items():
            add(var, float(wb.offers[o]["fixed_cost"]))
        for key, members in terms.items():
            c, r, _, _ = data["deliveries"][key]
            for var, a in members.items():
                add(var, (c + r) * a)
        stock = {}
        for s, (site, material) in enumerate(wb.points):
            m = wb.materials[material]
            row = wb.stock.get((site, material), {})
            initial = float(row.get("initial") or 0)
            floor, target = float(row.get("min") or 0), float(row.get("target_end") or 0)
            safety = float(m["safety_penalty"])
            for t in range(periods):
                stock[s, t] = lp.var()
                add(stock[s, t], float(m["holding_cost"]))
                u = lp.var()
                add(u, float(m["shortage_penalty"]))
                d = sum(
                    float(r["quantity"]) for r in wb.demand
                    if (r["site"], r["material"], r["period"]) == (site, material, wb.periods[t])
                ) * data["factor"]  # fmt: skip
                balance = {stock[s, t]: -1.0, u: 1.0}
                if t > 0:
                    balance[stock[s, t - 1]] = 1.0
                cover: dict[int, float] = {}
                for key, members in terms.items():
                    if key[1] == s and key[2] == t:
                        _, _, p, licensed = data["deliveries"][key]
                        for var, a in members.items():
                            balance[var] = balance.get(var, 0.0) + a
                            if licensed and p < 1:
                                cover[var] = cover.get(var, 0.0) + (1 - p) * a
                lp.eq.append((balance, d - (initial if t == 0 else 0.0)))
                if cover:
                    q = lp.var()
                    add(q, safety)
                    cover[q] = -1.0
                    if t > 0:
                        cover[stock[s, t - 1]] = -1.0
                    lp.ub.append((cover, initial if t == 0 else 0.0))
                if floor > 0:
                    v = lp.var()
                    add(v, safety)
                    lp.ub.append(({stock[s, t]: -1.0, v: -1.0}, -floor))
            if target > 0:
                w = lp.var()
                add(w, safety)
                lp.ub.append(({stock[s, periods - 1]: -1.0, w: -1.0}, -target))
            add(stock[s, periods - 1], -float(m["salvage_value"]))
        for t, budget in enumerate(wb.budget):
            if budget is None:
                continue
            spend: dict[int, float] = {}
            for key, members in terms.items():
                if key[2] == t:
                    for var, a in members.items():
                        spend[var] = spend.get(var, 0.0) + data["deliveries"][key][0] * a
            if spend:
                lp.ub.append((spend, float(budget)))
        for material in wb.materials:
            offers = [o for o, offer in enumerate(wb.offers) if offer["material"] == material]
            for country, facts in wb.countries.items():
                share = float(facts["max_share"])
                if share >= 1 or not any(country in wb.chain(wb.offers[o]) for o in offers):
                    continue
                row: dict[int, float] = {}
                for key, members in terms.items():
                    if key[0] in offers:
                        touching = country in wb.chain(wb.offers[key[0]])
                        for var, a in members.items():
                            row[var] = row.get(var, 0.0) + ((1 - share) if touching else -share) * a
                if row:
                    lp.ub.append((row, 0.0))
        for var, coef in cost.items():
            lp.cost[var] += pi * coef
        if eta is not None:
            xi = lp.var(cost=beta * pi / (1 - alpha))
            lp.ub.append(({**{v: c for v, c in cost.items()}, eta: -1.0, xi: -1.0}, 0.0))
    if eta is not None:
        lp.cost[eta] += beta
    return lp.solve()
