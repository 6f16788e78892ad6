"""The robust plan → its workbook (SPEC §6), in the review style of the plan workbook.

Robust first (the headline figures, K, α, β, and a chart of each scenario's cost under
the robust plan against its own optimum), then Commit, Scenarios, Plan and Stock with a
`scenario` column, and Warnings.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xlsxwriter

from optimizer.plan.outcomes import Robust
from optimizer.plan.summary import COST_TERMS
from optimizer.report.plan_book import WARNING_COLUMNS, warning_rows
from optimizer.report.targets import atomic_file
from optimizer.report.writer import WORKBOOK_OPTIONS, Column, Writer, kind_of

SCENARIOS = "Scenarios"


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
        }
        for outcome in robust.scenarios
    ]
    columns = ["scenario", "probability", "cost", *COST_TERMS, "failed", "alone", "difference",
               "shortfall"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _stacked(robust: Robust, table: str) -> pd.DataFrame:
    frames = [
        getattr(outcome.tables, table).assign(scenario=outcome.name) for outcome in robust.scenarios
    ]
    stacked = pd.concat(frames, ignore_index=True)
    return stacked[["scenario", *[c for c in stacked.columns if c != "scenario"]]]


def _robust_sheet(writer: Writer, robust: Robust, summary: dict[str, object]) -> None:
    sheet = writer.book.add_worksheet("Robust")
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 60)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    title = writer.book.add_format({"bold": True, "font_size": 14})
    sheet.write_string(0, 0, "Robust plan: what to commit now", title)
    sheet.write_string(
        1,
        0,
        f"orders of the first {robust.commit_periods} period(s) are shared by every "
        "scenario; later periods are re-planned per scenario",
    )
    row = writer.block(sheet, 3, [Column("metric"), Column("value")], [])
    for metric, value in {**headline(robust), **summary}.items():
        sheet.write_string(row, 0, metric)
        writer.cell(sheet, row, 1, value, kind_of(metric))
        row += 1
    count = len(robust.scenarios)
    table = scenario_table(robust)
    chart = writer.book.add_chart({"type": "column"})
    for column in ("cost", "alone"):
        index = table.columns.get_loc(column)
        chart.add_series(
            {
                "name": [SCENARIOS, 0, index],
                "categories": [SCENARIOS, 1, 0, count, 0],
                "values": [SCENARIOS, 1, index, count, index],
            }
        )
    chart.set_title({"name": "Cost per scenario: robust plan (cost) against its own optimum"})
    chart.set_size({"width": 760, "height": 360})
    sheet.insert_chart(3, 3, chart)
    sheet.freeze_panes(4, 0)


def write_robust_workbook(robust: Robust, target: Path, summary: dict[str, object]) -> None:
    """Robust, Commit, Scenarios, Plan, Stock and Warnings, written atomically."""
    with atomic_file(target) as temporary:
        book = xlsxwriter.Workbook(str(temporary), WORKBOOK_OPTIONS)
        writer = Writer(book, str(summary.get("currency", "USD")))
        _robust_sheet(writer, robust, summary)
        writer.frame("Commit", robust.commit)
        writer.frame(SCENARIOS, scenario_table(robust), {"shortfall": "alarm"})
        writer.frame("Plan", _stacked(robust, "plan"))
        short = {"shortfall": "alarm", "floor_gap": "alarm", "cover_gap": "alarm"}
        writer.frame("Stock", _stacked(robust, "stock"), short)
        writer.table("Warnings", WARNING_COLUMNS, warning_rows(robust.warnings))
        writer.close(temporary)
