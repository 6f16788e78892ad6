"""A model with no plan: HiGHS's IIS names the conflict; reopt explains it in business terms."""

from __future__ import annotations

import pytest

from models.build import build_model
from optimizer.domain.derive import derive
from optimizer.domain.scenarios import resolve_scenario
from optimizer.problems import NoPlanError
from optimizer.solver.highs import NotSolved
from optimizer.workbook.validate import load_inputs
from tests.solving import solve_model
from tests.test_known_answers import BASE

OVERFLOW = """
[Sites]
site
Plant
Depot
[Demand]
site  | material | period | quantity
Plant | M        | P1     | 5
Depot | M        | P1     | 5
Depot | M        | P2     | 5
[Stock]
site  | material | initial | max
Plant | M        | 2       | 100
Depot | M        | 4       | 5
[Pipeline]
site  | material | period | quantity
Depot | M        | P1     | 3
Depot | M        | P2     | 9
"""


def test_iis_names_the_storage_row_that_overflows(book):
    inputs = load_inputs(book(BASE, OVERFLOW))
    instance = derive(inputs, resolve_scenario(inputs, "base"))
    with pytest.raises(NotSolved) as caught:
        solve_model(build_model(instance.data))
    assert caught.value.status.startswith("infeasible")
    storage = [row for row in caught.value.conflict if row.component == "con_storage"]
    depot = instance.points.index[instance.points["site"] == "Depot"][0]
    assert storage and all(row.index[0] == depot for row in storage)


def test_explanation_names_site_material_period_and_tonnes(solve_text):
    """Depot: 4 + 3 − 5 = 2 t after P1; 2 + 9 − 5 = 6 t after P2 fits max 6… so lower it."""
    with pytest.raises(NoPlanError) as caught:
        solve_text(
            BASE,
            OVERFLOW.replace("Depot | M        | 4       | 6", "Depot | M        | 4       | 5"),
        )
    text = "\n".join(caught.value.explanation)
    assert "Depot, M, P2" in text
    assert "opening stock 4 t + pipeline receipts 12 t − demand 10 t leave at least 6 t" in text
    assert "storage max of 5 t" in text
    assert "Plant" not in text
