"""derive computes a workbook's scenario-independent part once and shares it safely."""

from __future__ import annotations

import dataclasses
import gc
from pathlib import Path

import numpy as np
import pandas.testing as pdt
import pytest

from optimizer.domain import derive as derive_module
from optimizer.domain.derive import derive
from optimizer.domain.scenarios import resolve_scenario, scenario_names
from optimizer.workbook.validate import load_inputs

EXAMPLE = Path(__file__).resolve().parents[1] / "inputs" / "example.xlsx"


def test_every_scenario_after_others_equals_its_derive_on_a_fresh_workbook():
    shared = load_inputs(EXAMPLE)
    names = scenario_names(shared)
    for name in names:  # the shared part is filled by the first and reused by the rest
        derive(shared, resolve_scenario(shared, name))
    for name in reversed(names):
        fresh = load_inputs(EXAMPLE)
        alone = derive(fresh, resolve_scenario(fresh, name))
        again = derive(shared, resolve_scenario(shared, name))
        for field in dataclasses.fields(alone.data):
            left, right = getattr(alone.data, field.name), getattr(again.data, field.name)
            assert np.array_equal(np.asarray(left), np.asarray(right), equal_nan=True), field.name
        for table in ("points", "pairs", "deliveries", "shares"):
            pdt.assert_frame_equal(getattr(alone, table), getattr(again, table))
        assert [w.message for w in alone.warnings] == [w.message for w in again.warnings]


def test_the_shared_part_is_read_only_and_dropped_with_its_workbook():
    inputs = load_inputs(EXAMPLE)
    base = derive(inputs, resolve_scenario(inputs, "base"))
    ban = derive(inputs, resolve_scenario(inputs, "heavy-ban"))
    assert base.points is ban.points
    assert base.data.pipeline_t is ban.data.pipeline_t
    with pytest.raises(ValueError, match="read-only"):
        base.data.pipeline_t[0, 0] = 1.0
    key = id(inputs)
    assert key in derive_module._FIXED
    del inputs, base, ban
    gc.collect()
    assert key not in derive_module._FIXED
