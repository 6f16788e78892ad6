"""Synthetic input workbooks per SPEC §1 at the benchmark sizes.

    python -m benchmarks.synthetic M out.xlsx

Every site demands every material in every period; every offer can reach every site
that needs its material, so the delivery variables number about
offers × sites × periods (less lead times and availability windows). The data use
every sheet and rule: chains through several countries, a covered country and a defense
site, licence rules with approvals and delays, a capacity cut, tariffs, lanes with
freight and forbidden routes, stock floors, storage limits and end targets, pipeline
orders, budgets and a country-share cap. Supply has slack (as real supplier panels do)
and every fourth period has a budget of 105 % of its demand at list prices, so some
budgets bind. Generation is seeded: the same size gives the same workbook.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.workbooks import write_book


@dataclass(frozen=True)
class Size:
    """How big a synthetic workbook is."""

    periods: int
    materials: int
    sites: int
    offers: int


SIZES = {
    "S": Size(periods=12, materials=5, sites=10, offers=100),  # ~10k deliveries
    "M": Size(periods=24, materials=10, sites=20, offers=250),  # ~100k
    "L": Size(periods=52, materials=20, sites=40, offers=520),  # ~1M
    "XL": Size(periods=60, materials=25, sites=60, offers=880),  # ~3M
}
COUNTRIES = ["China", "United States", "Malaysia", "Australia", "Burma", "France", "Estonia",
             "Brazil", "Vietnam", "Madagascar"]  # fmt: skip
ELEMENTS = ["Nd", "Pr", "Dy", "Tb", "Sm", "Y", "Gd", "La", "Ce", "Lu"]


def _country(name: str) -> list[object]:
    china = name == "China"
    return [name, 0.2 if china else 0.0, "yes" if china else "no", 0.7 if china else None]


def sheets(size: Size, seed: int = 7) -> dict[str, list[list[object]]]:
    """The workbook's sheets as rows (first row the header)."""
    rng = np.random.default_rng(seed)
    periods = [f"W{t:03d}" for t in range(1, size.periods + 1)]
    materials = [f"material {m:02d}" for m in range(size.materials)]
    sites = [f"site {s:03d}" for s in range(size.sites)]
    price = {m: float(rng.integers(20, 2000)) * 1000 for m in materials}
    book: dict[str, list[list[object]]] = {
        "Settings": [["key", "value"], ["period_days", 7], ["risk_weight", 1]],
        "Periods": [["period", "budget"]],
        "Materials": [["material", "elements", "holding_cost", "disruption_cost"]]
        + [
            [m, ", ".join(rng.choice(ELEMENTS, 2, replace=False)), price[m] * 0.002, price[m] * 0.5]
            for m in materials
        ],
        "Countries": [["country", "tariff", "covered", "max_share"]]
        + [_country(c) for c in COUNTRIES],
        "Sites": [["site", "end_use"]]
        + [[s, "defense" if i % 10 == 0 else "commercial"] for i, s in enumerate(sites)],
    }
    offers = [["supplier", "material", "country", "refined_in", "mined_in", "capacity",
               "unit_cost", "freight", "lead_time", "available_from", "available_to"]]  # fmt: skip
    for o in range(size.offers):
        material = materials[o % size.materials]
        country = COUNTRIES[int(rng.integers(0, len(COUNTRIES)))]
        refined = "China" if rng.random() < 0.4 else country
        start = periods[int(rng.integers(0, size.periods // 4))] if rng.random() < 0.2 else None
        offers.append(
            [f"supplier {o:04d}", material, country, refined, COUNTRIES[int(rng.integers(0, 10))],
             float(rng.integers(15, 180)), round(price[material] * rng.uniform(0.8, 1.6), 2),
             float(rng.integers(100, 3000)), int(rng.integers(0, 3)), start, None]
        )  # fmt: skip
    book["Suppliers"] = offers
    lanes: dict[tuple[str, str], list[object]] = {}
    for o in range(0, size.offers, 7):
        site = sites[int(rng.integers(0, size.sites))]
        lanes[(f"supplier {o:04d}", site)] = [float(rng.integers(50, 5000)), None]
    for o in range(3, size.offers, 23):
        lanes[(f"supplier {o:04d}", sites[(o * 7) % size.sites])] = [None, "no"]
    book["Lanes"] = [["supplier", "site", "freight", "allowed"]] + [
        [supplier, site, *terms] for (supplier, site), terms in lanes.items()
    ]
    demand = [["site", "material", "period", "quantity"]]
    spend = np.zeros(size.periods)
    for s in sites:
        for m in materials:
            level = float(rng.integers(2, 30))
            quantities = np.round(level * rng.uniform(0.7, 1.3, size.periods), 3)
            spend += quantities * price[m]
            demand += [[s, m, p, float(q)] for p, q in zip(periods, quantities, strict=True)]
    book["Demand"] = demand
    book["Periods"] += [
        [p, None if t % 4 else round(1.05 * spend[t], -3)] for t, p in enumerate(periods)
    ]
    stock = [["site", "material", "initial", "min", "max", "target_end"]]
    for s in sites:
        for m in materials[::2]:
            stock.append([s, m, 20.0, 5.0, None if rng.random() < 0.7 else 400.0, 10.0])
    book["Stock"] = stock
    book["Pipeline"] = [["site", "material", "period", "quantity"]] + [
        [s, materials[i % size.materials], periods[0], 5.0] for i, s in enumerate(sites)
    ]
    book["Scenarios"] = [["scenario", "parent", "demand_factor"], ["tight", "base", 1.1]]
    book["Controls"] = [
        ["scenario", "country", "item", "end_use", "approval", "delay_days", "capacity_factor"],
        ["base", "China", "Dy", "*", 0.6, 21, None],
        ["base", "China", "Tb", "*", 0.5, 21, None],
        ["base", "China", "Sm", "*", 0.7, 14, None],
        ["base", "China", "*", "defense", 0, None, None],
        ["base", "Burma", "*", "*", None, None, 0.5],
        ["tight", "China", "*", "*", 0.4, 28, None],
    ]
    return book


def write(size_name: str, path: Path, seed: int = 7) -> Path:
    """Write the synthetic workbook of a named size (S, M, L, XL)."""
    return write_book(path, sheets(SIZES[size_name], seed), constant_memory=True)


if __name__ == "__main__":
    print(write(sys.argv[1], Path(sys.argv[2])))
