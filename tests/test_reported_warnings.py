"""Warnings reach every place a plan is reported, each naming its scenario (issue 21), and
the counts of suppliers and offers agree between console, Summary, JSON and Dashboard."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from optimizer.cli import cli
from tests.test_known_answers import BASE

# A ban in scenario `banned` leaves S without a licence: its 10 t of demand go unmet.
BANNED = """
[Scenarios]
scenario | parent | probability
base     |        | 0.5
banned   | base   | 0.5
[Controls]
scenario | country | item | approval
banned   | A       | *    | 0
"""
UNMET = "unmet demand: 10.000 t of M at Plant"


def invoke(*arguments: object) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, [*map(str, arguments), "--json"])
    return result.exit_code, json.loads(result.stdout)


def scenarios_of(warnings: list[dict], text: str) -> set[str | None]:
    return {w["scenario"] for w in warnings if text in w["message"]}


def test_whatif_names_each_scenarios_plan_warnings_in_json_and_workbook(book, tmp_path):
    target = tmp_path / "whatif.xlsx"
    code, record = invoke("whatif", book(BASE, BANNED), "--workers", "1", "-o", target)
    assert code == 0
    assert scenarios_of(record["warnings"], UNMET) == {"banned"}
    sheet = pd.read_excel(target, sheet_name="Warnings", engine="calamine")
    unmet = sheet[sheet["message"].str.contains(UNMET, regex=False)]
    assert unmet["scenario"].tolist() == ["banned"]


def test_robust_names_each_scenarios_plan_warnings(book, tmp_path):
    code, record = invoke("robust", book(BASE, BANNED), "-o", tmp_path / "robust.xlsx")
    assert code == 0
    assert scenarios_of(record["warnings"], UNMET) == {"banned"}


def test_replan_json_lists_the_warnings_of_the_plans_it_wrote(book, tmp_path):
    code, record = invoke("replan", book(BASE, BANNED), "--out-dir", tmp_path / "runs")
    assert code == 0
    assert "banned" in scenarios_of(record["warnings"], UNMET)
    written = json.loads(next((tmp_path / "runs").glob("2*/run.json")).read_text())
    assert written["warnings"] == record["warnings"]


def test_a_warning_about_the_workbook_is_listed_once_without_a_scenario(book, tmp_path):
    odd = BASE.replace("supplier | material | country | capacity | unit_cost",
                       "supplier | material | country | capacity | unit_cost | colour")  # fmt: skip
    code, record = invoke("whatif", book(odd, BANNED), "--workers", "1", "-o", tmp_path / "w.xlsx")
    assert code == 0
    unknown = [w for w in record["warnings"] if "unknown column" in w["message"]]
    assert [(w["scenario"], w["cell"]) for w in unknown] == [(None, "Suppliers!F1")]


# Two suppliers, three offers: X sells both materials, Y one.
TWO_SUPPLIERS = """
[Materials]
material | shortage_penalty | safety_penalty
M        | 1000             | 0
N        | 1000             | 0
[Suppliers]
supplier | material | country | capacity | unit_cost
X        | M        | A       | 3        | 10
X        | N        | A       | 100      | 10
Y        | M        | B       | 100      | 20
[Demand]
site  | material | period | quantity
Plant | M        | P1     | 5
Plant | N        | P1     | 5
"""


def test_suppliers_used_counts_suppliers_and_offers_used_counts_offers(book, tmp_path):
    source, target = book(BASE, TWO_SUPPLIERS), tmp_path / "plan.xlsx"
    code, record = invoke("solve", source, "-o", target)
    assert code == 0 and (record["suppliers_used"], record["offers_used"]) == (2, 3)
    summary = pd.read_excel(target, sheet_name="Summary", engine="calamine").set_index("metric")[
        "value"
    ]
    assert (summary["suppliers_used"], summary["offers_used"]) == (2, 3)
    dashboard = pd.read_excel(target, sheet_name="Dashboard", header=None, engine="calamine")
    labels = dict(zip(dashboard[0], dashboard[2], strict=True))
    assert labels["Suppliers that deliver (count)"] == 2
    assert labels["Offers that deliver, supplier and material (count)"] == 3
    text = CliRunner().invoke(cli, ["solve", str(source), "-o", str(tmp_path / "p2.xlsx")])
    assert "suppliers used  2 (3 offers" in text.stdout


def test_a_warning_from_a_worker_process_keeps_its_blank_value():
    """A warning pickled back from a worker process has no value to show, not the repr
    of a marker object."""
    import pickle

    from optimizer.problems import BLANK, Problem
    from optimizer.report.plan_book import warning_rows

    sent = pickle.loads(pickle.dumps(Problem("unused supplier", warning=True, sheet="Suppliers")))
    assert sent.value is BLANK
    assert warning_rows([sent])[0][5] is None
    assert sent.as_dict()["value"] is None
