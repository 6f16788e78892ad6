"""Plans at a glance: marginal values, exposure, shortfall explanations, dashboards."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from types import SimpleNamespace

import openpyxl
import pytest
from click.testing import CliRunner

from optimizer.cli import cli
from tests.test_known_answers import BASE, ONE_PERIOD, WORKED_EXAMPLE

EXACT = 1e-6


def limit(run, kind: str) -> dict:
    rows = run.tables.limits[run.tables.limits["limit"] == kind]
    assert len(rows), run.tables.limits
    return rows.iloc[0].to_dict()


def test_marginal_cost_of_demand_is_the_price_of_the_next_tonne(solve_text):
    """A1 (10/t) is capped at 4 t of 6: the next tonne comes from B1 at 15."""
    run = solve_text(BASE, ONE_PERIOD, """
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 6
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        A1       | M        | A       | 4        | 10
        B1       | M        | B       | 10       | 15
        C1       | M        | B       | 10       | 18
        """)  # fmt: skip
    costs = run.tables.marginal_costs
    assert costs.loc[costs["period"] == "P1", "marginal_cost_per_t"].item() == pytest.approx(15)
    capacity = limit(run, "supplier capacity")
    assert capacity["subject"] == "A1 / M" and capacity["saving_per_unit"] == pytest.approx(5)
    assert capacity["valid_to"] == pytest.approx(6)  # at 6 t A1 covers all demand
    unused = run.tables.unused.set_index("supplier")
    assert unused.at["C1", "price_cut_to_win_per_t"] == pytest.approx(3)


def test_budget_dual_is_what_one_more_unit_of_budget_saves(solve_text):
    """Landed 12.5/t, budget 100, 7 t short at 1000/t: each extra unit of budget buys
    0.08 t and saves 1000 − 12.5 per t, i.e. 79 per unit."""
    run = solve_text(BASE, """
        [Periods]
        period | budget
        P1     | 100
        [Countries]
        country | tariff
        A       | 0.25
        B       |
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 15
        """)  # fmt: skip
    budget = limit(run, "period budget")
    assert budget["saving_per_unit"] == pytest.approx(79, rel=EXACT)


def test_share_cap_dual_is_what_one_more_point_saves(solve_text):
    """China ≤ 50 % of 10 t: one more point moves 0.1 t from US1 (20) to CN (10): 1.0."""
    run = solve_text(BASE, ONE_PERIOD, """
        [Countries]
        country | max_share
        China   | 0.5
        US      |
        [Suppliers]
        supplier | material | country | capacity | unit_cost
        CN       | M        | China   | 100      | 10
        US1      | M        | US      | 100      | 20
        """)  # fmt: skip
    share = limit(run, "country share cap")
    assert share["subject"] == "China share of M"
    assert (share["limit_value"], share["unit"]) == (pytest.approx(50), "%")  # the cap, 50 %
    assert share["saving_per_unit"] == pytest.approx(1.0, rel=EXACT)  # per percentage point


def test_floor_and_storage_duals(solve_text):
    """Storage max 5 with P2's 6 t only buyable in P1: a tonne more storage saves 990."""
    run = solve_text(BASE, """
        [Suppliers]
        supplier | material | country | capacity | unit_cost | available_to
        S        | M        | A       | 100      | 10        | P1
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 2
        Plant | M        | P2     | 6
        [Stock]
        site  | material | max
        Plant | M        | 5
        """)  # fmt: skip
    assert limit(run, "storage max")["saving_per_unit"] == pytest.approx(990, rel=EXACT)
    floor = solve_text(BASE, """
        [Materials]
        material | shortage_penalty | safety_penalty
        M        | 1000             | 3
        [Demand]
        site  | material | period | quantity
        Plant | M        | P1     | 2
        Plant | M        | P2     | 2
        [Stock]
        site  | material | min
        Plant | M        | 4
        """)  # fmt: skip
    assert limit(floor, "stock floor")["saving_per_unit"] == pytest.approx(3, rel=EXACT)


