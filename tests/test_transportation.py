"""Textbook transportation problems written as workbooks reproduce their published optima.

Plants are offers (capacity = supply, unit_cost 0) of one material; markets are sites
with demand in a single period; the per-unit shipping cost is the Lanes freight. With
enough supply and a prohibitive shortage penalty, the plan is the transportation
optimum.
"""

from __future__ import annotations

import pytest

from optimizer.domain.scenarios import resolve_scenario
from optimizer.pipeline import solve_scenario
from optimizer.solver.options import SolveOptions
from optimizer.workbook.validate import load_inputs
from tests.workbooks import write_book


def transportation_book(
    path, supply: dict[str, float], demand: dict[str, float], cost: dict[tuple[str, str], float]
):
    """A workbook of one material shipped from plants to markets in one period."""
    sheets = {
        "Periods": [["period"], ["1"]],
        "Materials": [["material", "shortage_penalty"], ["goods", 1e9]],
        "Countries": [["country"], ["Here"]],
        "Sites": [["site"], *[[market] for market in demand]],
        "Suppliers": [
            ["supplier", "material", "country", "capacity", "unit_cost"],
            *[[plant, "goods", "Here", amount, 0.0] for plant, amount in supply.items()],
        ],
        "Lanes": [
            ["supplier", "site", "freight"],
            *[[plant, market, value] for (plant, market), value in cost.items()],
        ],
        "Demand": [
            ["site", "material", "period", "quantity"],
            *[[market, "goods", "1", amount] for market, amount in demand.items()],
        ],
    }
    return write_book(path, sheets)


def solve_book(path) -> float:
    inputs = load_inputs(path)
    run = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions())
    assert run.tables.summary.shortfall_t == pytest.approx(0, abs=1e-9)
    return run.tables.objective


def test_dantzig_trnsport_gams_model_library(tmp_path):
    """Dantzig (1963) as in the GAMS model library `trnsport`: 153.675 (k$)."""
    distance = {
        ("seattle", "new-york"): 2.5,
        ("seattle", "chicago"): 1.7,
        ("seattle", "topeka"): 1.8,
        ("san-diego", "new-york"): 2.5,
        ("san-diego", "chicago"): 1.8,
        ("san-diego", "topeka"): 1.4,
    }
    cost = {lane: 90 * miles / 1000 for lane, miles in distance.items()}
    path = transportation_book(
        tmp_path / "trnsport.xlsx",
        {"seattle": 350, "san-diego": 600},
        {"new-york": 325, "chicago": 300, "topeka": 275},
        cost,
    )
    assert solve_book(path) == pytest.approx(153.675, rel=1e-9)


def test_winston_powerco(tmp_path):
    """Winston, Operations Research, ch. 7 (Powerco): minimum cost $1,020."""
    plants = {"plant 1": 35, "plant 2": 50, "plant 3": 40}
    cities = {"city 1": 45, "city 2": 20, "city 3": 30, "city 4": 30}
    table = [[8, 6, 10, 9], [9, 12, 13, 7], [14, 9, 16, 5]]
    cost = {
        (plant, city): table[i][j]
        for i, plant in enumerate(plants)
        for j, city in enumerate(cities)
    }
    path = transportation_book(tmp_path / "powerco.xlsx", plants, cities, cost)
    assert solve_book(path) == pytest.approx(1020, rel=1e-9)


def test_taha_mg_auto(tmp_path):
    """Taha, Operations Research: An Introduction, ch. 5 (MG Auto): $313,200."""
    plants = {"Los Angeles": 1000, "Detroit": 1500, "New Orleans": 1200}
    centres = {"Denver": 2300, "Miami": 1400}
    cost = {
        ("Los Angeles", "Denver"): 80,
        ("Los Angeles", "Miami"): 215,
        ("Detroit", "Denver"): 100,
        ("Detroit", "Miami"): 108,
        ("New Orleans", "Denver"): 102,
        ("New Orleans", "Miami"): 68,
    }
    path = transportation_book(tmp_path / "mgauto.xlsx", plants, centres, cost)
    assert solve_book(path) == pytest.approx(313_200, rel=1e-9)
