"""The benchmark commands still run and measure what they say (smallest size only).

Speed is not asserted here (docs/performance.md has the figures); what is asserted is
that each benchmark reaches its figures and that the peer models are the same model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from benchmarks import peers, solve_stages


def test_solve_stages_times_every_stage():
    found = solve_stages.measure("S", 1, "choose")
    assert set(found["times"]) == set(solve_stages.STAGES)
    assert all(seconds >= 0 for seconds in found["times"].values())
    assert found["times"]["solve"] > 0 and found["plan_rows"] > 0


@pytest.fixture(scope="module")
def data():
    return peers.model_data("S")


@pytest.mark.parametrize("tool", ["linopy", "pyoframe"])
def test_peer_models_are_reopts_model(data, tool):
    """The same objective from linopy's and pyoframe's model as from reopt's: they write
    the same LP (a peer that is installed; both are benchmark-only extras)."""
    pytest.importorskip(tool)
    if tool == "pyoframe":
        pytest.importorskip("highsbox")
    ours = peers.run_reopt(data)
    theirs = peers.RUNS[tool](data)
    assert theirs["objective"] == pytest.approx(ours["objective"], rel=peers.AGREE)


def test_reopt_side_of_the_peer_benchmark(data):
    found = peers.run_reopt(data)
    assert {"build", "hand-off", "solve", "objective"} <= set(found)
    assert found["objective"] > 0


def test_peers_refuse_terms_they_do_not_write(data):
    with_lots = dataclasses.replace(data, min_order_t=np.ones(data.capacity_t.shape[0]))
    with pytest.raises(SystemExit, match="onboarding or lots"):
        peers.lp_only(with_lots)
