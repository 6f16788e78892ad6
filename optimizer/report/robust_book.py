"""The robust plan → its workbook (SPEC §6), in the review style of the plan workbook.

Robust first (the headline figures, K, α, β, and a chart of each scenario's cost under
the robust plan against its own optimum), then Commit, Scenarios (one row per
scenario), Plan and Stock with a `scenario` column, By scenario (the Scenarios sheet as
a board that prints, `scenario_board`), and Warnings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.chart import Chart

from optimizer.plan.commitments import EXCEPTIONS
from optimizer.plan.outcomes import Robust, ScenarioOutcome
from optimizer.plan.summary import COST_TERMS
from optimizer.report.plan_book import WARNING_COLUMNS, warning_rows
from optimizer.report.scenario_board import DESCRIPTION, Measure, keyed, write_board
from optimizer.report.targets import atomic_file
from optimizer.report.writer import (
    FOOTER,
    WORKBOOK_OPTIONS,
    Column,
    Writer,
    not_printed,
    page_header,
    safe_text,
)

SCENARIOS = "Scenarios"
BY_SCENARIO = "By scenario"


def headline(robust: Robust) -> dict[str, object]:
    """The figures of SPEC §6 with the settings that produced them (Robust sheet, JSON)."""
    return {
        "objective": robust.objective,
        "expected_cost": robust.expected_cost,
        "cvar": robust.cvar,
        "ws": robust.ws,
        "eev": robust.eev,
        "eev_reason": robust.eev_reason,
        "vss": robust.vss,
        "evpi": robust.evpi,
        "commit_periods": robust.commit_periods,
        "reference": robust.reference,
        "cvar_alpha": robust.alpha,
        "cvar_weight": robust.beta,
        "onboarded": "; ".join(
            f"{row.supplier} / {row.material}" for row in robust.onboarded.itertuples()
        ),
        "fixed": float(robust.onboarded.get("fixed_cost", pd.Series(dtype=float)).sum()),
        "mip_gap": robust.mip_gap,
    }


def take_or_pay_tonnes(outcome: ScenarioOutcome) -> dict[str, float]:
    """The scenario's take-or-pay gap (t committed, not taken, paid) and the t its
    deliveries cannot reach and so excuse (SPEC §2, constraint 11); empty when the
    workbook has no take-or-pay offer."""
    contracts = outcome.tables.contracts
    if contracts.empty:
        return {}
    return {
        "take_or_pay_not_taken_t": float(contracts["not_taken_t"].sum()),
        "take_or_pay_excused_t": float(contracts["excused_t"].sum()),
    }


def scenario_table(robust: Robust) -> pd.DataFrame:
    """Per scenario: probability, C_ω and its terms, its own optimum, the difference."""
    rows = [
        {
            "scenario": outcome.name,
            "probability": outcome.probability,
            "cost": outcome.cost,
            **outcome.terms,
            "alone": outcome.alone,
            "difference": outcome.cost - outcome.alone,
            "shortfall": outcome.tables.summary.shortfall_t,
            **take_or_pay_tonnes(outcome),
        }
        for outcome in robust.scenarios
    ]
    columns = ["scenario", "probability", "cost", *COST_TERMS, "failed", "alone", "difference",
               "shortfall"]  # fmt: skip
    extra = [key for key in rows[0] if key not in columns] if rows else []
    return pd.DataFrame(rows).reindex(columns=[*columns, *extra])


def board_measures(table: pd.DataFrame, currency: str) -> list[Measure]:
    """The By scenario sheet's rows: what each scenario assumes, its figures under the
    robust plan against its own best plan, then its cost terms and any other column."""
    words = {"difference": "Extra cost against its own best plan",
             "shortfall": "Demand not met, shortfall"}  # fmt: skip
    first = ["probability", "cost", "alone", "difference", "shortfall"]
    keys = [*first, *[c for c in table.columns if c not in {"scenario", *first}]]
    return [
        Measure(DESCRIPTION, lambda row: row.get("description")),
        *[keyed(str(key), currency, words.get(str(key))) for key in keys],
    ]


def _stacked(robust: Robust, table: str) -> pd.DataFrame:
    frames = [
        getattr(outcome.tables, table).assign(scenario=outcome.name) for outcome in robust.scenarios
    ]
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[["scenario", *[c for c in stacked.columns if c != "scenario"]]]


CHART_SCENARIOS = 30
"""The scenario chart is drawn for at most this many scenarios (licence draws are many)."""


def committed_now(robust: Robust) -> tuple[int, float, float]:
    """(orders, tonnes, cash at the reference's landed cost) placed in the first K periods."""
    commit = robust.commit
    if commit.empty:
        return 0, 0.0, 0.0
    return len(commit), float(commit["quantity"].sum()), float(commit["total_cost"].sum())


def robust_sentences(robust: Robust, currency: str, periods: list[str]) -> list[str]:
    """The robust plan in a buyer's words: what to order now, what it costs and how bad it
    can get, what hedging is worth and what better intelligence could still save."""
    count, tonnes, cash = committed_now(robust)
    k = robust.commit_periods
    window = periods[0] if k == 1 else f"{periods[0]} … {periods[max(k - 1, 0)]}"
    reference, scenarios = robust.reference, len(robust.scenarios)
    lines = [
        f"Place {count} order(s) now, {tonnes:,.1f} t for {cash:,.0f} {currency} at today's "
        f"landed costs: every order that must be placed in {window} (the first {k} period(s)); "
        "the Commit sheet lists them by the period each must be placed in."
        if count and k
        else f"The plan places no order in the first {k} period(s): nothing needs deciding now.",
        "These orders hedge across the scenarios, so they can differ from those of the plan "
        "`reopt solve` makes for one scenario: sign these when the future is uncertain.",
        f"Expected cost: {robust.expected_cost:,.0f} {currency} over {scenarios} scenario(s), "
        "each weighted by its probability; every later order is re-planned in each scenario.",
        f"In the worst {1 - robust.alpha:.0%} of outcomes it costs {robust.cvar:,.0f} "
        f"{currency} on average (CVaR {robust.alpha:.0%})."
        + (f" The plan minimises the expected cost plus {robust.beta:g} × this figure."
           if robust.beta > 0 else ""),
    ]  # fmt: skip
    if robust.vss is None:
        lines.append(f"What hedging is worth cannot be said: {robust.eev_reason}.")
    else:
        lines.append(
            f"Hedging is worth {robust.vss:,.0f} {currency}: placing instead the orders that "
            f"are best if {reference} happens would cost that much more on average (VSS)."
        )
    lines.append(
        f"Better intelligence could still save at most {robust.evpi:,.0f} {currency}: what "
        "knowing the future before ordering would save on average (EVPI)."
    )
    own = next((s for s in robust.scenarios if s.name == reference), None)
    if own is not None:
        lines.append(
            f"If {reference} happens, this plan costs {own.cost - own.alone:,.0f} {currency} "
            f"more than {reference}'s own best plan."
        )
    return lines


def _figures(robust: Robust, currency: str) -> list[tuple[str, object, str]]:
    """(label with its unit, value, kind) of the Robust sheet's table of figures."""
    count, tonnes, cash = committed_now(robust)
    eev: object = robust.eev if robust.eev is not None else f"absent: {robust.eev_reason}"
    money = f"({currency})"
    rows = [
        (f"Objective minimised: expected cost + β × CVaR {money}", robust.objective, "amount"),
        (f"Expected cost {money}", robust.expected_cost, "amount"),
        (f"CVaR {robust.alpha:.0%}: mean cost of the worst {1 - robust.alpha:.0%} {money}",
         robust.cvar, "amount"),
        (f"Wait and see: each scenario planned knowing its future, WS {money}", robust.ws,
         "amount"),
        (f"Betting on {robust.reference}: its own orders placed now, EEV {money}", eev, "amount"),
        (f"Value of hedging, VSS = EEV − objective {money}", robust.vss, "amount"),
        (f"Value of perfect information, EVPI = objective − WS {money}", robust.evpi, "amount"),
        ("Orders placed now (count)", count, "int"),
        ("Tonnes ordered now (t)", tonnes, "t"),
        (f"Cash committed now, at the reference's landed cost {money}", cash, "amount"),
        ("Periods whose orders are decided now, K (count)", robust.commit_periods, "int"),
        ("Scenarios (count)", len(robust.scenarios), "int"),
        ("CVaR level α (share)", robust.alpha, "share"),
        ("CVaR weight β (times the CVaR added to the expected cost)", robust.beta, "number"),
    ]  # fmt: skip
    if not robust.onboarded.empty:
        names = "; ".join(f"{r.supplier} / {r.material}" for r in robust.onboarded.itertuples())
        paid = float(robust.onboarded["fixed_cost"].sum())
        rows += [("Suppliers onboarded now", names, "text"),
                 (f"Their onboarding costs {money}", paid, "amount")]  # fmt: skip
    if robust.mip_gap is not None:
        rows.append(("Integer plan: relative gap proved (share)", robust.mip_gap, "gap"))
    return rows


def _robust_sheet(writer: Writer, robust: Robust, summary: dict[str, object]) -> None:
    """The first sheet: the plan in sentences, its figures with units, the scenario chart;
    one A4 landscape page."""
    sheet = writer.book.add_worksheet("Robust")
    currency, periods = robust.currency, list(robust.periods)
    title = writer.book.add_format({"bold": True, "font_size": 14})
    wrap = writer.book.add_format({"text_wrap": True, "valign": "top"})
    sheet.set_column(0, 0, 72)
    sheet.set_column(1, 1, 44)
    sheet.write_string(0, 0, "Robust plan: what to order now", title)
    sheet.write_string(1, 0, f"{summary.get('input_file', '')}, created "
                             f"{summary.get('created_utc', '')} UTC")  # fmt: skip
    row = 3
    for line in robust_sentences(robust, currency, periods):
        sheet.merge_range(row, 0, row, 1, line, wrap)
        sheet.set_row(row, 15 * max(1, -(-len(line) // 150)))
        row += 1
    row = writer.block(sheet, row + 1, [Column("figure"), Column("value")], [])
    top = writer.book.add_format({"valign": "top"})
    for label, value, kind in _figures(robust, currency):
        sheet.write_string(row, 0, label, top)
        if isinstance(value, str):
            sheet.write_string(row, 1, safe_text(value)[0], wrap)
            sheet.set_row(row, 15 * max(1, -(-len(value) // 44)))
        else:
            writer.cell(sheet, row, 1, value, kind)
        row += 1
    if len(robust.scenarios) <= CHART_SCENARIOS:
        sheet.insert_chart(row + 1, 0, _scenario_chart(writer, robust, currency))
        row += 21
    sheet.set_landscape()
    sheet.set_paper(9)
    sheet.fit_to_pages(1, 1)
    sheet.print_area(0, 0, row, 1)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.set_footer(FOOTER)


def _scenario_chart(writer: Writer, robust: Robust, currency: str) -> Chart:
    """Each scenario's cost under the robust plan beside its own optimum (the Scenarios
    sheet's columns), in millions with thousands separators."""
    count = len(robust.scenarios)
    table = scenario_table(robust)
    chart = writer.book.add_chart({"type": "column"})
    for column, name, colour in (("cost", "under the robust plan", "#4E79A7"),
                                 ("alone", "its own best plan", "#BAB0AC")):  # fmt: skip
        index = table.columns.get_loc(column)
        chart.add_series(
            {
                "name": name,
                "categories": [SCENARIOS, 1, 0, count, 0],
                "values": [SCENARIOS, 1, index, count, index],
                "fill": {"color": colour},
            }
        )
    chart.set_title({"name": "Cost of each scenario", "name_font": {"size": 11}})
    chart.set_x_axis({"name": "scenario", "num_font": {"size": 8}})
    grid = {"visible": True, "line": {"color": "#D9D9D9"}}
    chart.set_y_axis(
        {"name": f"cost (million {currency})", "num_format": "#,##0.0,,", "major_gridlines": grid}
    )
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 820, "height": 300})
    return chart


def _commit_sheet(writer: Writer, commit: pd.DataFrame) -> None:
    """The orders to place now; the page prints the orders and the scenarios where each
    is not on time, the column per scenario stays on screen."""
    sheet = writer.frame("Commit", commit)
    if EXCEPTIONS in commit:
        last = commit.columns.get_loc(EXCEPTIONS)
        sheet.print_area(0, 0, max(len(commit), 1), last)
        page_header(sheet, [
            "Commit: the column per scenario (what happens to each order there) is in the "
            "workbook, not printed; the last printed column sums it up."
        ])  # fmt: skip


def write_robust_workbook(robust: Robust, target: Path, summary: dict[str, object]) -> None:
    """Robust, Commit, Scenarios, Plan, Stock (SPEC §6's order), By scenario (the
    Scenarios sheet as a board that prints), Contracts (take-or-pay offers) and Warnings,
    written atomically."""
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book, str(summary.get("currency", "USD")))
        _robust_sheet(writer, robust, summary)
        _commit_sheet(writer, robust.commit)
        table = scenario_table(robust)
        scenarios = writer.frame(SCENARIOS, table, {"shortfall": "alarm"})
        line = f"{SCENARIOS}: one row per scenario; printed as {BY_SCENARIO}."
        page_header(scenarios, [not_printed(scenarios, line)])
        writer.reference("Plan", _stacked(robust, "plan"))
        short = {"shortfall": "alarm", "floor_gap": "alarm", "cover_gap": "alarm"}
        writer.reference("Stock", _stacked(robust, "stock"), short)
        descriptions = [outcome.tables.summary.scenario_description for outcome in robust.scenarios]
        write_board(
            writer, book.add_worksheet(BY_SCENARIO), "Each scenario under the robust plan",
            table.assign(description=descriptions), board_measures(table, writer.currency),
        )  # fmt: skip
        contracts = _stacked(robust, "contracts")
        if not contracts.empty:
            writer.frame("Contracts", contracts, {"not_taken_t": "alarm"})
        writer.table("Warnings", WARNING_COLUMNS, warning_rows(robust.warnings))
        writer.close(temporary)