def test_exposure_of_the_worked_example(solve_text):
    """20 t from CN at approval 0.6: 8 t expected denied, all licensed by China for Tb."""
    run = solve_text(WORKED_EXAMPLE)
    row = run.tables.exposure.iloc[0]
    assert (row["purchased_t"], row["licensed_t"]) == pytest.approx((20, 20))
    assert row["expected_denied_t"] == pytest.approx(8)
    assert (row["hhi"], row["top_country"]) == (pytest.approx(10_000), "China")
    assert run.tables.licensed_by.to_dict("records") == [
        {"jurisdiction": "China", "element": "Tb", "matched_by": "the chain",
         "licensed_t": pytest.approx(20),
         "expected_denied_t": pytest.approx(8)}
    ]  # fmt: skip


SHORTFALLS = [
    (
        "capacity",
        """
     [Suppliers]
     supplier | material | country | capacity | unit_cost
     S        | M        | A       | 6        | 10
     """,
        "S: at capacity (6.000 t)",
    ),
    (
        "lead time",
        """
     [Suppliers]
     supplier | material | country | capacity | unit_cost | lead_time
     S        | M        | A       | 100      | 10        | 1
     """,
        "first delivery in P2 (lead time 1 + licence delay 0",
    ),
    (
        "window",
        """
     [Suppliers]
     supplier | material | country | capacity | unit_cost | available_from
     S        | M        | A       | 100      | 10        | P2
     """,
        "S: available only from P2",
    ),
    (
        "defense",
        """
     [Sites]
     site  | end_use
     Plant | defense
     [Countries]
     country | covered
     A       | yes
     B       | no
     """,
        "defense site, and its chain touches a covered country",
    ),
    (
        "ban",
        """
     [Controls]
     country | approval
     A       | 0
     """,
        "S: export licence denied (approval 0)",
    ),
    (
        "lanes",
        """
     [Lanes]
     supplier | site  | allowed
     S        | Plant | no
     """,
        "S: Lanes forbid this route",
    ),
    (
        "budget",
        """
     [Periods]
     period | budget
     P1     | 50
     """,
        "the budget of P1 (50.00) is spent",
    ),
    (
        "share cap",
        """
     [Countries]
     country | max_share
     A       | 0.5
     B       |
     """,
        "the country share cap binds: A share of M",
    ),
    (
        "cost",
        """
     [Materials]
     material | shortage_penalty | safety_penalty
     M        | 5                | 0
     """,
        "falling short costs 5.00 per t, less than buying from S at 10.00 per t",
    ),
    (
        "no supplier",
        """
     [Suppliers]
     supplier | material | country | capacity | unit_cost
     """,
        "no supplier offers M to Plant",
    ),
]


ONLY_P1 = """
[Demand]
site  | material | period | quantity
Plant | M        | P1     | 10
"""


@pytest.mark.parametrize(("binding", "change", "words"), SHORTFALLS, ids=[s[0] for s in SHORTFALLS])
def test_shortfall_explanations_name_the_binding_limit(solve_text, binding, change, words):
    """Two periods, 10 t needed in P1 only, one supplier S (10/t, 100 t) unless changed."""
    run = solve_text(BASE, ONLY_P1, change)
    shortfalls = run.tables.shortfalls
    assert len(shortfalls) == 1, shortfalls
    row = shortfalls.iloc[0]
    assert (row["site"], row["material"], row["period"]) == ("Plant", "M", "P1")
    assert row["binding"] == binding
    assert words in row["explanation"]
    assert row["explanation"].startswith(f"{row['shortfall_t']:,.3f} t short")


EXAMPLE_SOLVE = ["solve", "inputs/example.xlsx", "--scenario", "heavy-ban"]


