"""Random small, valid workbooks for property and fuzz tests (hypothesis strategies)."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from tests.workbooks import Sheets

ELEMENTS = ("Nd", "Dy", "Tb", "Y")
COUNTRIES = ("China", "Malaysia", "US", "Burma")


@st.composite
def workbooks(draw: st.DrawFn, storage: bool = False) -> Sheets:
    """A valid workbook: 1-3 periods, 1-2 materials, 1-2 sites, 1-4 offers, rules, stock."""
    periods = [f"2027-{month:02d}" for month in range(1, draw(st.integers(1, 3)) + 1)]
    materials = [f"mat{i}" for i in range(draw(st.integers(1, 2)))]
    countries = list(COUNTRIES[: draw(st.integers(2, 4))])
    sites = [f"site{i}" for i in range(draw(st.integers(1, 2)))]
    money = st.integers(1, 100).map(float)
    tonnes = st.integers(0, 12).map(float)

    def pick(options):
        return draw(st.sampled_from(options))

    sheets: Sheets = {
        "Periods": [["period", "budget"]]
        + [[p, draw(st.one_of(st.none(), st.integers(50, 2000).map(float)))] for p in periods],
        "Materials": [["material", "elements", "shortage_penalty", "safety_penalty",
                       "disruption_cost"]]
        + [[m, pick(ELEMENTS), 1000.0, draw(st.sampled_from([0.0, 5.0, None])), draw(money)]
           for m in materials],
        "Countries": [["country", "tariff", "covered", "max_share"]]
        + [
            [c, draw(st.sampled_from([0.0, 0.1, 0.25])), pick(["no", "no", "yes"]),
             draw(st.sampled_from([None, None, 0.6]))]
            for c in countries
        ],
        "Sites": [["site", "end_use"]] + [[s, pick(["commercial", "defense"])] for s in sites],
    }  # fmt: skip
    offers = [["supplier", "material", "country", "refined_in", "mined_in", "capacity",
               "unit_cost", "freight", "lead_time"]]  # fmt: skip
    for i in range(draw(st.integers(1, 4))):
        offers.append(
            [f"sup{i}", pick(materials), pick(countries), pick(countries), pick(countries),
             draw(tonnes), draw(money), draw(st.integers(0, 5).map(float)),
             float(draw(st.integers(0, len(periods) - 1)))]
        )  # fmt: skip
    sheets["Suppliers"] = offers
    demand = [["site", "material", "period", "quantity"]]
    for s in sites:
        for m in materials:
            for p in periods:
                if draw(st.booleans()):
                    demand.append([s, m, p, draw(tonnes)])
    if len(demand) == 1:
        demand.append([sites[0], materials[0], periods[0], 1.0])
    sheets["Demand"] = demand
    stock = [["site", "material", "initial", "min", "max", "target_end"]]
    for s in sites:
        for m in materials:
            if draw(st.booleans()):
                initial = draw(tonnes)
                limit = initial + draw(st.integers(5, 30)) if storage else None
                stock.append([s, m, initial, draw(tonnes), limit, draw(tonnes)])
    sheets["Stock"] = [stock[0]] + [row for row in stock[1:] if row[4] is None or row[3] <= row[4]]
    controls = [["country", "item", "approval", "delay_days"]]
    for c in countries:
        if draw(st.booleans()):
            controls.append([c, pick(["*", *ELEMENTS]), draw(st.sampled_from([0.0, 0.5, 0.9, 1.0])),
                             draw(st.sampled_from([0.0, 30.0, 45.0]))])  # fmt: skip
    sheets["Controls"] = controls
    return sheets


def with_tighter_rule(
    sheets: Sheets, country: str, material: str, column: str, value: float
) -> Sheets:
    """The same workbook plus a scenario `tight` adding one rule that can only tighten.

    The rule's key (country, material, *) differs from every generated base rule (those
    name `*` or an element), so it multiplies approval or capacity; delay stays as is.
    """
    header = ["scenario", "country", "item", "approval", "delay_days", "capacity_factor"]
    base = [["base", *row[:4], None] for row in sheets["Controls"][1:]]
    rule = {"approval": None, "capacity_factor": None, column: value}
    tight = ["tight", country, material, rule["approval"], None, rule["capacity_factor"]]
    return {
        **sheets,
        "Scenarios": [["scenario", "parent"], ["tight", "base"]],
        "Controls": [header, *base, tight],
    }


def windowed_workbook(seed: int) -> Sheets:
    """A random valid workbook using most of SPEC §1: chains, Lanes, Pipeline, Stock,
    budgets, a scenario chain, and Controls rules with and without windows."""
    rng = random.Random(seed)
    periods = [f"2027-{month:02d}" for month in range(1, rng.randint(2, 5) + 1)]
    materials = {f"mat{i}": rng.choice(ELEMENTS) for i in range(rng.randint(1, 2))}
    countries = list(COUNTRIES[: rng.randint(2, 4)])
    sites = {
        f"site{i}": rng.choice(["commercial", "defense", "ev"]) for i in range(rng.randint(1, 2))
    }

    def window() -> list[object]:
        first = rng.randrange(len(periods))
        last = rng.randrange(first, len(periods))
        return rng.choice([[None, None], [periods[first], None], [None, periods[last]],
                           [periods[first], periods[last]]])  # fmt: skip

    sheets: Sheets = {
        "Settings": [["key", "value"], ["risk_weight", rng.choice([0.5, 1.0])],
                     ["period_days", rng.choice([30.0, 20.0])]],
        "Periods": [["period", "budget"]]
        + [[p, rng.choice([None, None, float(rng.randint(200, 3000))])] for p in periods],
        "Materials": [["material", "elements", "holding_cost", "disruption_cost"]]
        + [[m, e, rng.choice([0.0, 1.0, 3.0]), rng.choice([0.0, 20.0])]
           for m, e in materials.items()],
        "Countries": [["country", "tariff", "covered", "max_share"]]
        + [[c, rng.choice([0.0, 0.1, 0.25]), rng.choice(["no", "no", "yes"]),
            rng.choice([None, None, 0.7])] for c in countries],
        "Sites": [["site", "end_use"]] + [[s, u] for s, u in sites.items()],
    }  # fmt: skip
    offers = [["supplier", "material", "country", "refined_in", "mined_in", "capacity",
               "unit_cost", "freight", "lead_time", "available_from", "available_to"]]  # fmt: skip
    for i in range(rng.randint(2, 5)):
        offers.append(
            [f"sup{i}", rng.choice(list(materials)), rng.choice(countries),
             rng.choice([None, *countries]), rng.choice([None, *countries]),
             float(rng.randint(0, 15)), float(rng.randint(5, 100)), float(rng.randint(0, 5)),
             rng.randint(0, 1), *window()]
        )  # fmt: skip
    sheets["Suppliers"] = offers
    sheets["Lanes"] = [["supplier", "material", "site", "freight", "allowed"]] + [
        [row[0], rng.choice([None, row[1]]), rng.choice(list(sites)),
         rng.choice([None, float(rng.randint(0, 9))]), rng.choice(["yes", "yes", "no"])]
        for row in offers[1:] if rng.random() < 0.3
    ]  # fmt: skip
    unique_lanes = {(r[0], r[1], r[2]): r for r in sheets["Lanes"][1:]}
    sheets["Lanes"] = [sheets["Lanes"][0], *unique_lanes.values()]
    demand = [["site", "material", "period", "quantity"]]
    for s in sites:
        for m in materials:
            demand += [[s, m, p, float(rng.randint(0, 12))] for p in periods if rng.random() < 0.7]
    if len(demand) == 1:
        demand.append([next(iter(sites)), next(iter(materials)), periods[0], 5.0])
    sheets["Demand"] = demand
    sheets["Stock"] = [["site", "material", "initial", "min", "max", "target_end"]] + [
        [s, m, float(rng.randint(0, 6)), float(rng.randint(0, 4)),
         rng.choice([None, 40.0]), float(rng.randint(0, 4))]
        for s in sites for m in materials if rng.random() < 0.5
    ]  # fmt: skip
    sheets["Pipeline"] = [["site", "material", "period", "quantity"]] + [
        [s, m, rng.choice(periods), float(rng.randint(1, 4))]
        for s in sites for m in materials if rng.random() < 0.3
    ]  # fmt: skip
    sheets["Scenarios"] = [["scenario", "parent", "demand_factor"], ["shock", None, 1.2],
                           ["later", "shock", None]]  # fmt: skip
    controls = [["scenario", "country", "item", "end_use", "approval", "delay_days",
                 "capacity_factor", "cost_factor", "extra_tariff", "from_period",
                 "to_period"]]  # fmt: skip
    seen = set()
    for _ in range(rng.randint(1, 6)):
        scenario = rng.choice(["base", "base", "shock", "later"])
        item = rng.choice(["*", *materials.values(), *materials])
        end_use = rng.choice(["*", "*", *sites.values()])
        key = (scenario, rng.choice(countries), item, end_use)
        if key in seen:
            continue
        seen.add(key)
        capacity = rng.choice([None, 0.5, 0.0]) if end_use == "*" else None
        controls.append(
            [*key, rng.choice([None, 0.0, 0.5, 0.8]), rng.choice([None, 25.0, 45.0]), capacity,
             rng.choice([None, 1.3]), rng.choice([None, 0.2]), *window()]
        )  # fmt: skip
    key = ("base", rng.choice(countries), "*", "*")
    if key not in seen and rng.random() < 0.5:  # a duty stepping up: one rule, two windows
        step = rng.randrange(1, len(periods))
        for window_ in ([None, periods[step - 1]], [periods[step], None]):
            controls.append([*key, None, None, None, None, rng.choice([0.1, 0.3, 0.6]), *window_])
    sheets["Controls"] = controls
    return sheets


def recipe_workbook(seed: int) -> Sheets:
    """A random valid workbook with 1-3 recipes at Plant (SPEC §8): chains of up to three
    stages (separation → reduction → magnet), lead times, capacities and windows, a
    co-product (separation's Dy oxide, the magnet grades' swarf), sometimes a recycling
    cycle (metal → magnet + swarf → metal), and a scenario `dy-ban` in which China bans
    Dy, where the grain-boundary grade (half the Dy) can replace the bulk one."""
    rng = random.Random(seed)
    periods = [f"2027-{month:02d}" for month in range(1, rng.randint(2, 4) + 1)]
    recycled = round(rng.choice([0.7, 0.8]), 2)
    pool = {
        "separate": ({"concentrate": 2.0}, {"NdPr oxide": 1.0, "Dy oxide": 0.06}),
        "reduce": ({"NdPr oxide": rng.choice([1.1765, 1.25])}, {"NdPr metal": 1.0}),
        "bulk": ({"NdPr metal": 0.32, "Dy oxide": 0.05}, {"magnet": 1.0, "swarf": 0.02}),
        "gbd": ({"NdPr metal": 0.32, "Dy oxide": 0.025}, {"magnet": 1.0, "swarf": 0.02}),
        "recycle": ({"swarf": 1.0}, {"NdPr metal": recycled}),
    }
    chosen = rng.choice([
        ["reduce"], ["bulk"], ["reduce", "bulk"], ["bulk", "gbd"], ["reduce", "bulk", "gbd"],
        ["separate", "reduce"], ["separate", "reduce", "bulk"], ["bulk", "recycle"],
        ["reduce", "gbd", "recycle"], ["bulk", "gbd", "recycle"],
    ])  # fmt: skip

    def window() -> list[object]:
        return rng.choice([[None, None], [None, None], [periods[1], None], [None, periods[-2]]])

    sheets: Sheets = {
        "Settings": [["key", "value"], ["risk_weight", 1.0]],
        "Periods": [["period"], *[[p] for p in periods]],
        "Materials": [
            ["material", "elements", "content", "holding_cost", "shortage_penalty",
             "safety_penalty", "disruption_cost"],
            ["concentrate", "Nd, Pr, Dy", "Nd 0.3, Pr 0.1, Dy 0.02", 0.5, None, None, 0.0],
            ["NdPr oxide", "Nd, Pr", "Nd 0.64, Pr 0.21", 0.5, None, None, 10.0],
            ["Dy oxide", "Dy", "Dy 0.8713", 2.0, None, 0.0, 100.0],
            ["NdPr metal", "Nd, Pr", "Nd 0.75, Pr 0.25", 0.5, 1000.0, 0.0, 0.0],
            ["magnet", "Nd, Pr, Dy", "Nd 0.23, Pr 0.07, Dy 0.04", 1.0, 1000.0, 0.0, 0.0],
            ["swarf", "Nd, Pr", None, 0.0, 1000.0, 0.0, 0.0],
        ],
        "Countries": [["country", "tariff", "covered"], ["China", 0.1, "yes"],
                      ["Malaysia", 0.0, "no"], ["US", 0.0, "no"], ["Vietnam", 0.05, "no"],
                      ["Japan", 0.0, "no"]],
        "Sites": [["site", "end_use"], ["Plant", "commercial"], ["Depot", "ev"]],
        "Suppliers": [
            ["supplier", "material", "country", "refined_in", "capacity", "unit_cost",
             "lead_time"],
            ["US-Mine", "concentrate", "US", None, 20.0, 25.0, rng.randint(0, 1)],
            ["CN-Ox", "NdPr oxide", "China", None, 30.0, 60.0, 0],
            ["MY-Ox", "NdPr oxide", "Malaysia", None, float(rng.randint(2, 8)), 80.0, 0],
            ["CN-Dy", "Dy oxide", "China", None, 5.0, 300.0, rng.randint(0, 1)],
            ["MY-Dy", "Dy oxide", "Malaysia", None, rng.choice([0.1, 0.2, 0.3]), 600.0, 0],
            ["VN-Metal", "NdPr metal", "Vietnam", "China", float(rng.randint(0, 3)), 110.0, 0],
            ["CN-Mag", "magnet", "China", None, float(rng.randint(2, 6)), 120.0, 0],
            ["JP-Mag", "magnet", "Japan", None, 2.0, 200.0, rng.randint(0, 1)],
        ],
        "Recipes": [["recipe", "site", "cost", "capacity", "lead_time", "available_from",
                     "available_to"]]
        + [[name, "Plant", float(rng.choice([2, 5, 10]) + 12 * (name == "gbd")),
            rng.choice([None, None, float(rng.randint(6, 15))]), rng.choice([0, 0, 1]),
            *window()] for name in chosen],
        "RecipeItems": [["recipe", "material", "input", "output"]]
        + [[name, m, q, None] for name in chosen for m, q in pool[name][0].items()]
        + [[name, m, None, q] for name in chosen for m, q in pool[name][1].items()],
    }  # fmt: skip
    demand = [["site", "material", "period", "quantity"]]
    demand += [["Plant", "magnet", p, float(rng.randint(4, 12))] for p in periods]
    demand += [["Plant", "NdPr metal", p, float(rng.randint(0, 3))] for p in periods
               if rng.random() < 0.4]  # fmt: skip
    demand += [["Depot", "magnet", p, float(rng.randint(0, 3))] for p in periods
               if rng.random() < 0.3]  # fmt: skip
    sheets["Demand"] = demand
    sheets["Stock"] = [["site", "material", "initial", "min"]] + [
        ["Plant", m, float(rng.randint(0, 3)), rng.choice([None, None, 1.0])]
        for m in ("NdPr oxide", "Dy oxide", "NdPr metal", "magnet") if rng.random() < 0.4
    ]  # fmt: skip
    sheets["Scenarios"] = [["scenario", "parent", "demand_factor", "probability"],
                           ["base", None, None, 0.6], ["dy-ban", None, None, 0.3],
                           ["surge", None, 1.3, 0.1]]  # fmt: skip
    sheets["Controls"] = [
        ["scenario", "country", "item", "approval", "delay_days"],
        ["base", "China", "Dy", rng.choice([0.8, 1.0]), rng.choice([0.0, 45.0])],
        ["dy-ban", "China", "Dy", 0.0, None],
    ]
    return sheets


def terms_workbook(seed: int) -> Sheets:
    """A random valid workbook with SPEC v3's terms (§1, §2): Prices steps, a storage limit
    at Plant shared by its materials (a magnet peak in the last period makes it bind in
    some), take-or-pay offers (CN-Dy's excused in scenario `ban`, whose Dy ban leaves it
    no delivery), and origin_content declarations that the Controls rules with
    min_content reach or miss."""
    rng = random.Random(seed)
    periods = [f"2027-{month:02d}" for month in range(1, rng.randint(3, 5) + 1)]
    china = rng.choice([0.0005, 0.001, 0.003, 0.03])
    sheets: Sheets = {
        "Settings": [["key", "value"], ["risk_weight", rng.choice([0.5, 1.0])]],
        "Periods": [["period"], *[[p] for p in periods]],
        "Materials": [
            ["material", "elements", "content", "holding_cost", "shortage_penalty",
             "safety_penalty", "disruption_cost", "salvage_value"],
            ["Dy oxide", "Dy", "Dy 0.8713", float(rng.randint(1, 20)), 5000.0, None,
             rng.choice([0.0, 100.0]), rng.choice([0.0, 0.0, 50.0])],
            ["magnet", "Nd, Pr, Dy", "Nd 0.23, Pr 0.07, Dy 0.04", float(rng.randint(1, 5)),
             1000.0, None, 0.0, 0.0],
        ],
        "Countries": [["country", "tariff", "covered"], ["China", 0.1, "no"],
                      ["Malaysia", 0.0, "no"], ["US", 0.0, "no"], ["Vietnam", 0.05, "no"],
                      ["Japan", 0.0, "no"]],
        "Suppliers": [
            ["supplier", "material", "country", "refined_in", "capacity", "unit_cost",
             "lead_time", "origin_content", "min_total", "take_or_pay_price"],
            ["CN-Dy", "Dy oxide", "China", None, float(rng.randint(6, 15)), 300.0,
             rng.randint(0, 1), None, float(rng.randint(5, 20)), rng.choice([None, 100.0])],
            ["MY-Dy", "Dy oxide", "Malaysia", rng.choice([None, "China"]),
             float(rng.randint(2, 6)), 380.0, 0, None, None, None],
            ["US-Dy", "Dy oxide", "US", None, float(rng.randint(2, 5)), 500.0, 0, None,
             rng.choice([None, float(rng.randint(2, 8))]), rng.choice([None, 200.0])],
            ["VN-Mag", "magnet", "Vietnam", None, float(rng.randint(5, 10)), 90.0, 0,
             f"China {china}, Vietnam 0.4", None, None],
            ["JP-Mag", "magnet", "Japan", None, float(rng.randint(3, 8)), 130.0, 0,
             rng.choice([None, "Japan 0.6"]), None, None],
            ["CN-Mag", "magnet", "China", None, 10.0, 80.0, rng.randint(0, 1), None,
             rng.choice([None, 6.0]), None],
        ],
    }  # fmt: skip
    steps = {(rng.choice(["CN-Dy", "US-Dy", "VN-Mag", "JP-Mag", "CN-Mag"]), rng.choice(periods))
             for _ in range(rng.randint(1, 3))}  # fmt: skip
    material = {row[0]: row[1] for row in sheets["Suppliers"][1:]}
    sheets["Prices"] = [["supplier", "material", "period", "unit_cost"]] + [
        [supplier, material[supplier], period, float(rng.randint(60, 600))]
        for supplier, period in sorted(steps)
    ]
    stock = [["site", "material", "initial", "min", "max"]] + [
        ["Plant", m, float(rng.randint(0, 4)), rng.choice([None, 1.0]),
         rng.choice([None, 30.0])]
        for m in ("Dy oxide", "magnet") if rng.random() < 0.7
    ]  # fmt: skip
    held = sum(row[2] for row in stock[1:])
    sheets["Sites"] = [["site", "end_use", "storage"],
                       ["Plant", "commercial", held + float(rng.randint(2, 10))],
                       ["Lab", "semiconductor", None]]  # fmt: skip
    sheets["Stock"] = stock
    demand = [["site", "material", "period", "quantity"]]
    demand += [["Plant", m, p, float(rng.randint(0, 8))]
               for m in ("Dy oxide", "magnet") for p in periods[:-1]]  # fmt: skip
    demand += [["Plant", "Dy oxide", periods[-1], float(rng.randint(0, 8))],
               ["Plant", "magnet", periods[-1], float(rng.randint(8, 30))]]  # a peak  # fmt: skip
    demand += [["Lab", "magnet", p, float(rng.randint(0, 4))] for p in periods
               if rng.random() < 0.5]  # fmt: skip
    sheets["Demand"] = demand
    sheets["Scenarios"] = [["scenario", "parent", "demand_factor"], ["ban", None, None],
                           ["later", None, 1.2]]  # fmt: skip
    start = rng.choice([None, periods[1]])
    sheets["Controls"] = [
        ["scenario", "country", "item", "end_use", "approval", "delay_days", "extra_tariff",
         "cost_factor", "min_content", "from_period", "to_period"],
        ["base", "China", "magnet", "*", rng.choice([0.5, 0.8, 1.0]),
         rng.choice([None, 30.0]), rng.choice([None, 0.2]), None, 0.001, start, None],
        ["ban", "China", "Dy", "*", 0.0, None, None, None, rng.choice([None, 0.001]),
         None, None],
        ["later", "China", "*", "*", None, None, None, 1.3, None, periods[-1], None],
    ]  # fmt: skip
    return sheets