@pytest.fixture(scope="module")
def plan_workbook(tmp_path_factory):
    target = tmp_path_factory.mktemp("review") / "plan.xlsx"
    result = CliRunner().invoke(cli, [*EXAMPLE_SOLVE, "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target


def test_plan_workbook_layout_formats_and_units(plan_workbook):
    book = openpyxl.load_workbook(plan_workbook)
    assert book.sheetnames[:11] == [
        "Dashboard",
        "Summary",
        "Orders",
        "Plan",
        "Stock",
        "Mix",
        "Production",
        "Make or buy",
        "Contracts",
        "Capacity",
        "Warnings",
    ]
    assert {
        "Limits",
        "Marginal costs",
        "Unused offers",
        "Exposure",
        "Licensed",
        "Shortfalls",
    } <= set(book.sheetnames)
    assert book.sheetnames[-1] == "Chart data"
    plan = book["Plan"]
    shown = {cell.value: cell.number_format for cell in plan[1]}  # the label shown, unit in it
    assert shown["quantity"] == ';;;"Quantity (t)"'
    assert shown["landed_cost"] == ';;;"Landed cost (USD/t)"'
    notes = {cell.value: cell.comment.text for cell in plan[1] if cell.comment}
    assert "never paid" in notes["risk_cost"]
    rules = {
        str(r.sqref): [x.type for x in r.rules] for r in book["Capacity"].conditional_formatting
    }
    assert any(types == ["dataBar"] and ref.startswith("G2") for ref, types in rules.items())
    stock_rules = [r for r in book["Stock"].conditional_formatting]
    flagged = {c.column_letter + "2" for c in book["Stock"][1]
               if c.value in ("shortfall", "floor_gap", "cover_gap")}  # fmt: skip
    assert {str(r.sqref).split(":")[0] for r in stock_rules} >= flagged and len(flagged) == 3
    for name in ("Limits", "Shortfalls", "Stock"):
        assert book[name].freeze_panes == "A2" and book[name].auto_filter.ref


def test_dashboard_charts_reference_the_chart_data(plan_workbook):
    book = openpyxl.load_workbook(plan_workbook)
    data = book["Chart data"]
    periods = [
        row[0].value
        for row in data.iter_rows(min_row=2)
        if row[0].value and re.fullmatch(r"\d{4}-\d{2}", str(row[0].value))
    ]
    archive = zipfile.ZipFile(plan_workbook)
    charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
    assert len(charts) == 7  # purchases + six materials
    purchases = archive.read("xl/charts/chart1.xml").decode()
    assert "'Chart data'!$A$2:$A$25" in purchases and "'Chart data'!$B$1" in purchases
    headers = {
        cell.value: cell.row
        for cell in data["A"]
        if cell.value and not re.fullmatch(r"\d{4}-\d{2}", str(cell.value))
    }
    first_material = archive.read("xl/charts/chart2.xml").decode()
    title = re.search(r"<a:t>([^<]*): stock", first_material)[1]
    header_row = headers[title]
    assert f"'Chart data'!$B${header_row + 2}:$B${header_row + 25}" in first_material
    assert len(set(periods)) == 24


def pdf_pages(pdf) -> list[str]:
    """The text of each page of a PDF (pdftotext, from poppler-utils)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return text.split("\f")[:-1]


FOOTER = re.compile(r"^\s*(\S.*?)\s{2,}Page (\d+) of (\d+)\s*$", re.MULTILINE)


def pages_per_sheet(pages: list[str]) -> dict[str, int]:
    """Printed pages per sheet, from the footer every sheet carries (`<sheet>  Page p of n`)."""
    counts: dict[str, int] = {}
    for page in pages:
        found = FOOTER.findall(page)
        assert found, page[-300:]
        name = found[-1][0]
        counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) or pdftotext is not installed: the printed page counts are "
    "not checked (Debian: apt-get install libreoffice-calc poppler-utils; .ci/run does it)",
)
def test_dashboard_and_summary_print_on_one_page_each(plan_workbook, tmp_path):
    comparison = tmp_path / "whatif.xlsx"
    result = CliRunner().invoke(
        cli, ["whatif", "inputs/example.xlsx", "-o", str(comparison), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    shutil.copy(plan_workbook, tmp_path / "plan.xlsx")
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "plan.xlsx"),
         str(comparison)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan = pdf_pages(tmp_path / "plan.pdf")
    counts = pages_per_sheet(plan)
    assert (counts["Dashboard"], counts["Summary"]) == (1, 1), counts
    assert "Cash spend (USD)" in plan[0] and "Input fingerprint, SHA-256" in plan[1]
    assert len(plan) <= 25, counts  # issue 27: the example plan prints in at most 25 pages
    compared = pages_per_sheet(pdf_pages(tmp_path / "whatif.pdf"))
    assert (compared["Dashboard"], compared["Summary"]) == (1, 1), compared


def test_cash_spend_is_purchase_tariff_freight_fixed_everywhere(plan_workbook, tmp_path):
    """Summary, --json and the comparison carry cash spend and penalties; the SPEC §4
    metrics keep their names. The example onboards suppliers: fixed costs are paid."""
    summary = dict(
        openpyxl.load_workbook(plan_workbook)["Summary"].iter_rows(min_row=2, values_only=True)
    )
    assert summary["cash_spend"] == pytest.approx(
        summary["purchase"]
        + summary["tariff"]
        + summary["freight"]
        + summary["fixed"]
        + summary["conversion"],
        rel=1e-12,
    )
    assert summary["fixed"] > 0
    assert summary["penalties"] == pytest.approx(summary["shortage"] + summary["safety"])
    record = json.loads(
        CliRunner().invoke(cli, [*EXAMPLE_SOLVE, "-o", str(tmp_path / "p.xlsx"), "--json"]).stdout
    )
    assert record["cash_spend"] == summary["cash_spend"]
    assert record["objective"] == summary["objective"]


def test_console_prints_every_warning_most_important_first(tmp_path):
    result = CliRunner().invoke(
        cli, ["solve", "inputs/example.xlsx", "-o", str(tmp_path / "p.xlsx")]
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("warning(s):"))
    count = int(lines[start].split()[0])
    listed = [line for line in lines[start + 1 :] if line.startswith("    ")]
    assert count == len(listed) == 3
    assert "below its floor" in listed[0] and "unused supplier" in listed[-1]
    assert listed[-1].strip().startswith("row 5: ") and "Suppliers!5" not in result.stderr
    assert "export ban" not in result.stderr
    assert "cash spend" in result.stdout and "modelled costs" in result.stdout


def test_every_offered_method_gives_a_checked_plan(solve_text):
    """No advertised `--method` fails: each solves the worked example to its optimum."""
    from optimizer.domain.scenarios import resolve_scenario
    from optimizer.pipeline import solve_scenario
    from optimizer.solver.options import METHODS, SolveOptions

    assert "pdlp" not in METHODS
    base = solve_text(WORKED_EXAMPLE)
    inputs = base.instance.inputs
    for method in METHODS:
        run = solve_scenario(inputs, resolve_scenario(inputs, "base"), SolveOptions(method=method))
        assert run.tables.objective == pytest.approx(7_057_142.857142857, rel=1e-9), method


def test_dashboard_lists_every_cost_term_generically():
    """Every cost term of a summary appears on the Dashboard, in its block (cash or not),
    without an edit there."""
    from optimizer.report import dashboard

    terms = {"purchase": 60.0, "tariff": 5.0, "freight": 5.0, "fixed": 5.0, "risk": 20.0,
             "holding": 1.0, "shortage": 0.0, "safety": 0.0, "salvage": -1.0}  # fmt: skip
    summary = SimpleNamespace(currency="USD", objective=100.0, cash_spend=75.0, terms=terms)
    lines = dashboard.money_lines(summary)
    labels = [label.strip() for label, _, _ in lines]
    assert labels.index("fixed sourcing costs") < labels.index("Cash spend (USD)")
    assert labels.index("salvage value of stock left at the end") > labels.index("Cash spend (USD)")
    assert (
        dict((label, amount) for label, amount, _ in lines)["Modelled costs, not cash (USD)"]
        == 25.0
    )
